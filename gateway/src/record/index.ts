import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckinMessage, Colour, OutcomeMessage, TallyMessage, Verdict } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import { openDatabaseFile } from '../db-files.js';
import { type JournalRow, prepareStatements, type Statements } from './statements.js';

export type { JournalRow } from './statements.js';

/** Where a scan sits in the machine's monotonic time: the kernel boot id and ms since boot. */
export interface MonoStamp {
  boot: string;
  ms: number;
}

/** Columns of a row as stored, for copying rows into a fresh journal. */
interface StoredRow {
  seq: number;
  id: string;
  at: string;
  id_hash: string;
  verdict: string;
  colour: string | null;
  message: string;
  boot: string | null;
  mono_ms: number | null;
  checkin: string | null;
}

/**
 * A wall clock may be ahead of the check-in time it wrote by NTP slewing, never by more: a row
 * dated later than now + this is a clock that has since been corrected, and must not count as recent.
 */
export const FUTURE_SKEW_MS = 5000;

/**
 * Record stage: the check-in journal, which is also the uplink's outbox. WAL with
 * synchronous=FULL: when append() returns, the row survives a power cut — and only then does the
 * light come on. better-sqlite3 is synchronous, so there is no window in which the light could
 * overtake the commit.
 */
export class Journal {
  private db: Database.Database | undefined;
  private statements: Statements | undefined;
  /** The file as opened: a journal deleted or replaced under us has another inode (or none). */
  private identity: { dev: number; ino: number } | undefined;

  constructor(private readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'journal.db');
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  /** Opens or creates `journal.db`. A corrupt file is renamed aside (see closeFailedOpen) and thrown. */
  open(now = new Date()): void {
    const db = openDatabaseFile(this.file, now, (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.exec(`
      CREATE TABLE IF NOT EXISTS checkins (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        id_hash TEXT NOT NULL,
        verdict TEXT NOT NULL,
        colour TEXT,
        message TEXT NOT NULL,
        delivered_at TEXT
      );
      CREATE INDEX IF NOT EXISTS checkins_undelivered ON checkins (seq) WHERE delivered_at IS NULL;
      CREATE INDEX IF NOT EXISTS checkins_by_person ON checkins (id_hash, at);
    `);
      // Journals made before the clock fix lack the monotonic stamp: add it (NULL for old rows).
      const columns = new Set(
        (db.pragma('table_info(checkins)') as Array<{ name: string }>).map((c) => c.name),
      );
      if (!columns.has('boot')) db.exec('ALTER TABLE checkins ADD COLUMN boot TEXT');
      if (!columns.has('mono_ms')) db.exec('ALTER TABLE checkins ADD COLUMN mono_ms INTEGER');
      // A guard's outcome (qrkiosk.outcome/1) rides the same outbox: `checkin` names the REVIEW it
      // resolves (NULL on check-ins). Same table, same seq: the uplink sends both in journal order.
      if (!columns.has('checkin')) db.exec('ALTER TABLE checkins ADD COLUMN checkin TEXT');
      db.exec(
        'CREATE INDEX IF NOT EXISTS checkins_outcome_of ON checkins (checkin) WHERE checkin IS NOT NULL',
      );
      this.statements = prepareStatements(db);
    });
    const st = statSync(this.file);
    this.identity = { dev: st.dev, ino: st.ino };
    this.db = db;
  }

  /**
   * Durably appends a check-in; returns its sequence number. Throws unless the row is committed:
   * the commit's own error is reported (.run()), and the row is read back before we say so.
   */
  append(message: CheckinMessage | OutcomeMessage | TallyMessage, stamp?: MonoStamp): number {
    const s = this.require();
    // An outcome has no person of its own ('' never matches a hash: lastRecent ignores it); its
    // verdict column holds `admitted`/`denied`, which no REVIEW query takes for a check-in. A
    // verify-only site's tally names nobody either: '' too, told from an outcome by `checkin` NULL.
    const outcome = 'checkin' in message;
    const person = 'document' in message ? message.document.idHash : '';
    const result = s.insert.run(
      message.id,
      message.at,
      person,
      outcome ? message.outcome : message.verdict,
      outcome ? null : message.colour,
      JSON.stringify(message),
      stamp?.boot ?? null,
      stamp?.ms ?? null,
      outcome ? message.checkin : null,
    );
    const row = s.stored.get(message.id);
    if (result.changes !== 1 || !row) throw new Error('journal insert did not store the row');
    return row.seq;
  }

