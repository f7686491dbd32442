import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { CheckinMessage, Colour, Verdict } from '@qrkiosk/protocol';
import Database from 'better-sqlite3';

export interface JournalRow {
  seq: number;
  id: string;
  message: string;
}

/**
 * Record stage: the check-in journal, which is also the uplink's outbox. WAL with
 * synchronous=FULL: when append() returns, the row survives a power cut — and only then does the
 * light come on. better-sqlite3 is synchronous, so there is no window in which the light could
 * overtake the commit.
 */
export class Journal {
  private db: Database.Database | undefined;
  private statements: ReturnType<Journal['prepare']> | undefined;

  constructor(private readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'journal.db');
  }

  open(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const db = new Database(this.file);
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
    this.statements = this.prepare(db);
    this.db = db;
  }

  private prepare(db: Database.Database) {
    return {
      insert: db.prepare<[string, string, string, string, string | null, string], { seq: number }>(
        'INSERT INTO checkins (id, at, id_hash, verdict, colour, message) VALUES (?, ?, ?, ?, ?, ?) RETURNING seq',
      ),
      undelivered: db.prepare<[number, number], JournalRow>(
        'SELECT seq, id, message FROM checkins WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
      ),
      delivered: db.prepare<[string, string]>(
        'UPDATE checkins SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL',
      ),
      lastFor: db.prepare<[string, string], { verdict: Verdict; colour: Colour }>(
        'SELECT verdict, colour FROM checkins WHERE id_hash = ? AND at >= ? ORDER BY at DESC LIMIT 1',
      ),
      pending: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM checkins WHERE delivered_at IS NULL'),
      since: db.prepare<[string, number], { message: string }>(
        'SELECT message FROM checkins WHERE at >= ? ORDER BY at DESC LIMIT ?',
      ),
    };
  }

  /** Durably appends a check-in; returns its sequence number. */
  append(message: CheckinMessage): number {
    const s = this.require();
    const row = s.insert.get(
      message.id,
      message.at,
      message.document.idHash,
      message.verdict,
      message.colour,
      JSON.stringify(message),
    );
    if (!row) throw new Error('journal insert returned no row');
    return row.seq;
  }

  /** The last check-in of this person since `since` (ISO), for the duplicate window. */
  lastSince(idHash: string, since: string): { verdict: Verdict; colour: Colour } | undefined {
    return this.require().lastFor.get(idHash, since);
  }

  /** Undelivered check-ins after `afterSeq`, oldest first. */
  undelivered(afterSeq: number, limit: number): JournalRow[] {
    return this.require().undelivered.all(afterSeq, limit);
  }

  /**
   * The outbox policy: delivered rows older than `keepDeliveredBefore` go (the hub has them);
   * undelivered rows are never dropped for age, only past `maxUndelivered`, oldest first — a kiosk
   * cut off for months keeps its most recent million check-ins. Returns what was removed.
   */
  prune(
    keepDeliveredBefore: string,
    maxUndelivered: number,
  ): { delivered: number; undeliveredDropped: number } {
    const db = this.db;
    if (!db) throw new Error('Journal used before open()');
    const delivered = db
      .prepare('DELETE FROM checkins WHERE delivered_at IS NOT NULL AND at < ?')
      .run(keepDeliveredBefore).changes;
    const pending = this.pendingCount();
    let undeliveredDropped = 0;
    if (pending > maxUndelivered) {
      undeliveredDropped = db
        .prepare(
          'DELETE FROM checkins WHERE seq IN (SELECT seq FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT ?)',
        )
        .run(pending - maxUndelivered).changes;
    }
    return { delivered, undeliveredDropped };
  }

  /** Check-ins since `sinceIso`, newest first (the reception list). */
  since(sinceIso: string, limit = 2000): CheckinMessage[] {
    return this.require()
      .since.all(sinceIso, limit)
      .map((r) => JSON.parse(r.message) as CheckinMessage);
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

  pendingCount(): number {
    return this.require().pending.get()?.n ?? 0;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.statements = undefined;
  }

  private require() {
    if (!this.statements) throw new Error('Journal used before open()');
    return this.statements;
  }
}
