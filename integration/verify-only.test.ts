/**
 * Issue #19, "a verify-only site keeps no register", on real parts: the real Controller, a real
 * Mosquitto, the real Hub (SQLite and PostgreSQL) and the hub's own `publish-rules` CLI signing the
 * rules that switch the site to verify-only. Every byte the broker carried (a client subscribed to
 * `#`), the kiosk's journal files and the hub's SQLite file are searched for the people's keyed hashes,
 * their numbers and the identity field names. A person checked in before the switch is the control:
 * the same search finds their hash, so finding nothing for the others means something.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, hashIdentity, NO_FACTS, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { maskName, maskNumber, TALLY_SCHEMA_ID } from '@qrkiosk/protocol';
import {
  CHROMIUM_ARGS,
  Cleanups,
  ENGINES,
  freePort,
  HubDatabases,
  kioskYaml,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  relayPulses,
  requireChromium,
  startMosquitto,
  testerCccd,
  waitFor,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pg from 'pg';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');

let broker: RunningMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
const databases = new HubDatabases();
afterAll(() => databases.stop());
afterAll(async () => {
  await broker.stop();
});
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** testerCccd(n)'s number (testkit): 001088 and n on six digits. */
const numberOf = (n: number) => `001088${String(n).padStart(6, '0')}`;
const IDENTITY_FIELDS = ['"idHash"', '"numberMasked"', '"nameMasked"', '"sealed"', '"links"'];
/** testerCccd(n)'s masked number and name as a check-in carries them, in the latin1 the searches read. */
const maskedOf = (n: number) =>
  [maskNumber(numberOf(n)), maskName(`Người Thử ${n}`)].map((v) => Buffer.from(v).toString('latin1'));

