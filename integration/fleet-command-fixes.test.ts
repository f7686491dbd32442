/**
 * The hostile review of #17's kiosk commands (findings 3, 4, 10, 13, 15, 16), on real parts as in
 * fleet-commands.test.ts: a broker made by `qrkiosk-hub broker init` (Mosquitto with dynamic security),
 * kiosk logins made by KioskLogins, the real Controller logging in from a kiosk.yaml on disk, and the
 * hub's KioskCommands signing with an Ed25519 key the kiosk trusts. One stand-in, named below: the
 * command hooks behind `answerRequests` in the queue test, so that a command can hang on purpose.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Controller, createLogger, loadSettings, SimGpio, systemClock } from '@qrkiosk/gateway';
import {
  createServer,
  HubIngest,
  HubStore,
  KioskCommands,
  KioskLogins,
  type Role,
  sendRequest,
} from '@qrkiosk/hub';
import { KeyRing, kioskTopics } from '@qrkiosk/protocol';
import { Cleanups, type InitBroker, initAndStartBroker, makeTempDir, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CommandHooks } from '../gateway/src/commands/answer.js';
import { RequestGate } from '../gateway/src/commands/gate.js';
import { answerRequests } from '../gateway/src/uplink/listeners.js';

const SITE = 's-001';
const signing = generateKeyPairSync('ed25519');
const cleanups = new Cleanups();
let broker: InitBroker;
let store: HubStore;
let logins: KioskLogins;
let commands: KioskCommands;
let admin: { url: string; username: string; password: string };

/** A kiosk as enrolment leaves it: its broker login, kiosk.yaml and password file; its Controller started. */
async function enrolledKiosk(kiosk: string) {
  const binding = { kiosk, site: SITE, how: 'registered' as const };
  const password = randomBytes(24).toString('base64url');
  await logins.prepare(binding);
  await logins.activate(binding, password);
  await store.registerKiosk(binding, new Date());
  const dir = makeTempDir(`fixes-${kiosk}-`);
  const passwordFile = join(dir, 'mqtt-password');
  writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
  const hubKey = join(dir, 'hub-key.pem');
  writeFileSync(hubKey, signing.publicKey.export({ type: 'spki', format: 'pem' }));
  const config = join(dir, 'kiosk.yaml');
  writeFileSync(
    config,
    [
      `kiosk: { id: ${kiosk}, site: ${SITE} }`,
      'gpio: { driver: sim }',
      'ui: { port: 0 }',
      `mqtt: { url: "${broker.url}", username: ${kiosk}, passwordFile: "${passwordFile}", telemetrySeconds: 60 }`,
      `data: { dir: "${dir}" }`,
      'rules: { level: 2 }',
      `updates: { publicKeyFiles: ["${hubKey}"] }`,
      '',
    ].join('\n'),
  );
  const controller = new Controller(loadSettings(config, {}), {
    gpio: new SimGpio(),
    withoutScanner: true,
    log: createLogger('silent'),
  });
  await controller.start();
  cleanups.push(() => controller.stop());
  // Subscribed: an answered request says the kiosk listens.
  await waitFor(
    async () => ((await commands.run({ kiosk, command: 'config-get', actor: 't' })).ok ? true : undefined),
    15_000,
    `${kiosk} answers`,
  );
  return { controller, config, dir, passwordFile, password };
}

const ask = (kiosk: string, command: Parameters<KioskCommands['run']>[0]['command'], extra = {}) =>
  commands.run({ kiosk, command, actor: '0900000001', ...extra });

/** Tried once with the daemon's pinned client id (the broker kicks the daemon; it logs in again). */
async function tryLogin(kiosk: string, password: string): Promise<string> {
  try {
    const c = await connectAsync(broker.url, {
      username: kiosk,
      password,
      clientId: `qrkiosk-${SITE}-${kiosk}`,
      protocolVersion: 5,
      reconnectPeriod: 0,
      connectTimeout: 5000,
    });
    await c.endAsync(true);
    return 'accepted';
  } catch (err) {
    return (err as Error).message;
  }
}

const ALLOWED = '001088000007||Người Lạ 7|01011988|Nam|Hà Nội|01012021';

beforeAll(async () => {
  broker = await initAndStartBroker();
  cleanups.push(() => broker.stop());
  const hubDir = makeTempDir('fixes-hub-');
  store = await HubStore.open(join(hubDir, 'hub.db'), hubDir);
  cleanups.push(() => store.close());
  admin = { url: broker.url, ...broker.hub };
  logins = new KioskLogins(admin);
  await store.registerSites([{ site: SITE, name: 'Chợ Bến Thành', district: '760', ward: '26743' }]);
  commands = new KioskCommands(
    store,
    (where, command, fields, timeoutMs) => sendRequest(admin, signing, where, command, fields, timeoutMs),
    { logins, timeoutMs: 3000 },
  );
});
afterAll(() => cleanups.run());

