import { type DataKind, FreshnessError, type KeyRing, verifyFreshness } from '@qrkiosk/protocol';
import { type Clock, monotonicNow } from '../clock.js';
import type { RuleSet } from '../decide/index.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { ageMs, type LedgerState, type MonoNow, monoAgeMs, readLedger, writeLedger } from './ledger.js';
import { ageReport, type FreshnessReport } from './report.js';
import { confirmedBy, type InstalledData, limitsOf } from './sources.js';

export { ageMs, DATA_AGE_FILE, readLedger } from './ledger.js';
export { ageReport, type FreshnessReport } from './report.js';
export { factsInstalled, installedData, type KioskData, limitsOf } from './sources.js';

export interface FreshnessDeps {
  dataDir: string;
  clock: Clock;
  /** Whether the wall clock is trusted now (ClockWatch.synced). */
  synced: () => boolean;
  faults: Faults;
  log: Logger;
  /** The hub keys a fleet/fresh statement must be signed with (updates.publicKeyFiles). */
  keys: KeyRing;
  /** What is installed of each kind now (sources.ts installedData). */
  installed: () => InstalledData;
  /** The signed rules in force: their `limits.maxAgeHours`. */
  rules: () => RuleSet;
}

export interface FreshnessTiming {
  /** How often ages are looked at when nothing arrives: the fault must show on the screen. */
  tickMs?: number;
  /** How often the ledger is saved, so a power cut loses at most this much age. */
  checkpointMs?: number;
}

const NONE: ReadonlySet<DataKind> = new Set();
/** How far ahead of the kiosk's trusted clock a statement may be issued (clocks a little apart). */
const FUTURE_SLACK_MS = 3_600_000;

/**
 * Offline, within limits (issue #19): how long ago the kiosk last confirmed each kind of data it decides
 * on — the facts cache, the signed rules, the DCC trust list and revocation list — against the limit the
 * signed rules set. Confirmations come only from the paths that install signed data — confirm(kind),
 * called by FleetUpdates after an install and by the cache update worker —, from a technician's CSV import
 * that imported a row (seen in the cache, facts only), and from the hub's verified fleet/fresh statement
 * naming the installed version. Never from noticing that something changed: a rules file put back by hand
 * or a ledger lost is data of unknown age, so stale (report.ts) until the next confirmation. Past the limit
 * the kind is stale: admission turns the ALLOWs that rest on it into REVIEW (decide/stale-gate.ts) and the
 * `data-stale` fault is raised; the next confirmation clears it. Ages live in `<data.dir>/data-age.json`
 * (ledger.ts). The stale set is worked out on the tick and on each confirmation, never inside a scan: the
 * fault and the verdicts agree, and the scan path reads one set.
 */
export class DataFreshness {
  private state: LedgerState = { kinds: {}, statementAt: null };
  private staleSet: ReadonlySet<DataKind> = NONE;
  private last: FreshnessReport = {};
  private timers: NodeJS.Timeout[] = [];
  private started = false;
  /** The facts marker as last seen: a local import after it (another process) is confirmed once. */
  private seenFacts: string | null | undefined;

  constructor(
    private readonly d: FreshnessDeps,
    private readonly timing: FreshnessTiming = {},
  ) {}

  /** Reads the ledger, looks at what is installed, starts the tick; returns the stop (saves the ledger). */
  start(): () => void {
    this.state = readLedger(this.d.dataDir, this.mono(), (err) =>
      this.d.log.warn(
        { err },
        'data age ledger unreadable; installed data is of unknown age (stale) until confirmed again',
      ),
    );
    this.started = true;
    // From the ledger's last confirmation, so an import made while the daemon was stopped is seen; without one
    // (ledger lost) from what is there now: that data's age is unknown, an import then is no proof of it.
    this.seenFacts = this.state.kinds.facts?.marker ?? this.installed()?.facts?.marker;
    this.refresh();
    const tick = setInterval(() => {
      try {
        this.refresh();
      } catch (err) {
        // A timer's throw would end the daemon; the stale set in force stays until the next look.
        this.d.log.error({ err }, 'data ages could not be looked at');
      }
    }, this.timing.tickMs ?? 60_000);
    const checkpoint = setInterval(() => this.save(), this.timing.checkpointMs ?? 5 * 60_000);
    tick.unref();
    checkpoint.unref();
    this.timers = [tick, checkpoint];
    return () => this.stop();
  }

