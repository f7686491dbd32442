import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckinMessage, KioskState } from '@qrkiosk/protocol';
import Database from 'better-sqlite3';

export interface KioskRow {
  site: string;
  kiosk: string;
  state: KioskState;
  lastSeen: string;
}

/**
 * The hub's storage, embedded SQLite. Check-in ids are primary keys: a repeat delivery (QoS 1,
 * a kiosk replaying its outbox) is recognised and dropped here. PostgreSQL joins in the hub issue.
 */
export class HubStore {
  private readonly db: Database.Database;
  private readonly s;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS checkins (
        id TEXT PRIMARY KEY,
        site TEXT NOT NULL,
        kiosk TEXT NOT NULL,
        at TEXT NOT NULL,
        id_hash TEXT NOT NULL,
        message TEXT NOT NULL,
        received_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS checkins_by_time ON checkins (at);
      CREATE INDEX IF NOT EXISTS checkins_by_person ON checkins (id_hash, at);
      CREATE TABLE IF NOT EXISTS kiosks (
        site TEXT NOT NULL, kiosk TEXT NOT NULL, state TEXT NOT NULL, last_seen TEXT NOT NULL,
        PRIMARY KEY (site, kiosk)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL,
        payload BLOB NOT NULL, received_at TEXT NOT NULL
      );
    `);
    this.db = db;
    this.s = {
      insert: db.prepare<[string, string, string, string, string, string, string]>(
        'INSERT OR IGNORE INTO checkins (id, site, kiosk, at, id_hash, message, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      recent: db.prepare<[number], { message: string }>(
        'SELECT message FROM checkins ORDER BY at DESC, id DESC LIMIT ?',
      ),
      countSince: db.prepare<[string], { site: string; n: number }>(
        'SELECT site, count(*) AS n FROM checkins WHERE at >= ? GROUP BY site ORDER BY site',
      ),
      kiosk: db.prepare<[string, string, string, string]>(
        'INSERT INTO kiosks (site, kiosk, state, last_seen) VALUES (?, ?, ?, ?) ON CONFLICT (site, kiosk) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen',
      ),
      kiosks: db.prepare<[], KioskRow>(
        'SELECT site, kiosk, state, last_seen AS lastSeen FROM kiosks ORDER BY site, kiosk',
      ),
      dead: db.prepare<[string, string, Buffer, string]>(
        'INSERT INTO dead_letters (topic, reason, payload, received_at) VALUES (?, ?, ?, ?)',
      ),
      deadCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM checkins'),
    };
  }

  /** Stores a check-in; false when its id was already there (a duplicate delivery). */
  addCheckin(c: CheckinMessage, receivedAt: Date): boolean {
    return (
      this.s.insert.run(
        c.id,
        c.site,
        c.kiosk,
        c.at,
        c.document.idHash,
        JSON.stringify(c),
        receivedAt.toISOString(),
      ).changes === 1
    );
  }

  recent(limit: number): CheckinMessage[] {
    return this.s.recent.all(limit).map((r) => JSON.parse(r.message) as CheckinMessage);
  }

  countsSince(since: Date): Array<{ site: string; n: number }> {
    return this.s.countSince.all(since.toISOString());
  }

  checkinCount(): number {
    return this.s.count.get()?.n ?? 0;
  }

  setKioskState(site: string, kiosk: string, state: KioskState, at: Date): void {
    this.s.kiosk.run(site, kiosk, state, at.toISOString());
  }

  kiosks(): KioskRow[] {
    return this.s.kiosks.all();
  }

  deadLetter(topic: string, reason: string, payload: Buffer, at: Date): void {
    this.s.dead.run(topic, reason.slice(0, 1000), payload.subarray(0, 65536), at.toISOString());
  }

  deadLetterCount(): number {
    return this.s.deadCount.get()?.n ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
