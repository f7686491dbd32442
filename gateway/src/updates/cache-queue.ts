import { type KeyRing, peekUpdateHeader } from '@qrkiosk/protocol';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { applyCacheUpdate, type FactsCache } from '../lookup/index.js';
import { cacheUpdated } from '../lookup/open-guarded.js';

/**
 * The facts cache's update queue: at most the newest pending snapshot and the newest pending delta,
 * applied one at a time in a worker (lookup/apply-update.ts) while scans go on reading the cache.
 */
export class CacheUpdateQueue {
  /** Cache updates waiting for the one being applied: the newest snapshot and the newest delta. */
  private pending: { snapshot?: Buffer; delta?: Buffer } = {};
  private applying = false;

  constructor(
    private readonly d: {
      dataDir: string;
      keys: KeyRing;
      cache: FactsCache;
      faults: Faults;
      log: Logger;
      /** An update was applied (freshness/ confirms the facts). */
      applied?: () => void;
    },
  ) {}

  /**
   * Retained updates come back on every reconnect: look at the header first and skip what is
   * already applied; keep only the newest pending update of each kind, never a pile of copies.
   */
  async receive(payload: Buffer): Promise<void> {
    const { cache, log } = this.d;
    const header = peekUpdateHeader(payload);
    const version = cache.version();
    if (!header) log.error({ reason: 'not a qrkiosk cache update' }, 'cache update refused');
    else if (header.seq <= version)
      log.debug({ seq: header.seq, version }, 'cache update already applied; skipped');
    else {
      const slot = header.kind === 'snapshot' ? 'snapshot' : 'delta';
      const waiting = this.pending[slot] ? peekUpdateHeader(this.pending[slot]) : null;
      if (!waiting || waiting.seq <= header.seq) this.pending[slot] = payload;
      if (!this.applying) await this.applyPending();
    }
  }

  /**
   * Applies pending cache updates one at a time, in the worker. A delta that continues our version is
   * taken first (cheap); otherwise a newer snapshot (the catch-up path of a kiosk that missed a delta);
   * then look again, since a delta may continue the snapshot just applied. What fits neither is dropped.
   */
  private async applyPending(): Promise<void> {
    const { cache, faults, log, dataDir, keys } = this.d;
    this.applying = true;
    try {
      for (;;) {
        const version = cache.version();
        const delta = this.pending.delta ? peekUpdateHeader(this.pending.delta) : null;
        const snapshot = this.pending.snapshot ? peekUpdateHeader(this.pending.snapshot) : null;
        let update: Buffer | undefined;
        if (delta && delta.baseSeq === version && delta.seq > version) {
          update = this.pending.delta;
          this.pending.delta = undefined;
        } else if (snapshot && snapshot.seq > version) {
          update = this.pending.snapshot;
          this.pending.snapshot = undefined;
        }
        if (!update) {
          if (delta && delta.seq > version)
            log.warn(
              { version, baseSeq: delta.baseSeq, seq: delta.seq },
              'cache delta skipped: it is not based on our version (a delta was missed); catching up needs the snapshot (fleet/cache or "qrkiosk cache apply")',
            );
          break;
        }
        // The worker failing (not a refusal: a crash, a missing file) keeps its error as the cause.
        const result = await applyCacheUpdate(dataDir, update, keys, keys.pems()).catch((err: Error) => ({
          ok: false as const,
          code: 'error',
          message: err.message,
          cause: err,
        }));
        if (result.ok) {
          cacheUpdated(cache, faults);
          this.d.applied?.();
          log.info(
            { kind: result.header.kind, version: result.header.seq, records: result.header.records },
            'cache update applied',
          );
        } else if (result.code === 'stale')
          log.debug({ reason: result.message }, 'cache update already applied');
        else
          log.error(
            {
              code: result.code,
              reason: result.message,
              ...('cause' in result ? { err: result.cause } : {}),
            },
            'cache update refused',
          );
      }
    } finally {
      this.pending = {};
      this.applying = false;
    }
  }
}