  stop(): void {
    for (const t of this.timers.splice(0)) clearInterval(t);
    if (this.started) this.save();
    this.started = false;
  }

  /** The kinds past their limit, as of the last look (the scan path reads this). */
  stale(): ReadonlySet<DataKind> {
    return this.staleSet;
  }

  /** Telemetry's `freshness` block, as of the last look. */
  report(): FreshnessReport {
    return this.last;
  }

  /**
   * A signed install of `kind` succeeded (FleetUpdates, the cache update worker): what is installed now is
   * what the office sent, as of now.
   */
  confirm(kind: DataKind): void {
    if (!this.started) return;
    const installed = this.installed();
    const marker = installed?.[kind]?.marker;
    if (!installed || !marker) return;
    const mono = this.mono();
    const now = this.d.clock.now();
    const synced = this.d.synced();
    this.state.kinds[kind] = this.confirmation(marker, now, synced, mono);
    if (kind === 'facts') this.seenFacts = marker;
    // A local import since the last look is confirmed before the ages are judged (else it reads as unknown).
    this.localImport(installed, mono, now, synced);
    this.save();
    this.evaluate(installed, mono, now, synced);
  }

  /**
   * Looks again: ages against limits, the fault follows; a technician's CSV import seen in the cache is
   * confirmed; a replay floor a trusted clock shows to be in the future is dropped. Called by the tick.
   */
  refresh(): void {
    if (!this.started) return;
    const mono = this.mono();
    const now = this.d.clock.now();
    const synced = this.d.synced();
    const installed = this.installed();
    if (!installed) return;
    const changed = this.localImport(installed, mono, now, synced);
    if (this.floor(now, synced) || changed) this.save();
    this.evaluate(installed, mono, now, synced);
  }

  /**
   * `qrkiosk cache import` runs in another process and cannot call confirm(): the cache's own record of a
   * local write (its update time, written only when a row was imported: lookup/cache.ts) is confirmed when
   * first seen, if it is later than the facts' last confirmation (a cache file copied back is not). "Later" on
   * the kiosk's own clock (review 3 #7): the import's time is the kiosk's wall clock, and the confirmation's
   * arrival is read back from its monotonic age (now − age), never the statement's issuedAt — the hub's clock,
   * which may run ahead of ours and would make an import just after it look older than it.
   */
  private localImport(installed: InstalledData, mono: MonoNow, now: Date, synced: boolean): boolean {
    const facts = installed.facts;
    if (facts === undefined) return false;
    const seen = this.seenFacts;
    this.seenFacts = facts?.marker ?? null;
    if (!facts?.localAt || facts.marker === seen) return false;
    const c = this.state.kinds.facts;
    if (c && !(Date.parse(facts.localAt) > now.getTime() - monoAgeMs(c, mono))) return false;
    this.state.kinds.facts = this.confirmation(facts.marker, now, synced, mono);
    this.d.log.info({ at: facts.localAt }, 'local facts import confirmed');
    return true;
  }

  /**
   * The replay floor (the newest statement accepted, persisted whether or not the clock was trusted, so a
   * kiosk whose clock never syncs still refuses an older statement after a reboot: review 3 #8) as far as a
   * trusted clock can vouch for it: one more than FUTURE_SLACK_MS ahead of a trusted clock is dropped (a hub
   * clock that was wrong, accepted while ours was not trusted, would refuse every right statement until that
   * time). Until the clock is trusted such a floor holds; that kiosk shows clock-unsynced meanwhile.
   * Whether the floor changed.
   */
  private floor(now: Date, synced: boolean): boolean {
    if (!synced) return false;
    const floor = this.state.statementAt;
    if (floor === null || Date.parse(floor) <= now.getTime() + FUTURE_SLACK_MS) return false;
    this.d.log.error(
      { statementAt: floor, now: now.toISOString() },
      'freshness statement floor in the future dropped',
    );
    this.state.statementAt = null;
    return true;
  }

