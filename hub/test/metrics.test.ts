/**
 * The hub's /metrics and /healthz on real parts: a real Mosquitto, a hub with two lanes, check-ins
 * published over MQTT. The exposition is judged by `promtool check metrics` (Prometheus's own linter);
 * values are read back after real traffic. /healthz goes 503 naming the part that is down when the
 * database fails (the wrapRepository seam) and when Mosquitto is stopped.
 */
import { request } from 'node:http';
import { kioskTopics, TALLY_SCHEMA_ID } from '@qrkiosk/protocol';
import {
  Cleanups,
  promtoolCheck,
  type RunningMosquitto,
  sampleCheckin,
  sampleValue,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub } from '../src/index.js';
import type { HubRepository } from '../src/storage/index.js';
import { newDatabase } from './engines.js';
import { logIn } from './session.js';

const TOKEN = 'metrics-token-0123456789abcdef';
const topics = kioskTopics('s-001', 'k-001');

/** GET over a real socket, optionally from another loopback address (an allowed scraper). */
function get(
  address: string,
  path: string,
  headers: Record<string, string> = {},
  from?: string,
): Promise<{ status: number; text: string; type: string }> {
  const url = new URL(path, address);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path, headers, ...(from ? { localAddress: from } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text, type: String(res.headers['content-type']) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** The database seam: while `databaseDown` every repository call fails, the alert store's too. */
let databaseDown = false;
function failing<T extends object>(repo: T): T {
  return new Proxy(repo, {
    get(target, key) {
      const value = Reflect.get(target, key, target);
      if (key === 'alerts' && value && typeof value === 'object') return failing(value as object);
      if (typeof value !== 'function' || key === 'close') return value;
      return (...args: unknown[]) =>
        databaseDown
          ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:5432'))
          : (value as (...a: unknown[]) => unknown).apply(target, args);
    },
  });
}

describe('hub metrics and health', () => {
  const cleanups = new Cleanups();
  let broker: RunningMosquitto;
  let hub: Hub;
  let address: string;
  const scrape = async () => {
    const r = await get(address, '/metrics', { authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(200);
    return r.text;
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 2, retryBaseMs: 20 },
      ...(await newDatabase('sqlite')),
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
      metricsAccess: { token: TOKEN, allow: ['127.0.0.2'] },
      wrapRepository: (repo) => failing(repo) as HubRepository,
    });
    address = await hub.start();
    cleanups.push(() => hub.stop());
    await hub.store?.users.add('0900000001', 'admin-password', 'admin', ['*']);
    await hub.store?.users.add('0900000002', 'officer-password', 'officer', ['*']);
  });
  afterAll(() => cleanups.run());

  it('counts what the database stored, duplicates, dead letters and kiosks, and promtool accepts it', async () => {
    const kiosk = await connectAsync(broker.url, { protocolVersion: 5 });
    cleanups.push(() => kiosk.endAsync());
    const refuse = sampleCheckin({ verdict: 'REFUSE', colour: 'red', reason: 'refused-f0' });
    const allow = [sampleCheckin(), sampleCheckin()];
    for (const c of [...allow, refuse, allow[0]])
      await kiosk.publishAsync(topics.checkin, JSON.stringify(c), { qos: 1 });
    // A verify-only site's tally, sent twice (a resend): counted once, apart from the check-ins.
    const tally = {
      schema: TALLY_SCHEMA_ID,
      id: '01KAPW2B7Q3M0X5D2R8S6T4V77',
      kiosk: 'k-001',
      site: 's-001',
      direction: 'in',
      at: new Date().toISOString(),
      clockSynced: true,
      kind: 'cccd',
      verdict: 'ALLOW',
      colour: 'green',
      reason: 'admitted-green',
      versions: { software: '0.1.0', rules: 'r1', cache: 1 },
    };
    for (let i = 0; i < 2; i++) await kiosk.publishAsync(topics.checkin, JSON.stringify(tally), { qos: 1 });
    await kiosk.publishAsync(topics.checkin, '{"not":"a check-in"}', { qos: 1 });
    await kiosk.publishAsync(topics.state, 'online', { qos: 1, retain: true });
    await waitFor(
      async () =>
        ((await hub.store?.checkinCount()) === 3 && (await hub.store?.deadLetterCount()) === 1) || undefined,
      10_000,
      'three check-ins and one dead letter stored',
    );
    await waitFor(
      async () => (await hub.store?.kiosks())?.[0]?.state === 'online' || undefined,
      5000,
      'online',
    );
    hub.metrics.setAlertStates({ 'kiosk-silent': 2, 'disk-full': 0 });

    const body = await scrape();
    expect(promtoolCheck(body)).toEqual({ status: 0, output: '' });
    expect(sampleValue(body, 'qrkiosk_hub_checkins_stored_total', { verdict: 'ALLOW' })).toBe(2);
    expect(sampleValue(body, 'qrkiosk_hub_checkins_stored_total', { verdict: 'REFUSE' })).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_checkins_stored_total', { verdict: 'REVIEW' })).toBe(0);
    expect(sampleValue(body, 'qrkiosk_hub_tallies_stored_total', { verdict: 'ALLOW' })).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_tallies_stored_total', { verdict: 'REVIEW' })).toBe(0);
    // The resend can reach the writer while the first copy is in flight on another lane, or after.
    expect(sampleValue(body, 'qrkiosk_hub_checkin_duplicates_total')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_dead_letters_total')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_dead_letters')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_ingest_lag_seconds_count')).toBe(3);
    expect(sampleValue(body, 'qrkiosk_hub_kiosks', { state: 'online' })).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_kiosks', { state: 'offline' })).toBe(0);
    expect(sampleValue(body, 'qrkiosk_hub_broker_connected')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_hub_broker_lanes', { state: 'connected' })).toBe(2);
    expect(sampleValue(body, 'qrkiosk_hub_alerts_active', { rule: 'kiosk-silent' })).toBe(2);
    expect(sampleValue(body, 'qrkiosk_hub_db_duration_seconds_count', { op: 'addCheckins' })).toBeGreaterThan(
      0,
    );
    expect(sampleValue(body, 'process_cpu_seconds_total')).toBeGreaterThan(0);
  });

  it('answers a token, a listed address or an admin; 401 to anyone else, 403 to other roles', async () => {
    expect((await get(address, '/metrics')).status).toBe(401);
    expect(
      (await get(address, '/metrics', { authorization: 'Bearer wrong-token-0123456789abcd' })).status,
    ).toBe(401);
    const listed = await get(address, '/metrics', {}, '127.0.0.2');
    expect(listed.status).toBe(200);
    expect(listed.type).toMatch(/^text\/plain; version=0\.0\.4/);
    expect((await get(address, '/metrics', {}, '127.0.0.3')).status).toBe(401);
    const admin = await logIn(address, '0900000001', 'admin-password');
    expect((await get(address, '/metrics', { cookie: admin.cookie })).status).toBe(200);
    const officer = await logIn(address, '0900000002', 'officer-password');
    const refused = await get(address, '/metrics', { cookie: officer.cookie });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text)).toEqual({
      error: { vi: 'Chỉ quản trị viên xem được số liệu', en: 'Only admins may read the metrics' },
    });
  });

  it('/healthz: 200 when both work, 503 naming the database, then the broker, when each is down', async () => {
    const count = async () =>
      sampleValue(await scrape(), 'qrkiosk_hub_db_duration_seconds_count', { op: 'checkinCount' });
    const checkinCountsBefore = await count();
    const up = await get(address, '/healthz');
    expect(up.status).toBe(200);
    // The body does not tell the public how many check-ins the hub holds (it had 3 here).
    expect(JSON.parse(up.text)).not.toHaveProperty('checkins');
    expect(JSON.parse(up.text)).toMatchObject({
      ok: true,
      down: [],
      mqtt: { ok: true, lanes: 2, connected: 2 },
      database: { ok: true },
    });

    databaseDown = true;
    const noDb = await get(address, '/healthz');
    databaseDown = false;
    expect(noDb.status).toBe(503);
    expect(JSON.parse(noDb.text)).toMatchObject({
      ok: false,
      down: ['database'],
      mqtt: { ok: true },
      database: { ok: false },
    });
    // The failure is counted where it happened, and the scrape still answers.
    expect(sampleValue(await scrape(), 'qrkiosk_hub_db_errors_total', { op: 'ping' })).toBe(1);
    // The probe reads no table: no count of check-ins was asked for.
    expect(await count()).toBe(checkinCountsBefore);

    await broker.stop();
    await waitFor(async () => (await get(address, '/healthz')).status === 503 || undefined, 10_000, '503');
    const noBroker = await get(address, '/healthz');
    expect(JSON.parse(noBroker.text)).toMatchObject({
      ok: false,
      down: ['mqtt'],
      mqtt: { ok: false, lanes: 2, connected: 0 },
      database: { ok: true },
    });
    const body = await scrape();
    expect(sampleValue(body, 'qrkiosk_hub_broker_connected')).toBe(0);
    expect(promtoolCheck(body)).toEqual({ status: 0, output: '' });
  });
});
