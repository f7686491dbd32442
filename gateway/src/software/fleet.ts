import { spawn } from 'node:child_process';
import type { KeyObject } from 'node:crypto';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type KeyRing,
  type SoftwareAnnouncement,
  softwareTargets,
  verifySoftwareAnnouncement,
} from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import { SOFTWARE_VERSION } from '../version.js';
import { downloadSmall, downloadVerified } from './download.js';
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

/** Why the announced release is not installing (telemetry `update`, state `download-failed` or `no-bundle`). */
export interface FleetFailure {
  state: 'download-failed' | 'no-bundle';
  rollout: string;
  version: string;
  detail: string;
  at: string;
}

/**
 * The daemon's half of a software update: it takes `fleet/software`, and when the announcement is the hub's, names
 * this kiosk and a version other than the running one, downloads the bundle and its signature, checks both (the
 * installer checks again: it trusts no file the daemon wrote), and leaves an apply request. It never installs:
 * installing needs root and must outlive the daemon's restart (gateway/src/software/apply.ts).
 *
 * Every message on the topic starts a new generation (issue #17 review #5): a download or a retry of an older one
 * leaves no request once a newer announcement or a withdrawal (empty retained message) came, and a message that
 * arrives while a download runs is kept — the latest one — and handled when it ends, not dropped.
 */
export class SoftwareFleet {
  private busy = false;
  private generation = 0;
  private pending: Buffer | null = null;
  private failure: FleetFailure | null = null;
  private retry: NodeJS.Timeout | undefined;
  constructor(private readonly d: SoftwareFleetDeps) {}

  async receive(payload: Buffer): Promise<void> {
    const generation = ++this.generation;
    clearTimeout(this.retry);
    if (this.busy) {
      this.pending = payload;
      return;
    }
    this.busy = true;
    try {
      await this.handle(payload, generation);
    } finally {
      this.busy = false;
    }
    const next = this.pending;
    this.pending = null;
    if (next) await this.receive(next);
  }

  private async handle(payload: Buffer, generation: number): Promise<void> {
    const { log } = this.d;
    if (payload.length === 0) {
      // The hub cleared the retained announcement (a paused or halted rollout): nothing to retry or report.
      this.failure = null;
      return;
    }
    let a: SoftwareAnnouncement;
    try {
      a = verifySoftwareAnnouncement(payload, this.d.hubKeys);
    } catch (err) {
      log.error({ err }, 'software announcement refused');
      return;
    }
    if (!softwareTargets(a, this.d.kiosk)) return;
    // Already running it: an older failure (another rollout's) is no longer news for telemetry.
    if (a.version === SOFTWARE_VERSION) {
      this.failure = null;
      return;
    }
    const bundle = a.bundles[process.arch];
    if (!bundle) {
      // Said in telemetry (issue #17 review #16): the rollout shows this kiosk cannot take the release, instead of
      // waiting for it silently.
      this.failure = {
        state: 'no-bundle',
        rollout: a.rollout,
        version: a.version,
        detail: `no-bundle: the release has no bundle for linux-${process.arch}`,
        at: new Date().toISOString(),
      };
      log.warn({ version: a.version, arch: process.arch }, 'software release has no bundle for this CPU');
      return;
    }
    if (this.alreadyRequested(a.rollout, bundle.sha256)) {
      log.debug({ version: a.version, rollout: a.rollout }, 'software update already requested');
      return;
    }
    try {
      const written = await this.fetchAndRequest(a, bundle, () => generation !== this.generation);
      if (written) this.failure = null;
    } catch (err) {
      if (generation !== this.generation) return; // superseded while downloading: the newer message decides
      this.failure = {
        state: 'download-failed',
        rollout: a.rollout,
        version: a.version,
        detail: err instanceof SoftwareError ? `${err.code}: ${err.message}` : String((err as Error).message),
        at: new Date().toISOString(),
      };
      // The same payload again later, unless anything newer (an announcement or a withdrawal) came meanwhile.
      this.retry = setTimeout(() => {
        if (generation === this.generation) void this.receive(payload);
      }, this.d.retryMs ?? 300_000);
      this.retry.unref();
      log.error(
        { err, code: err instanceof SoftwareError ? err.code : 'error', version: a.version },
        'software update not downloaded',
      );
    }
  }

  stop(): void {
    this.generation++;
    this.pending = null;
    clearTimeout(this.retry);
  }

  /** Why the announced release is not installing (telemetry), or null. */
  lastFailure(): FleetFailure | null {
    return this.failure;
  }

  /**
   * A bundle is asked for once per rollout: after a roll-back the hub's retained announcement must not loop, but
   * a new rollout of the same bundle (issue #17 review #6: re-started after a fix elsewhere) is a new request.
   */
  private alreadyRequested(rollout: string, sha256: string): boolean {
    try {
      const r = JSON.parse(readFileSync(requestFile(this.d.dataDir), 'utf8')) as ApplyRequest;
      return r.sha256 === sha256 && r.rollout === rollout;
    } catch {
      return false;
    }
  }

  /** false when superseded before the request was written. */
  private async fetchAndRequest(
    a: SoftwareAnnouncement,
    b: { url: string; sha256: string },
    stale: () => boolean,
  ): Promise<boolean> {
    const { log } = this.d;
    const dir = spoolDir(this.d.dataDir);
    await mkdir(dir, { recursive: true });
    const timeoutMs = this.d.downloadTimeoutMs ?? 120_000;
    const signature = await downloadSmall(`${b.url}.sig`, timeoutMs);
    const bundle = join(dir, 'bundle.tar.gz');
    const sig = join(dir, 'bundle.tar.gz.sig');
    await downloadVerified({
      url: b.url,
      signature,
      keys: this.d.releaseKeys,
      sha256: b.sha256,
      dest: bundle,
      timeoutMs,
      stale,
    });
    if (stale()) return false;
    await writeFile(sig, signature);
    const request: ApplyRequest = {
      rollout: a.rollout,
      version: a.version,
      sha256: b.sha256,
      bundle,
      signature: sig,
    };
    await writeFile(`${requestFile(this.d.dataDir)}.tmp`, `${JSON.stringify(request)}\n`);
    await rename(`${requestFile(this.d.dataDir)}.tmp`, requestFile(this.d.dataDir));
    log.info(
      { version: a.version, rollout: a.rollout, sha256: b.sha256 },
      'software update downloaded and verified',
    );
    const [cmd, ...args] = this.d.applyCommand;
    if (!cmd) return true;
    // Its own session: the installer restarts this daemon and must not die with it.
    const out = openSync(join(dir, 'apply.log'), 'a');
    const child = spawn(cmd, [...args, '--request', requestFile(this.d.dataDir)], {
      detached: true,
      stdio: ['ignore', out, out],
    });
    closeSync(out);
    child.on('error', (err) => log.error({ err }, 'software installer did not start'));
    child.unref();
    return true;
  }
}
