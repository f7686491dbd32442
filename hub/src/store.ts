import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckinMessage, KioskState, TelemetryMessage } from '@qrkiosk/protocol';
import Database from 'better-sqlite3';
import { Users } from './users.js';

export interface TraceVisit {
  visit: CheckinMessage;
  coVisitors: CheckinMessage[];
}

export interface DailyReport {
  day: string;
  sites: Array<{
    site: string;
    kiosks: number;
    scans: number;
    allowed: number;
    refused: number;
    review: number;
  }>;
  sitesWithoutScans: string[];
  newKiosks: Array<{ site: string; kiosk: string }>;
}

export interface KioskRow {
  site: string;
  kiosk: string;
  state: KioskState;
  lastSeen: string;
  /** The last telemetry message, JSON (null until the kiosk sent one). */
  telemetry: string | null;
}

/**
 * The hub's storage, embedded SQLite. Check-in ids are primary keys: a repeat delivery (QoS 1,
 * a kiosk replaying its outbox) is recognised and dropped here. PostgreSQL joins in the hub issue.
 */
/**
 * Schema versions (PRAGMA user_version). 1: the first hub; 2: kiosks.first_seen and .telemetry, the
 * audit table and the (site, at) index. CREATE … IF NOT EXISTS above makes a new database current;
 * the steps here bring an older file forward.
 */
function migrate(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  if (version < 2) {
    const columns = (db.prepare('PRAGMA table_info(kiosks)').all() as Array<{ name: string }>).map(
      (c) => c.name,
    );
    if (!columns.includes('first_seen')) db.exec('ALTER TABLE kiosks ADD COLUMN first_seen TEXT');
    if (!columns.includes('telemetry')) db.exec('ALTER TABLE kiosks ADD COLUMN telemetry TEXT');
    db.pragma('user_version = 2');
  }
}

