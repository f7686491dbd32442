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
const LIST = `SELECT at, actor, command, ok, result, error FROM kiosk_commands
  WHERE kiosk = $1 ORDER BY seq DESC LIMIT $2`;
const SAVE_DOCTOR = `INSERT INTO doctor_reports (kiosk, site, at, report) VALUES ($1, $2, $3, $4)
  ON CONFLICT (kiosk) DO UPDATE SET site = excluded.site, at = excluded.at, report = excluded.report`;
const DOCTOR = 'SELECT at, report FROM doctor_reports WHERE kiosk = $1';

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
  /** A kiosk's commands, newest first. */
  commands(kiosk: string, limit: number): Promise<KioskCommandRow[]>;
  /** Keeps a kiosk's doctor report (JSON text), replacing the one before. */
  saveDoctor(kiosk: string, site: string, at: Date, report: string): Promise<void>;
  doctor(kiosk: string): Promise<{ at: string; report: string } | null>;
}

export const sqliteFleet = (db: Database.Database): FleetRecords => ({
  addCommand: async (c) => {
    db.prepare(q(INSERT)).run(...params(c, c.ok ? 1 : 0));
  },
  commands: async (kiosk, limit) =>
    (db.prepare(q(LIST)).all(kiosk, limit) as Array<Omit<KioskCommandRow, 'ok'> & { ok: number }>).map(
      (r) => ({
        ...r,
        ok: r.ok === 1,
      }),
    ),
  saveDoctor: async (kiosk, site, at, report) => {
    db.prepare(q(SAVE_DOCTOR)).run(kiosk, site, at.toISOString(), report);
  },
  doctor: async (kiosk) =>
    (db.prepare(q(DOCTOR)).get(kiosk) as { at: string; report: string } | undefined) ?? null,
});

export const postgresFleet = (pool: pg.Pool): FleetRecords => ({
  addCommand: async (c) => {
    await pool.query(INSERT, params(c, c.ok));
  },
  commands: async (kiosk, limit) => (await pool.query<KioskCommandRow>(LIST, [kiosk, limit])).rows,
  saveDoctor: async (kiosk, site, at, report) => {
    await pool.query(SAVE_DOCTOR, [kiosk, site, at.toISOString(), report]);
  },
  doctor: async (kiosk) =>
    (await pool.query<{ at: string; report: string }>(DOCTOR, [kiosk])).rows[0] ?? null,
});
