import type { DataKind, KeyRing } from '@qrkiosk/protocol';
import type { Clock } from '../clock.js';
import { isCorruption } from '../db-files.js';
import { loadTrustStore } from '../dcc-trust.js';
import type { Policy } from '../decide/index.js';
import type { OccupancyNow } from '../decide/occupancy-gate.js';
import { type DecodeContext, TrustStore } from '../decode/index.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import type { FactsCache } from '../lookup/index.js';
import { reopenCache } from '../lookup/open-guarded.js';
import type { PassListSource } from '../passes/index.js';
import type { Journal, MonoStamp } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';
import type { RevocationSource } from '../revocation/index.js';
import type { Settings } from '../settings/index.js';
import type { AdmissionContext, RecentCheckin } from './index.js';

export interface KioskAdmissionDeps {
  settings: Pick<Settings, 'kiosk' | 'rules' | 'dcc' | 'data'>;
  cache: FactsCache;
  faults: Faults;
  clock: Clock;
  log: Logger;
  journal: Journal;
  keeper: RecordKeeper;
  revocation: RevocationSource;
  /** The hub's pass list in force (printed passes, issue #20); none: passes are judged without holders or areas. */
  passes?: PassListSource;
  /** The hub keys passes are signed with (updates.publicKeyFiles, as rules). */
  hubKeys?: KeyRing;
  policy: () => Policy;
  occupancy: () => OccupancyNow;
  hashKey: () => Buffer;
  /** The kinds of data past their limit (DataFreshness.stale). */
  stale?: () => ReadonlySet<DataKind>;
  /** A verify-only site's duplicate window, in memory (verify-only/): the journal holds no hashes there. */
  recentTally?: (idHash: string, stamp: MonoStamp) => RecentCheckin | undefined;
}

/**
 * What admission reads on a running kiosk: the journal's duplicate window, the facts cache (reopened
 * when it was unavailable, its failures raised as faults), the occupancy count, the DSC trust store
 * and the revocation list in force. `qrkiosk check` builds its own, smaller context (cli/check.ts).
 */
export class KioskAdmission {
  private trust = new TrustStore();

  constructor(private readonly d: KioskAdmissionDeps) {}

  /** Loads the DSC signers again (start, and after the hub installed a trust list); how many are in force. */
  loadTrust(): number {
    this.trust = loadTrustStore(this.d.settings, this.d.log);
    return this.trust.size;
  }

  get signers(): number {
    return this.trust.size;
  }

  /** The clock, the DSC trust store, the revocation list and the pass list in force, for the decode stage. */
  decodeContext(at: Date): DecodeContext {
    const revocation = this.d.revocation.current;
    const list = this.d.passes?.current;
    const pass = this.d.hubKeys
      ? { pass: { keys: this.d.hubKeys, site: this.d.settings.kiosk.site, ...(list ? { list } : {}) } }
      : {};
    return { at, trust: this.trust, ...(revocation ? { revocation } : {}), ...pass };
  }

  context(at: Date, synced: boolean, stamp: MonoStamp): AdmissionContext {
    const { cache, faults, log, journal, keeper, settings } = this.d;
    const window = settings.rules.duplicateWindowSeconds * 1000;
    return {
      at,
      synced,
      decode: this.decodeContext(at),
      hashKey: this.d.hashKey(),
      policy: () => this.scanPolicy(),
      lookup: (keys) => (cache.isOpen ? cache.lookup(keys) : null),
      lookupFailed: (err) => {
        if (isCorruption(err)) faults.raise('cache-corrupt', err);
        else log.error({ err }, 'facts cache lookup failed; deciding as for an unknown person');
      },
      ...(window > 0
        ? {
            previous: (idHash: string) =>
              this.d.recentTally && this.d.policy().verifyOnly
                ? this.d.recentTally(idHash, stamp)
                : keeper.read(() => journal.lastRecent(idHash, at, window, stamp), undefined),
          }
        : {}),
      occupancy: { direction: settings.kiosk.direction, now: this.d.occupancy },
      ...(this.d.stale ? { stale: this.d.stale } : {}),
    };
  }

  /**
   * Without a cache we can trust every person looks unknown: at most REVIEW for them — never ALLOW,
   * and a site (or a hub request) that refuses unknown people keeps refusing them.
   */
  private scanPolicy(): Policy {
    const { cache, faults, clock } = this.d;
    reopenCache(cache, faults, clock);
    const policy = this.d.policy();
    const cacheSound = cache.isOpen && !faults.has('cache-corrupt');
    if (cacheSound || policy.unknownPerson === 'REFUSE') return policy;
    return { ...policy, unknownPerson: 'REVIEW' };
  }
}