export class HubStore {
  private readonly db: Database.Database;
  readonly users: Users;
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
      -- Co-visitors: everyone at a site within a time window.
      CREATE INDEX IF NOT EXISTS checkins_by_site_time ON checkins (site, at);
      CREATE TABLE IF NOT EXISTS kiosks (
        site TEXT NOT NULL, kiosk TEXT NOT NULL, state TEXT NOT NULL, last_seen TEXT NOT NULL,
        first_seen TEXT, telemetry TEXT,
        PRIMARY KEY (site, kiosk)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS reports (day TEXT PRIMARY KEY, generated_at TEXT NOT NULL, report TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS audit (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL,
        payload BLOB NOT NULL, received_at TEXT NOT NULL
      );
    `);
    migrate(db);
    this.db = db;
    this.users = new Users(db);
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
      kiosk: db.prepare<[string, string, string, string, string]>(
        'INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, kiosk) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen',
      ),
      telemetry: db.prepare<[string, string, string, string, string]>(
        "INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen, telemetry) VALUES (?, ?, 'online', ?, ?, ?) ON CONFLICT (site, kiosk) DO UPDATE SET last_seen = excluded.last_seen, telemetry = excluded.telemetry",
      ),
      kiosks: db.prepare<[], KioskRow>(
        'SELECT site, kiosk, state, last_seen AS lastSeen, telemetry FROM kiosks ORDER BY site, kiosk',
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

  /** Check-ins per Vietnam-local hour since `since` (for the dashboard's chart). */
  hourly(since: Date): Array<{ site: string; hour: number; n: number }> {
    return this.db
      .prepare<[string], { site: string; hour: string; n: number }>(
        "SELECT site, strftime('%H', at, '+7 hours') AS hour, count(*) AS n FROM checkins WHERE at >= ? GROUP BY site, hour",
      )
      .all(since.toISOString())
      .map((r) => ({ site: r.site, hour: Number(r.hour), n: r.n }));
  }

  checkinCount(): number {
    return this.s.count.get()?.n ?? 0;
  }

  setKioskState(site: string, kiosk: string, state: KioskState, at: Date): void {
    this.s.kiosk.run(site, kiosk, state, at.toISOString(), at.toISOString());
  }

  setKioskTelemetry(t: TelemetryMessage, at: Date): void {
    this.s.telemetry.run(t.site, t.kiosk, at.toISOString(), at.toISOString(), JSON.stringify(t));
  }

  /**
   * Contact tracing. Visits of one person (by identity hash) between `from` and `to`, and for each
   * visit everyone else checked in at the same site within ±`windowMinutes`. Both lookups are index
   * range scans: (id_hash, at) for the visits, (site, at) for the co-visitors.
   */
  trace(idHash: string, from: Date, to: Date, windowMinutes: number): TraceVisit[] {
    const db = this.db;
    const visits = db
      .prepare<[string, string, string], { message: string }>(
        'SELECT message FROM checkins WHERE id_hash = ? AND at >= ? AND at < ? ORDER BY at',
      )
      .all(idHash, from.toISOString(), to.toISOString())
      .map((r) => JSON.parse(r.message) as CheckinMessage);
    const around = db.prepare<[string, string, string, string], { message: string }>(
      'SELECT message FROM checkins WHERE site = ? AND at >= ? AND at <= ? AND id_hash <> ? ORDER BY at',
    );
    const w = windowMinutes * 60_000;
    return visits.map((visit) => {
      const t = Date.parse(visit.at);
      const coVisitors = around
        .all(visit.site, new Date(t - w).toISOString(), new Date(t + w).toISOString(), idHash)
        .map((r) => JSON.parse(r.message) as CheckinMessage);
      return { visit, coVisitors };
    });
  }

  /**
   * The daily report for one Vietnam-local day: per site, kiosks, check-ins and verdicts; the sites
   * that scanned nothing (the follow-up list); kiosks seen for the first time that day.
   */
  dailyReport(day: string): DailyReport {
    const from = new Date(`${day}T00:00:00+07:00`).toISOString();
    const to = new Date(Date.parse(`${day}T00:00:00+07:00`) + 86_400_000).toISOString();
    const rows = this.db
      .prepare<
        [string, string],
        { site: string; scans: number; allowed: number; refused: number; review: number }
      >(
        `SELECT site, count(*) AS scans,
                sum(json_extract(message, '$.verdict') = 'ALLOW') AS allowed,
                sum(json_extract(message, '$.verdict') = 'REFUSE') AS refused,
                sum(json_extract(message, '$.verdict') = 'REVIEW') AS review
           FROM checkins WHERE at >= ? AND at < ? GROUP BY site`,
      )
      .all(from, to);
    const kiosks = this.kiosks();
    const sites = [...new Set([...kiosks.map((k) => k.site), ...rows.map((r) => r.site)])].sort();
    const bySite = new Map(rows.map((r) => [r.site, r]));
    return {
      day,
      sites: sites.map((site) => ({
        site,
        kiosks: kiosks.filter((k) => k.site === site).length,
        scans: bySite.get(site)?.scans ?? 0,
        allowed: bySite.get(site)?.allowed ?? 0,
        refused: bySite.get(site)?.refused ?? 0,
        review: bySite.get(site)?.review ?? 0,
      })),
      sitesWithoutScans: sites.filter((s) => !bySite.has(s)),
      newKiosks: this.db
        .prepare<[string, string], { site: string; kiosk: string }>(
          'SELECT site, kiosk FROM kiosks WHERE first_seen >= ? AND first_seen < ? ORDER BY site, kiosk',
        )
        .all(from, to),
    };
  }

  /** Stores (or replaces) the report of a day; returns it. */
  saveReport(day: string, at = new Date()): DailyReport {
    const report = this.dailyReport(day);
    this.db
      .prepare(
        'INSERT INTO reports (day, generated_at, report) VALUES (?, ?, ?) ON CONFLICT(day) DO UPDATE SET generated_at = excluded.generated_at, report = excluded.report',
      )
      .run(day, at.toISOString(), JSON.stringify(report));
    return report;
  }

  savedReport(day: string): { generatedAt: string; report: DailyReport } | null {
    const row = this.db
      .prepare('SELECT generated_at AS generatedAt, report FROM reports WHERE day = ?')
      .get(day) as { generatedAt: string; report: string } | undefined;
    return row ? { generatedAt: row.generatedAt, report: JSON.parse(row.report) as DailyReport } : null;
  }

  /** Retention: check-ins older than `days` go; the audit log stays. Returns how many were removed. */
  purge(olderThan: Date): number {
    return this.db.prepare('DELETE FROM checkins WHERE at < ?').run(olderThan.toISOString()).changes;
  }

  audit(actor: string, action: string, detail: Record<string, unknown>, at = new Date()): void {
    this.db
      .prepare('INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)')
      .run(at.toISOString(), actor, action, JSON.stringify(detail));
  }

  auditLog(limit = 100): Array<{ at: string; actor: string; action: string; detail: string }> {
    return this.db
      .prepare('SELECT at, actor, action, detail FROM audit ORDER BY seq DESC LIMIT ?')
      .all(limit) as Array<{
      at: string;
      actor: string;
      action: string;
      detail: string;
    }>;
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
