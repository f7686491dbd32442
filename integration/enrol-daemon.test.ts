/**
 * An unenrolled kiosk as systemd runs it (`qrkiosk run`, kiosk.yaml without `kiosk:`), on a real pty
 * scanner (firmware-sim VirtualSerialScanner), its verdict page in real Chromium, a real Mosquitto that
 * takes only password logins, and a THIN STAND-IN for the hub's /api/enrol (testkit StandInEnrolHub:
 * protocol's real signGrant/sealTo; the real hub is exercised by the lead after merge). A person's code
 * is a fault, never green; a refused enrolment code shows the hub's sentence and the kiosk keeps waiting;
 * a good one enrols it, the daemon exits 0 (systemd restarts it) and starts in normal mode, where it
 * installs the hub's retained signed rules with the key the grant gave it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cccdFor, VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { signedRulesEnvelope } from '@qrkiosk/hub';
import { ENROLMENT_REFUSALS, fleetTopic } from '@qrkiosk/protocol';
import {
  CHROMIUM_ARGS,
  Cleanups,
  freePort,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  requireChromium,
  StandInEnrolHub,
  startMosquitto,
  waitFor,
  writePasswordFile,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PASSWORD = 'k-001-daemon-secret';
const HUB_PASSWORD = 'hub-secret';
const CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
let broker: RunningMosquitto;
let hub: StandInEnrolHub;
let browser: Browser;
const cleanups = new Cleanups();

beforeAll(async () => {
  const dir = makeTempDir('enrol-daemon-broker-');
  broker = await startMosquitto({
    anonymous: false,
    extraConfig: [
      `password_file ${writePasswordFile(join(dir, 'passwd'), { 'k-001': PASSWORD, hub: HUB_PASSWORD })}`,
    ],
  });
  hub = new StandInEnrolHub();
  await hub.start();
  browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
});
afterAll(async () => {
  await cleanups.run();
  await browser?.close();
  await hub?.stop();
  await broker?.stop();
});

interface Daemon {
  child: ChildProcess;
  exited: Promise<number | null>;
  logs: () => Array<Record<string, unknown> & { msg: string }>;
  out: () => string;
}

function runDaemon(config: string): Daemon {
  const child = spawn(process.execPath, [CLI, 'run', '-c', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '' },
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
  });
  return {
    child,
    exited,
    out: () => out,
    logs: () =>
      out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown> & { msg: string }),
  };
}

const seen = (d: Daemon, msg: string, timeoutMs = 15_000) =>
  waitFor(
    () => {
      const line = d.logs().find((l) => l.msg === msg);
      if (line) return line;
      if (d.child.exitCode !== null) throw new Error(`the daemon exited ${d.child.exitCode}:\n${d.out()}`);
      return undefined;
    },
    timeoutMs,
    msg,
  );

describe('an unenrolled kiosk daemon', () => {
  it('a person is a fault (never green); a refused code keeps it waiting; a good code enrols it', async () => {
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    const dir = makeTempDir('enrol-daemon-');
    const config = join(dir, 'kiosk.yaml');
    const port = await freePort();
    // What the package installs and the technician sets: hardware, screen, folders; no identity.
    writeFileSync(
      config,
      [
        '# installed by the technician; kiosk: comes from enrolment',
        `scanner: { type: serial, path: "${scanner.path}" }`,
        'gpio: { driver: sim }',
        // This machine may have no NTP: the enrolled kiosk's first scan must not wait for a clock.
        'clock: { assumeSynced: true }',
        `ui: { port: ${port}, host: 127.0.0.1 }`,
        `data: { dir: "${join(dir, 'data')}" }`,
        'log: { level: info }',
        '',
      ].join('\n'),
    );
    // `config check` (systemd's ExecStartPre) accepts an unenrolled kiosk.
    const check = spawn(process.execPath, [CLI, '--lang', 'en', 'config', 'check', config]);
    let checkOut = '';
    check.stdout.on('data', (d: Buffer) => {
      checkOut += d.toString();
    });
    expect(await new Promise((r) => check.once('exit', r))).toBe(0);
    expect(checkOut).toMatch(/not enrolled yet/);

    const d = runDaemon(config);
    await seen(d, 'enrolment screen ready');
    await waitFor(() => (d.out().includes('scanner connected') ? true : undefined), 15_000, 'scanner');

    // The verdict page as the kiosk's display shows it (7" 800×480).
    const page = await browser.newPage({ viewport: { width: 800, height: 480 } });
    cleanups.push(() => page.close());
    const frames: Array<{ type: string; state?: string; verdict?: string }> = [];
    page.on('websocket', (ws) => ws.on('framereceived', (f) => frames.push(JSON.parse(String(f.payload)))));
    await page.goto(`http://127.0.0.1:${port}/`);
    await page.waitForSelector('body[data-state="ENROL"].fault');
    expect(await page.textContent('#headline')).toBe('Quét mã đăng ký từ trung tâm');
    await page.click('#lang');
    expect(await page.textContent('#headline')).toBe('Scan the enrolment code from the health office');
    // One line, fully visible at 800 px (the page never wraps or cuts a headline).
    expect(
      await page.evaluate(() => {
        const h = document.getElementById('headline') as HTMLElement;
        return h.scrollWidth <= h.clientWidth;
      }),
    ).toBe(true);
    await page.click('#lang');

    // A person: the FAULT lights, "kiosk not enrolled" — no verdict, no check-in, no green.
    await scanner.scan(cccdFor(1));
    const refusedScan = await seen(d, 'scan refused: kiosk not enrolled');
    expect(refusedScan).toMatchObject({ reason: 'kiosk-not-enrolled', pattern: 'FAULT' });
    await page.waitForSelector('body[data-state="ENROL_NOT"].fault');
    expect(await page.textContent('#headline')).toBe('Kiosk chưa đăng ký');

    // A code the hub refuses: its sentence on the screen, and the kiosk waits for another.
    hub.answer = { kind: 'refuse', error: 'code-used' };
    await scanner.scan(hub.code());
    await page.waitForSelector('body[data-state="ENROL_REFUSED"].fault', { timeout: 15_000 });
    expect(await page.textContent('#reason')).toBe(ENROLMENT_REFUSALS['code-used'].vi);
    expect(d.child.exitCode).toBeNull();

    // A good code: enrolled, shown, and the daemon exits 0 for systemd to start it in normal mode.
    hub.answer = { kind: 'grant', password: PASSWORD, brokerUrl: broker.url };
    await scanner.scan(hub.code());
    // Not ALLOW's shape: the fault frame, and no ✓ (the door rule: only an admission shows a tick).
    await page.waitForSelector('body[data-state="ENROL_DONE"].fault', { timeout: 15_000 });
    expect(await page.textContent('#headline')).toBe('Đã đăng ký');
    expect(await page.textContent('#mark')).not.toContain('✓');
    expect(await page.innerText('main')).not.toContain('✓');
    // A person scanning in the 3 s before the restart: gateway/test/enrol.test.ts (in process, a long window;
    // here the scan would race the daemon's exit on a slow machine).
    expect(await d.exited).toBe(0);
    expect(d.logs().some((l) => l.msg === 'enrolled')).toBe(true);

    // Never a verdict, never green, on the way.
    expect(frames.filter((f) => f.type === 'scan')).toEqual([]);
    expect(frames.filter((f) => f.type === 'enrolment').map((f) => f.state)).toEqual(
      expect.arrayContaining(['waiting', 'not-enrolled', 'working', 'refused', 'enrolled']),
    );

    // The hub's current rules, retained on the broker and signed with the update key the grant named:
    // the enrolled kiosk installs them on its first start (the daemon's own FleetUpdates, not enrolment).
    const rules = JSON.parse(
      readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'),
    );
    rules.version = 'enrolment-test-rules';
    const publisher = await connectAsync(broker.url, { username: 'hub', password: HUB_PASSWORD });
    await publisher.publishAsync(
      fleetTopic('rules'),
      signedRulesEnvelope(JSON.stringify(rules), hub.updateKey),
      { qos: 1, retain: true },
    );
    await publisher.endAsync();

    // systemd's restart: the same command, now the enrolled kiosk, logged in with the new password.
    const after = runDaemon(config);
    await seen(after, 'uplink connected');
    expect(await seen(after, 'rules update installed')).toMatchObject({ version: 'enrolment-test-rules' });
    const started = await seen(after, 'kiosk started');
    expect(started).toMatchObject({ kiosk: 'k-001', site: 's-001' });
    await waitFor(() => (after.out().includes('scanner connected') ? true : undefined), 15_000, 'scanner');
    await scanner.scan(cccdFor(2));
    const scan = await seen(after, 'scan');
    expect(scan).toMatchObject({ kind: 'cccd' });
    expect(scan.reason).not.toBe('kiosk-not-enrolled');
    after.child.kill('SIGTERM');
    expect(await after.exited).toBe(0);
  });
});
