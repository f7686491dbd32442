import type Database from 'better-sqlite3';
import type pg from 'pg';
import { type PassCheckinRecords, postgresPassCheckins, sqlitePassCheckins } from './pass-checkins.js';
import { pgTransaction } from './pg-transaction.js';

/**
 * Printed passes (issue #20, migration 17), one SQL text for both engines (`$n` → `?` for SQLite).
 * A row ties a pass id (what the QR carries) to the person's keyed identity hash (what the QR never
 * carries) with its scope and validity; the masked name is for the printed card and the list page only.
 *
 * valid_from / valid_until are Vietnam calendar days as `yyyy-MM-dd` text in both engines: a
 * PostgreSQL `date` comes back from node-postgres as a JS Date at local midnight, which shifts a day
 * on a server in another zone; text of that shape sorts and compares as the dates do.
 * issued_at / revoked_at are instants: ISO text in SQLite, timestamptz in PostgreSQL.
 */
export interface PassRow {
  /** 20 hex digits (10 random bytes), as protocol's `Pass.passId`. */
  passId: string;
  /** The person's keyed identity hash (hex), as in check-ins: the pass holder is that person. */
  idHash: string;
  /**
   * The person's other keyed hashes, 32 hex each, concatenated ('' for none): a reception pass's check-in
   * `document.links`, which the pass list carries (review 2, finding 1). Absent on insert: none.
   */
  links?: string;
  /** site | ward | province */
  scopeKind: string;
  scopeId: string;
  validFrom: string;
  validUntil: string;
  nameMasked: string;
  /** The issuer the card names (the site's name, or the ward's or province's as the officer gave it). */
  issuer: string;
  issuedBy: string;
  issuedAt: string;
  revokedAt: string | null;
  revokedBy: string | null;
  reason: string | null;
}

/** What an officer sees of a pass (the page's API, the CLI's JSON): no keyed hash of any kind. */
export type OfficerPass = Omit<PassRow, 'idHash' | 'links'>;

/**
 * The one officer's view of a row, used wherever a pass leaves the hub for a person: the holder's hash
 * and their other keys (links: a CMND or BHXH hash) are as linkable as each other (review 1 finding 9,
 * review 3 finding 2), and the page needs only who, where and until when.
 */
export function officerPass({ idHash: _, links: __, ...row }: PassRow): OfficerPass {
  return row;
}

/**
 * Migration 17's tables. (valid_until) serves the published list: only passes still valid are sent.
 * pass_list_state is one row: the last pass-list version reserved (never signed twice, by any hub
 * process or CLI) and the last one that reached the broker (what the freshness statement says), with
 * the digest of what that list said: every hub process's periodic check decides "unchanged" from it.
 */
export const PASSES_SQLITE = `
  CREATE TABLE IF NOT EXISTS passes (
    pass_id TEXT PRIMARY KEY, id_hash TEXT NOT NULL, links TEXT NOT NULL DEFAULT '', scope_kind TEXT NOT NULL, scope_id TEXT NOT NULL,
    valid_from TEXT NOT NULL, valid_until TEXT NOT NULL, name_masked TEXT NOT NULL,
    issuer TEXT NOT NULL, issued_by TEXT NOT NULL, issued_at TEXT NOT NULL,
    revoked_at TEXT, revoked_by TEXT, reason TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS passes_by_expiry ON passes (valid_until);
  CREATE INDEX IF NOT EXISTS passes_by_scope ON passes (scope_kind, scope_id, issued_at);
  CREATE TABLE IF NOT EXISTS pass_list_state (
    id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL, published INTEGER, digest TEXT
  );
`;
export const PASSES_POSTGRES = `
  CREATE TABLE passes (
    pass_id text PRIMARY KEY, id_hash text NOT NULL, links text NOT NULL DEFAULT '', scope_kind text NOT NULL, scope_id text NOT NULL,
    valid_from text NOT NULL, valid_until text NOT NULL, name_masked text NOT NULL,
    issuer text NOT NULL, issued_by text NOT NULL, issued_at timestamptz NOT NULL,
    revoked_at timestamptz, revoked_by text, reason text
  );
  CREATE INDEX passes_by_expiry ON passes (valid_until);
  CREATE INDEX passes_by_scope ON passes (scope_kind, scope_id, issued_at);
  CREATE TABLE pass_list_state (
    id integer PRIMARY KEY CHECK (id = 1), version bigint NOT NULL, published bigint, digest text
  );
`;

export interface PassQuery {
  scopeKind?: string;
  scopeId?: string;
  /** Only passes whose validUntil is on or after this day (yyyy-MM-dd). */
  validOn?: string;
  /** Revoked passes too (default: only those not revoked). */
  revoked?: boolean;
  /**
   * Only passes an officer may see (routes/passes.ts): site passes of these sites, ward passes of these
   * wards. Filtered in SQL, before the LIMIT, so other areas' newer passes never crowd theirs out.
   */
  visible?: { sites: readonly string[]; wards: readonly string[] };
  limit?: number;
}