/** Every row of every table of the hub's PostgreSQL database, as text (what an identity would be found in). */
async function postgresText(database: string): Promise<string> {
  const db = new pg.Client({ connectionString: database });
  await db.connect();
  try {
    const { rows: tables } = await db.query<{ name: string }>(
      "SELECT quote_ident(table_name) AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    );
    const parts: string[] = [];
    for (const t of tables)
      for (const r of (await db.query<{ row: string }>(`SELECT t::text AS row FROM ${t.name} t`)).rows)
        parts.push(r.row);
    return Buffer.from(parts.join('\n')).toString('latin1');
  } finally {
    await db.end();
  }
}

/** Every byte of the files SQLite keeps for a database (a row not checkpointed is only in the WAL). */
const sqliteBytes = (file: string) =>
  Buffer.concat([file, `${file}-wal`].filter((f) => existsSync(f)).map((f) => readFileSync(f))).toString(
    'latin1',
  );

/** The office switches site s-001 to verify-only (or back): signed rules published by the hub's own CLI. */
function publishVerifyOnly(dir: string, on = true, version = 'verify-only-2021-11-01'): void {
  const rules = JSON.parse(readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'));
  rules.version = version;
  rules.sites = { 's-001': { verifyOnly: on } };
  const rulesFile = join(dir, 'rules.json');
  writeFileSync(rulesFile, JSON.stringify(rules, null, 2));
  const args = ['publish-rules', '--rules', rulesFile, '--signing-key', join(dir, 'keys/hub-signing.key')];
  const published = spawnSync(process.execPath, [HUB_CLI, ...args, '--mqtt', broker.url], {
    encoding: 'utf8',
  });
  expect(published.status, published.stderr).toBe(0);
}

describe.each(ENGINES)('a verify-only kiosk keeps no register (%s hub)', (engine) => {
  it('journal, broker traffic and hub hold no identity after a signed switch; the hub counts the tallies', async () => {
    const { database, dataDir } = await databases.create(engine);
    const hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 1 },
      dataDir,
      database,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    await hub.start();
    cleanups.push(() => hub.stop());

    const dir = makeTempDir('verify-only-it-');
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    const watcher = await connectAsync(broker.url, { protocolVersion: 5 });
    cleanups.push(() => watcher.endAsync());
    const traffic: Array<{ topic: string; payload: Buffer; schema?: unknown }> = [];
    watcher.on('message', (topic, payload, packet) =>
      traffic.push({ topic, payload, schema: packet.properties?.userProperties?.schema }),
    );
    await watcher.subscribeAsync('#', { qos: 1 });

    const kioskData = join(dir, 'kiosk');
    const gpio = new SimGpio();
    const uiPort = await freePort();
    const k = new Controller(
      settingsFromText(
        kioskYaml({
          dataDir: kioskData,
          assumeSynced: true,
          lines: [
            `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
            'rules: { duplicateWindowSeconds: 60, unknownPerson: REVIEW }',
            `ui: { port: ${uiPort}, host: 127.0.0.1 }`,
            `updates: { publicKeyFiles: ["${join(dir, 'keys/hub-signing.pub')}"] }`,
          ],
        }),
        'verify-only kiosk.yaml',
        {},
      ),
      { gpio, withoutScanner: true },
    );
    const connected = new Promise<void>((resolve) =>
      k.bus.on('uplink.status', (s) => s.connected && resolve()),
    );
    await k.start();
    cleanups.push(() => k.stop());
    await connected;
    // Reception's socket: everything the staff page is sent, searched like the broker's bytes.
    const origin = `http://127.0.0.1:${uiPort}`;
    const reception: string[] = [];
    const ws = new WebSocket(`ws://127.0.0.1:${uiPort}/live/reception`, { headers: { origin } });
    cleanups.push(() => ws.close());
    ws.on('message', (m) => reception.push(Buffer.from(String(m)).toString('latin1')));
    await new Promise((resolve) => ws.once('message', resolve));
    const key = k.identityHashKey();
    const hashOf = (n: number) => hashIdentity(key, 'cccd', numberOf(n)).toString('hex');
    k.cache.upsert(
      [1, 3].map((n) => ({
        key: hashIdentity(key, 'cccd', numberOf(n)),
        facts: { ...NO_FACTS, dosesReceived: 2, primarySeriesComplete: true, lastDoseDate: '2021-09-01' },
      })),
    );

    // The control: before the switch, person 3's check-in carries their hash, as always.
    expect(k.scan(testerCccd(3))?.checkin?.document.idHash).toBe(hashOf(3));

    // The office switches the site to verify-only with signed rules, through the hub's own CLI.
    publishVerifyOnly(dir);
    await waitFor(() => (k.verifyOnly() ? true : undefined), 10_000, 'verify-only rules installed');

    const allowed = k.scan(testerCccd(1));
    expect(allowed?.decision.verdict).toBe('ALLOW');
    expect(allowed?.tally?.schema).toBe(TALLY_SCHEMA_ID);
    await waitFor(() => (relayPulses(gpio) >= 2 ? true : undefined), 5000, 'the relay opened for the tally');
    expect(k.scan(testerCccd(1))?.decision.repeat).toBe(true); // the window, from memory
    const review = k.scan(testerCccd(2));
    expect(review?.decision.verdict).toBe('REVIEW');
    k.outcomes.resolve({ outcome: 'admitted', by: 'reception', checkin: review?.tally?.id });

    // Receipted by the hub: every row (check-in, two tallies, the outcome) is in its database.
    await waitFor(() => (k.journal.pendingCount() === 0 ? true : undefined), 15_000, 'all receipted');
    const store = hub.store!;
    expect(await store.countsSince(new Date(Date.now() - 86_400_000))).toEqual([{ site: 's-001', n: 3 }]);
    // Inside: person 3, the ALLOW tally and the REVIEW tally the guard admitted.
    const day = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    expect((await store.occupancy('s-001', day)).inside).toBe(3);
    expect(await store.tallySites(new Date(Date.now() - 86_400_000), new Date(Date.now() + 60_000))).toEqual([
      's-001',
    ]);

    const onBroker = traffic.map((m) => m.payload.toString('latin1')).join('\n');
    const checkinTopic = traffic.filter((m) => m.topic === 'qrkiosk/v1/s-001/k-001/checkin');
    expect(checkinTopic.map((m) => JSON.parse(m.payload.toString()).schema)).toEqual(
      expect.arrayContaining([TALLY_SCHEMA_ID, 'qrkiosk.outcome/1', 'qrkiosk.checkin/1']),
    );
    const journal = sqliteBytes(join(kioskData, 'journal.db'));
    const places: Array<[string, string]> = [
      ['broker', onBroker],
      ['journal', journal],
      ['hub', engine === 'sqlite' ? sqliteBytes(database) : await postgresText(database)],
    ];
    for (const [where, bytes] of places) {
      expect(bytes, `${where}: the control is found`).toContain(hashOf(3));
      for (const masked of maskedOf(3)) expect(bytes, `${where}: the control's ${masked}`).toContain(masked);
      for (const n of [1, 2]) {
        expect(bytes, `${where}: person ${n}'s hash`).not.toContain(hashOf(n));
        expect(bytes, `${where}: person ${n}'s number`).not.toContain(numberOf(n));
        for (const masked of maskedOf(n))
          expect(bytes, `${where}: person ${n}'s ${masked}`).not.toContain(masked);
      }
    }
    // Reception was told of every scan (the control's check-in, the tallies, the repeat): names only for the control.
    const told = reception.join('\n');
    for (const masked of maskedOf(3)) expect(told, 'reception: the control').toContain(masked);
    for (const n of [1, 2])
      for (const masked of maskedOf(n))
        expect(told, `reception: person ${n}'s ${masked}`).not.toContain(masked);
    expect(told).toContain(allowed?.tally?.id);
    expect(told).toContain('repeat-');
    // The MQTT 5 user property says which message it is, as the payload does.
    for (const m of checkinTopic) expect(m.schema).toBe(JSON.parse(m.payload.toString()).schema);
    // No tally message names an identity field (the check-in before the switch does).
    for (const m of checkinTopic) {
      const text = m.payload.toString();
      if (JSON.parse(text).schema === TALLY_SCHEMA_ID)
        for (const f of IDENTITY_FIELDS) expect(text).not.toContain(f);
    }
  });
});

describe('the verdict screen of a verify-only kiosk (Chromium)', () => {
  it('its footer says no register is kept once the signed rules switch it, in both languages', async () => {
    const dir = makeTempDir('verify-only-screen-');
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    const port = await freePort();
    const k = new Controller(
      settingsFromText(
        kioskYaml({
          dataDir: join(dir, 'kiosk'),
          lines: [
            `mqtt: { url: "${broker.url}", telemetrySeconds: 3600 }`,
            `ui: { port: ${port}, host: 127.0.0.1 }`,
            `updates: { publicKeyFiles: ["${join(dir, 'keys/hub-signing.pub')}"] }`,
          ],
        }),
        'verify-only screen kiosk.yaml',
        {},
      ),
      { gpio: new SimGpio(), withoutScanner: true },
    );
    const connected = new Promise<void>((resolve) =>
      k.bus.on('uplink.status', (s) => s.connected && resolve()),
    );
    await k.start();
    cleanups.push(() => k.stop());
    await connected;
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1024, height: 600 } });
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-state="idle"]');
    expect(await page.isHidden('#verifyOnly')).toBe(true);
    publishVerifyOnly(dir);
    await page.waitForSelector('#verifyOnly:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('#verifyOnly')).toBe('Chỉ kiểm tra — không lưu danh sách');
    await page.click('#lang');
    expect(await page.textContent('#verifyOnly')).toBe('Verify only — no register kept');
    // Switched back by newer signed rules: the footer goes, a register is kept again.
    publishVerifyOnly(dir, false, 'verify-only-2021-11-02');
    await page.waitForSelector('#verifyOnly[hidden]', { state: 'attached', timeout: 10_000 });
    expect(k.verifyOnly()).toBe(false);
  });
});
