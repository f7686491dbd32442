/**
 * Hub → kiosk requests and rules updates from hostile hands (issue #12), on a real Mosquitto with the
 * generated ACL: unsigned, forged, expired, replayed, misdirected and retained requests are refused;
 * no request can loosen the signed rules; an older signed rules file is not installed again.
 * Throughout, the kiosk keeps scanning and delivering.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { receiptCheckins } from '@qrkiosk/firmware-sim';
import { Controller, createLogger, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { publishFleet, sendRequest, signedRulesEnvelope } from '@qrkiosk/hub';
import { kioskTopics, requestBody, signRequest } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir, REPO_ROOT, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORDS, secureBroker } from './secure-broker.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

const signing = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');
const where = { site: 's-001', kiosk: 'k-001' };
const t = kioskTopics('s-001', 'k-001');
/** A person nobody has facts about (the cache is empty): the site's unknown-person verdict applies. */
const unknownPerson = (n: number) =>
  `001088${String(n).padStart(6, '0')}||Người Lạ ${n}|01011988|Nam|Hà Nội|01012021`;

interface Kiosk {
  controller: Controller;
  logs: string[];
  dataDir: string;
}

async function startKiosk(
  url: string,
  dataDir = makeTempDir('hostile-kiosk-'),
  site = 's-001',
): Promise<Kiosk> {
  const dir = makeTempDir('secret-');
  writeFileSync(join(dir, 'mqtt.pass'), `${PASSWORDS['k-001']}\n`);
  writeFileSync(join(dir, 'hub.pub'), signing.publicKey.export({ type: 'spki', format: 'pem' }));
  const loaded = settingsFromText(
    [
      `kiosk: { id: k-001, site: ${site} }`,
      'gpio: { driver: sim }',
      'ui: { port: 0 }',
      `mqtt: { url: "${url}", username: k-001, passwordFile: "${join(dir, 'mqtt.pass')}" }`,
      `data: { dir: "${dataDir}" }`,
      'rules: { duplicateWindowSeconds: 0 }',
      `updates: { publicKeyFiles: ["${join(dir, 'hub.pub')}"] }`,
      'log: { level: info }',
    ].join('\n'),
    'hostile requests test',
    {},
  );
  const logs: string[] = [];
  const log = createLogger('debug', { write: (line: string) => logs.push(line) });
  const controller = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true, log });
  cleanups.push(() => controller.stop());
  const connected = new Promise<void>((resolve) =>
    controller.bus.on('uplink.status', (s) => s.connected && resolve()),
  );
  await controller.start();
  await connected;
  return { controller, logs, dataDir };
}

async function hubClient(url: string): Promise<MqttClient> {
  const c = await connectAsync(url, { username: 'hub', password: PASSWORDS.hub, protocolVersion: 5 });
  cleanups.push(() => c.endAsync());
  return c;
}

const login = (url: string) => ({ url, username: 'hub', password: PASSWORDS.hub });