describe('kiosk command fixes (hostile review of #17)', () => {
  it('#3 two rotations at once: the second is refused (409), the kiosk keeps a password the broker takes', async () => {
    const k = await enrolledKiosk('k-rot');
    const [a, b] = await Promise.all([
      ask('k-rot', 'rotate-credentials'),
      ask('k-rot', 'rotate-credentials'),
    ]);
    const outcomes = [a, b].map((o) => (o.ok ? 'ok' : (o as { status: number }).status)).sort();
    expect(outcomes).toEqual([409, 'ok']);
    const now = readFileSync(k.passwordFile, 'utf8').trim();
    expect(now).not.toBe(k.password);
    expect(await tryLogin('k-rot', now)).toBe('accepted');
    // The lock was given back: a later rotation goes through.
    await waitFor(async () => ((await ask('k-rot', 'selftest')).ok ? true : undefined), 15_000, 'answers');
    expect(await ask('k-rot', 'rotate-credentials')).toEqual({ ok: true, result: { rotated: true } });
  });

  it('#13 clear-tightening: an admin command lowers what the hub raised, kept off disk, audited', async () => {
    const k = await enrolledKiosk('k-clear');
    expect(await ask('k-clear', 'alert-level', { level: 4 })).toMatchObject({
      ok: true,
      result: { inForce: { level: 4 } },
    });
    expect(existsSync(join(k.dir, 'remote-config.json'))).toBe(true);
    expect(await ask('k-clear', 'clear-tightening')).toMatchObject({
      ok: true,
      result: { inForce: { level: 2 } },
    });
    expect(existsSync(join(k.dir, 'remote-config.json'))).toBe(false);
    expect(k.controller.telemetry().rules).toBeDefined();
    const audit = (await store.repo.auditLog(5)).find((a) => a.action === 'kiosk-command');
    expect(JSON.parse(String(audit?.detail))).toMatchObject({ command: 'clear-tightening', outcome: 'ok' });
  });

  it('#16 history is read by site and kiosk; a site owner sees officers’ phone numbers masked', async () => {
    const full = await commands.history(SITE, 'k-clear');
    expect(full[0]).toMatchObject({ actor: '0900000001', command: 'clear-tightening' });
    const masked = await commands.history(SITE, 'k-clear', { maskActors: true });
    expect(masked[0]?.actor).toBe('******0001');
    // The same kiosk id at another site (moved) carries none of this history there.
    expect(await commands.history('s-002', 'k-clear')).toEqual([]);
    expect(await commands.doctor('s-002', 'k-clear')).toBeNull();
  });

  it('#4 B / #10 revoke where kiosk.yaml cannot be rewritten: the hub hears why, the kiosk decides nothing, the hub retires it', async () => {
    const k = await enrolledKiosk('k-stuck');
    // Its row as the hub's ingest keeps it (no ingest here): last seen a day ago, a "silent" kiosk.
    await store.setKioskState(SITE, 'k-stuck', 'offline', new Date(Date.now() - 86_400_000));
    expect((await store.activeKiosks()).map((r) => r.kiosk)).toContain('k-stuck');
    // Deciding and recording (REVIEW here: a fresh kiosk's clock is not yet trusted) until revoked.
    expect(k.controller.scan(ALLOWED)?.checkin).toBeDefined();
    const enrolled = readFileSync(k.config, 'utf8');
    // Not a YAML mapping any more: unenrolConfig refuses to rewrite it.
    writeFileSync(k.config, '- not\n- a mapping\n');
    const outcome = await ask('k-stuck', 'revoke-enrolment');
    expect(outcome).toMatchObject({
      ok: false,
      status: 200,
      error: { en: expect.stringMatching(/could not forget its enrolment.*stopped deciding/) },
      result: {
        kioskTold: true,
        kioskUnenrolled: false,
        kioskError: expect.stringMatching(/could not be rewritten/),
        retired: true,
      },
    });
    expect(k.controller.faults.has('enrolment-revoked')).toBe(true);
    const after = k.controller.scan('001088000008||Người Lạ 8|01011988|Nam|Hà Nội|01012021');
    expect(after?.decision).toMatchObject({ verdict: 'REVIEW', decidedBy: ['journal'] });
    expect(after?.checkin).toBeUndefined();
    // Restarted on the old enrolled file (as if the rewrite had failed leaving it whole): still stopped.
    writeFileSync(k.config, enrolled);
    const again = new Controller(loadSettings(k.config, {}), {
      gpio: new SimGpio(),
      withoutScanner: true,
      withoutUplink: true,
      log: createLogger('silent'),
    });
    await k.controller.stop();
    await again.start();
    cleanups.push(() => again.stop());
    expect(again.faults.has('enrolment-revoked')).toBe(true);
    expect(again.scan(ALLOWED)?.checkin).toBeUndefined();
    // #10: retired on the hub — out of the kiosks alerts and rollouts see, still listed for its history.
    expect((await store.repo.fleet.retired()).has('k-stuck')).toBe(true);
    expect((await store.activeKiosks()).map((r) => r.kiosk)).not.toContain('k-stuck');
    expect((await store.kiosks()).map((r) => r.kiosk)).toContain('k-stuck');
  });

  it('#4 A / #15 a hung command answers "timed out"; a revocation queued behind it still ends the enrolment', async () => {
    const kiosk = 'k-queue';
    const binding = { kiosk, site: SITE, how: 'registered' as const };
    const password = randomBytes(24).toString('base64url');
    await logins.prepare(binding);
    await logins.activate(binding, password);
    const client = await connectAsync(broker.url, {
      username: kiosk,
      password,
      clientId: `qrkiosk-${SITE}-${kiosk}`,
      protocolVersion: 5,
    });
    cleanups.push(() => client.endAsync(true));
    const topics = kioskTopics(SITE, kiosk);
    await client.subscribeAsync(topics.requests, { qos: 1 });
    const keys = new KeyRing();
    keys.add(signing.publicKey);
    let unenrolled = 0;
    // Stand-in hooks (ours): a doctor that never ends, and a revocation that counts its `after`.
    const hooks: CommandHooks = {
      configGet: () => ({}),
      configSet: () => undefined,
      clearTightening: () => undefined,
      selftest: () => ({}),
      resync: () => ({}),
      purge: () => ({}),
      doctor: () => new Promise(() => undefined),
      rotateCredentials: () => ({}),
      revokeEnrolment: () => ({
        result: { unenrolled: true },
        after: () => {
          unenrolled++;
        },
      }),
    };
    answerRequests(
      client,
      topics,
      new RequestGate({ site: SITE, kiosk }, keys, systemClock),
      hooks,
      createLogger('silent'),
      { commandTimeoutMs: 1500, afterWaitMs: 300 },
    );
    const where = { site: SITE, kiosk };
    const doctor = sendRequest(admin, signing, where, 'doctor', {}, 4000);
    const revoke = sendRequest(admin, signing, where, 'revoke-enrolment', {}, 4000);
    expect(await doctor).toMatchObject({ ok: false, error: expect.stringMatching(/timed out/) });
    expect(await revoke).toMatchObject({ ok: true, result: { unenrolled: true } });
    await waitFor(() => (unenrolled > 0 ? true : undefined), 3000, 'unenrolled');
    expect(unenrolled).toBe(1);
  });
});

