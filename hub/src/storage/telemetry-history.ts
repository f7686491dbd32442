import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * Kiosk telemetry snapshots (migration 13), for the kiosk page's history, in SQL for both engines.
 * Each insert also drops that kiosk's snapshots beyond the newest `keep`, so the table stays at
 * about kiosks × keep rows without a separate clean-up job. Times go in as ISO-8601 UTC text.
 */

export interface TelemetrySnapshot {
  at: string;
  telemetry: string;
}

const INSERT = `INSERT INTO kiosk_telemetry (site, kiosk, at, telemetry) VALUES ($1, $2, $3, $4)
  ON CONFLICT (site, kiosk, at) DO NOTHING`;
/** Everything older than the keep-th newest snapshot of the kiosk. */
const PRUNE = `DELETE FROM kiosk_telemetry WHERE site = $1 AND kiosk = $2 AND at < (
  SELECT at FROM kiosk_telemetry WHERE site = $3 AND kiosk = $4 ORDER BY at DESC LIMIT 1 OFFSET $5)`;
const LIST = `SELECT at, telemetry FROM kiosk_telemetry WHERE site = $1 AND kiosk = $2 ORDER BY at DESC LIMIT $3`;

/** The parameters are always used once each, in order: `$n` becomes SQLite's `?`. */
const q = (sql: string) => sql.replace(/\$\d+/g, '?');

function sqliteAddSnapshot(
  db: Database.Database,
  site: string,
  kiosk: string,
  at: string,
  telemetry: string,
  keep: number,
): void {
  db.transaction(() => {
    db.prepare(q(INSERT)).run(site, kiosk, at, telemetry);
    db.prepare(q(PRUNE)).run(site, kiosk, site, kiosk, keep - 1);
  })();
}

function sqliteSnapshots(db: Database.Database, site: string, kiosk: string, limit: number) {
  return db.prepare(q(LIST)).all(site, kiosk, limit) as TelemetrySnapshot[];
}

async function postgresAddSnapshot(
  pool: pg.Pool,
  site: string,
  kiosk: string,
  at: string,
  telemetry: string,
  keep: number,
): Promise<void> {
  await pool.query(INSERT, [site, kiosk, at, telemetry]);
  await pool.query(PRUNE, [site, kiosk, site, kiosk, keep - 1]);
}

async function postgresSnapshots(pool: pg.Pool, site: string, kiosk: string, limit: number) {
  const r = await pool.query<{ at: Date | string; telemetry: string }>(LIST, [site, kiosk, limit]);
  return r.rows.map((x) => ({ at: new Date(x.at).toISOString(), telemetry: x.telemetry }));
}

/** Telemetry snapshots for the kiosk page (migration 13), as `HubRepository.snapshots`. */
export interface SnapshotRecords {
  /** Keeps a telemetry snapshot of a kiosk (ISO time, JSON), dropping all but its newest `keep`. */
  add(site: string, kiosk: string, at: string, telemetry: string, keep: number): Promise<void>;
  /** A kiosk's newest telemetry snapshots, newest first. */
  list(site: string, kiosk: string, limit: number): Promise<TelemetrySnapshot[]>;
}

export const sqliteSnapshotRecords = (db: Database.Database): SnapshotRecords => ({
  add: async (site, kiosk, at, telemetry, keep) => sqliteAddSnapshot(db, site, kiosk, at, telemetry, keep),
  list: async (site, kiosk, limit) => sqliteSnapshots(db, site, kiosk, limit),
});

export const postgresSnapshotRecords = (pool: pg.Pool): SnapshotRecords => ({
  add: (site, kiosk, at, telemetry, keep) => postgresAddSnapshot(pool, site, kiosk, at, telemetry, keep),
  list: (site, kiosk, limit) => postgresSnapshots(pool, site, kiosk, limit),
});
