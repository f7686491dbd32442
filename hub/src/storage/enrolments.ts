import type Database from 'better-sqlite3';
import type pg from 'pg';
import type { AuditRow } from './audit-row.js';
import type { Claim, ClaimRefusal, EnrolmentRow, NewEnrolment } from './enrolment-rows.js';

/**
 * Kiosk enrolment codes (migration 8), in SQL for both engines. The token itself is never stored,
 * only its hash (protocol's enrolmentTokenHash): a copy of the database redeems nothing.
 *
 * Single use is one UPDATE whose WHERE says "not redeemed, not withdrawn, not expired": SQLite runs
 * writers one at a time (the file's write lock, across processes too), PostgreSQL re-checks the WHERE
 * of a row another transaction just changed (READ COMMITTED re-evaluation after the row lock), so of
 * two redemptions at once exactly one gets the row back. Times go in as ISO-8601 UTC text, which
 * SQLite compares as text and PostgreSQL reads as timestamptz.
 */

const COLUMNS = `token_hash AS "tokenHash", kiosk, site, direction, created_at AS "createdAt",
  expires_at AS "expiresAt", created_by AS "createdBy", withdrawn_at AS "withdrawnAt",
  withdrawn_why AS "withdrawnWhy", redeemed_at AS "redeemedAt", redeemed_key AS "redeemedKey",
  redeemed_from AS "redeemedFrom"`;

const WITHDRAW = `UPDATE enrolments SET withdrawn_at = $1, withdrawn_why = $2
  WHERE kiosk = $3 AND redeemed_at IS NULL AND withdrawn_at IS NULL`;
