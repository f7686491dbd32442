/**
 * The officer's promise from issue #17, on real parts: a kiosk's connection ends (its state goes
 * offline over a real Mosquitto, as the broker publishes a kiosk's will), the hub process notices on
 * its own timer and an e-mail reaches the area's officer through a real SMTP server (aiosmtpd);
 * GET /api/alerts shows it to that officer's scope only. Thresholds are shrunk (offline for 3 s,
 * checked every second); nothing asserts a duration.
 */

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskTopics } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir, startMosquitto, startSmtp, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Hub, HubStore, loadHubSettings } from '../src/index.js';
import { newDatabase } from './engines.js';
import { logIn } from './session.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const PASSWORD = 'mật-khẩu-đủ-dài';

describe('alerts in a running hub', () => {
  it('a kiosk’s connection ends: the officer of its district (their users.email) gets one e-mail, a disabled one none; /api/alerts shows it in scope only, active and in history; the daily report reaches each district’s officers once', async () => {
    const [broker, smtp] = await Promise.all([startMosquitto(), startSmtp()]);
    cleanups.push(() => broker.stop());
    cleanups.push(() => smtp.stop());
    const where = await newDatabase('sqlite');
    const file = join(makeTempDir('hub-yaml-'), 'hub.yaml');
    writeFileSync(
      file,
      `alerts:
  everySeconds: 1
  offlineMinutes: 0.05
  noScansBy: ''
notify:
  smtp: { host: 127.0.0.1, port: ${smtp.port}, from: hub@qrkiosk.test }
  recipients:
    - { email: hop-thu-770@qrkiosk.test, role: officer, sites: ['district:770'] }
`,
    );
    const s = loadHubSettings(file, {});
    // The register and the users, as an admin left them.
    const seed = await HubStore.open(where.database, where.dataDir);
    await seed.registerSites([
      { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
      { site: 's-002', name: 'Siêu thị', district: '770', ward: '27139' },
    ]);
    // Officers with their own address (users.email) and, for 770, a shared inbox from hub.yaml.
    await seed.users.add(
      '0901000001',
      PASSWORD,
      'officer',
      ['district:760'],
      'hub',
      'can-bo-760@qrkiosk.test',
    );
    await seed.users.add(
      '0901000002',
      PASSWORD,
      'officer',
      ['district:770'],
      'hub',
      'can-bo-770@qrkiosk.test',
    );
    await seed.users.add(
      '0901000003',
      PASSWORD,
      'officer',
      ['district:760'],
      'hub',
      'nghi-viec@qrkiosk.test',
    );
    await seed.users.setDisabled('0901000003', true);
    await seed.close();

    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      ...where,
      http: { host: '127.0.0.1', port: 0 },
      alerts: { rules: s.alerts, notify: s.notify },
      log: pino({ level: 'silent' }),
    });
    const address = await hub.start();
    cleanups.push(() => hub.stop());
    // The kiosk says it is online, then its connection ends: the broker publishes its will, "offline".
    const kiosk = await connectAsync(broker.url, { protocolVersion: 5, clientId: 'k-001' });
    cleanups.push(() => kiosk.endAsync());
    const state = kioskTopics('s-001', 'k-001').state;
    await kiosk.publishAsync(state, 'online', { qos: 1, retain: true });
    await waitFor(
      async () => ((await hub.store?.kiosks())?.length ? true : undefined),
      10_000,
      'the kiosk online',
    );
    await kiosk.publishAsync(state, 'offline', { qos: 1, retain: true });

    // Alert mail only: the hub also delivers, at start, the last daily report that fell due.
    const alertMail = () => smtp.messages().filter((m) => !m.subject.includes('Báo cáo'));
    const mail = await waitFor(
      () => (alertMail().length > 0 ? alertMail() : undefined),
      20_000,
      'the alert e-mail',
    );
    expect(mail[0]?.rcptTos).toEqual(['can-bo-760@qrkiosk.test']);
    expect(mail[0]?.subject).toMatch(
      /^\[qrkiosk\] CẢNH BÁO: Kiosk k-001 mất kết nối \d+ giây \(lần cuối \d\d\/\d\d\/\d{4} \d\d:\d\d\)$/,
    );
    // A few more ticks: still that one message.
    await hub.alertTick();
    await hub.alertTick();
    await hub.dispatchTick();
    expect(alertMail()).toHaveLength(1);

    const get = async (phone: string, query: string) => {
      const { cookie } = await logIn(address, phone, PASSWORD);
      const r = await fetch(`${address}/api/alerts${query}`, { headers: { cookie } });
      return { status: r.status, body: (await r.json()) as unknown };
    };
    const mine = await get('0901000001', '?state=active');
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual([
      {
        id: expect.any(Number),
        rule: 'silent',
        site: 's-001',
        siteName: 'Chợ Bến Thành',
        kiosk: 'k-001',
        severity: 'critical',
        raisedAt: expect.any(String),
        clearedAt: null,
        detail: {
          vi: expect.stringMatching(/^Kiosk k-001 mất kết nối/),
          en: expect.stringMatching(/^Kiosk k-001 offline for/),
        },
      },
    ]);
    expect((await get('0901000002', '?state=all')).body).toEqual([]);
    // The kiosk is back: cleared on a following tick, kept in the history.
    await kiosk.publishAsync(state, 'online', { qos: 1, retain: true });
    await waitFor(
      async () => ((await hub.store?.repo.alerts.list(true, 10))?.length === 0 ? true : undefined),
      10_000,
      'the alert cleared',
    );
    expect((await get('0901000001', '')).body).toEqual([]);
    const history = (await get('0901000001', '?state=all')).body as Array<{ clearedAt: string | null }>;
    expect(history).toHaveLength(1);
    expect(history[0]?.clearedAt).toEqual(expect.any(String));
    // The report timer's work for a day, run twice (as two processes would): one report per officer.
    await hub.dailyReport('2026-11-25');
    await hub.dailyReport('2026-11-25');
    const reports = smtp.messages().filter((m) => m.subject === '[qrkiosk] Báo cáo check-in ngày 25/11/2026');
    expect(reports.map((m) => m.rcptTos.join()).sort()).toEqual([
      'can-bo-760@qrkiosk.test',
      'can-bo-770@qrkiosk.test',
      'hop-thu-770@qrkiosk.test',
    ]);
    const csv760 =
      reports.find((m) => m.rcptTos[0] === 'can-bo-760@qrkiosk.test')?.attachments[0]?.content ?? '';
    expect(csv760).toContain('s-001,Chợ Bến Thành');
    expect(csv760).not.toContain('s-002');
    // A bad query is refused with a message in both languages, not a 500.
    const bad = await get('0901000001', '?state=some');
    expect(bad.status).toBe(400);
    expect(bad.body).toMatchObject({ error: { vi: expect.any(String), en: expect.any(String) } });
  });
});
