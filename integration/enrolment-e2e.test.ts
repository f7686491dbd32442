/**
 * Issue #16 item 1, end to end on real parts only: a broker made by `qrkiosk-hub broker init` and run
 * by Debian's Mosquitto untouched, the hub as its own process (`qrkiosk-hub run`), a code from
 * `qrkiosk-hub kiosk add --json`, redeemed by `qrkiosk enrol` into a technician's unenrolled kiosk.yaml,
 * then the enrolled daemon (`qrkiosk run`) on a pty scanner (firmware-sim) delivering a person's check-in
 * with the login enrolment gave it. The code works once; the login cannot speak for another site
 * (Mosquitto's dynamic-security plugin answers PUBACK 135); `qrkiosk doctor` sees the broker, then not.
 * Every step is a child process as an operator or systemd runs it; nothing here stands in for a part.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { HubStore } from '@qrkiosk/hub';
import { DoctorReport, kioskTopics, validatorFor } from '@qrkiosk/protocol';
import {
  Cleanups,
  freePort,
  type InitBroker,
  initAndStartBroker,
  makeTempDir,
  person,
  REPO_ROOT,
  waitFor,
  waitForPort,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const KIOSK_CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
/** Per step: generous for a loaded 2-core machine; nothing here asserts a time. */
const STEP_MS = 45_000;
const validReport = validatorFor(DoctorReport);
/** The hub's deployment key (privacy.hashKeyFile), hex as `openssl rand -hex 32` writes it. */
const HUB_HASH_KEY = randomBytes(32).toString('hex');

interface Ran {
  status: number | null;
  out: string;
}

/** A command to its end, its stdout and stderr together (the event loop stays free meanwhile). */
function runToEnd(cli: string, args: string[]): Promise<Ran & { stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, out, stdout }));
  });
}

/** A long-lived process logging into a file (nothing depends on this process reading a pipe in time). */
function startLogged(cli: string, args: string[], logFile: string) {
  writeFileSync(logFile, '');
  const fd = openSync(logFile, 'a');
  const child: ChildProcess = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const log = () => readFileSync(logFile, 'utf8');
  cleanups.push(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  });
  return { child, log };
}

/** The kiosk.yaml the package installs and the technician fills in: hardware, screen, folders; no `kiosk:`. */
function unenrolledYaml(scannerPath: string, dataDir: string): string {
  return [
    '# installed by the technician; kiosk:, mqtt:, privacy:, updates: come from enrolment',
    `scanner: { type: serial, path: "${scannerPath}" }`,
    'gpio: { driver: sim }',
    // This machine may have no NTP: the first scan must not wait for a clock (issue #13).
    'clock: { assumeSynced: true }',
    'ui: { port: 0, host: 127.0.0.1 }',
    `data: { dir: "${dataDir}" }`,
    'log: { level: info }',
    '',
  ].join('\n');
}

/** `qrkiosk doctor --no-scan --json` beside the running daemon: its report, checked against the schema. */
async function doctor() {
  const r = await runToEnd(KIOSK_CLI, ['doctor', '--config', kioskYaml, '--no-scan', '--json']);
  const report = validReport(JSON.parse(r.stdout));
  if (!report.ok) throw new Error(`${report.errors.join('; ')}\n${r.out}`);
  const check = (id: string) => report.value.checks.find((c) => c.id === id);
  return { status: r.status, broker: check('broker'), outbox: check('outbox') };
}

const cleanups = new Cleanups();
let broker: InitBroker;
let hubDataDir: string;
let hubYaml: string;
let hubLog: () => string;
let scanner: VirtualSerialScanner;
let dir: string;
let kioskYaml: string;
let code: string;
/** The enrolled daemon, once started: stopped before the test logs in with its client id itself. */
let daemonStop: (() => Promise<void>) | undefined;

