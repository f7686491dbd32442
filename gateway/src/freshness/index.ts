import { DATA_KINDS, type DataKind, FreshnessError, type KeyRing, verifyFreshness } from '@qrkiosk/protocol';
import { type Clock, monotonicNow } from '../clock.js';
import type { RuleSet } from '../decide/index.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { type LedgerState, type MonoNow, readLedger, writeLedger } from './ledger.js';
import { ageReport, type FreshnessReport } from './report.js';
import { confirmedBy, type InstalledData, limitsOf } from './sources.js';

export { ageMs, DATA_AGE_FILE, readLedger } from './ledger.js';
export { ageReport, type FreshnessReport } from './report.js';
export { installedData, type KioskData, limitsOf } from './sources.js';

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
 * signed rules set. A kind is confirmed when an update of it is installed, and when the hub's signed
 * fleet/fresh statement says the installed version is still what the office publishes. Past the limit the
 * kind is stale: admission turns the ALLOWs that rest on it into REVIEW (decide/stale-gate.ts) and the
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

  constructor(
    private readonly d: FreshnessDeps,
    private readonly timing: FreshnessTiming = {},
  ) {}

  /** Reads the ledger, looks at what is installed, starts the tick; returns the stop (saves the ledger). */
  start(): () => void {
    this.state = readLedger(this.d.dataDir, this.mono(), (err) =>
      this.d.log.warn({ err }, 'data age ledger unreadable; every installed kind counts as confirmed now'),
    );
    this.started = true;
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
   * Looks again: an install not seen before (a marker changed, also one made by another process such as
   * `qrkiosk cache import`) is confirmed now; data no longer installed is forgotten; the ages are compared
   * with the limits and the fault follows. Called by the tick and after every update the hub sends.
   */
  refresh(): void {
    if (!this.started) return;
    const mono = this.mono();
    const now = this.d.clock.now();
    const synced = this.d.synced();
    const installed = this.installed();
    if (!installed) return;
    if (this.sync(installed, mono, now, synced)) this.save();
    this.evaluate(installed, mono, now, synced);
  }

  /** Confirms installs not seen before and forgets what is no longer installed; whether anything changed. */
  private sync(installed: InstalledData, mono: MonoNow, now: Date, synced: boolean): boolean {
    let changed = false;
    for (const kind of DATA_KINDS) {
      const i = installed[kind];
      const c = this.state.kinds[kind];
      if (i === undefined) continue;
      if (i === null) {
        if (c) delete this.state.kinds[kind];
        changed ||= c !== undefined;
      } else if (c?.marker !== i.marker) {
        // First sight counts as now, also after an upgrade to this version: the upgrade came over the same
        // link as the hub's statement, which confirms (or not) within the hour.
        this.state.kinds[kind] = this.confirmation(i.marker, now, synced, mono);
        changed = true;
      }
    }
    return changed;
  }

  /**
   * A `fleet/fresh` statement: verified with the hub keys, accepted only when issued strictly after the
   * last one accepted (a replayed or older one confirms nothing); the kinds installed at the versions it
   * names are confirmed as of its issuedAt.
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
    // Issued over an hour ahead of a trusted clock: the hub's clock is wrong. Accepted, it would make every
    // right statement after it look old until that time came.
    const issued = Date.parse(statement.issuedAt);
    if (this.d.synced() && issued > this.d.clock.now().getTime() + FUTURE_SLACK_MS) {
      log.error(
        { issuedAt: statement.issuedAt, now: this.d.clock.now().toISOString() },
        'freshness statement refused: issued in the future (is the hub clock right?)',
      );
      return;
    }
    const last = this.state.statementAt;
    if (last !== null && issued <= Date.parse(last)) {
      log.debug({ issuedAt: statement.issuedAt, last }, 'freshness statement not newer; ignored');
      return;
    }
    if (!this.started) return;
    const mono = this.mono();
    const now = this.d.clock.now();
    const synced = this.d.synced();
    const installed = this.installed();
    if (!installed) return;
    this.sync(installed, mono, now, synced);
    const kinds = confirmedBy(statement, installed);
    for (const kind of kinds) {
      const marker = installed[kind]?.marker;
      // Its own issue time: a statement that waited on the broker is as old as it is (when the clock is trusted).
      if (marker)
        this.state.kinds[kind] = this.confirmation(marker, new Date(statement.issuedAt), synced, mono);
    }
    this.state.statementAt = statement.issuedAt;
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
