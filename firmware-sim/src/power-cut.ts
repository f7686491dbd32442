import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from './serial-scanner.js';

export interface PowerCutOptions {
  /** The compiled CLI, `gateway/dist/cli/main.js`. */
  cli: string;
  /** Work folder: kiosk.yaml and (unless `dataDir` is given) data/ go here. */
  dir: string;
  /** The kiosk's data folder, e.g. one left by an earlier run (default: `<dir>/data`). */
  dataDir?: string;
  scans: number;
  /** SIGKILLs, each at a random scan; the run ends with a clean SIGTERM after them. */
  kills: number;
  /** Seed for where the kills land, so a failure can be replayed. */
  seed?: number;
  /** Numbers people from here (a second run on the same journal must not repeat ids). */
  firstPerson?: number;
  /** Runs after each kill, before the restart, with the data folder as the killed daemon left it. */
  afterKill?: (dataDir: string, cut: number) => void | Promise<void>;
}

export interface PowerCutResult {
  dataDir: string;
  /** Scans written to the pty. */
  sent: number;
  /** Check-in ids the daemon logged: it logs a scan after the journal commit and the light. */
  shown: string[];
  kills: number;
  /** Times the daemon was started and reached "scanner connected". */
  starts: number;
}

/** A CCCD code for person n < 1,000,000 (born 1990 in Hồ Chí Minh City, as the number says). */
export const cccdFor = (n: number) =>
  `079090${String(n % 1_000_000).padStart(6, '0')}|272345678|Nguyễn Văn An|15081990|Nam|Quận 1|20042021`;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A small seeded generator (mulberry32): the same seed kills at the same scans. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Power cuts on the real daemon (`qrkiosk run`): scans go in through a virtual scanner on a real
 * pty, and the process is SIGKILLed at random scans, then started again on the same data folder.
 * Nothing is awaited between a scan and the kill, so kills land mid-decode, mid-commit or
 * mid-light. The uplink points at a closed port: every check-in stays in the journal to be counted.
 * What the caller checks afterwards: every id in `shown` is in journal.db, and `starts` = kills + 1.
 */
export async function powerCutRun(options: PowerCutOptions): Promise<PowerCutResult> {
  const rng = random(options.seed ?? 12);
  const dataDir = options.dataDir ?? join(options.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const scanner = new VirtualSerialScanner();
  await scanner.plugIn();
  const config = join(options.dir, 'kiosk.yaml');
  writeFileSync(
    config,
    [
      'kiosk: { id: k-001, site: s-001, direction: in }',
      `scanner: { type: serial, path: "${scanner.path}", terminator: CR }`,
      'gpio: { driver: sim }',
      'ui: { port: 0 }',
      'mqtt: { url: "mqtt://127.0.0.1:1" }',
      `data: { dir: "${dataDir}" }`,
      'rules: { duplicateWindowSeconds: 0 }',
      'log: { level: info }',
    ].join('\n'),
  );
  const shown = new Set<string>();
  const result: PowerCutResult = { dataDir, sent: 0, shown: [], kills: 0, starts: 0 };
  // Where the kills land: distinct scan numbers spread at random over the whole run.
  const killPoints = new Set<number>();
  while (killPoints.size < Math.min(options.kills, options.scans - 1))
    killPoints.add(1 + Math.floor(rng() * (options.scans - 1)));
  let person = options.firstPerson ?? 0;
  let running: ReturnType<typeof startDaemon> | undefined;
  try {
    while (result.sent < options.scans || result.starts === 0) {
      const daemon = startDaemon(options.cli, config, shown);
      running = daemon;
      await daemon.ready.catch((err: Error) => {
        daemon.child.kill('SIGKILL');
        throw new Error(
          `the daemon did not start after cut ${result.kills}: ${err.message}\n${daemon.logs()}`,
        );
      });
      result.starts++;
      let killed = false;
      while (result.sent < options.scans) {
        const scansBefore = daemon.scans();
        await scanner.scan(cccdFor(person++));
        result.sent++;
        if (killPoints.has(result.sent)) {
          // 0–3 ms after the scan was written: while it is decoded, committed or lit.
          await sleep(Math.floor(rng() * 4));
          daemon.child.kill('SIGKILL');
          await daemon.exited;
          result.kills++;
          killed = true;
          await options.afterKill?.(dataDir, result.kills);
          break;
        }
        // One scan at a time, like a guard: the kill then lands inside the work on one scan.
        const deadline = Date.now() + 5000;
        while (daemon.scans() === scansBefore && Date.now() < deadline) await sleep(1);
      }
      if (!killed) {
        daemon.child.kill('SIGTERM');
        const code = await daemon.exited;
        if (code !== 0) throw new Error(`the daemon exited ${code} on SIGTERM\n${daemon.logs()}`);
      }
    }
  } finally {
    // A failed run never leaves a daemon behind.
    if (running && running.child.exitCode === null && running.child.signalCode === null) {
      running.child.kill('SIGKILL');
      await running.exited;
    }
    await scanner.unplug();
  }
  result.shown = [...shown];
  return result;
}

function startDaemon(cli: string, config: string, shown: Set<string>) {
  const child: ChildProcess = spawn(process.execPath, [cli, 'run', '--config', config], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  let carry = '';
  let scans = 0;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve, reject) => {
    resolveReady = resolve;
    setTimeout(() => reject(new Error('no "scanner connected" within 30 s')), 30_000).unref();
    child.once('exit', (code) => reject(new Error(`exited ${code} before "scanner connected"`)));
  });
  child.stdout?.on('data', (d: Buffer) => {
    const lines = (carry + d.toString()).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      tail = `${tail}${line}\n`.slice(-4000);
      let entry: { msg?: string; checkin?: string };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue;
      }
      if (entry.msg === 'scanner connected') resolveReady();
      if (entry.msg === 'scan') scans++;
      if (entry.msg === 'scan' && entry.checkin) shown.add(entry.checkin);
    }
  });
  child.stderr?.on('data', (d: Buffer) => {
    tail = (tail + d.toString()).slice(-4000);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, ready, exited, logs: () => tail, scans: () => scans };
}
