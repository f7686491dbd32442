import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { AlertRow, AlertStorage, NewAlert, NewNotice, NoticeRow } from './alert-rows.js';

/**
 * Alerts with their history and the notices they cause (migration 9), one SQL text for both
 * engines (`$n` → `?` for SQLite); see AlertStorage for which statement makes which step safe
 * between hub processes. Times go in as ISO-8601 UTC text (SQLite compares it as text, PostgreSQL
 * reads it as timestamptz) and come out as ISO strings (postgres.ts's type parser).
 */

const A = `id, key, rule, site, kiosk, severity, detail, raised_at AS "raisedAt", cleared_at AS "clearedAt"`;
const N = `id, key, channel, target, payload, created_at AS "createdAt", due_at AS "dueAt", attempts,
  sent_at AS "sentAt", failed_at AS "failedAt", last_error AS "lastError"`;

const RAISE = `INSERT INTO alerts (key, rule, site, kiosk, severity, detail, raised_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING ${A}`;
const CLEAR = `UPDATE alerts SET cleared_at = $1 WHERE id = $2 AND cleared_at IS NULL RETURNING ${A}`;
// Cleared and marked announced in the same statement: in two steps, another process's announce()
// could queue the "cleared" notice in between (seen on PostgreSQL in CI).
const CLEAR_SILENT = `UPDATE alerts SET cleared_at = $1, clear_queued_at = $2 WHERE id = $3 AND cleared_at IS NULL
  RETURNING ${A}`;
const ACTIVE = `SELECT ${A} FROM alerts WHERE cleared_at IS NULL ORDER BY raised_at DESC, id DESC LIMIT $1`;
const ALL = `SELECT ${A} FROM alerts ORDER BY raised_at DESC, id DESC LIMIT $1`;
// A scope's alerts: filtered in SQL before the LIMIT, not after it (the newest N of the whole fleet
// could all be another area's, and an officer then saw none of theirs). The sites go as one JSON
// array parameter: any number of them, one statement text.
const IN_SITES_SQLITE = 'site IN (SELECT value FROM json_each($1))';
const IN_SITES_PG = 'site IN (SELECT jsonb_array_elements_text($1::jsonb))';
const scoped = (inSites: string, active: boolean) =>
  `SELECT ${A} FROM alerts WHERE ${inSites}${active ? ' AND cleared_at IS NULL' : ''}
  ORDER BY raised_at DESC, id DESC LIMIT $2`;
const UNANNOUNCED = `SELECT ${A}, CASE WHEN raise_queued_at IS NULL THEN 'raise' ELSE 'clear' END AS event
  FROM alerts WHERE raise_queued_at IS NULL OR (cleared_at IS NOT NULL AND clear_queued_at IS NULL)
  ORDER BY id LIMIT $1`;
const ANNOUNCED_RAISE = 'UPDATE alerts SET raise_queued_at = $1 WHERE id = $2';
const ANNOUNCED_CLEAR = 'UPDATE alerts SET clear_queued_at = $1 WHERE id = $2';
const QUEUE = `INSERT INTO notices (key, channel, target, payload, created_at, due_at)
  VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING`;
const DUE = `sent_at IS NULL AND failed_at IS NULL AND due_at <= $2 AND (lease_until IS NULL OR lease_until <= $3)`;
// PostgreSQL: the due rows are picked and locked once, in a CTE (`FOR UPDATE SKIP LOCKED`: another
// process taking at once skips them; the lock re-checks the WHERE on a row changed meanwhile), then
// leased. Not `WHERE id IN (SELECT … LIMIT n FOR UPDATE SKIP LOCKED)`: the planner may run that
// subquery again per row, and a process was seen taking 20 rows with LIMIT 15 (alert-store.test.ts).
// SQLite runs one writer at a time.
const TAKE_PG = `WITH picked AS (SELECT id AS pid FROM notices WHERE ${DUE} ORDER BY id LIMIT $4 FOR UPDATE SKIP LOCKED)
  UPDATE notices SET lease_until = $1, attempts = attempts + 1 FROM picked WHERE id = picked.pid
  RETURNING ${N}`;
const TAKE_SQLITE = `UPDATE notices SET lease_until = $1, attempts = attempts + 1
  WHERE id IN (SELECT id FROM notices WHERE ${DUE} ORDER BY id LIMIT $4) RETURNING ${N}`;
const SENT = 'UPDATE notices SET sent_at = $1, lease_until = NULL, last_error = NULL WHERE id = $2';
const RETRY = 'UPDATE notices SET due_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3';
const GIVE_UP = 'UPDATE notices SET failed_at = $1, lease_until = NULL, last_error = $2 WHERE id = $3';
const NOTICES = `SELECT ${N} FROM notices ORDER BY id DESC LIMIT $1`;
const PURGE = 'DELETE FROM notices WHERE created_at < $1 AND (sent_at IS NOT NULL OR failed_at IS NOT NULL)';

/** The parameters are always used once each, in order: `$n` becomes SQLite's `?`. */
const q = (sql: string) => sql.replace(/\$\d+/g, '?');
const iso = (d: Date) => d.toISOString();
const raiseParams = (a: NewAlert) => [a.key, a.rule, a.site, a.kiosk, a.severity, a.detail, iso(a.raisedAt)];
const queueParams = (n: NewNotice, at: Date) => [
  n.key,
  n.channel,
  n.target,
  n.payload,
  iso(at),
  iso(n.dueAt),
];

