import type { CheckinMessage } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * Passes issued at a kiosk's reception (issue #20, pass-requests.ts): which pass each check-in got, so a
 * kiosk asking again for one check-in (a retry, a reprint after a restart) gets the same pass, never a
 * second card for one visit. Part of migration 17 (not released before it). The row holds two ids and
 * a time, nothing about the person; it outlives the check-in's retention as the pass row does, and is
 * deleted with its pass once that is past its last valid day by privacy.retentionDays (retention.ts).
 */
export const PASS_CHECKINS_SQLITE = `
  CREATE TABLE IF NOT EXISTS pass_checkins (
    checkin_id TEXT PRIMARY KEY, pass_id TEXT NOT NULL, at TEXT NOT NULL
  ) WITHOUT ROWID;
`;
export const PASS_CHECKINS_POSTGRES = `
  CREATE TABLE pass_checkins (checkin_id text PRIMARY KEY, pass_id text NOT NULL, at timestamptz NOT NULL);
`;

/** A stored check-in as a pass request reads it: the message, and who sent it when (the table's columns). */
export interface StoredCheckin {
  site: string;
  kiosk: string;
  receivedAt: string;
  checkin: CheckinMessage;
}

export interface PassCheckinRecords {
  /** The check-in stored under this id (never a verify-only tally: those hold no person). */
  storedCheckin(id: string): Promise<StoredCheckin | undefined>;
  /** The pass issued for this check-in, if any. */
  passOfCheckin(checkinId: string): Promise<string | undefined>;
  /** Records the check-in's pass; false when another pass was recorded for it first (kept). */
  claimCheckin(checkinId: string, passId: string, at: Date): Promise<boolean>;
  /**
   * How many passes this kiosk's reception got since `since` (pass-requests.ts's daily cap): passes
   * issued as `kiosk:<site>/<kiosk>`, revoked ones too (scoped to its site: the scope index serves it).
   */
  issuedByKioskSince(site: string, kiosk: string, since: Date): Promise<number>;
}

const STORED = `SELECT site, kiosk, received_at AS "receivedAt", message FROM checkins WHERE id = $1`;
const PASS_OF = `SELECT pass_id AS "passId" FROM pass_checkins WHERE checkin_id = $1`;
const CLAIM = `INSERT INTO pass_checkins (checkin_id, pass_id, at) VALUES ($1, $2, $3)
  ON CONFLICT (checkin_id) DO NOTHING`;

const ISSUED_BY = `SELECT COUNT(*) AS n FROM passes
  WHERE scope_kind = 'site' AND scope_id = $1 AND issued_at >= $2 AND issued_by = $3`;
const issuer = (site: string, kiosk: string) => `kiosk:${site}/${kiosk}`;

type Row = { site: string; kiosk: string; receivedAt: unknown; message: string };
const stored = (r: Row | undefined): StoredCheckin | undefined =>
  r && {
    site: r.site,
    kiosk: r.kiosk,
    receivedAt: r.receivedAt instanceof Date ? r.receivedAt.toISOString() : String(r.receivedAt),
    checkin: JSON.parse(r.message) as CheckinMessage,
  };
const q = (sql: string) => sql.replace(/\$\d+/g, '?');

export function sqlitePassCheckins(db: Database.Database): PassCheckinRecords {
  return {
    storedCheckin: async (id) => stored(db.prepare(q(STORED)).get(id) as Row | undefined),
    passOfCheckin: async (id) => (db.prepare(q(PASS_OF)).get(id) as { passId: string } | undefined)?.passId,
    claimCheckin: async (checkinId, passId, at) =>
      db.prepare(q(CLAIM)).run(checkinId, passId, at.toISOString()).changes === 1,
    issuedByKioskSince: async (site, kiosk, since) =>
      (db.prepare(q(ISSUED_BY)).get(site, since.toISOString(), issuer(site, kiosk)) as { n: number }).n,
  };
}

export function postgresPassCheckins(pool: pg.Pool): PassCheckinRecords {
  return {
    storedCheckin: async (id) => stored((await pool.query<Row>(STORED, [id])).rows[0]),
    passOfCheckin: async (id) => (await pool.query<{ passId: string }>(PASS_OF, [id])).rows[0]?.passId,
    claimCheckin: async (checkinId, passId, at) =>
      ((await pool.query(CLAIM, [checkinId, passId, at])).rowCount ?? 0) === 1,
    // COUNT is bigint: text from node-postgres.
    issuedByKioskSince: async (site, kiosk, since) =>
      Number(
        (await pool.query<{ n: string }>(ISSUED_BY, [site, since, issuer(site, kiosk)])).rows[0]?.n ?? 0,
      ),
  };
}
