import { spawnSync } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readOnce, unpackBundle, verifyBundle } from './bundle.js';
import { SoftwareError } from './errors.js';
import { currentBin, currentVersion, pruneVersions, switchCurrent } from './layout.js';
import { type UpdateState, writeUpdateState } from './state.js';

export interface ApplyOptions {
  root: string;
  bundle: string;
  signature: string;
  keys: readonly KeyObject[];
  /** The sha256 the hub announced (fleet/software); checked on top of the signature. */
  sha256?: string;
  /** Restarts the service; exit 0 only once it said READY (systemctl restart of a Type=notify unit). */
  restartCommand: string;
  /** Shell commands that must all exit 0 after READY (doctor, a test scan). */
  checkCommands: readonly string[];
  /** Limit for the restart and for each check. */
  readySeconds: number;
  /** kiosk.yaml, handed to the checks as $QRKIOSK_CONFIG. */
  config?: string;
  /** Progress lines (the CLI prints them; systemd's journal keeps them). */
  say?: (line: string) => void;
  arch?: string;
  /**
   * The version the hub announced (from the daemon's request): named in a refusal, so the rollout sees it, and
   * the bundle's manifest must say the same.
   */
  announcedVersion?: string;
  /** The rollout the request belongs to: written into every state, so the hub matches a result to its rollout. */
  rollout?: string;
  /** Root's explicit `--allow-downgrade` (never from the daemon's request). */
  allowDowngrade?: boolean;
}

/**
 * Installs a bundle the way RAUC or Mender install a slot: verify, unpack beside the running version, switch,
 * restart, check, and keep the new version only when it proved healthy — otherwise switch back and restart the
 * previous one. It runs in its own process (hardware/qrkiosk-update.service), so the daemon's restart does not
 * end it; every step is written to update-state.json first, which the daemon reports to the hub.
 */
export function applyBundle(o: ApplyOptions): UpdateState {
  const say = o.say ?? (() => undefined);
  mkdirSync(o.root, { recursive: true });
  const unlock = lock(o.root);
  try {
    const previous = currentVersion(o.root);
    const base = { ...(previous ? { previous } : {}), ...(o.rollout ? { rollout: o.rollout } : {}) };
    let version: string;
    try {
      writeUpdateState(o.root, { state: 'installing', ...base });
      // Read once: the bundle's path is the daemon's (writable by it); only these bytes are checked and unpacked.
      const bytes = readOnce(o.bundle);
      const digest = verifyBundle(bytes, readOnce(o.signature, 64 << 10), o.keys, o.sha256);
      say(`verified: signature and sha256 ${digest}`);
      ({ version } = unpackBundle(o.root, bytes, {
        current: previous,
        ...(o.arch ? { arch: o.arch } : {}),
        ...(o.announcedVersion ? { expectVersion: o.announcedVersion } : {}),
        ...(o.allowDowngrade ? { allowDowngrade: true } : {}),
      }));
      say(`unpacked into qrkiosk-${version}`);
    } catch (err) {
      const named = o.announcedVersion ? { version: o.announcedVersion } : {};
      return writeUpdateState(o.root, { state: 'refused', ...named, ...base, detail: detailOf(err) });
    }
    writeUpdateState(o.root, { state: 'checking', version, ...base });
    switchCurrent(o.root, version);
    say(`qrkiosk → qrkiosk-${version}; restarting`);
    const problem = restartAndCheck(o, version);
    if (!problem) {
      say(`${version} healthy`);
      const removed = pruneVersions(o.root, previous ? [version, previous] : [version]);
      if (removed.length) say(`removed older versions: ${removed.join(', ')}`);
      return writeUpdateState(o.root, { state: 'healthy', version, ...base });
    }
    say(`${version} not healthy (${problem}); switching back`);
    if (!previous) return writeUpdateState(o.root, { state: 'failed', version, ...base, detail: problem });
    switchCurrent(o.root, previous);
    const restart = run(o.restartCommand, o, previous);
    if (restart) {
      return writeUpdateState(o.root, {
        state: 'failed',
        version,
        ...base,
        detail: `${problem}; restart of ${previous} also failed: ${restart}`,
      });
    }
    say(`rolled back to ${previous}`);
    return writeUpdateState(o.root, { state: 'rolled-back', version, ...base, detail: problem });
  } finally {
    unlock();
  }
}

/** null when the service came up READY on `version` and every check passed; else what failed. */
function restartAndCheck(o: ApplyOptions, version: string): string | null {
  const restart = run(o.restartCommand, o, version);
  if (restart) return `restart: ${restart}`;
  for (const check of o.checkCommands) {
    const failed = run(check, o, version);
    if (failed) return `check ${check}: ${failed}`;
  }
  return null;
}

/** Runs one shell command with the installer's variables; null on exit 0, else why (its last output lines). */
function run(command: string, o: ApplyOptions, version: string): string | null {
  const r = spawnSync('sh', ['-c', command], {
    encoding: 'utf8',
    timeout: o.readySeconds * 1000,
    env: {
      ...process.env,
      QRKIOSK_ROOT: o.root,
      QRKIOSK_BIN: currentBin(o.root),
      QRKIOSK_VERSION: version,
      ...(o.config ? { QRKIOSK_CONFIG: o.config } : {}),
    },
  });
  if (r.status === 0) return null;
  const tail = `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ').slice(0, 300);
  const how = r.error
    ? (r.error as NodeJS.ErrnoException).code === 'ETIMEDOUT'
      ? `no answer within ${o.readySeconds} s`
      : r.error.message
    : `exit ${r.status ?? r.signal}`;
  return tail ? `${how}: ${tail}` : how;
}

const detailOf = (err: unknown) =>
  err instanceof SoftwareError ? `${err.code}: ${err.message}` : `error: ${(err as Error).message}`;

/** One installer at a time: a lock file holding the pid; one left by a dead installer is taken over. */
function lock(root: string): () => void {
  const file = join(root, '.qrkiosk-update.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(readFileSync(file, 'utf8'));
      if (pid > 0 && alive(pid)) break;
      rmSync(file, { force: true });
    }
  }
  throw new SoftwareError('busy', `another installer runs (${file})`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
