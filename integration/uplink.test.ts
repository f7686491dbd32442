/**
 * The uplink against a real Mosquitto configured as hardware/mosquitto/ ships it: per-kiosk
 * passwords, the per-kiosk ACL the hub generates, no anonymous access. Hub requests:
 * hostile-requests.test.ts.
 */
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { receiptCheckins, VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { type CheckinMessage, kioskTopics, validateTelemetry } from '@qrkiosk/protocol';
import {
  Cleanups,
  kioskYaml,
  makeTempDir,
  REPO_ROOT,
  startMosquitto,
  testerCccd,
  waitFor,
} from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { PASSWORDS, secureBroker } from './secure-broker.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function client(url: string, user: keyof typeof PASSWORDS, clientId?: string): Promise<MqttClient> {
  const c = await connectAsync(url, {
    username: user,
    password: PASSWORDS[user],
    protocolVersion: 5,
    reconnectPeriod: 500,
    ...(clientId ? { clientId } : {}),
  });
  cleanups.push(() => c.endAsync());
  return c;
}

function kiosk(url: string, id: string, password: string, dataDir = makeTempDir('uplink-')) {
  const dir = makeTempDir('secret-');
  writeFileSync(join(dir, 'mqtt.pass'), `${password}\n`);
  const loaded = settingsFromText(
    kioskYaml({
      kiosk: id,
      dataDir,
      assumeSynced: false,
      lines: [
        'ui: { port: 0 }',
        `mqtt: { url: "${url}", username: ${id}, passwordFile: "${join(dir, 'mqtt.pass')}", telemetrySeconds: 5 }`,
        'rules: { duplicateWindowSeconds: 0 }',
      ],
    }),
    'uplink test',
    {},
  );
  const controller = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true });
  cleanups.push(() => controller.stop());
  return controller;
}

/** A valid CCCD for person n (1988-born men, distinct serials). */

