import type { CheckinMessage } from '@qrkiosk/protocol';
import type { HubStore } from './store.js';

interface Pending {
  checkin: CheckinMessage;
  receivedAt: Date;
  done: (fresh: boolean) => void;
  fail: (err: Error) => void;
}

/**
 * Group commit for check-ins. Each MQTT connection hands over one message at a time and waits
 * (its PUBACK goes out only once the row is stored); with several connections ("lanes") the
 * messages that arrive while a transaction is being written are stored together in the next one.
 * One fsync then covers many check-ins instead of one, and nothing is acknowledged before it is on
 * disk.
 */
export class CheckinWriter {
  private pending: Pending[] = [];
  private writers = 0;
  private scheduled = false;

  /**
   * @param concurrency transactions in flight at once: 1 for SQLite (one writer, synchronous);
   *   more for PostgreSQL, whose commits on several connections share one WAL flush.
   */
  constructor(
    private readonly store: HubStore,
    private readonly concurrency = 1,
    private readonly maxBatch = 1000,
  ) {}

  /** Resolves once the check-in is stored: true if new, false if its id was already there. */
  add(checkin: CheckinMessage, receivedAt: Date): Promise<boolean> {
    return new Promise((done, fail) => {
      this.pending.push({ checkin, receivedAt, done, fail });
      if (!this.scheduled && this.writers < this.concurrency) {
        this.scheduled = true;
        // Let the other lanes' messages of this turn of the event loop join the batch.
        setImmediate(() => {
          this.scheduled = false;
          void this.drain();
        });
      }
    });
  }

  private async one(p: Pending): Promise<void> {
    try {
      const fresh = await this.store.addCheckins([p]);
      p.done(fresh.has(p.checkin.id));
    } catch (err) {
      p.fail(err as Error);
    }
  }

  private async drain(): Promise<void> {
    if (this.writers >= this.concurrency) return;
    this.writers++;
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.maxBatch);
      try {
        const fresh = await this.store.addCheckins(batch);
        // The same id twice in one batch (two lanes got a redelivery): only the first is new.
        for (const p of batch) p.done(fresh.delete(p.checkin.id));
      } catch (err) {
        if (batch.length === 1) (batch[0] as Pending).fail(err as Error);
        // One row the database refuses must not fail the others of its batch: retry them one by one.
        else for (const p of batch) await this.one(p);
      }
    }
    this.writers--;
  }
}
