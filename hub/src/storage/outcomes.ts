import type { OutcomeMessage } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * The guard's outcomes after a REVIEW (qrkiosk.outcome/1, migration 7), in SQL for both engines.
 * An outcome is its own row linked to the check-in by `checkin`; the check-in is never rewritten.
 * No foreign key: an outcome may arrive before its check-in (a resend after a lost receipt), or the
 * check-in may be a dead letter; the link is resolved when read. The id is the key: a repeat
 * delivery is stored once.
 */

const INSERT = `INSERT INTO outcomes (id, checkin, site, kiosk, outcome, by_, at, message, received_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING`;

const params = (o: OutcomeMessage, receivedAt: Date) => [
  o.id,
  o.checkin,
  o.site,
  o.kiosk,
  o.outcome,
  o.by,
  new Date(o.at).toISOString(),
  JSON.stringify(o),
  receivedAt.toISOString(),
];

/** Stores an outcome; false when its id was already there. */
export function sqliteAddOutcome(db: Database.Database, o: OutcomeMessage, receivedAt: Date): boolean {
  return db.prepare(INSERT.replace(/\$\d+/g, '?')).run(...params(o, receivedAt)).changes === 1;
}

export function sqliteOutcomesOf(db: Database.Database, checkin: string): OutcomeMessage[] {
  return (
    db.prepare('SELECT message FROM outcomes WHERE checkin = ? ORDER BY at, id').all(checkin) as Array<{
      message: string;
    }>
  ).map((r) => JSON.parse(r.message) as OutcomeMessage);
}

export async function postgresAddOutcome(
  pool: pg.Pool,
  o: OutcomeMessage,
  receivedAt: Date,
): Promise<boolean> {
  return ((await pool.query(INSERT, params(o, receivedAt))).rowCount ?? 0) === 1;
}

export async function postgresOutcomesOf(pool: pg.Pool, checkin: string): Promise<OutcomeMessage[]> {
  const { rows } = await pool.query<{ message: string }>(
    'SELECT message FROM outcomes WHERE checkin = $1 ORDER BY at, id',
    [checkin],
  );
  return rows.map((r) => JSON.parse(r.message) as OutcomeMessage);
}

/**
 * Which of `checkins` a kiosk's door sensor marked `not-entered` (issue #19): tracing lists them as "did
 * not enter" and starts no stay from them. One query over the outcomes_by_checkin index.
 */
export function sqliteNotEntered(db: Database.Database, checkins: readonly string[]): Set<string> {
  if (checkins.length === 0) return new Set();
  const rows = db
    .prepare<[string], { checkin: string }>(
      `SELECT DISTINCT checkin FROM outcomes
        WHERE outcome = 'not-entered' AND checkin IN (SELECT value FROM json_each(?))`,
    )
    .all(JSON.stringify(checkins));
  return new Set(rows.map((r) => r.checkin));
}

export async function postgresNotEntered(pool: pg.Pool, checkins: readonly string[]): Promise<Set<string>> {
  if (checkins.length === 0) return new Set();
  const { rows } = await pool.query<{ checkin: string }>(
    "SELECT DISTINCT checkin FROM outcomes WHERE outcome = 'not-entered' AND checkin = ANY($1::text[])",
    [checkins],
  );
  return new Set(rows.map((r) => r.checkin));
}

/**
 * SQL for `around` (tracing's co-visitors): a check-in whose door did not move brought nobody in, so it
 * makes nobody a contact. NOT EXISTS is one probe of outcomes_by_checkin per row around a visit.
 */
export const NOT_ENTERED_EXCLUDED =
  "NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.checkin = checkins.id AND o.outcome = 'not-entered')";

/** Where a stored check-in or tally was made (its site and kiosk); undefined when the hub does not have it. */
export function sqliteCheckinOwner(
  db: Database.Database,
  id: string,
): { site: string; kiosk: string } | undefined {
  return db
    .prepare<[string, string], { site: string; kiosk: string }>(
      'SELECT site, kiosk FROM checkins WHERE id = ? UNION ALL SELECT site, kiosk FROM tallies WHERE id = ?',
    )
    .get(id, id);
}

export async function postgresCheckinOwner(
  pool: pg.Pool,
  id: string,
): Promise<{ site: string; kiosk: string } | undefined> {
  const { rows } = await pool.query<{ site: string; kiosk: string }>(
    'SELECT site, kiosk FROM checkins WHERE id = $1 UNION ALL SELECT site, kiosk FROM tallies WHERE id = $1',
    [id],
  );
  return rows[0];
}