  /**
   * The last check-in of this person inside the duplicate window ending at `now`, or undefined, with
   * the guard's outcome when it was a REVIEW the guard resolved. See the `recent` statement for how a
   * jumping wall clock is kept out of it.
   */
  lastRecent(
    idHash: string,
    now: Date,
    windowMs: number,
    stamp: MonoStamp,
  ):
    | { verdict: Verdict; colour: Colour; at: string; reason: string; outcome: 'admitted' | 'denied' | null }
    | undefined {
    return this.statements?.recent.get({
      hash: idHash,
      boot: stamp.boot,
      monoFrom: stamp.ms - windowMs,
      monoTo: stamp.ms,
      from: new Date(now.getTime() - windowMs).toISOString(),
      to: new Date(now.getTime() + FUTURE_SKEW_MS).toISOString(),
    });
  }

  /** Undelivered check-ins after `afterSeq`, oldest first (none while the journal is not open). */
  undelivered(afterSeq: number, limit: number): JournalRow[] {
    return this.statements?.undelivered.all(afterSeq, limit) ?? [];
  }

  /**
   * The outbox policy: delivered rows go by the time they were delivered (written at the broker's
   * acknowledgement), never by the check-in's own `at`, which an unsynced clock can make 1970 or
   * 2099. With a synced clock, rows delivered more than `keepDeliveredMs` ago go, and so does a
   * delivery dated after now + 1 day (written by a clock since corrected; the hub has it). With an
   * unsynced clock (no NTP yet, or a Pi without an RTC) age is measured from the latest delivery
   * when `now` is past it — a clock jumped to 2099 does not empty the journal, one stuck in 1970
   * deletes nothing — and future dates are left alone. Undelivered rows are never dropped for age,
   * only past `maxUndelivered`, oldest first (insertion order) — a kiosk cut off for months keeps
   * its most recent million check-ins. Returns what was removed.
   */
  prune(options: { maxUndelivered: number; keepDeliveredMs: number; now: Date; clockSynced: boolean }): {
    delivered: number;
    undeliveredDropped: number;
  } {
    const db = this.db;
    if (!db) throw new Error('Journal used before open()');
    const now = options.now.getTime();
    let delivered: number;
    if (options.clockSynced) {
      const before = new Date(now - options.keepDeliveredMs).toISOString();
      const future = new Date(now + 86_400_000).toISOString();
      delivered = db
        .prepare(
          'DELETE FROM checkins WHERE delivered_at IS NOT NULL AND (delivered_at < ? OR delivered_at > ?)',
        )
        .run(before, future).changes;
    } else {
      const latest = db
        .prepare<[], { at: string | null }>('SELECT max(delivered_at) AS at FROM checkins')
        .get()?.at;
      const reference = Math.min(now, latest ? Date.parse(latest) : now);
      delivered = db
        .prepare('DELETE FROM checkins WHERE delivered_at IS NOT NULL AND delivered_at < ?')
        .run(new Date(reference - options.keepDeliveredMs).toISOString()).changes;
    }
    const pending = this.pendingCount();
    let undeliveredDropped = 0;
    if (pending > options.maxUndelivered) {
      undeliveredDropped = db
        .prepare(
          'DELETE FROM checkins WHERE seq IN (SELECT seq FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT ?)',
        )
        .run(pending - options.maxUndelivered).changes;
    }
    return { delivered, undeliveredDropped };
  }

  /** Check-ins since `sinceIso`, newest first (the reception list). */
  since(sinceIso: string, limit = 2000): CheckinMessage[] {
    return (this.statements?.since.all(sinceIso, limit) ?? []).map(
      (r) => JSON.parse(r.message) as CheckinMessage,
    );
  }

  /** A verify-only site's tallies since `sinceIso`, oldest first (the kiosk's own occupancy count). */
  talliesSince(sinceIso: string): TallyMessage[] {
    return (this.statements?.talliesSince.all(sinceIso) ?? []).map(
      (r) => JSON.parse(r.message) as TallyMessage,
    );
  }

  /**
   * The guard's last admit/deny for a check-in or tally, `not-entered` when the door sensor marked it
   * (whatever the guard said), or null (the verify-only duplicate window).
   */
  outcomeOf(id: string): 'admitted' | 'denied' | 'not-entered' | null {
    return this.statements?.outcomeOf.get(id)?.outcome ?? null;
  }

  /** Outcomes journaled since `sinceIso`, oldest first (reception's counts). */
  outcomesSince(sinceIso: string): OutcomeMessage[] {
    return (this.statements?.outcomesSince.all(sinceIso) ?? []).map(
      (r) => JSON.parse(r.message) as OutcomeMessage,
    );
  }

  /** A check-in by id with the outcomes journaled for it (reception's exit button). */
  checkinWithOutcomes(id: string): { checkin: CheckinMessage; outcomes: OutcomeMessage[] } | undefined {
    const s = this.require();
    const row = s.byId.get(id);
    if (!row) return undefined;
    return {
      checkin: JSON.parse(row.message) as CheckinMessage,
      outcomes: s.outcomesOf.all(id).map((r) => JSON.parse(r.message) as OutcomeMessage),
    };
  }