  /**
   * A `fleet/fresh` statement: verified with the hub keys, accepted only when issued strictly after the
   * last one accepted (a replayed or older one confirms nothing); the kinds installed at the versions it
   * names are confirmed as of its issuedAt — the hub's time, so once our clock is trusted the age is at
   * least now − issuedAt however long it waited — unless the ledger already holds a younger confirmation.
   */
  statement(payload: Buffer): void {
    const { log } = this.d;
    let statement: ReturnType<typeof verifyFreshness>;
    try {
      statement = verifyFreshness(payload, this.d.keys);
    } catch (err) {
      log.error(
        { err, code: err instanceof FreshnessError ? err.code : 'error' },
        'freshness statement refused',
      );
      return;
    }
    if (!this.started) return;
    const mono = this.mono();
    const now = this.d.clock.now();
    const synced = this.d.synced();
    this.floor(now, synced);
    // Issued over an hour ahead of a trusted clock: the hub's clock is wrong. Accepted, it would make every
    // right statement after it look old until that time came.
    const issued = Date.parse(statement.issuedAt);
    if (synced && issued > now.getTime() + FUTURE_SLACK_MS) {
      log.error(
        { issuedAt: statement.issuedAt, now: now.toISOString() },
        'freshness statement refused: issued in the future (is the hub clock right?)',
      );
      return;
    }
    const newest = this.state.statementAt;
    if (newest !== null && issued <= Date.parse(newest)) {
      log.debug({ issuedAt: statement.issuedAt, last: newest }, 'freshness statement not newer; ignored');
      return;
    }
    const installed = this.installed();
    if (!installed) return;
    const kinds = confirmedBy(statement, installed);
    const fresh = synced ? Math.max(0, now.getTime() - issued) : 0;
    for (const kind of kinds) {
      const marker = installed[kind]?.marker;
      const c = this.state.kinds[kind];
      if (!marker || (c?.marker === marker && ageMs(c, mono, now, synced) <= fresh)) continue;
      // wallSynced: issuedAt is the hub's clock, not ours; it counts as soon as ours is trusted too.
      this.state.kinds[kind] = { ...this.confirmation(marker, new Date(issued), true, mono) };
    }
    // Kept even with an untrusted clock: it refuses replays across reboots; a trusted clock later drops it if
    // it turns out to be in the future (floor()).
    this.state.statementAt = statement.issuedAt;
    this.localImport(installed, mono, now, synced);
    this.save();
    this.evaluate(installed, mono, now, synced);
    log.info({ issuedAt: statement.issuedAt, confirmed: kinds }, 'freshness statement accepted');
  }

  private confirmation(marker: string, wallAt: Date, synced: boolean, mono: MonoNow) {
    return { marker, wallAt: wallAt.toISOString(), wallSynced: synced, baseMs: 0, ref: mono };
  }

  private evaluate(installed: InstalledData, mono: MonoNow, now: Date, synced: boolean): void {
    const limits = limitsOf(this.d.rules());
    const { report, stale } = ageReport({ state: this.state, installed, limits, mono, now, synced });
    this.last = report;
    this.staleSet = stale.size > 0 ? stale : NONE;
    if (stale.size > 0) this.d.faults.raise('data-stale', undefined, { kinds: [...stale] });
    else this.d.faults.clear('data-stale');
  }

  private save(): void {
    try {
      writeLedger(this.d.dataDir, this.state, {
        mono: this.mono(),
        wall: this.d.clock.now(),
        synced: this.d.synced(),
      });
    } catch (err) {
      // Not a fault of the check-ins: after a restart the ages start from the last file that was written.
      this.d.log.warn({ err }, 'could not save the data age ledger');
    }
  }

  /** What is installed; null when it could not be read (a cache failing: its own fault says so). */
  private installed(): InstalledData | null {
    try {
      return this.d.installed();
    } catch (err) {
      this.d.log.warn({ err }, 'could not read what data is installed; data ages not looked at this time');
      return null;
    }
  }

  private mono(): MonoNow {
    return this.d.clock.monotonic?.() ?? monotonicNow();
  }
}
