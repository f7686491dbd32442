import type { Clock } from '../clock.js';
import type { Journal } from './index.js';
import type { RecordKeeper } from './keeper.js';

/**
 * The outbox policy (Journal.prune): delivered rows kept `data.keepDeliveredDays`, at most
 * `data.maxUndelivered` undelivered. Run at start, hourly, and when the hub asks (`purge`).
 */
export class OutboxPruner {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly d: {
      data: { maxUndelivered: number; keepDeliveredDays: number };
      journal: Journal;
      keeper: RecordKeeper;
      clock: Clock;
      /** How far an unsynced clock (1970, 2099) is trusted with age: see Journal.prune. */
      synced: () => boolean;
    },
  ) {}

  start(): void {
    this.prune();
    this.timer = setInterval(() => this.prune(), 3600_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Through the keeper: a failing journal raises its fault instead of throwing. */
  prune(): void {
    this.d.keeper.prune(this.options());
  }

  /** The hub's `purge`: straight on the journal, so the hub hears the counts or the error. */
  purge(): ReturnType<Journal['prune']> {
    return this.d.journal.prune(this.options());
  }

  private options() {
    const { data, clock } = this.d;
    return {
      maxUndelivered: data.maxUndelivered,
      keepDeliveredMs: data.keepDeliveredDays * 86_400_000,
      now: clock.now(),
      clockSynced: this.d.synced(),
    };
  }
}
