/** The compiled kiosk daemon on a virtual scanner, for tests of fleet updates over a real broker. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { REPO_ROOT, type RunningMosquitto, waitFor } from '@qrkiosk/testkit';

const KIOSK_CLI = join(REPO_ROOT, 'gateway/dist/cli/main.js');

export interface LogLine {
  msg: string;
  [field: string]: unknown;
}

/** The compiled kiosk daemon on a virtual scanner, with its JSON log lines at hand. */
export async function startKiosk(
  dir: string,
  broker: RunningMosquitto,
  id: string,
  hashKey: string,
  publicKeyFiles: string[],
  /**
   * Issue #18: the deployment's tracing public key, and a known port for the reception page. Issue #20: a broker
   * URL other than `broker`'s (a proxy the test can cut), a broker login, the `rules:` section.
   */
  options: {
    tracingPublicKeyFile?: string;
    uiPort?: number;
    mqttUrl?: string;
    login?: { username: string; passwordFile: string };
    rules?: string;
  } = {},
) {
  const scanner = new VirtualSerialScanner();
  await scanner.plugIn();
  const config = join(dir, `${id}.yaml`);
  writeFileSync(
    config,
    [
      `kiosk: { id: ${id}, site: s-001 }`,
      `scanner: { path: "${scanner.path}" }`,
      'gpio: { driver: sim }',
      // This machine may have no NTP: the green people here must not wait for a clock (issue #13).
      'clock: { assumeSynced: true }',
      `ui: { port: ${options.uiPort ?? 0} }`,
      `mqtt: { url: "${options.mqttUrl ?? broker.url}"${options.login ? `, username: ${options.login.username}, passwordFile: "${options.login.passwordFile}"` : ''} }`,
      `data: { dir: "${join(dir, `${id}-data`)}" }`,
      `rules: ${options.rules ?? '{ duplicateWindowSeconds: 0, level: 2 }'}`,
      `updates: { publicKeyFiles: [${publicKeyFiles.map((f) => `"${f}"`).join(', ')}] }`,
      `privacy: { hashKeyFile: "${hashKey}"${options.tracingPublicKeyFile ? `, tracingPublicKeyFile: "${options.tracingPublicKeyFile}"` : ''} }`,
      'log: { level: debug }',
    ].join('\n'),
  );
  let daemon: ChildProcess | undefined;
  // The daemon logs straight into a file: nothing depends on this process reading a pipe in time.
  const logFile = join(dir, `${id}.log`);
  writeFileSync(logFile, '');
  const text = () => readFileSync(logFile, 'utf8');
  const run = async () => {
    const before = text().length;
    const fd = openSync(logFile, 'a');
    const child = spawn(process.execPath, [KIOSK_CLI, 'run', '-c', config], { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    daemon = child;
    // Online and reading its scanner: the uplink may connect before the pty is open (a code typed
    // before that is not read — the full suite under load showed it as a scan never answered).
    await waitFor(
      () => {
        const since = text().slice(before);
        return since.includes('uplink connected') && since.includes('scanner connected') ? true : undefined;
      },
      20_000,
      `${id} online`,
    ).catch((err: Error) => {
      throw new Error(`${err.message}; its log:\n${text().slice(-6000)}`);
    });
  };
  const lines = (): LogLine[] =>
    text()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as LogLine);
  const stop = async () => {
    const child = daemon;
    daemon = undefined;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const status = () =>
    JSON.parse(
      spawnSync(process.execPath, [KIOSK_CLI, 'cache', 'status', '--json', '-c', config], {
        encoding: 'utf8',
      }).stdout,
    ) as { version: number; identities: number };
  /** Scans a code and returns the daemon's log line for that scan. */
  const scan = async (code: string): Promise<LogLine> => {
    const seen = lines().filter((l) => l.msg === 'scan').length;
    await scanner.scan(code);
    return waitFor(() => lines().filter((l) => l.msg === 'scan')[seen], 10_000, `${id} scan`);
  };
  await run();
  return {
    run,
    stop,
    status,
    scan,
    lines,
    logs: text,
    count: (msg: string) => lines().filter((l) => l.msg === msg).length,
    async close() {
      await stop();
      await scanner.unplug();
    },
  };
}