export class SqliteAlerts implements AlertStorage {
  constructor(private readonly db: Database.Database) {}

  async raise(a: NewAlert) {
    return (this.db.prepare(q(RAISE)).get(...raiseParams(a)) as AlertRow | undefined) ?? null;
  }
  async clear(id: number, at: Date, silent = false) {
    const row = silent
      ? this.db.prepare(q(CLEAR_SILENT)).get(iso(at), iso(at), id)
      : this.db.prepare(q(CLEAR)).get(iso(at), id);
    return (row as AlertRow | undefined) ?? null;
  }
  async list(active: boolean, limit: number, sites?: ReadonlyArray<string>) {
    if (sites)
      return this.db
        .prepare(q(scoped(IN_SITES_SQLITE, active)))
        .all(JSON.stringify(sites), limit) as AlertRow[];
    return this.db.prepare(q(active ? ACTIVE : ALL)).all(limit) as AlertRow[];
  }
  async unannounced(limit: number) {
    return this.db.prepare(q(UNANNOUNCED)).all(limit) as Array<AlertRow & { event: 'raise' | 'clear' }>;
  }
  async announced(id: number, event: 'raise' | 'clear', at: Date) {
    this.db.prepare(q(event === 'raise' ? ANNOUNCED_RAISE : ANNOUNCED_CLEAR)).run(iso(at), id);
  }
  async queue(notices: ReadonlyArray<NewNotice>, at: Date) {
    const insert = this.db.prepare(q(QUEUE));
    return this.db.transaction(() =>
      notices.reduce((n, x) => n + insert.run(...queueParams(x, at)).changes, 0),
    )();
  }
  async take(now: Date, leaseMs: number, limit: number) {
    const t = iso(now);
    return this.db
      .prepare(q(TAKE_SQLITE))
      .all(iso(new Date(now.getTime() + leaseMs)), t, t, limit) as NoticeRow[];
  }
  async sent(id: number, at: Date) {
    this.db.prepare(q(SENT)).run(iso(at), id);
  }
  async failed(id: number, at: Date, error: string, retryAt: Date | null) {
    if (retryAt) this.db.prepare(q(RETRY)).run(iso(retryAt), error, id);
    else this.db.prepare(q(GIVE_UP)).run(iso(at), error, id);
  }
  async notices(limit: number) {
    return this.db.prepare(q(NOTICES)).all(limit) as NoticeRow[];
  }
  async purgeNotices(before: Date) {
    return this.db.prepare(q(PURGE)).run(iso(before)).changes;
  }
}

export class PostgresAlerts implements AlertStorage {
  constructor(private readonly pool: pg.Pool) {}

  private async rows<T extends pg.QueryResultRow>(sql: string, params: unknown[]): Promise<T[]> {
    return (await this.pool.query<T>(sql, params)).rows;
  }
  async raise(a: NewAlert) {
    return (await this.rows<AlertRow>(RAISE, raiseParams(a)))[0] ?? null;
  }
  async clear(id: number, at: Date, silent = false) {
    const rows = silent
      ? await this.rows<AlertRow>(CLEAR_SILENT, [iso(at), iso(at), id])
      : await this.rows<AlertRow>(CLEAR, [iso(at), id]);
    return rows[0] ?? null;
  }
  async list(active: boolean, limit: number, sites?: ReadonlyArray<string>) {
    if (sites) return this.rows<AlertRow>(scoped(IN_SITES_PG, active), [JSON.stringify(sites), limit]);
    return this.rows<AlertRow>(active ? ACTIVE : ALL, [limit]);
  }
  async unannounced(limit: number) {
    return this.rows<AlertRow & { event: 'raise' | 'clear' }>(UNANNOUNCED, [limit]);
  }
  async announced(id: number, event: 'raise' | 'clear', at: Date) {
    await this.pool.query(event === 'raise' ? ANNOUNCED_RAISE : ANNOUNCED_CLEAR, [iso(at), id]);
  }
  async queue(notices: ReadonlyArray<NewNotice>, at: Date) {
    let n = 0;
    // One statement each, not a transaction: a notice queued twice is dropped by its key anyway.
    for (const x of notices) n += (await this.pool.query(QUEUE, queueParams(x, at))).rowCount ?? 0;
    return n;
  }
  async take(now: Date, leaseMs: number, limit: number) {
    const t = iso(now);
    return this.rows<NoticeRow>(TAKE_PG, [iso(new Date(now.getTime() + leaseMs)), t, t, limit]);
  }
  async sent(id: number, at: Date) {
    await this.pool.query(SENT, [iso(at), id]);
  }
  async failed(id: number, at: Date, error: string, retryAt: Date | null) {
    if (retryAt) await this.pool.query(RETRY, [iso(retryAt), error, id]);
    else await this.pool.query(GIVE_UP, [iso(at), error, id]);
  }
  async notices(limit: number) {
    return this.rows<NoticeRow>(NOTICES, [limit]);
  }
  async purgeNotices(before: Date) {
    return (await this.pool.query(PURGE, [iso(before)])).rowCount ?? 0;
  }
}