/** Passes (migration 17), as `HubRepository.passes`; reception's check-in → pass too (pass-checkins.ts). */
export interface PassRecords extends PassCheckinRecords {
  /** Stores a batch of new passes in one transaction (a CSV batch is all or nothing). */
  add(rows: readonly PassRow[]): Promise<void>;
  get(passId: string): Promise<PassRow | undefined>;
  /** Newest first. */
  list(query?: PassQuery): Promise<PassRow[]>;
  /** Marks a pass revoked; false when there is no such pass or it was already revoked (the first reason stays). */
  revoke(passId: string, at: Date, by: string, reason: string): Promise<boolean>;
  /**
   * Reserves the next pass-list version, max(last + 1, unixNow), in one statement: two hub processes
   * or the CLI asking at once get two versions, never one (two lists signed under one version would
   * leave every kiosk that installed the first refusing the second for good).
   */
  reserveListVersion(unixNow: number): Promise<number>;
  /**
   * Records that a version reached the broker (the larger of it and the one recorded stays, with its
   * list's digest: use-cases/pass-list.ts).
   */
  listPublished(version: number, digest: string): Promise<void>;
  /** The last version that reached the broker; null: none yet. */
  publishedListVersion(): Promise<number | null>;
  /** The last version that reached the broker and its list's digest, whichever process sent it. */
  publishedList(): Promise<{ version: number; digest: string | null } | null>;
  /**
   * Retention (use-cases/retention.ts): deletes the passes whose last valid day is before `day`
   * (yyyy-MM-dd) and their reception check-in links; the number of passes deleted.
   */
  purgeExpired(day: string): Promise<number>;
}

const COLUMNS = `pass_id AS "passId", id_hash AS "idHash", links, scope_kind AS "scopeKind", scope_id AS "scopeId",
  valid_from AS "validFrom", valid_until AS "validUntil", name_masked AS "nameMasked", issuer, issued_by AS "issuedBy",
  issued_at AS "issuedAt", revoked_at AS "revokedAt", revoked_by AS "revokedBy", reason`;
const ADD = `INSERT INTO passes (pass_id, id_hash, scope_kind, scope_id, valid_from, valid_until, name_masked,
  issuer, issued_by, issued_at, links) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`;
const GET = `SELECT ${COLUMNS} FROM passes WHERE pass_id = $1`;
/**
 * A revoked pass keeps its row (the list still names it, revoked, until its last day) but not the
 * holder's keyed hashes: the list sends a zero hash for it, the check-ins made with it carry their own,
 * and nothing else reads them (review 3 finding 6). id_hash is NOT NULL: 32 zeros, as the list sends.
 * name_masked stays: the page's "all" view and the audit say whose card was revoked.
 */
const REVOKE = `UPDATE passes SET revoked_at = $1, revoked_by = $2, reason = $3, id_hash = '${'0'.repeat(32)}', links = ''
  WHERE pass_id = $4 AND revoked_at IS NULL`;
// SQLite's two-argument MAX and PostgreSQL's GREATEST; the row is locked by the upsert in both.
const reserveSql = (max: string, cast: string) =>
  `INSERT INTO pass_list_state (id, version) VALUES (1, $1) ON CONFLICT (id) DO UPDATE
    SET version = ${max}(pass_list_state.version + 1, excluded.version) RETURNING version${cast} AS version`;
// SET sees the row as it was: the digest moves only with a version at least the recorded one.
const publishedSql = (max: string, cast: string) =>
  `UPDATE pass_list_state SET published = ${max}(COALESCE(published, 0), $1${cast}),
    digest = CASE WHEN $1${cast} >= COALESCE(published, 0) THEN $2 ELSE digest END WHERE id = 1`;
const PUBLISHED = 'SELECT published, digest FROM pass_list_state WHERE id = 1';
const PURGE_CHECKINS =
  'DELETE FROM pass_checkins WHERE pass_id IN (SELECT pass_id FROM passes WHERE valid_until < $1)';
const PURGE = 'DELETE FROM passes WHERE valid_until < $1';

/** The list query with its optional filters, numbered for PostgreSQL; `inList` for the engine's array. */
function listSql(
  q: PassQuery,
  inList: (param: string) => string,
  list: (ids: readonly string[]) => unknown,
): { sql: string; params: unknown[] } {
  const where: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, value: unknown) => {
    params.push(value);
    where.push(clause.replace('?', `$${params.length}`));
  };
  if (q.scopeKind !== undefined) add('scope_kind = ?', q.scopeKind);
  if (q.scopeId !== undefined) add('scope_id = ?', q.scopeId);
  if (q.validOn !== undefined) add('valid_until >= ?', q.validOn);
  if (!q.revoked) where.push('revoked_at IS NULL');
  if (q.visible) {
    params.push(list(q.visible.sites), list(q.visible.wards));
    const [sites, wards] = [`$${params.length - 1}`, `$${params.length}`];
    where.push(
      `((scope_kind = 'site' AND scope_id IN ${inList(sites)}) OR (scope_kind = 'ward' AND scope_id IN ${inList(wards)}))`,
    );
  }
  params.push(Math.max(1, Math.min(q.limit ?? 10_000, 1_000_000)));
  const sql = `SELECT ${COLUMNS} FROM passes${where.length ? ` WHERE ${where.join(' AND ')}` : ''}
    ORDER BY issued_at DESC, pass_id LIMIT $${params.length}`;
  return { sql, params };
}

