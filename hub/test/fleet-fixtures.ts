import { TELEMETRY_SCHEMA_ID, type TelemetryMessage } from '@qrkiosk/protocol';
import type { HubStore } from '../src/index.js';

/**
 * Kiosk telemetry as the gateway sends it (checked against protocol's schema by the tests that use
 * it), and a fleet of such kiosks over a register of sites, seeded through the store as ingest would.
 */
export function telemetry(
  site: string,
  kiosk: string,
  over: Partial<TelemetryMessage> = {},
): TelemetryMessage {
  return {
    schema: TELEMETRY_SCHEMA_ID,
    site,
    kiosk,
    at: new Date().toISOString(),
    software: '0.1.0',
    uptimeSeconds: 3600,
    clockSynced: true,
    scannerConnected: true,
    outboxDepth: 0,
    cache: { version: 3, updatedAt: new Date(Date.now() - 7200_000).toISOString(), ageSeconds: 7200 },
    rules: { version: 'r-1', source: 'hub', ageSeconds: 86_400 },
    trust: { ageSeconds: 3 * 86_400 },
    outboxOldestAt: null,
    disk: { usedPercent: 40, freeBytes: 8e9 },
    ...over,
  };
}

const DISTRICTS = ['760', '770', '771', '772', '773'];
export const siteId = (i: number) => `s-${String(i).padStart(4, '0')}`;
export const siteName = (i: number) =>
  `${['Chợ', 'Trường', 'Bệnh viện', 'Siêu thị', 'UBND phường'][i % 5]} số ${i} ${['Bến Thành', 'Tân Định', 'Đa Kao', 'Bến Nghé', 'Cầu Kho'][i % 5]}`;

/**
 * `sites` registered sites (names with Vietnamese letters, five districts) and `kiosks` kiosks
 * spread over the first of them, with varied health: every 7th offline, every 11th without a
 * scanner, every 13th with an unsynced clock, disks from 10 to 99 %, outboxes from 0 up.
 */
export async function seedFleet(store: HubStore, sites: number, kiosks: number): Promise<void> {
  await store.registerSites(
    Array.from({ length: sites }, (_, i) => ({
      site: siteId(i + 1),
      name: siteName(i + 1),
      district: DISTRICTS[i % DISTRICTS.length] ?? '760',
      ward: String(26_700 + (i % 40)),
    })),
  );
  const now = Date.now();
  for (let i = 1; i <= kiosks; i++) {
    const site = siteId(((i - 1) % sites) + 1);
    const kiosk = `k-${String(i).padStart(4, '0')}`;
    const t = telemetry(site, kiosk, {
      at: new Date(now - (i % 7 === 0 ? 3 * 3600_000 : (i % 50) * 1000)).toISOString(),
      software: i % 9 === 0 ? '0.1.0' : '0.2.0',
      scannerConnected: i % 11 !== 0,
      clockSynced: i % 13 !== 0,
      outboxDepth: (i * 37) % 120,
      disk: { usedPercent: 10 + ((i * 17) % 90), freeBytes: 1e9 },
      // Every 9th kiosk (still on 0.1.0) rolled back from 0.2.0 (the installer's state, telemetry `update`).
      ...(i % 9 === 0 ? { update: { state: 'rolled-back', version: '0.2.0', previous: '0.1.0' } } : {}),
    });
    await store.setKioskTelemetry(t, new Date(t.at));
    if (i % 7 === 0) await store.setKioskState(site, kiosk, 'offline', new Date(t.at));
  }
}