beforeAll(async () => {
  broker = await initAndStartBroker();
  cleanups.push(() => broker.stop());
  hubDataDir = makeTempDir('e2e-hub-');
  const keygen = await runToEnd(HUB_CLI, ['keygen', '--out', join(hubDataDir, 'keys')]);
  if (keygen.status !== 0) throw new Error(`keygen: ${keygen.out}`);
  const hashKey = join(hubDataDir, 'identity.key');
  writeFileSync(hashKey, `${HUB_HASH_KEY}\n`, { mode: 0o600 });
  const port = await freePort();
  hubYaml = join(hubDataDir, 'hub.yaml');
  writeFileSync(
    hubYaml,
    [
      `dataDir: ${hubDataDir}`,
      `http: { host: 127.0.0.1, port: ${port} }`,
      `mqtt: { url: '${broker.url}', username: hub, passwordFile: ${join(broker.dir, 'hub.password')}, share: none }`,
      `privacy: { hashKeyFile: ${hashKey} }`,
      'enrolment:',
      `  publicUrl: http://127.0.0.1:${port}`,
      `  brokerUrl: '${broker.url}'`,
      `  signingKeyFile: ${join(hubDataDir, 'keys', 'hub-signing.key')}`,
      '',
    ].join('\n'),
  );
  const hub = startLogged(HUB_CLI, ['run', '--config', hubYaml], join(hubDataDir, 'hub.log'));
  hubLog = hub.log;
  await waitForPort(port, 20_000).catch((err: Error) => {
    throw new Error(`${err.message}\nhub: ${hubLog()}\nbroker: ${broker.log()}`);
  });
  scanner = new VirtualSerialScanner();
  await scanner.plugIn();
  cleanups.push(() => scanner.unplug());
  dir = makeTempDir('e2e-kiosk-');
  kioskYaml = join(dir, 'kiosk.yaml');
  writeFileSync(kioskYaml, unenrolledYaml(scanner.path, join(dir, 'data')));
}, STEP_MS);
afterAll(() => cleanups.run(), STEP_MS);