describe('hub requests', () => {
  it('answers signed requests with the echoed transaction id, and refuses unknown commands and settings', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const k = await startKiosk(broker.url);
    const get = await sendRequest(login(broker.url), signing, where, 'config', { action: 'get' });
    expect(get).toMatchObject({ ok: true, result: { kiosk: { id: 'k-001' }, inForce: { level: 2 } } });
    expect(JSON.stringify(get)).not.toContain('pass-001');
    const raise = await sendRequest(login(broker.url), signing, where, 'config', {
      action: 'set',
      key: 'rules.level',
      value: 4,
    });
    expect(raise).toMatchObject({ ok: true, result: { inForce: { level: 4 } } });
    expect(
      await sendRequest(login(broker.url), signing, where, 'config', {
        action: 'set',
        key: 'mqtt.url',
        value: 'mqtt://evil',
      }),
    ).toMatchObject({ ok: false, error: expect.stringMatching(/only rules.level/) });
    expect(await sendRequest(login(broker.url), signing, where, 'resync')).toMatchObject({
      ok: true,
      result: { pending: 0 },
    });
    expect(await sendRequest(login(broker.url), signing, where, 'format-disk')).toMatchObject({
      ok: false,
      error: 'unknown command "format-disk"',
    });
    expect(k.controller.telemetry().rules.version).toMatch(/^builtin-/);
  });

  it('a remote selftest is refused while a refusal holds the door (it would light green right after it)', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const k = await startKiosk(broker.url);
    const tighten = await sendRequest(login(broker.url), signing, where, 'config', {
      action: 'set',
      key: 'rules.unknownPerson',
      value: 'REFUSE',
    });
    expect(tighten).toMatchObject({ ok: true });
    expect(k.controller.scan(unknownPerson(7))?.decision.verdict).toBe('REFUSE');
    expect(await sendRequest(login(broker.url), signing, where, 'selftest')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/holding a refusal/),
    });
    await new Promise((r) => setTimeout(r, 3500)); // signal.refuseHoldMs (3 s) is over
    expect(await sendRequest(login(broker.url), signing, where, 'selftest')).toMatchObject({
      ok: true,
      result: { relay: 'not tested remotely' },
    });
  });

  it('refuses unsigned, forged, expired, replayed, misdirected and retained requests; scanning goes on', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const hub = await hubClient(broker.url);
    // A retained request left on the broker before the kiosk (re)starts: never applied, never answered.
    const retained = signRequest(
      requestBody(
        where,
        'config',
        { tid: 'retained-1', action: 'set', key: 'rules.unknownPerson', value: 'REFUSE' },
        new Date(),
      ),
      signing,
    );
    await hub.publishAsync(t.request('config'), retained, { qos: 1, retain: true });
    const k = await startKiosk(broker.url);
    const responses: Array<{ tid: string | null; ok: boolean; error?: string }> = [];
    hub.on('message', (_topic, p) => responses.push(JSON.parse(p.toString())));
    await hub.subscribeAsync(t.response('config'), { qos: 1 });
    const set = (tid: string, at = new Date()) =>
      requestBody(where, 'config', { tid, action: 'set', key: 'rules.unknownPerson', value: 'REFUSE' }, at);
    const sent: Array<[string, string]> = [
      [
        'unsigned',
        JSON.stringify({ tid: 'unsigned-1', action: 'set', key: 'rules.unknownPerson', value: 'REFUSE' }),
      ],
      ['forged', signRequest(set('forged-01'), forger)],
      ['expired', signRequest(set('expired-1', new Date(Date.now() - 120_000)), signing)],
      ['other kiosk', signRequest({ ...set('other-k01'), kiosk: 'k-002' }, signing)],
    ];
    const valid = signRequest(set('valid-001'), signing);
    for (const [, payload] of sent) await hub.publishAsync(t.request('config'), payload, { qos: 1 });
    await hub.publishAsync(t.request('config'), valid, { qos: 1 });
    await hub.publishAsync(t.request('config'), valid, { qos: 1 }); // the same one, replayed
    await waitFor(() => (responses.length >= 6 ? true : undefined), 5000, 'six answers');
    expect(responses.map((r) => [r.ok, r.error ?? ''])).toEqual([
      [false, 'request is not signed (needs "request" and "signature")'],
      [false, expect.stringMatching(/which this kiosk does not trust$/)],
      [false, 'request expired'],
      [false, 'request is meant for another kiosk or command'],
      [true, ''],
      [false, 'request replayed (tid already used)'],
    ]);
    expect(responses.map((r) => r.tid)).not.toContain('retained-1');
    expect(k.logs.join('')).toContain('retained request ignored');
    // The service is undisturbed: a scan is journaled and delivered (receipted by the hub's client).
    await hub.subscribeAsync(t.checkin, { qos: 1 });
    receiptCheckins(hub);
    const outcome = k.controller.scan(unknownPerson(1));
    expect(outcome?.decision.verdict).toBe('REFUSE'); // the one valid request made it stricter
    await waitFor(() => (k.controller.journal.pendingCount() === 0 ? true : undefined), 5000, 'delivered');
  });

  it('no request can loosen the signed rules: unknown people are never admitted remotely', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const k = await startKiosk(broker.url);
    const set = (key: string, value: unknown) =>
      sendRequest(login(broker.url), signing, where, 'config', { action: 'set', key, value });
    expect(await set('rules.unknownPerson', 'ALLOW')).toMatchObject({
      ok: false,
      error: expect.stringMatching(/only be made stricter/),
    });
    expect(await set('rules.level', 1)).toMatchObject({
      ok: false,
      error: expect.stringMatching(/only be raised/),
    });
    expect(k.controller.scan(unknownPerson(2))?.decision.verdict).toBe('REVIEW');
    expect(await set('rules.unknownPerson', 'REFUSE')).toMatchObject({ ok: true });
    expect(k.controller.scan(unknownPerson(3))?.decision.verdict).toBe('REFUSE');
    // Once stricter, not back: REVIEW is looser than REFUSE now in force.
    expect(await set('rules.unknownPerson', 'REVIEW')).toMatchObject({ ok: false });
    expect(k.controller.scan(unknownPerson(4))?.decision.verdict).toBe('REFUSE');
  });
});

