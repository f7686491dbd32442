import { vnDayStartOf } from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import type { Dispatcher, DispatchResult } from '../notify/dispatch.js';
import { alertNotices, type NoticePolicy, reportNotices } from '../notify/plan.js';
import type { RecipientSource } from '../notify/recipients.js';
import type { DailyReport } from '../report-model.js';
import type { HubStore } from '../store.js';
import { type Condition, evaluate, type Thresholds } from './rules.js';

export interface TickResult {
  raised: number;
  cleared: number;
  queued: number;
  dispatch: DispatchResult;
}

/**
 * Alerts over time: each tick evaluates the rules on the fleet as stored, raises what newly holds,
 * clears what no longer does (both kept as history), queues the notices of raises and clears, and
 * sends what is due. Safe with several hub processes on one PostgreSQL: each step is one
 * conditional statement (storage/alert-rows.ts), so a raise is recorded — and announced — once.
 * `thresholds` null: the rules are off (notices, the daily report's included, are still sent).
 */
export class AlertEngine {
  constructor(
    private readonly store: HubStore,
    private readonly thresholds: Thresholds | null,
    private readonly policy: NoticePolicy,
    private readonly recipients: RecipientSource,
    private readonly dispatcher: Dispatcher,
    private readonly log: Logger,
  ) {}

  /** check() then dispatch(): one whole step, as a test or a one-shot run wants it. */
  async tick(now = new Date()): Promise<TickResult> {
    const checked = await this.check(now);
    const dispatch = await this.dispatch(now);
    return { ...checked, dispatch };
  }

  /**
   * Evaluates the rules and queues the notices of raises and clears; sends nothing. The hub runs it
   * on its own timer, apart from dispatch(): a bridge that hangs must not hold up noticing the
   * next critical alert.
   */
  async check(now = new Date()): Promise<Omit<TickResult, 'dispatch'>> {
    const { raised, cleared } = this.thresholds ? await this.evaluate(now) : { raised: 0, cleared: 0 };
    const queued = await this.announce(now);
    return { raised, cleared, queued };
  }

  /** Sends the notices due at `now`. */
  dispatch(now = new Date()): Promise<DispatchResult> {
    return this.dispatcher.run(now);
  }

  private async evaluate(now: Date): Promise<{ raised: number; cleared: number }> {
    const alerts = this.store.repo.alerts;
    // The alerts in force are read before the fleet, never after: with several processes, a fleet
    // read older than the alerts could re-raise what another process just cleared on newer data.
    // The other way round is harmless: a clear or raise already done elsewhere matches no row.
    const active = await alerts.list(true, 100_000);
    // In service only: a revoked (retired) kiosk's row stays for its history, silent by design.
    const [kiosks, directory, counts, retired] = await Promise.all([
      this.store.activeKiosks(),
      this.store.siteDirectory(),
      this.store.countsSince(vnDayStartOf(now)),
      this.store.repo.fleet.retired(),
    ]);
    const scansToday = new Map(counts.map((c) => [c.site, c.n]));
    const holding = new Map<string, Condition>(
      evaluate({ kiosks, directory, scansToday }, now, this.thresholds as Thresholds).map((c) => [c.key, c]),
    );
    let raised = 0;
    let cleared = 0;
    for (const a of active) {
      if (holding.has(a.key)) continue;
      // A revoked kiosk's alert ends because the kiosk left service, not because it was repaired:
      // closed in the history without a "cleared" notice to the officers.
      const revoked = a.kiosk !== null && retired.has(a.kiosk);
      if (await alerts.clear(a.id, now, revoked)) {
        cleared++;
        this.log.info({ alert: a.id, key: a.key, revoked }, 'alert cleared');
      }
    }
    const inForce = new Set(active.map((a) => a.key));
    for (const c of holding.values()) {
      if (inForce.has(c.key)) continue;
      const row = await alerts.raise({ ...c, detail: JSON.stringify(c.detail), raisedAt: now });
      if (row) {
        raised++;
        this.log.warn({ alert: row.id, key: c.key, detail: c.detail.en }, 'alert raised');
      }
    }
    return { raised, cleared };
  }

  /** Queues the notices of raises and clears not announced yet (by any process), then marks them. */
  private async announce(now: Date): Promise<number> {
    const alerts = this.store.repo.alerts;
    const pending = await alerts.unannounced(500);
    if (pending.length === 0) return 0;
    const [recipients, directory] = await Promise.all([
      this.recipients.recipients(),
      this.store.siteDirectory(),
    ]);
    let queued = 0;
    for (const a of pending) {
      queued += await alerts.queue(alertNotices(a, a.event, recipients, directory, this.policy, now), now);
      await alerts.announced(a.id, a.event, now);
    }
    return queued;
  }

  /**
   * Queues a day's report for every officer and webhook of an area (narrowed to it). Idempotent:
   * each destination's notice is keyed by the day, so every hub process may call this.
   */
  async queueReport(report: DailyReport, now = new Date()): Promise<number> {
    const [recipients, directory] = await Promise.all([
      this.recipients.recipients(),
      this.store.siteDirectory(),
    ]);
    return this.store.repo.alerts.queue(reportNotices(report, recipients, directory, this.policy, now), now);
  }
}
