import type { TallyMessage } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { unsyncedBoot } from './boots.js';

/**
 * A verify-only site's tallies (qrkiosk.tally/1, migration 16), in SQL for both engines: time,
 * verdict, reason, kind — no identity column, because the message has none. The id is the key: a
 * repeat delivery is stored once. Counted with the check-ins in reports, live counts and occupancy;
 * tracing cannot use them, and says so for the sites that sent them (use-cases/trace.ts).
 */

/**
 * Migration 16's tables (storage/migrations.ts names the step). No id_hash, no name, no number: a
 * verify-only site keeps no register (issue #19), and the table cannot hold one. (site, at) serves
 * occupancy and tracing's "verify-only here" note; (at) the counts. A released step is never edited.
 */
export const TALLIES_SQLITE = `
  CREATE TABLE IF NOT EXISTS tallies (
    id TEXT PRIMARY KEY, site TEXT NOT NULL, kiosk TEXT NOT NULL, at TEXT NOT NULL,
    direction TEXT NOT NULL, kind TEXT NOT NULL, verdict TEXT NOT NULL, colour TEXT,
    reason TEXT NOT NULL, message TEXT NOT NULL, received_at TEXT NOT NULL,
    boot_id TEXT, uptime_ms INTEGER, at_reported TEXT
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS tallies_by_site ON tallies (site, at);
  CREATE INDEX IF NOT EXISTS tallies_by_time ON tallies (at);
  CREATE INDEX IF NOT EXISTS tallies_by_boot ON tallies (kiosk, boot_id) WHERE boot_id IS NOT NULL;
`;
export const TALLIES_POSTGRES = `
  CREATE TABLE tallies (
    id text PRIMARY KEY, site text NOT NULL, kiosk text NOT NULL, at timestamptz NOT NULL,
    direction text NOT NULL, kind text NOT NULL, verdict text NOT NULL, colour text,
    reason text NOT NULL, message text NOT NULL, received_at timestamptz NOT NULL,
    boot_id text, uptime_ms bigint, at_reported timestamptz
  );
  CREATE INDEX tallies_by_site ON tallies (site, at);
  CREATE INDEX tallies_by_time ON tallies (at);
  CREATE INDEX tallies_by_boot ON tallies (kiosk, boot_id) WHERE boot_id IS NOT NULL;
`;

const INSERT = `INSERT INTO tallies (id, site, kiosk, at, direction, kind, verdict, colour, reason, message, received_at,
    boot_id, uptime_ms, at_reported)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (id) DO NOTHING`;

/** A tally to store. `atReported`: the kiosk's own time, when `tally.at` was re-timed on ingest. */
export interface TallyRow {
  tally: TallyMessage;
  receivedAt: Date;
  atReported?: string;
}

function params({ tally: t, receivedAt, atReported }: TallyRow) {
  // Kept while unsynced and not re-timed yet: the hub moves it once the boot's start is known (boots.ts).
  const boot = atReported ? undefined : unsyncedBoot(t);
  return [
    t.id,
    t.site,
    t.kiosk,
    new Date(t.at).toISOString(),
    t.direction,
    t.kind,
    t.verdict,
    t.colour,
    t.reason,
    JSON.stringify(t),
    receivedAt.toISOString(),
    boot?.id ?? null,
    boot?.uptimeMs ?? null,
    atReported ?? null,
  ];
}

/** The hub's tallies as the repository exposes them (`HubRepository.tallies`), one class per engine. */
export interface TallyStorage {
  /** Stores a tally; false when its id was already there. */
  add(row: TallyRow): Promise<boolean>;
  /** Sites that sent tallies in [from, to]: verify-only, no register there for tracing to read. */
  sites(from: Date, to: Date): Promise<string[]>;
  /** Retention: tallies go by the check-ins' rule (by arrival, and by their own time). */
  purge(olderThan: Date): Promise<number>;
}