describe('a kiosk configured for another site than its registration', () => {
  it('keeps its check-ins in the journal and says why when the broker refuses them', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const k = await startKiosk(broker.url, makeTempDir('moved-'), 's-009');
    k.controller.scan(unknownPerson(7));
    await waitFor(
      () => (k.logs.some((l) => l.includes('the broker refused our check-ins')) ? true : undefined),
      5000,
      'refusal explained',
    );
    // MQTT 5: the PUBACK says "not authorised", so the row is not marked delivered (never lost).
    expect(k.controller.journal.pendingCount()).toBe(1);
  });
});

describe('rules updates', () => {
  it('an older signed rules file, or the same version with other content, is not installed again — also after a restart', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const dataDir = makeTempDir('rollback-');
    let k = await startKiosk(broker.url, dataDir);
    const base = JSON.parse(readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'));
    const envelope = (version: string, unknown: string) =>
      signedRulesEnvelope(JSON.stringify({ ...base, version, unknownPerson: unknown }), signing);
    const old = envelope('province-2021-11-01', 'ALLOW'); // captured from the retained topic
    const publish = (payload: string) => publishFleet(login(broker.url), [{ kind: 'rules', payload }]);
    const inForce = () => k.controller.telemetry().rules.version;
    await publish(old);
    await waitFor(() => (inForce() === 'province-2021-11-01' ? true : undefined), 5000, 'first rules');
    await publish(envelope('province-2021-12-01', 'REFUSE'));
    await waitFor(() => (inForce() === 'province-2021-12-01' ? true : undefined), 5000, 'newer rules');
    await publish(old);
    await publish(envelope('province-2021-12-01', 'ALLOW'));
    await waitFor(
      () => (k.logs.filter((l) => l.includes('rules update refused')).length >= 2 ? true : undefined),
      5000,
      'two refusals',
    );
    const refusals = k.logs.filter((l) => l.includes('rules update refused')).join('\n');
    expect(refusals).toMatch(/province-2021-11-01 is older than the installed province-2021-12-01/);
    expect(refusals).toMatch(/province-2021-12-01 is installed with other content/);
    expect(inForce()).toBe('province-2021-12-01');
    expect(k.controller.scan(unknownPerson(5))?.decision.verdict).toBe('REFUSE');
    // After a restart the retained topic still holds a looser file: the floor on disk refuses it.
    await k.controller.stop();
    await publish(old);
    k = await startKiosk(broker.url, dataDir);
    await waitFor(
      () => (k.logs.some((l) => l.includes('rules update refused')) ? true : undefined),
      5000,
      'refused',
    );
    expect(inForce()).toBe('province-2021-12-01');
    expect(k.controller.scan(unknownPerson(6))?.decision.verdict).toBe('REFUSE');
  });
});
