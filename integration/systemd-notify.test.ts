/**
 * `qrkiosk run` as systemd runs it with Type=notify and WatchdogSec=: the listener is Python's own AF_UNIX
 * datagram socket (not our code), bound where NOTIFY_SOCKET points, printing each datagram as a JSON string
 * on a line — what systemd's notify socket receives. WATCHDOG_USEC is 1 s, so pings come every 0.5 s.
 * No assertion on rates: only "arrives within a timeout", and "no new ping while stopped or dead", counted
 * behind a marker datagram (barrier) so a listener that lags on a busy machine cannot make or hide a ping.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Cleanups, kioskYaml, makeTempDir, REPO_ROOT, sleep, waitFor } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';

const KIOSK_CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const PYTHON = '/usr/bin/python3';
const LISTENER = `
import json, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print("LISTENING", flush=True)
while True:
    data, _ = s.recvfrom(65536)
    print(json.dumps(data.decode("utf-8")), flush=True)
`;
/** The watchdog timeout handed to the daemon; the quiet periods below are several of these. */
const WATCHDOG_MS = 1000;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

/** Python bound to `<dir>/notify.sock`; messages() is every datagram received so far, in order. */
async function notifyListener(dir: string) {
  const path = join(dir, 'notify.sock');
  const py = spawn(PYTHON, ['-u', '-c', LISTENER, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => py.kill('SIGKILL'));
  let out = '';
  py.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  await waitFor(() => (out.startsWith('LISTENING\n') ? true : undefined), 10_000, 'python listening');
  const messages = (): string[] =>
    out
      .split('\n')
      .slice(1)
      .filter((l) => l.startsWith('"'))
      .map((l) => JSON.parse(l) as string);
  let barriers = 0;
  return {
    path,
    messages,
    /**
     * Sends a marker into the socket from another process (Python again) and waits until the listener has
     * printed it: one socket's datagrams are received in the order they arrived, so everything the daemon
     * had sent before is counted by then — no guessing how long the listener may lag on a busy machine.
     */
    async barrier(): Promise<void> {
      const mark = `BARRIER-${++barriers}`;
      execFileSync(PYTHON, [
        '-c',
        'import socket, sys\ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)\ns.sendto(sys.argv[2].encode(), sys.argv[1])',
        path,
        mark,
      ]);
      await waitFor(() => (messages().includes(mark) ? true : undefined), 10_000, mark);
    },
    count: (m: string) => messages().filter((x) => x === m).length,
    status: () => messages().filter((m) => m.startsWith('STATUS=')),
  };
}

/** The compiled daemon with NOTIFY_SOCKET and WATCHDOG_USEC set, its log in a file. */
function startDaemon(dir: string, yaml: string, env: Record<string, string>): ChildProcess {
  const config = join(dir, 'kiosk.yaml');
  writeFileSync(config, yaml);
  const fd = openSync(join(dir, 'daemon.log'), 'a');
  const daemon = spawn(process.execPath, [KIOSK_CLI, 'run', '-c', config], {
    env: { ...process.env, WATCHDOG_USEC: String(WATCHDOG_MS * 1000), ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  cleanups.push(() => daemon.kill('SIGKILL'));
  return daemon;
}

const alive = (p: ChildProcess) => p.exitCode === null && p.signalCode === null;

describe('qrkiosk run under systemd (Type=notify, watchdog)', () => {
  it('says READY and STATUS, pings while the loop runs, not while stopped, through an unplug, then STOPPING', async () => {
    const dir = makeTempDir('sd-notify-');
    const sd = await notifyListener(dir);
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    const yaml = kioskYaml({
      lines: [
        'ui: { port: 0 }',
        `scanner: { path: "${scanner.path}" }`,
        'mqtt: { url: "mqtt://127.0.0.1:1" }',
      ],
    });
    const daemon = startDaemon(dir, yaml, { NOTIFY_SOCKET: sd.path });
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));

    await waitFor(() => (sd.count('READY=1') === 1 ? true : undefined), 15_000, 'READY=1');
    const ready = await waitFor(
      () => sd.status().find((s) => s.includes('Scanner: ready')),
      10_000,
      'STATUS with the scanner ready',
    );
    // Vietnamese first, English after the bar; the hub is unreachable here.
    expect(ready).toMatch(
      /^STATUS=Đầu đọc: sẵn sàng; máy chủ: ngoại tuyến; chờ gửi: 0 \| Scanner: ready; hub: offline/,
    );
    await waitFor(() => (sd.count('WATCHDOG=1') >= 2 ? true : undefined), 10_000, 'two watchdog pings');

    // A stopped process is a blocked event loop: no timer runs, so no ping. Let a datagram sent just before
    // the stop land first, then count over several timeouts.
    daemon.kill('SIGSTOP');
    await sd.barrier();
    const whileStopped = sd.count('WATCHDOG=1');
    await sleep(4 * WATCHDOG_MS);
    await sd.barrier();
    expect(sd.count('WATCHDOG=1')).toBe(whileStopped);
    daemon.kill('SIGCONT');
    await waitFor(
      () => (sd.count('WATCHDOG=1') >= whileStopped + 2 ? true : undefined),
      10_000,
      'pings after SIGCONT',
    );

    // An unplug is the input's normal life (it retries): STATUS changes once, the pings go on.
    const statusesBefore = sd.status().length;
    await scanner.unplug();
    await waitFor(
      () =>
        sd
          .status()
          .slice(statusesBefore)
          .find((s) => s.includes('Scanner: lost')),
      10_000,
      'STATUS scanner lost',
    );
    const afterUnplug = sd.count('WATCHDOG=1');
    await waitFor(
      () => (sd.count('WATCHDOG=1') >= afterUnplug + 3 ? true : undefined),
      10_000,
      'pings while unplugged',
    );
    // Not a STATUS per retry (the input retries every 250 ms … 5 s here).
    expect(sd.status().length - statusesBefore).toBeLessThanOrEqual(2);

    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    await sd.barrier();
    expect(sd.messages()).toContain('STOPPING=1');
    expect(sd.messages().indexOf('STOPPING=1')).toBeGreaterThan(sd.messages().lastIndexOf('WATCHDOG=1'));
    expect(sd.count('WATCHDOG=trigger')).toBe(0);
  }, 60_000);

  it('stops pinging when the scanner input is dead (an enumeration that never answers); the process lives on', async () => {
    const dir = makeTempDir('sd-dead-');
    const sd = await notifyListener(dir);
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    // A stand-in written here, named as such: `udevadm` first in PATH. serialport's SerialPort.list() runs
    // `udevadm info -e` and parses its export format; this one prints the pty as a CH340 (1a86:7523) until
    // the `hang` file exists, then never answers — as a wedged udev would. It blocks on its stdin (a pipe from the daemon) and ends when the daemon does.
    const bin = join(dir, 'bin');
    const hang = join(dir, 'hang');
    const fake = join(bin, 'udevadm');
    mkdirSync(bin);
    writeFileSync(
      fake,
      [
        '#!/bin/sh',
        `if [ -e "${hang}" ]; then exec cat; fi`,
        `printf 'P: /devices/virtual/tty/ttyACM0\\nN: ttyACM0\\nE: DEVNAME=%s\\nE: ID_VENDOR_ID=1a86\\nE: ID_MODEL_ID=7523\\n\\n' "${scanner.path}"`,
      ].join('\n'),
    );
    chmodSync(fake, 0o755);
    const yaml = kioskYaml({
      lines: [
        'ui: { port: 0 }',
        'scanner: { vendorId: "1a86", productId: "7523" }',
        'mqtt: { url: "mqtt://127.0.0.1:1" }',
      ],
    });
    const daemon = startDaemon(dir, yaml, {
      NOTIFY_SOCKET: sd.path,
      PATH: `${bin}:${process.env.PATH}`,
      QRKIOSK_LOG_LEVEL: 'info',
    });

    await waitFor(() => (sd.count('READY=1') === 1 ? true : undefined), 15_000, 'READY=1');
    await waitFor(
      () => sd.status().find((s) => s.includes('Scanner: ready')),
      10_000,
      'scanner found by VID:PID',
    );
    await waitFor(() => (sd.count('WATCHDOG=1') >= 2 ? true : undefined), 10_000, 'two watchdog pings');

    // Unplug with udev wedged: the input's next enumeration never returns, so it will never retry.
    writeFileSync(hang, '');
    await scanner.unplug();
    const dead = await waitFor(
      () => sd.status().find((s) => s.includes('input dead')),
      20_000,
      'STATUS input dead',
    );
    expect(dead).toMatch(/^STATUS=Đầu đọc: hỏng, chờ khởi động lại;/);
    // The status line goes out the moment the input dies; the trigger at the pinger's next tick (half the
    // timeout later): wait for it, then it must have come exactly once and no ping after it.
    await waitFor(() => (sd.count('WATCHDOG=trigger') >= 1 ? true : undefined), 10_000, 'WATCHDOG=trigger');
    const afterDead = sd.count('WATCHDOG=1');
    await sleep(4 * WATCHDOG_MS);
    await sd.barrier();
    expect(sd.count('WATCHDOG=1')).toBe(afterDead);
    expect(sd.count('WATCHDOG=trigger')).toBe(1);
    expect(alive(daemon)).toBe(true);
    expect(sd.count('STOPPING=1')).toBe(0);
    const log = readFileSync(join(dir, 'daemon.log'), 'utf8');
    expect(log).toContain('scanner input is dead');
  }, 60_000);

  it('leaves the pings to the process WATCHDOG_PID names, and still says READY and STATUS', async () => {
    const dir = makeTempDir('sd-pid-');
    const sd = await notifyListener(dir);
    // The daemon's environment says the watchdog belongs to another process (here: this test runner).
    const daemon = startDaemon(
      dir,
      kioskYaml({ lines: ['ui: { port: 0 }', 'scanner: { path: /dev/does-not-exist }'] }),
      {
        NOTIFY_SOCKET: sd.path,
        WATCHDOG_PID: String(process.pid),
      },
    );
    const exited = new Promise<number | null>((resolve) => daemon.once('exit', (code) => resolve(code)));
    await waitFor(() => (sd.count('READY=1') === 1 ? true : undefined), 15_000, 'READY=1');
    await waitFor(() => sd.status().find((s) => s.includes('Scanner: lost')), 10_000, 'STATUS scanner lost');
    await sleep(4 * WATCHDOG_MS);
    await sd.barrier();
    expect(sd.count('WATCHDOG=1')).toBe(0);
    daemon.kill('SIGTERM');
    expect(await exited).toBe(0);
    await sd.barrier();
    expect(sd.messages()).toContain('STOPPING=1');
  }, 60_000);
});