  /**
   * Check-ins and outcomes since `sinceIso` after `afterId` (the newest the hub counted; '' for none),
   * and any not receipted, with whether each was receipted.
   */
  unsettled(
    sinceIso: string,
    afterId: string,
  ): Array<{ message: CheckinMessage | OutcomeMessage | TallyMessage; delivered: boolean }> {
    return (this.statements?.unsettled.all(sinceIso, afterId) ?? []).map((r) => ({
      message: JSON.parse(r.message) as CheckinMessage | OutcomeMessage | TallyMessage,
      delivered: r.delivered === 1,
    }));
  }

  /** A REVIEW check-in (the newest one without `id`) and whether an outcome resolves it already. */
  review(id?: string): { checkin: CheckinMessage; resolved: boolean } | undefined {
    const s = this.require();
    const row = id === undefined ? s.lastReview.get() : s.review.get(id);
    return row && { checkin: JSON.parse(row.message) as CheckinMessage, resolved: row.resolved === 1 };
  }

  markDelivered(id: string, at: Date): void {
    this.markDeliveredMany([id], at);
  }

  /** Marks acknowledged check-ins in one transaction (one fsync for a whole batch of PUBACKs). */
  markDeliveredMany(ids: readonly string[], at: Date): void {
    const s = this.require();
    const when = at.toISOString();
    this.db?.transaction(() => {
      for (const id of ids) s.delivered.run(when, id);
    })();
  }

  /** Check-ins not yet acknowledged (0 while the journal is not open). */
  pendingCount(): number {
    return this.statements?.pending.get()?.n ?? 0;
  }

  /** When the oldest undelivered row was journaled (its `at`), or null when there is none. */
  oldestPendingAt(): string | null {
    return this.statements?.oldestPending.get()?.at ?? null;
  }

  /**
   * False when the file we write to is no longer `journal.db` (deleted or replaced under us). One
   * stat (1.4 µs measured) against an fsync'd commit of ~318 µs (docs/benchmarks.md): checked on
   * every append rather than on a timer, so no check-in goes to an unlinked file.
   */
  stillOnDisk(): boolean {
    if (!this.identity) return false;
    try {
      const st = statSync(this.file);
      return st.ino === this.identity.ino && st.dev === this.identity.dev;
    } catch {
      return false;
    }
  }

  /**
   * Undelivered rows as stored, oldest first, read through the open handle — which still reaches a
   * file deleted under us. Best effort: a corrupt file yields what can be read.
   */
  readUndelivered(): { rows: StoredRow[]; lastSeq: number } {
    const db = this.db;
    let rows: StoredRow[] = [];
    let lastSeq = 0;
    try {
      rows = (db
        ?.prepare(
          'SELECT seq, id, at, id_hash, verdict, colour, message, boot, mono_ms, checkin FROM checkins WHERE delivered_at IS NULL ORDER BY seq',
        )
        .all() ?? []) as StoredRow[];
    } catch {
      // unreadable: nothing to carry over
    }
    try {
      lastSeq =
        (
          db?.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'checkins'").get() as
            | { seq: number }
            | undefined
        )?.seq ?? 0;
    } catch {
      lastSeq = rows.at(-1)?.seq ?? 0;
    }
    return { rows, lastSeq };
  }

  /**
   * Copies rows read from another journal file in, with their sequence numbers, and continues the
   * numbering after `lastSeq`: the uplink reads the outbox by seq from where it got to, so numbers
   * starting again at 1 would leave new check-ins unsent until its next reconnect.
   */
  adopt(carried: { rows: readonly StoredRow[]; lastSeq: number }): number {
    const db = this.db;
    if (!db) return 0;
    const put = db.prepare(
      `INSERT OR IGNORE INTO checkins (seq, id, at, id_hash, verdict, colour, message, boot, mono_ms, checkin)
       VALUES (@seq, @id, @at, @id_hash, @verdict, @colour, @message, @boot, @mono_ms, @checkin)`,
    );
    let n = 0;
    db.transaction(() => {
      for (const row of carried.rows) n += put.run(row).changes;
      // AUTOINCREMENT keeps its high-water mark here; raise it, never lower it.
      db.prepare("UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = 'checkins'").run(carried.lastSeq);
      db.prepare(
        "INSERT INTO sqlite_sequence (name, seq) SELECT 'checkins', ? WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'checkins')",
      ).run(carried.lastSeq);
    })();
    return n;
  }

  close(): void {
    try {
      this.db?.close();
    } finally {
      this.db = undefined;
      this.statements = undefined;
      this.identity = undefined;
    }
  }

  private require() {
    if (!this.statements) throw new Error('Journal used before open()');
    return this.statements;
  }
}