describe('the page’s side of the fixes (GET /api/fleet, /commands)', () => {
  const PASSWORD = 'fixes-password';
  let address = '';
  const cookies = new Map<string, { cookie: string; csrf: string }>();
  beforeAll(async () => {
    const ingest = new HubIngest(
      { url: 'mqtt://127.0.0.1:1', protocolVersion: 5 },
      store,
      pino({ level: 'silent' }),
    );
    const app = await createServer(store, ingest, { commands, loginsPerMinute: 1000 });
    address = await app.listen({ host: '127.0.0.1', port: 0 });
    cleanups.push(() => app.close());
    const users: Array<[string, Role, string[]]> = [
      ['0911000002', 'officer', [SITE]],
      ['0911000004', 'site-owner', [SITE]],
    ];
    for (const [phone, role, sites] of users) {
      await store.users.add(phone, PASSWORD, role, sites);
      const r = await fetch(`${address}/api/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ phone, password: PASSWORD }),
      });
      cookies.set(phone, {
        cookie: (r.headers.get('set-cookie') ?? '').split(';')[0] ?? '',
        csrf: ((await r.json()) as { csrf: string }).csrf,
      });
    }
  });
  const get = async (phone: string, path: string) =>
    (await fetch(`${address}${path}`, { headers: { cookie: cookies.get(phone)?.cookie ?? '' } })).json();

  it('#13 an officer may not clear a remote tightening (403): it is an admin’s', async () => {
    const s = cookies.get('0911000002') as { cookie: string; csrf: string };
    const r = await fetch(`${address}/api/kiosks/k-clear/commands`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: s.cookie, 'x-csrf-token': s.csrf },
      body: JSON.stringify({ command: 'clear-tightening' }),
    });
    expect(r.status).toBe(403);
  });

  it('#16 a site owner reads the history with officers’ numbers masked; an officer sees them', async () => {
    const owner = (await get('0911000004', '/api/kiosks/k-clear/commands')) as Array<{ actor: string }>;
    expect(owner.length).toBeGreaterThan(0);
    expect(owner.every((h) => !h.actor.includes('0900000001'))).toBe(true);
    expect(owner[0]?.actor).toBe('******0001');
    const officer = (await get('0911000002', '/api/kiosks/k-clear/commands')) as Array<{ actor: string }>;
    expect(officer[0]?.actor).toBe('0900000001');
  });

  it('#10 the fleet table shows a revoked kiosk as retired, never online', async () => {
    const fleet = (await get('0911000002', '/api/fleet')) as Array<{
      kiosk: string;
      state: string;
      retired: boolean;
    }>;
    expect(fleet.find((k) => k.kiosk === 'k-stuck')).toMatchObject({
      state: 'retired',
      retired: true,
      online: false,
    });
  });
});
