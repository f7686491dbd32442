import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type KeyRing,
  type SoftwareAnnouncement,
  softwareTargets,
  verifySoftwareAnnouncement,
} from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import { SOFTWARE_VERSION } from '../version.js';
import { verifyBundle } from './bundle.js';
import { SoftwareError } from './errors.js';

/** What the daemon leaves for the installer: `<data.dir>/software/request.json` next to the two files. */
export interface ApplyRequest {
  rollout: string;
  version: string;
  sha256: string;
  bundle: string;
  signature: string;
}

export const spoolDir = (dataDir: string) => join(dataDir, 'software');
export const requestFile = (dataDir: string) => join(spoolDir(dataDir), 'request.json');

export interface SoftwareFleetDeps {
  kiosk: { id: string; site: string };
  dataDir: string;
  hubKeys: KeyRing;
  releaseKeys: readonly KeyObject[];
  /** argv started detached once a bundle is spooled; empty: the path unit (qrkiosk-update.path) notices it. */
  applyCommand: readonly string[];
  log: Logger;
  /** Download limit, ms (default 120 s: a ~20 MB bundle over a slow kiosk link). */
  downloadTimeoutMs?: number;
  /**
   * After a failed download or verification, try the same announcement again this much later (default 5 min): the
   * retained announcement comes again only on a reconnect, and the hub's address may have been down for a while.
   */
  retryMs?: number;
}

/**
 * The daemon's half of a software update: it takes `fleet/software`, and when the announcement is the hub's, names
 * this kiosk and a version other than the running one, downloads the bundle and its signature, checks both (the
 * installer checks again: it trusts no file the daemon wrote), and leaves an apply request. It never installs:
 * installing needs root and must outlive the daemon's restart (gateway/src/software/apply.ts).
 */
export class SoftwareFleet {
  private busy = false;
  private failure: { version: string; detail: string; at: string } | null = null;
  private retry: NodeJS.Timeout | undefined;
  constructor(private readonly d: SoftwareFleetDeps) {}

  async receive(payload: Buffer): Promise<void> {
    const { log } = this.d;
    clearTimeout(this.retry);
    if (payload.length === 0) return; // the hub cleared the retained announcement (a paused rollout)
    let a: SoftwareAnnouncement;
    try {
      a = verifySoftwareAnnouncement(payload, this.d.hubKeys);
    } catch (err) {
      log.error({ err }, 'software announcement refused');
      return;
    }
    if (!softwareTargets(a, this.d.kiosk)) return;
    if (a.version === SOFTWARE_VERSION) return;
    const bundle = a.bundles[process.arch];
    if (!bundle) {
      log.warn({ version: a.version, arch: process.arch }, 'software release has no bundle for this CPU');
      return;
    }
    if (this.alreadyRequested(bundle.sha256)) {
      log.debug({ version: a.version }, 'software update already requested');
      return;
    }
    if (this.busy) return;
    this.busy = true;
    try {
      await this.fetchAndRequest(a, bundle);
      this.failure = null;
    } catch (err) {
      this.failure = {
        version: a.version,
        detail: err instanceof SoftwareError ? `${err.code}: ${err.message}` : String((err as Error).message),
        at: new Date().toISOString(),
      };
      // The same payload again later (a newer announcement cancels this in receive()).
      this.retry = setTimeout(() => void this.receive(payload), this.d.retryMs ?? 300_000);
      this.retry.unref();
      log.error(
        { err, code: err instanceof SoftwareError ? err.code : 'error', version: a.version },
        'software update not downloaded',
      );
    } finally {
      this.busy = false;
    }
  }

  stop(): void {
    clearTimeout(this.retry);
  }

  /** Why the last announced release could not be downloaded or verified (telemetry), or null. */
  lastFailure(): { version: string; detail: string; at: string } | null {
    return this.failure;
  }

  /** The same bundle is asked for once: after a roll-back the hub's retained announcement must not loop. */
  private alreadyRequested(sha256: string): boolean {
    try {
      return (
        (JSON.parse(readFileSync(requestFile(this.d.dataDir), 'utf8')) as ApplyRequest).sha256 === sha256
      );
    } catch {
      return false;
    }
  }

  private async fetchAndRequest(a: SoftwareAnnouncement, b: { url: string; sha256: string }): Promise<void> {
    const { log } = this.d;
    const dir = spoolDir(this.d.dataDir);
    mkdirSync(dir, { recursive: true });
    const timeout = this.d.downloadTimeoutMs ?? 120_000;
    const [bytes, signature] = await Promise.all([
      download(b.url, timeout),
      download(`${b.url}.sig`, timeout),
    ]);
    verifyBundle(bytes, signature, this.d.releaseKeys, b.sha256);
    const bundle = join(dir, 'bundle.tar.gz');
    const sig = join(dir, 'bundle.tar.gz.sig');
    writeFileSync(bundle, bytes);
    writeFileSync(sig, signature);
    const request: ApplyRequest = {
      rollout: a.rollout,
      version: a.version,
      sha256: b.sha256,
      bundle,
      signature: sig,
    };
    writeFileSync(`${requestFile(this.d.dataDir)}.tmp`, `${JSON.stringify(request)}\n`);
    renameSync(`${requestFile(this.d.dataDir)}.tmp`, requestFile(this.d.dataDir));
    log.info(
      { version: a.version, rollout: a.rollout, sha256: b.sha256 },
      'software update downloaded and verified',
    );
    const [cmd, ...args] = this.d.applyCommand;
    if (!cmd) return;
    // Its own session: the installer restarts this daemon and must not die with it.
    const out = openSync(join(dir, 'apply.log'), 'a');
    const child = spawn(cmd, [...args, '--request', requestFile(this.d.dataDir)], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.on('error', (err) => log.error({ err }, 'software installer did not start'));
    child.unref();
  }
}

async function download(url: string, timeoutMs: number): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    throw new SoftwareError('download', `${url}: ${(err as Error).message}`);
  }
  if (!res.ok) throw new SoftwareError('download', `${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}
