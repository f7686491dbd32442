import type { Movement, MovementOutcome } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { postgresSiteTallies, sqliteSiteTallies, type TallyMovement } from './tallies.js';

/**
 * A site's movements in [from, to) for its occupancy count (hub/src/occupancy.ts): check-ins with
 * what decides whether they moved a person (verdict, direction), and the outcomes that let a REVIEW
 * in, mark a person as gone, or undo an entry the door sensor saw nobody take (`not-entered`). Only the parts protocol's peopleInside reads, never the identity
 * beyond its hash. Uses the (site, at) index both engines have.
 */
export interface SiteMovements {
  movements: Array<Movement & { kiosk: string }>;
  outcomes: Array<MovementOutcome & { id: string; kiosk: string }>;
  /** A verify-only site's tallies: people without a hash (protocol's tallyMovements counts them). */
  tallies: TallyMovement[];
}

const CHECKINS_SQLITE = `SELECT id, kiosk, at, id_hash AS idHash, verdict, json_extract(message, '$.direction') AS direction
  FROM checkins WHERE site = ? AND at >= ? AND at < ?`;
const OUTCOMES_SQLITE = `SELECT id, kiosk, checkin, outcome, at FROM outcomes
  WHERE site = ? AND at >= ? AND at < ? AND outcome IN ('admitted', 'left', 'not-entered')`;

export function sqliteSiteMovements(
  db: Database.Database,
  site: string,
  from: Date,
  to: Date,
): SiteMovements {
  const range: [string, string, string] = [site, from.toISOString(), to.toISOString()];
  return {
    movements: db
      .prepare<[string, string, string], SiteMovements['movements'][number]>(CHECKINS_SQLITE)
      .all(...range),
    outcomes: db
      .prepare<[string, string, string], SiteMovements['outcomes'][number]>(OUTCOMES_SQLITE)
      .all(...range),
    tallies: sqliteSiteTallies(db, site, from, to),
  };
}

const CHECKINS_PG = `SELECT id, kiosk, at, id_hash AS "idHash", verdict, message::json->>'direction' AS direction
  FROM checkins WHERE site = $1 AND at >= $2 AND at < $3`;
const OUTCOMES_PG = `SELECT id, kiosk, checkin, outcome, at FROM outcomes
  WHERE site = $1 AND at >= $2 AND at < $3 AND outcome IN ('admitted', 'left', 'not-entered')`;

export async function postgresSiteMovements(
  pool: pg.Pool,
  site: string,
  from: Date,
  to: Date,
): Promise<SiteMovements> {
  const range = [site, from, to];
  const [c, o, tallies] = await Promise.all([
    pool.query<Omit<SiteMovements['movements'][number], 'at'> & { at: Date | string }>(CHECKINS_PG, range),
    pool.query<Omit<SiteMovements['outcomes'][number], 'at'> & { at: Date | string }>(OUTCOMES_PG, range),
    postgresSiteTallies(pool, site, from, to),
  ]);
  // timestamptz comes back as the pool's type parser makes it (a Date, or text): one ISO form.
  const iso = (at: Date | string) => new Date(at).toISOString();
  return {
    movements: c.rows.map((r) => ({ ...r, at: iso(r.at) })),
    outcomes: o.rows.map((r) => ({ ...r, at: iso(r.at) })),
    tallies,
  };
}
