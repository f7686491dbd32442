/**
 * The real daemon (`qrkiosk run`) with its broker away: mqtt.js retries every 2 s, and the log must
 * not grow a stacked error line per attempt (~25 MB an hour through journald on the card, see
 * docs/benchmarks.md). The daemon's own pino JSON lines are read back; then a real Mosquitto comes up
 * on that port and the daemon says once how long it was offline.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  freePort,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import { afterAll, describe, expect, it } from 'vitest';

interface LogLine {
  level: number;
  msg: string;
  err?: { stack?: string; code?: string };
  [field: string]: unknown;
}

describe('uplink log while the broker is away (the daemon process)', () => {
  let daemon: ChildProcess | undefined;
  let broker: RunningMosquitto | undefined;
  afterAll(async () => {
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon?.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    await broker?.stop();
  });

  it('logs the connect error once in full, not once per attempt, and one line when the link is back', async () => {
    const port = await freePort();
    const dir = makeTempDir('uplink-log-');
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      [
        'kiosk: { id: k-001, site: s-001 }',
        'scanner: { path: /dev/does-not-exist }',
        'gpio: { driver: sim }',
        'ui: { port: 0 }',
        `mqtt: { url: "mqtt://127.0.0.1:${port}" }`,
        `data: { dir: "${join(dir, 'data')}" }`,
        // debug: every attempt leaves a one-line trace, so the test can count the attempts.
        'log: { level: debug }',
      ].join('\n'),
    );
    const logFile = join(dir, 'daemon.log');
    const fd = openSync(logFile, 'w');
    daemon = spawn(process.execPath, [join(REPO_ROOT, 'gateway/dist/cli/main.js'), 'run', '-c', config], {
      stdio: ['ignore', fd, fd],
    });
    closeSync(fd);
    const lines = (): LogLine[] =>
      readFileSync(logFile, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as LogLine);
    const uplinkLines = () => lines().filter((l) => l.msg.startsWith('uplink'));

    // Four attempts at least: the first and three repeats (2 s apart).
    await waitFor(
      () => (lines().filter((l) => l.msg === 'uplink failed again').length >= 3 ? true : undefined),
      30_000,
      `three failed reconnects\n${readFileSync(logFile, 'utf8').slice(-3000)}`,
    );
    const full = lines().filter((l) => l.msg === 'uplink error');
    expect(full).toHaveLength(1);
    expect(full[0]).toMatchObject({ level: 40, attempts: 1, err: { code: 'ECONNREFUSED' } });
    expect(full[0]?.err?.stack).toContain('ECONNREFUSED');
    // Nothing else about the uplink at info or above: the repeats are debug lines without a stack.
    expect(uplinkLines().filter((l) => l.level >= 30)).toHaveLength(1);
    const repeats = lines().filter((l) => l.msg === 'uplink failed again');
    for (const r of repeats) {
      expect(r).toMatchObject({ level: 20, code: 'ECONNREFUSED' });
      expect(r.err).toBeUndefined();
    }

    broker = await startMosquitto({ port });
    const back = await waitFor(
      () => lines().find((l) => l.msg.startsWith('uplink connected')),
      30_000,
      'the uplink back',
    );
    expect(back.msg).toMatch(/^uplink connected after \d+ failed attempts, offline for \d+ s$/);
    expect(back.level).toBe(30);
    expect(back.attempts as number).toBeGreaterThanOrEqual(4);
    expect(back.offlineSeconds as number).toBeGreaterThanOrEqual(6);
    expect(lines().filter((l) => l.msg === 'uplink error')).toHaveLength(1);
  }, 90_000);
});