const INSERT = `INSERT INTO enrolments (token_hash, kiosk, site, direction, created_at, expires_at, created_by)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;
const CLAIM = `UPDATE enrolments SET redeemed_at = $1, redeemed_key = $2, redeemed_from = $3
  WHERE token_hash = $4 AND redeemed_at IS NULL AND withdrawn_at IS NULL AND expires_at > $5
  RETURNING ${COLUMNS}`;
const ONE = `SELECT ${COLUMNS} FROM enrolments WHERE token_hash = $1`;
const RELEASE = `UPDATE enrolments SET redeemed_at = NULL, redeemed_key = NULL, redeemed_from = NULL
  WHERE token_hash = $1`;
const LIST = `SELECT ${COLUMNS} FROM enrolments ORDER BY created_at DESC LIMIT $1`;

/** The parameters are always used once each, in order: `$n` becomes SQLite's `?`. */
const q = (sql: string) => sql.replace(/\$\d+/g, '?');

const insertParams = (e: NewEnrolment) => [
  e.tokenHash,
  e.kiosk,
  e.site,
  e.direction,
  e.createdAt,
  e.expiresAt,
  e.createdBy,
];

/** Why a row that exists did not redeem. */
function refusal(row: EnrolmentRow | undefined, at: string): ClaimRefusal {
  if (!row) return 'code-unknown';
  if (row.redeemedAt) return 'code-used';
  if (row.withdrawnAt) return 'code-revoked';
  // Compared as instants: PostgreSQL gives them back with milliseconds, SQLite as written.
  return Date.parse(row.expiresAt) <= Date.parse(at) ? 'code-expired' : 'code-used';
}

/** Adds a code, withdrawing the kiosk's older unredeemed ones in the same transaction; returns how many. */
function sqliteAddEnrolment(db: Database.Database, e: NewEnrolment): number {
  return db.transaction(() => {
    const withdrawn = db.prepare(q(WITHDRAW)).run(e.createdAt, 'replaced', e.kiosk).changes;
    db.prepare(q(INSERT)).run(...insertParams(e));
    return withdrawn;
  })();
}

function sqliteClaimEnrolment(
  db: Database.Database,
  tokenHash: string,
  at: string,
  key: string,
  from: string,
): Claim {
  const row = db.prepare(q(CLAIM)).get(at, key, from, tokenHash, at) as EnrolmentRow | undefined;
  if (row) return { ok: true, row };
  const seen = db.prepare(q(ONE)).get(tokenHash) as EnrolmentRow | undefined;
  return { ok: false, reason: refusal(seen, at), ...(seen ? { row: seen } : {}) };
}

function sqliteReleaseEnrolment(db: Database.Database, tokenHash: string): void {
  db.prepare(q(RELEASE)).run(tokenHash);
}

function sqliteWithdrawEnrolments(db: Database.Database, kiosk: string, at: string, why: string): number {
  return db.prepare(q(WITHDRAW)).run(at, why, kiosk).changes;
}

function sqliteEnrolments(db: Database.Database, limit: number): EnrolmentRow[] {
  return db.prepare(q(LIST)).all(limit) as EnrolmentRow[];
}

async function postgresAddEnrolment(client: pg.PoolClient, e: NewEnrolment): Promise<number> {
  const withdrawn = (await client.query(WITHDRAW, [e.createdAt, 'replaced', e.kiosk])).rowCount ?? 0;
  await client.query(INSERT, insertParams(e));
  return withdrawn;
}

async function postgresClaimEnrolment(
  pool: pg.Pool,
  tokenHash: string,
  at: string,
  key: string,
  from: string,
): Promise<Claim> {
  const { rows } = await pool.query<EnrolmentRow>(CLAIM, [at, key, from, tokenHash, at]);
  if (rows[0]) return { ok: true, row: rows[0] };
  const seen = (await pool.query<EnrolmentRow>(ONE, [tokenHash])).rows[0];
  return { ok: false, reason: refusal(seen, at), ...(seen ? { row: seen } : {}) };
}

async function postgresReleaseEnrolment(pool: pg.Pool, tokenHash: string): Promise<void> {
  await pool.query(RELEASE, [tokenHash]);
}

async function postgresWithdrawEnrolments(
  pool: pg.Pool,
  kiosk: string,
  at: string,
  why: string,
): Promise<number> {
  return (await pool.query(WITHDRAW, [at, why, kiosk])).rowCount ?? 0;
}

async function postgresEnrolments(pool: pg.Pool, limit: number): Promise<EnrolmentRow[]> {
  return (await pool.query<EnrolmentRow>(LIST, [limit])).rows;
}

/** The audit rows of enrolment (codes made, redeemed, refused, kiosks revoked), newest first. */
const AUDIT = `SELECT at, actor, action, detail FROM audit
  WHERE action IN ('enrol-code', 'enrol-redeemed', 'enrol-refused', 'kiosk-revoke') ORDER BY seq DESC LIMIT $1`;

function sqliteEnrolmentAudit(db: Database.Database, limit: number): AuditRow[] {
  return db.prepare(q(AUDIT)).all(limit) as AuditRow[];
}

async function postgresEnrolmentAudit(pool: pg.Pool, limit: number): Promise<AuditRow[]> {
  return (await pool.query<AuditRow>(AUDIT, [limit])).rows;
}

/** Enrolment codes (migration 8), as `HubRepository.enrolments`. */
export interface EnrolmentRecords {
  /** Adds a code, withdrawing the kiosk's older unredeemed ones (one transaction); returns how many. */
  add(e: NewEnrolment): Promise<number>;
  /**
   * Redeems a code at most once: of concurrent claims exactly one gets the row; the others learn why
   * not (used, withdrawn, expired, unknown).
   */
  claim(tokenHash: string, at: Date, keyFingerprint: string, from: string): Promise<Claim>;
  /** Gives a claimed code back (the broker could not be set up: the technician may try again). */
  release(tokenHash: string): Promise<void>;
  /** Withdraws a kiosk's unredeemed codes; returns how many. */
  withdraw(kiosk: string, at: Date, why: string): Promise<number>;
  /** Codes, newest first. */
  list(limit: number): Promise<EnrolmentRow[]>;
  /** Enrolment's audit rows (made, redeemed, refused, revoked), newest first. */
  audit(limit: number): Promise<AuditRow[]>;
}

export const sqliteEnrolmentRecords = (db: Database.Database): EnrolmentRecords => ({
  add: async (e) => sqliteAddEnrolment(db, e),
  claim: async (tokenHash, at, key, from) => sqliteClaimEnrolment(db, tokenHash, at.toISOString(), key, from),
  release: async (tokenHash) => sqliteReleaseEnrolment(db, tokenHash),
  withdraw: async (kiosk, at, why) => sqliteWithdrawEnrolments(db, kiosk, at.toISOString(), why),
  list: async (limit) => sqliteEnrolments(db, limit),
  audit: async (limit) => sqliteEnrolmentAudit(db, limit),
});

/** `transaction`: the repository's own (one client, BEGIN … COMMIT, rolled back on a throw). */
export const postgresEnrolmentRecords = (
  pool: pg.Pool,
  transaction: <T>(fn: (client: pg.PoolClient) => Promise<T>) => Promise<T>,
): EnrolmentRecords => ({
  add: (e) => transaction((client) => postgresAddEnrolment(client, e)),
  claim: (tokenHash, at, key, from) => postgresClaimEnrolment(pool, tokenHash, at.toISOString(), key, from),
  release: (tokenHash) => postgresReleaseEnrolment(pool, tokenHash),
  withdraw: (kiosk, at, why) => postgresWithdrawEnrolments(pool, kiosk, at.toISOString(), why),
  list: (limit) => postgresEnrolments(pool, limit),
  audit: (limit) => postgresEnrolmentAudit(pool, limit),
});