/** A CA and a broker certificate for 127.0.0.1, made with openssl. */
function tlsFiles(): { dir: string; ca: string; cert: string; key: string } {
  const dir = makeTempDir('tls-');
  const run = (args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args[0]}: ${r.stderr}`);
  };
  run([
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
    '-days',
    '2',
    '-subj',
    '/CN=qrkiosk test CA',
  ]);
  run([
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'broker.key',
    '-out',
    'broker.csr',
    '-subj',
    '/CN=127.0.0.1',
  ]);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  run([
    'x509',
    '-req',
    '-in',
    'broker.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'broker.crt',
    '-days',
    '2',
    '-extfile',
    'san.ext',
  ]);
  return { dir, ca: join(dir, 'ca.crt'), cert: join(dir, 'broker.crt'), key: join(dir, 'broker.key') };
}

describe('uplink over TLS', () => {
  it('delivers to an mqtts:// broker it verifies with mqtt.caFile, and refuses one it cannot verify', async () => {
    const tls = tlsFiles();
    const { freePort } = await import('@qrkiosk/testkit');
    const tlsPort = await freePort();
    const broker = await startMosquitto({
      extraConfig: [
        `listener ${tlsPort} 127.0.0.1`,
        `cafile ${tls.ca}`,
        `certfile ${tls.cert}`,
        `keyfile ${tls.key}`,
        'allow_anonymous true',
      ],
    });
    cleanups.push(() => broker.stop());
    const sub = await connectAsync(broker.url, { protocolVersion: 5 });
    cleanups.push(() => sub.endAsync());
    const got: string[] = [];
    sub.on('message', (_t, p) => got.push(JSON.parse(p.toString()).id));
    await sub.subscribeAsync('qrkiosk/v1/+/+/checkin', { qos: 1 });
    const make = (ca: string | null) => {
      const loaded = settingsFromText(
        [
          'kiosk: { id: k-001, site: s-001 }',
          'ui: { port: 0 }',
          `mqtt: { url: "mqtts://127.0.0.1:${tlsPort}"${ca ? `, caFile: "${ca}"` : ''} }`,
          `data: { dir: "${makeTempDir('tls-kiosk-')}" }`,
          'log: { level: silent }',
        ].join('\n'),
        'tls test',
        {},
      );
      const c = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true });
      cleanups.push(() => c.stop());
      return c;
    };
    const trusting = make(tls.ca);
    await trusting.start();
    const outcome = trusting.scan(testerCccd(7));
    await waitFor(
      () => (got.includes(outcome?.checkin?.id ?? '') ? true : undefined),
      10_000,
      'check-in over TLS',
    );
    const blind = make(null);
    const errors: string[] = [];
    blind.bus.on('uplink.status', (s) => s.error && errors.push(s.error));
    await blind.start();
    blind.scan(testerCccd(8));
    await waitFor(() => errors[0], 10_000, 'TLS refusal');
    expect(errors[0]).toMatch(/self[- ]signed|unable to verify|certificate/i);
    expect(blind.journal.pendingCount()).toBe(1);
  });
});

describe('uplink with per-kiosk credentials and the ACL', () => {
  it('qrkiosk-hub run, logged in as hub, ingests through the shared subscription the ACL allows', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const dataDir = makeTempDir('hub-acl-');
    writeFileSync(join(dataDir, 'mqtt.pass'), `${PASSWORDS.hub}\n`);
    const args = [
      'run',
      '--mqtt',
      broker.url,
      '--username',
      'hub',
      '--password-file',
      join(dataDir, 'mqtt.pass'),
    ];
    const hub = spawn(
      process.execPath,
      [join(REPO_ROOT, 'hub/dist/cli.js'), ...args, '--data-dir', dataDir, '--port', '0', '--lanes', '3'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    cleanups.push(async () => {
      hub.kill('SIGTERM');
    });
    let output = '';
    hub.stdout.on('data', (d: Buffer) => {
      output += d.toString();
    });
    hub.stderr.on('data', (d: Buffer) => {
      output += d.toString();
    });
    await waitFor(
      () => (output.includes('hub page ready') ? true : undefined),
      10_000,
      `hub ready: ${output}`,
    );
    const k = kiosk(broker.url, 'k-001', PASSWORDS['k-001']);
    await k.start();
    for (let i = 0; i < 6; i++) k.scan(testerCccd(20 + i));
    const db = new Database(join(dataDir, 'hub.db'), { readonly: true });
    cleanups.push(async () => db.close());
    const count = () => (db.prepare('SELECT count(*) AS n FROM checkins').get() as { n: number }).n;
    await waitFor(() => (count() === 6 ? true : undefined), 10_000, 'six stored');
    expect(output).not.toMatch(/not authori[sz]ed|could not subscribe/i);
  });

  it('a kiosk cannot publish on another kiosk’s topics nor read any other kiosk’s check-ins', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const hub = await client(broker.url, 'hub');
    const seenByHub: string[] = [];
    hub.on('message', (t) => seenByHub.push(t));
    await hub.subscribeAsync('qrkiosk/v1/#', { qos: 1 });
    const a = await client(broker.url, 'k-001');
    const seenByA: string[] = [];
    a.on('message', (t) => seenByA.push(t));
    await a.subscribeAsync('qrkiosk/v1/#', { qos: 1 });
    const b = await client(broker.url, 'k-002');
    // A pretends to be B: refused by the broker (MQTT 5 PUBACK "not authorised").
    await expect(a.publishAsync(kioskTopics('s-001', 'k-002').checkin, '{}', { qos: 1 })).rejects.toThrow(
      /not authori[sz]ed|Not authorized|135/i,
    );
    // A pretends to be at another site: refused too (the ACL binds each login to its own site).
    await expect(a.publishAsync(kioskTopics('s-999', 'k-001').checkin, '{}', { qos: 1 })).rejects.toThrow(
      /not authori[sz]ed|Not authorized|135/i,
    );
    await b.publishAsync(kioskTopics('s-001', 'k-002').checkin, '{"from":"b"}', { qos: 1 });
    await a.publishAsync(kioskTopics('s-001', 'k-001').checkin, '{"from":"a"}', { qos: 1 });
    await waitFor(() => (seenByHub.length >= 2 ? true : undefined), 5000, 'hub receives both');
    expect(seenByHub.sort()).toEqual([
      kioskTopics('s-001', 'k-001').checkin,
      kioskTopics('s-001', 'k-002').checkin,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    expect(seenByA).toEqual([]);
  });

  it('a wrong password is refused, said clearly, and check-ins keep queuing', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const k = kiosk(broker.url, 'k-001', 'wrong');
    const errors: string[] = [];
    k.bus.on('uplink.status', (s) => {
      if (s.error) errors.push(s.error);
    });
    await k.start();
    await waitFor(() => errors[0], 5000, 'refusal');
    expect(errors[0]).toMatch(/not authori[sz]ed|bad user name or password/i);
    for (let i = 0; i < 5; i++) k.scan(testerCccd(i));
    expect(k.journal.pendingCount()).toBe(5);
  });

  it('200 scans while the broker is down all arrive, in order, when it returns; telemetry is valid', async () => {
    let broker = await secureBroker();
    const port = broker.port;
    const k = kiosk(broker.url, 'k-001', PASSWORDS['k-001']);
    await k.start();
    await waitFor(() => (k.telemetry().outboxDepth === 0 ? true : undefined), 1000, 'started');
    await broker.stop();
    for (let i = 0; i < 200; i++) k.scan(testerCccd(i));
    expect(k.journal.pendingCount()).toBe(200);
    broker = await secureBroker(port);
    cleanups.push(() => broker.stop());
    const hub = await client(broker.url, 'hub');
    const got: CheckinMessage[] = [];
    const telemetry: unknown[] = [];
    hub.on('message', (topic, payload) => {
      if (topic.endsWith('/checkin')) got.push(JSON.parse(payload.toString()));
      if (topic.endsWith('/telemetry')) telemetry.push(JSON.parse(payload.toString()));
    });
    await hub.subscribeAsync(['qrkiosk/v1/+/+/checkin', 'qrkiosk/v1/+/+/telemetry'], { qos: 1 });
    receiptCheckins(hub);
    await waitFor(() => (k.journal.pendingCount() === 0 ? true : undefined), 20_000, 'outbox drained');
    await waitFor(() => (got.length >= 200 ? true : undefined), 5000, '200 received');
    expect(got.map((c) => c.document.numberMasked)).toEqual(
      Array.from({ length: 200 }, (_, i) => `********${String(i).padStart(6, '0').slice(-4)}`),
    );
    expect(new Set(got.map((c) => c.id)).size).toBe(200);
    await waitFor(() => telemetry[0], 10_000, 'telemetry');
    expect(validateTelemetry(telemetry[0])).toMatchObject({ ok: true });
  });

  it('after a broker restart the retained state is published again', async () => {
    let broker = await secureBroker();
    const port = broker.port;
    const k = kiosk(broker.url, 'k-001', PASSWORDS['k-001']);
    const connects: boolean[] = [];
    k.bus.on('uplink.status', (s) => connects.push(s.connected));
    await k.start();
    await waitFor(() => (connects.includes(true) ? true : undefined), 5000, 'connected');
    await broker.stop();
    broker = await secureBroker(port);
    cleanups.push(() => broker.stop());
    await waitFor(() => (connects.filter(Boolean).length >= 2 ? true : undefined), 15_000, 'reconnected');
    // A fresh subscriber after the restart (the test broker keeps nothing across restarts) sees it.
    const hub = await client(broker.url, 'hub');
    const states: string[] = [];
    hub.on('message', (_t, p, packet) => {
      if (packet.retain) states.push(p.toString());
    });
    await hub.subscribeAsync(kioskTopics('s-001', 'k-001').state, { qos: 1 });
    await waitFor(() => states[0], 5000, 'retained state');
    expect(states[0]).toBe('online');
  });

  it('a gateway SIGKILLed mid-publish loses nothing after restart; a repeat carries the same id', async () => {
    const broker = await secureBroker();
    cleanups.push(() => broker.stop());
    const hub = await client(broker.url, 'hub');
    const got: CheckinMessage[] = [];
    hub.on('message', (_t, p) => got.push(JSON.parse(p.toString())));
    await hub.subscribeAsync('qrkiosk/v1/+/+/checkin', { qos: 1 });
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    const dir = makeTempDir('sigkill-');
    const secret = join(dir, 'mqtt.pass');
    writeFileSync(secret, PASSWORDS['k-001']);
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      [
        'kiosk: { id: k-001, site: s-001 }',
        `scanner: { path: "${scanner.path}" }`,
        'gpio: { driver: sim }',
        'ui: { port: 0 }',
        `mqtt: { url: "${broker.url}", username: k-001, passwordFile: "${secret}" }`,
        `data: { dir: "${join(dir, 'data')}" }`,
        'rules: { duplicateWindowSeconds: 0 }',
        'log: { level: info }',
      ].join('\n'),
    );
    let scannerOpen = false;
    const start = () => {
      const child = spawn(
        process.execPath,
        [join(REPO_ROOT, 'gateway/dist/cli/main.js'), 'run', '-c', config],
        {
          stdio: ['ignore', 'pipe', 'ignore'],
        },
      );
      // Scans written before the daemon has the pty open are not read: wait for it (a fixed pause
      // was flaky on a loaded 2-core machine).
      child.stdout?.on('data', (d: Buffer) => {
        if (d.toString().includes('scanner connected')) scannerOpen = true;
      });
      return child;
    };
    let daemon = start();
    cleanups.push(async () => daemon.kill('SIGKILL'));
    await waitFor(() => (scannerOpen ? true : undefined), 20_000, 'the daemon reading the scanner');
    for (let i = 0; i < 150; i++) await scanner.scan(testerCccd(i));
    // Kill it while check-ins are still flowing.
    await waitFor(() => (got.length > 0 ? true : undefined), 10_000, 'publishing started');
    daemon.kill('SIGKILL');
    await new Promise((r) => daemon.on('exit', r));
    const journal = new Database(join(dir, 'data', 'journal.db'), { readonly: true });
    const journaled = (
      journal.prepare('SELECT id FROM checkins ORDER BY seq').all() as Array<{ id: string }>
    ).map((r) => r.id);
    journal.close();
    daemon = start();
    await waitFor(
      () => (new Set(got.map((c) => c.id)).size >= journaled.length ? true : undefined),
      20_000,
      'all delivered after restart',
    );
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.on('exit', r));
    const ids = got.map((c) => c.id);
    // Every journaled check-in arrived; anything sent twice came with the same id (the hub dedupes).
    expect(new Set(ids)).toEqual(new Set(journaled));
    expect(journaled.length).toBeGreaterThan(0);
  });
});