describe('enrolment end to end: broker init → hub → kiosk add → qrkiosk enrol → run', () => {
  it(
    'kiosk add --json prints exactly {"code","expiresAt"}',
    async () => {
      const r = await runToEnd(HUB_CLI, [
        'kiosk',
        'add',
        '--config',
        hubYaml,
        '--site',
        's-001',
        '--kiosk',
        'k-001',
        '--json',
      ]);
      expect(r.status, r.out).toBe(0);
      const printed = JSON.parse(r.stdout) as { code: string; expiresAt: string };
      expect(Object.keys(printed)).toEqual(['code', 'expiresAt']);
      expect(printed.code).toMatch(/^QRKE1\//);
      expect(Number.isNaN(Date.parse(printed.expiresAt))).toBe(false);
      code = printed.code;
    },
    STEP_MS,
  );

  it(
    'qrkiosk enrol CODE writes a kiosk.yaml that config check passes',
    async () => {
      const before = await runToEnd(KIOSK_CLI, ['--lang', 'en', 'config', 'check', kioskYaml]);
      expect(before.status, before.out).toBe(0);
      expect(before.out).toMatch(/not enrolled yet/);
      const r = await runToEnd(KIOSK_CLI, [
        '--lang',
        'en',
        'enrol',
        code,
        '--config',
        kioskYaml,
        '--data-dir',
        join(dir, 'enrolled'),
      ]);
      expect(r.status, `${r.out}\nhub: ${hubLog()}`).toBe(0);
      const check = await runToEnd(KIOSK_CLI, ['--lang', 'en', 'config', 'check', kioskYaml]);
      expect(check.status, check.out).toBe(0);
      expect(check.out).not.toMatch(/not enrolled/);
      const written = parse(readFileSync(kioskYaml, 'utf8'));
      expect(written).toMatchObject({
        kiosk: { id: 'k-001', site: 's-001', direction: 'in' },
        mqtt: { url: broker.url, username: 'k-001' },
        // The technician's sections are kept.
        scanner: { type: 'serial', path: scanner.path },
        gpio: { driver: 'sim' },
        data: { dir: join(dir, 'enrolled') },
      });
      // The grant carried the hub's deployment key: the kiosk hashes people as the hub traces them.
      expect(readFileSync(written.privacy.hashKeyFile, 'utf8').trim()).toBe(HUB_HASH_KEY);
    },
    STEP_MS,
  );

  it(
    'the enrolled daemon delivers a scanned person to the hub once, as s-001/k-001',
    async () => {
      const daemon = startLogged(KIOSK_CLI, ['run', '--config', kioskYaml], join(dir, 'daemon.log'));
      daemonStop = async () => {
        if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => daemon.child.once('exit', () => resolve()));
        daemon.child.kill('SIGTERM');
        await exited;
      };
      const logged = (text: string) =>
        waitFor(
          () => {
            if (daemon.log().includes(text)) return true;
            if (daemon.child.exitCode !== null)
              throw new Error(`the daemon exited ${daemon.child.exitCode}:\n${daemon.log()}`);
            return undefined;
          },
          STEP_MS - 5000,
          text,
        );
      await logged('uplink connected');
      await logged('scanner connected');
      await scanner.scan(person(1).payload);
      const store = await HubStore.open(undefined, hubDataDir);
      try {
        const stored = await waitFor(
          async () => {
            const rows = await store.recent(10);
            return rows.length > 0 ? rows : undefined;
          },
          STEP_MS - 10_000,
          `the check-in at the hub\n${daemon.log()}\n${hubLog()}`,
        );
        expect(stored).toHaveLength(1);
        expect(stored[0]).toMatchObject({ site: 's-001', kiosk: 'k-001' });
        // Delivered once: the hub receipted it (doctor's outbox check reads the journal), still one row.
        await waitFor(
          async () => ((await doctor()).outbox?.values.depth === 0 ? true : undefined),
          STEP_MS - 20_000,
          'the hub receipt (outbox empty)',
        );
        expect(await store.checkinCount()).toBe(1);
      } finally {
        await store.close();
      }
    },
    STEP_MS,
  );

  it(
    'the same code again is refused: exit 3, code-used, nothing written',
    async () => {
      const other = makeTempDir('e2e-kiosk2-');
      const file = join(other, 'kiosk.yaml');
      const text = unenrolledYaml(scanner.path, join(other, 'data'));
      writeFileSync(file, text);
      const r = await runToEnd(KIOSK_CLI, [
        '--lang',
        'en',
        'enrol',
        code,
        '--config',
        file,
        '--data-dir',
        join(other, 'enrolled'),
      ]);
      expect(r.status, r.out).toBe(3);
      expect(r.out).toContain('code-used');
      expect(readFileSync(file, 'utf8')).toBe(text);
      expect(existsSync(join(other, 'enrolled'))).toBe(false);
    },
    STEP_MS,
  );

  it(
    "the kiosk's login cannot publish as another site (PUBACK 135), and the hub sees nothing of it",
    async () => {
      const written = parse(readFileSync(kioskYaml, 'utf8')) as {
        mqtt: { username: string; passwordFile: string };
      };
      const login = {
        username: written.mqtt.username,
        password: readFileSync(written.mqtt.passwordFile, 'utf8').trim(),
        protocolVersion: 5 as const,
        reconnectPeriod: 0,
      };
      const seen: string[] = [];
      const hubSide = await connectAsync(broker.url, {
        ...broker.hub,
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      cleanups.push(() => hubSide.endAsync(true));
      hubSide.on('message', (topic) => seen.push(topic));
      await hubSide.subscribeAsync('qrkiosk/v1/+/+/checkin', { qos: 1 });

      // The login connects only with the daemon's client id (pinned by the hub in dynamic security):
      // not as the hub's ingest lane, whose session holds the queued check-ins.
      await expect(connectAsync(broker.url, { ...login, clientId: 'qrkiosk-hub' })).rejects.toThrow(
        /not authori[sz]ed|135/i,
      );
      // The daemon's id is the test's now: the daemon stops first, or the two would take it from each other.
      await daemonStop?.();
      const clientId = 'qrkiosk-s-001-k-001';
      const kiosk = await connectAsync(broker.url, { ...login, clientId });
      cleanups.push(() => kiosk.endAsync(true));
      await expect(
        kiosk.publishAsync(kioskTopics('s-002', 'k-001').checkin, '{}', { qos: 1 }),
      ).rejects.toMatchObject({ code: 135 });
      // A barrier: the refused publish was answered before this one was sent, so had the broker routed
      // it, the subscriber would have it before this one.
      const again = await connectAsync(broker.url, { ...login, clientId });
      cleanups.push(() => again.endAsync(true));
      await again.publishAsync(kioskTopics('s-001', 'k-001').checkin, '{}', { qos: 1 });
      await waitFor(() => (seen.length > 0 ? true : undefined), 10_000, 'the barrier message');
      expect(seen).toEqual([kioskTopics('s-001', 'k-001').checkin]);
    },
    STEP_MS,
  );

  it(
    'qrkiosk doctor sees the broker; with Mosquitto stopped, exit 1 and the broker check fails',
    async () => {
      const up = await doctor();
      expect(up.broker, JSON.stringify(up)).toMatchObject({ status: 'ok' });
      await broker.stop();
      const down = await doctor();
      expect(down.status).toBe(1);
      expect(down.broker?.status).toBe('fail');
      expect(down.broker?.message.en).toMatch(/unreachable/);
    },
    STEP_MS,
  );
});
