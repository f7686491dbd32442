import { type DataKind, type FleetKind, type KeyRing, TrustListError } from '@qrkiosk/protocol';
import { installTrustList } from '../dcc-trust.js';
import { installRulesUpdate } from '../decide/index.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import type { FactsCache } from '../lookup/index.js';
import type { RevocationSource } from '../revocation/index.js';
import type { SoftwareFleet } from '../software/index.js';
import { CacheUpdateQueue } from './cache-queue.js';

export interface FleetUpdatesDeps {
  dataDir: string;
  /** Where signed rules are installed (policy.ts rulesFileOf). */
  rulesFile: string;
  /** The hub keys every update must be signed with (updates.publicKeyFiles). */
  keys: KeyRing;
  cache: FactsCache;
  faults: Faults;
  revocation: RevocationSource;
  /** The printed passes' signed list (`fleet/passes`, passes/); none: ignored. */
  passes?: { receive(payload: Buffer): boolean };
  log: Logger;
  /** A new DCC trust list is on disk: load the signers again. Returns how many are in force. */
  trustInstalled: () => number;
  /** How many DCC signers are in force now (said when a list is refused). */
  signers: () => number;
  /** A new signed rules file is on disk: read it now. */
  rulesInstalled: () => void;
  /** Software release announcements (`fleet/software`, gateway/src/software/); none: ignored. */
  software?: SoftwareFleet;
  /**
   * Data ages (gateway/src/freshness/): told after each successful install of a kind it tracks (the only
   * confirmations besides the statements: a refused or repeated update confirms nothing) and given the
   * `fleet/fresh` statements; none: ignored.
   */
  freshness?: { confirm(kind: DataKind): void; statement(payload: Buffer): void };
}

/**
 * Signed updates from the hub, one entry point per kind (`fleet/<kind>` and the kiosk's own
 * `updates/<kind>`). Cache updates (`cache`: the snapshot, `cache-delta`: the latest delta) are
 * applied in a worker thread, one at a time; rules, DCC trust lists, revocation and pass lists are verified
 * in memory before they replace what is on disk. Anything unsigned, altered, stale or out of order is
 * refused and logged with the reason; what is in force stays.
 */
export class FleetUpdates {
  private readonly cacheQueue: CacheUpdateQueue;

  constructor(private readonly d: FleetUpdatesDeps) {
    this.cacheQueue = new CacheUpdateQueue({ ...d, applied: () => d.freshness?.confirm('facts') });
  }

  async receive(kind: FleetKind, payload: Buffer): Promise<void> {
    switch (kind) {
      case 'cache':
      case 'cache-delta':
        return this.cacheQueue.receive(payload);
      case 'revocation':
        if (this.d.revocation.receive(payload)) this.d.freshness?.confirm('revocation');
        return;
      case 'trust':
        if (this.trust(payload)) this.d.freshness?.confirm('trust');
        return;
      case 'rules':
        if (this.rules(payload)) this.d.freshness?.confirm('rules');
        return;
      case 'fresh':
        return this.d.freshness?.statement(payload);
      case 'software':
        return this.d.software?.receive(payload);
      case 'passes':
        // Installed is confirmed now: a stale pass list holds admissions on a pass (decide/stale-gate.ts).
        if (this.d.passes?.receive(payload)) this.d.freshness?.confirm('passes');
        return;
      default:
        this.d.log.warn({ kind }, 'unknown update kind ignored');
    }
  }

  /** Whether a new list was installed. */
  private trust(payload: Buffer): boolean {
    const { log } = this.d;
    try {
      const result = installTrustList(this.d.dataDir, payload, this.d.keys);
      if (!result.installed) {
        log.debug({ version: result.version }, 'DCC trust list already installed');
        return false;
      }
      // Reloaded whole (hub list, technician files, dcc.trustFiles): the next scan uses the new store.
      this.d.trustInstalled();
      log.info(
        { version: result.version, certificates: result.certificates, signer: result.keyId },
        'DCC trust list installed',
      );
      return true;
    } catch (err) {
      log.error(
        { err, code: err instanceof TrustListError ? err.code : 'error', signers: this.d.signers() },
        'DCC trust list refused; the signers in force stay',
      );
      return false;
    }
  }

  /** Whether new rules were installed. */
  private rules(payload: Buffer): boolean {
    try {
      const result = installRulesUpdate(payload, this.d.keys, {
        rulesFile: this.d.rulesFile,
        dataDir: this.d.dataDir,
      });
      if (!result.installed) {
        this.d.log.debug({ version: result.version }, 'rules update already installed');
        return false;
      }
      this.d.rulesInstalled();
      this.d.log.info({ version: result.rules.version }, 'rules update installed');
      return true;
    } catch (err) {
      this.d.log.error({ err }, 'rules update refused');
      return false;
    }
  }
}