const q = (sql: string) => sql.replace(/\$\d+/g, '?');
/** A JSON array parameter as a set: SQLite's json_each; PostgreSQL's text[] (no limit on the ids either way). */
const sqliteIn = (p: string) => `(SELECT value FROM json_each(${p}))`;
const postgresIn = (p: string) => `(SELECT unnest(${p}::text[]))`;
const addParams = (r: PassRow) => [
  r.passId,
  r.idHash,
  r.scopeKind,
  r.scopeId,
  r.validFrom,
  r.validUntil,
  r.nameMasked,
  r.issuer,
  r.issuedBy,
  r.issuedAt,
  r.links ?? '',
];

export function sqlitePassRecords(db: Database.Database): PassRecords {
  const insert = db.prepare(q(ADD));
  const addAll = db.transaction((rows: readonly PassRow[]) => {
    for (const r of rows) insert.run(...addParams(r));
  });
  return {
    ...sqlitePassCheckins(db),
    add: async (rows) => {
      addAll(rows);
    },
    get: async (passId) => db.prepare(q(GET)).get(passId) as PassRow | undefined,
    list: async (query = {}) => {
      const { sql, params } = listSql(query, sqliteIn, JSON.stringify);
      return db.prepare(q(sql)).all(...params) as PassRow[];
    },
    revoke: async (passId, at, by, reason) =>
      db.prepare(q(REVOKE)).run(at.toISOString(), by, reason, passId).changes === 1,
    reserveListVersion: async (unixNow) =>
      (db.prepare(q(reserveSql('MAX', ''))).get(unixNow) as { version: number }).version,
    listPublished: async (version, digest) => {
      // `?` for each `$n`: the version is bound twice.
      db.prepare(q(publishedSql('MAX', ''))).run(version, version, digest);
    },
    publishedListVersion: async () =>
      (db.prepare(PUBLISHED).get() as { published: number | null } | undefined)?.published ?? null,
    publishedList: async () => {
      const r = db.prepare(PUBLISHED).get() as
        | { published: number | null; digest: string | null }
        | undefined;
      return r?.published == null ? null : { version: r.published, digest: r.digest };
    },
    purgeExpired: async (day) =>
      db.transaction(() => {
        db.prepare(q(PURGE_CHECKINS)).run(day);
        return db.prepare(q(PURGE)).run(day).changes;
      })(),
  };
}

/** timestamptz columns come back as Date; the row's contract is ISO text, as from SQLite. */
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : (v as string | null));
const fromPostgres = (r: PassRow): PassRow => ({
  ...r,
  issuedAt: iso(r.issuedAt) as string,
  revokedAt: iso(r.revokedAt),
});

export function postgresPassRecords(pool: pg.Pool): PassRecords {
  return {
    ...postgresPassCheckins(pool),
    add: async (rows) => {
      await pgTransaction(pool, async (client) => {
        for (const r of rows) await client.query(ADD, addParams(r));
      });
    },
    get: async (passId) => {
      const row = (await pool.query<PassRow>(GET, [passId])).rows[0];
      return row && fromPostgres(row);
    },
    list: async (query = {}) => {
      const { sql, params } = listSql(query, postgresIn, (ids) => [...ids]);
      return (await pool.query<PassRow>(sql, params)).rows.map(fromPostgres);
    },
    revoke: async (passId, at, by, reason) =>
      ((await pool.query(REVOKE, [at, by, reason, passId])).rowCount ?? 0) === 1,
    // bigint comes back as text from node-postgres; Unix seconds are far inside a safe integer.
    reserveListVersion: async (unixNow) =>
      Number(
        (await pool.query<{ version: string }>(reserveSql('GREATEST', '::text'), [unixNow])).rows[0]?.version,
      ),
    listPublished: async (version, digest) => {
      await pool.query(publishedSql('GREATEST', '::bigint'), [version, digest]);
    },
    publishedListVersion: async () => {
      const v = (await pool.query<{ published: string | null }>(PUBLISHED)).rows[0]?.published;
      return v === undefined || v === null ? null : Number(v);
    },
    publishedList: async () => {
      const r = (await pool.query<{ published: string | null; digest: string | null }>(PUBLISHED)).rows[0];
      return r?.published == null ? null : { version: Number(r.published), digest: r.digest };
    },
    purgeExpired: async (day) =>
      pgTransaction(pool, async (client) => {
        await client.query(PURGE_CHECKINS, [day]);
        return (await client.query(PURGE, [day])).rowCount ?? 0;
      }),
  };
}