export class SqliteTallies implements TallyStorage {
  constructor(private readonly db: Database.Database) {}
  async add(row: TallyRow) {
    return sqliteAddTally(this.db, row);
  }
  async sites(from: Date, to: Date) {
    return sqliteTallySites(this.db, from, to);
  }
  async purge(olderThan: Date) {
    return sqlitePurgeTallies(this.db, olderThan);
  }
}

export class PostgresTallies implements TallyStorage {
  constructor(private readonly pool: pg.Pool) {}
  add(row: TallyRow) {
    return postgresAddTally(this.pool, row);
  }
  sites(from: Date, to: Date) {
    return postgresTallySites(this.pool, from, to);
  }
  purge(olderThan: Date) {
    return postgresPurgeTallies(this.pool, olderThan);
  }
}

/** The parts of a tally occupancy reads (protocol's tallyMovements). */
export type TallyMovement = Pick<TallyMessage, 'id' | 'at' | 'direction' | 'verdict'> & { kiosk: string };

/** Stores a tally; false when its id was already there. */
export function sqliteAddTally(db: Database.Database, row: TallyRow): boolean {
  return db.prepare(INSERT.replace(/\$\d+/g, '?')).run(...params(row)).changes === 1;
}

export async function postgresAddTally(pool: pg.Pool, row: TallyRow): Promise<boolean> {
  return ((await pool.query(INSERT, params(row))).rowCount ?? 0) === 1;
}

/** Sites that sent tallies in [from, to]: verify-only there, so no register to trace in. */
export function sqliteTallySites(db: Database.Database, from: Date, to: Date): string[] {
  return (
    db
      .prepare<[string, string], { site: string }>(
        'SELECT DISTINCT site FROM tallies WHERE at >= ? AND at <= ? ORDER BY site',
      )
      .all(from.toISOString(), to.toISOString()) as Array<{ site: string }>
  ).map((r) => r.site);
}

export async function postgresTallySites(pool: pg.Pool, from: Date, to: Date): Promise<string[]> {
  const { rows } = await pool.query<{ site: string }>(
    'SELECT DISTINCT site FROM tallies WHERE at >= $1 AND at <= $2 ORDER BY site',
    [from, to],
  );
  return rows.map((r) => r.site);
}

/** A site's tallies in [from, to) for its occupancy count (storage/occupancy.ts reads check-ins alike). */
export function sqliteSiteTallies(
  db: Database.Database,
  site: string,
  from: Date,
  to: Date,
): TallyMovement[] {
  return db
    .prepare<[string, string, string], TallyMovement>(
      'SELECT id, kiosk, at, direction, verdict FROM tallies WHERE site = ? AND at >= ? AND at < ?',
    )
    .all(site, from.toISOString(), to.toISOString());
}

export async function postgresSiteTallies(
  pool: pg.Pool,
  site: string,
  from: Date,
  to: Date,
): Promise<TallyMovement[]> {
  const { rows } = await pool.query<Omit<TallyMovement, 'at'> & { at: Date | string }>(
    'SELECT id, kiosk, at, direction, verdict FROM tallies WHERE site = $1 AND at >= $2 AND at < $3',
    [site, from, to],
  );
  return rows.map((r) => ({ ...r, at: new Date(r.at).toISOString() }));
}

/** Retention: tallies go by the check-ins' rule (by arrival, and by their own time). */
export function sqlitePurgeTallies(db: Database.Database, olderThan: Date): number {
  return db
    .prepare(
      `DELETE FROM tallies WHERE received_at < @cutoff
         AND (at < @cutoff OR julianday(at) > julianday(received_at) + 1)`,
    )
    .run({ cutoff: olderThan.toISOString() }).changes;
}

export async function postgresPurgeTallies(pool: pg.Pool, olderThan: Date): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM tallies WHERE received_at < $1 AND (at < $1 OR at > received_at + interval '1 day')`,
    [olderThan],
  );
  return rowCount ?? 0;
}
