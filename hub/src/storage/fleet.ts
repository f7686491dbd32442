import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * What the hub asked its kiosks (`qrkiosk-hub request`, POST /api/kiosks/:kiosk/commands) and the last
 * doctor report of each (migration 12), in SQL for both engines. A result is kept as the kiosk's JSON
 * text, at most a doctor report's size (the use case bounds it); history is read newest first.
 */
export interface KioskCommandRow {
  at: string;
  actor: string;
  command: string;
  ok: boolean;
  /** JSON text of the kiosk's result, when it gave one. */
  result: string | null;
  error: string | null;
}

export interface NewKioskCommand extends KioskCommandRow {
  kiosk: string;
  site: string;
}

const INSERT = `INSERT INTO kiosk_commands (kiosk, site, at, actor, command, ok, result, error)
  VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`;
// By site and kiosk: a kiosk moved to another site does not carry its history there (its new site's
// owner never sees what was asked at the old one).
const LIST = `SELECT at, actor, command, ok, result, error FROM kiosk_commands
  WHERE site = $1 AND kiosk = $2 ORDER BY seq DESC LIMIT $3`;
const SAVE_DOCTOR = `INSERT INTO doctor_reports (kiosk, site, at, report) VALUES ($1, $2, $3, $4)
  ON CONFLICT (kiosk) DO UPDATE SET site = excluded.site, at = excluded.at, report = excluded.report`;
const DOCTOR = 'SELECT at, report FROM doctor_reports WHERE site = $1 AND kiosk = $2';
/**
 * One holder per kiosk (migration 14): taken when free or when the last holder's lease ran out, so a
 * hub process that died mid-rotation does not lock the kiosk out for good. One statement: two hub
 * processes racing for it get one row each way, never both.
 */
const LOCK = `INSERT INTO kiosk_locks (kiosk, holder, expires) VALUES ($1, $2, $3)
  ON CONFLICT (kiosk) DO UPDATE SET holder = excluded.holder, expires = excluded.expires
  WHERE kiosk_locks.expires <= $4`;
const UNLOCK = 'DELETE FROM kiosk_locks WHERE kiosk = $1 AND holder = $2';
const RETIRE = `INSERT INTO retired_kiosks (kiosk, at, actor) VALUES ($1, $2, $3)
  ON CONFLICT (kiosk) DO UPDATE SET at = excluded.at, actor = excluded.actor`;
const UNRETIRE = 'DELETE FROM retired_kiosks WHERE kiosk = $1';
const RETIRED = 'SELECT kiosk FROM retired_kiosks';

/** The parameters are always used once each, in order: `$n` becomes SQLite's `?`. */
const q = (sql: string) => sql.replace(/\$\d+/g, '?');

const params = (c: NewKioskCommand, ok: boolean | number) => [
  c.kiosk,
  c.site,
  c.at,
  c.actor,
  c.command,
  ok,
  c.result,
  c.error,
];

/** The fleet's records in one engine (HubRepository.fleet). */
export interface FleetRecords {
  /** A command the hub sent a kiosk and how it ended. */
  addCommand(c: NewKioskCommand): Promise<void>;
  /** A kiosk's commands at a site, newest first. */
  commands(site: string, kiosk: string, limit: number): Promise<KioskCommandRow[]>;
  /** Keeps a kiosk's doctor report (JSON text), replacing the one before. */
  saveDoctor(kiosk: string, site: string, at: Date, report: string): Promise<void>;
  /** The kiosk's last doctor report, if it was made at this site. */
  doctor(site: string, kiosk: string): Promise<{ at: string; report: string } | null>;
  /** Takes the kiosk's lock for `holder` until `until`; false while another holder's lease runs. */
  lock(kiosk: string, holder: string, until: Date, now: Date): Promise<boolean>;
  /** Gives the lock back (only the holder's own). */
  unlock(kiosk: string, holder: string): Promise<void>;
  /** A revoked kiosk: out of alerts, rollouts and the fleet's live rows until it enrols again. */
  retire(kiosk: string, at: Date, by: string): Promise<void>;
  unretire(kiosk: string): Promise<void>;
  retired(): Promise<Set<string>>;
}

export const sqliteFleet = (db: Database.Database): FleetRecords => ({
  addCommand: async (c) => {
    db.prepare(q(INSERT)).run(...params(c, c.ok ? 1 : 0));
  },
  commands: async (site, kiosk, limit) =>
    (db.prepare(q(LIST)).all(site, kiosk, limit) as Array<Omit<KioskCommandRow, 'ok'> & { ok: number }>).map(
      (r) => ({
        ...r,
        ok: r.ok === 1,
      }),
    ),
  saveDoctor: async (kiosk, site, at, report) => {
    db.prepare(q(SAVE_DOCTOR)).run(kiosk, site, at.toISOString(), report);
  },
  doctor: async (site, kiosk) =>
    (db.prepare(q(DOCTOR)).get(site, kiosk) as { at: string; report: string } | undefined) ?? null,
  lock: async (kiosk, holder, until, now) =>
    db.prepare(q(LOCK)).run(kiosk, holder, until.toISOString(), now.toISOString()).changes === 1,
  unlock: async (kiosk, holder) => {
    db.prepare(q(UNLOCK)).run(kiosk, holder);
  },
  retire: async (kiosk, at, by) => {
    db.prepare(q(RETIRE)).run(kiosk, at.toISOString(), by);
  },
  unretire: async (kiosk) => {
    db.prepare(q(UNRETIRE)).run(kiosk);
  },
  retired: async () => new Set((db.prepare(RETIRED).all() as Array<{ kiosk: string }>).map((r) => r.kiosk)),
});

export const postgresFleet = (pool: pg.Pool): FleetRecords => ({
  addCommand: async (c) => {
    await pool.query(INSERT, params(c, c.ok));
  },
  commands: async (site, kiosk, limit) =>
    (await pool.query<KioskCommandRow>(LIST, [site, kiosk, limit])).rows,
  saveDoctor: async (kiosk, site, at, report) => {
    await pool.query(SAVE_DOCTOR, [kiosk, site, at.toISOString(), report]);
  },
  doctor: async (site, kiosk) =>
    (await pool.query<{ at: string; report: string }>(DOCTOR, [site, kiosk])).rows[0] ?? null,
  lock: async (kiosk, holder, until, now) =>
    (await pool.query(LOCK, [kiosk, holder, until, now])).rowCount === 1,
  unlock: async (kiosk, holder) => {
    await pool.query(UNLOCK, [kiosk, holder]);
  },
  retire: async (kiosk, at, by) => {
    await pool.query(RETIRE, [kiosk, at, by]);
  },
  unretire: async (kiosk) => {
    await pool.query(UNRETIRE, [kiosk]);
  },
  retired: async () => new Set((await pool.query<{ kiosk: string }>(RETIRED)).rows.map((r) => r.kiosk)),
});
