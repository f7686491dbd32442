/**
 * The hub process's alert and report timers on real parts (Mosquitto, both database engines, a
 * local HTTP server standing in for a bridge): the daily report the hub missed (down, or failing
 * at report time) is made at start and retried until it works, once per day (review #8); a bridge
 * that hangs holds up only the sending of notices, not the noticing of the next critical alert
 * (review #7). Nothing asserts a duration.
 */
import { writeFileSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { vnYesterday } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir, type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Hub, type HubOptions, HubStore, loadHubSettings } from '../src/index.js';
import type { HubRepository } from '../src/storage/index.js';
import { ENGINES, type Engine, newDatabase } from './engines.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
let broker: RunningMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());

/** A bridge recording each body; the first `hold` requests are answered only on release(). */
async function bridge(hold = 0) {
  const bodies: Array<{ event: string; day?: string }> = [];
  const held: ServerResponse[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push(JSON.parse(body));
      if (bodies.length <= hold) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`,
    bodies,
    releaseAll: () => {
      for (const r of held.splice(0)) r.writeHead(204).end();
    },
  };
}

async function hubOn(
  where: { database: string; dataDir: string },
  hookUrl: string,
  extra: Partial<HubOptions> & { webhookTimeoutSeconds?: number } = {},
) {
  const file = join(makeTempDir('hub-yaml-'), 'hub.yaml');
  writeFileSync(
    file,
    `alerts:
  everySeconds: 3600
  offlineMinutes: 0.05
  noScansBy: ''
notify:
  webhookTimeoutSeconds: ${extra.webhookTimeoutSeconds ?? 10}
  webhooks:
    - { url: '${hookUrl}', areas: ['district:760'] }
`,
  );
  const s = loadHubSettings(file, {});
  const { webhookTimeoutSeconds: _, ...options } = extra;
  const hub = new Hub({
    mqtt: { url: broker.url, protocolVersion: 5 },
    ...where,
    http: { host: '127.0.0.1', port: 0 },
    alerts: { rules: s.alerts, notify: s.notify },
    log: pino({ level: 'silent' }),
    ...options,
  });
  await hub.start();
  return hub;
}

async function seeded(engine: Engine) {
  const where = await newDatabase(engine);
  const seed = await HubStore.open(where.database, where.dataDir);
  await seed.registerSites([
    { site: 's-1', name: 'Chợ Bến Thành', district: '760', ward: '26734' },
    { site: 's-2', name: 'Chợ Tân Định', district: '760', ward: '26740' },
  ]);
  await seed.close();
  return where;
}

describe.each(ENGINES)('the daily report missed (%s)', (engine) => {
  it('failing at start, it is retried until stored and delivered; a restart does not send it again', async () => {
    const hook = await bridge();
    const where = await seeded(engine);
    const day = vnYesterday(new Date());
    // The database refuses the first report write, as a PostgreSQL restarting at 06:00 would.
    let refused = 0;
    const wrapRepository = (repo: HubRepository) =>
      new Proxy(repo, {
        get(target, key) {
          const value = Reflect.get(target, key, target);
          if (key !== 'saveReport' || typeof value !== 'function') return value;
          return (...args: unknown[]) =>
            refused++ === 0
              ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
              : value.apply(target, args);
        },
      });
    // Report time 00:00: today's fell due before this start, and nothing was stored for it.
    const first = await hubOn(where, hook.url, { reportAt: '00:00', reportRetryMs: 50, wrapRepository });
    cleanups.push(() => first.stop());
    const report = await waitFor(
      () => hook.bodies.find((b) => b.event === 'daily-report'),
      10_000,
      'the missed report delivered',
    );
    expect(report.day).toBe(day);
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(await first.store?.savedReport(day)).not.toBeNull();
    await first.stop();

    const second = await hubOn(where, hook.url, { reportAt: '00:00' });
    cleanups.push(() => second.stop());
    await second.reportCatchUp;
    await second.dailyReport(day);
    expect(hook.bodies.filter((b) => b.event === 'daily-report').map((b) => b.day)).toEqual([day]);
  });
});

describe('the daily report stored but not sent (sqlite)', () => {
  it('a hub stopped between storing and queuing it sends it at the next start', async () => {
    const hook = await bridge();
    const where = await seeded('sqlite');
    const day = vnYesterday(new Date());
    const before = await HubStore.open(where.database, where.dataDir);
    await before.saveReport(day);
    await before.close();
    const hub = await hubOn(where, hook.url, { reportAt: '00:00' });
    cleanups.push(() => hub.stop());
    await hub.reportCatchUp;
    expect(hook.bodies.filter((b) => b.event === 'daily-report').map((b) => b.day)).toEqual([day]);
  });
});

describe('a bridge that hangs', () => {
  it('does not hold up the next check: a second kiosk gone is raised while the first notice is still being sent', async () => {
    const hook = await bridge(1);
    const where = await seeded('sqlite');
    const hub = await hubOn(where, hook.url, { webhookTimeoutSeconds: 5 });
    cleanups.push(() => hub.stop());
    cleanups.push(() => hook.releaseAll());
    const store = hub.store as HubStore;
    const gone = new Date(Date.now() - 60_000);
    await store.setKioskState('s-1', 'k-1', 'offline', gone);
    await hub.alertTick();
    await waitFor(() => hook.bodies.length > 0 || undefined, 10_000, 'a notice being sent');
    // The bridge holds that request; k-2's connection ends meanwhile.
    await store.setKioskState('s-2', 'k-2', 'offline', gone);
    await hub.alertTick();
    const active = await store.repo.alerts.list(true, 10);
    expect(active.map((a) => a.key).sort()).toEqual(['silent:s-1:k-1', 'silent:s-2:k-2']);
    expect(hook.bodies).toHaveLength(1);
    hook.releaseAll();
  });
});
