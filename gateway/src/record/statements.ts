import type { Colour, Verdict } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';

export interface JournalRow {
  seq: number;
  id: string;
  message: string;
}

type S<P extends unknown[] | object, R = unknown> = Database.Statement<P, R>;
type Message = { message: string };

/** The journal's statements (typed here once: declarations cannot name better-sqlite3's inner types). */
export interface Statements {
  insert: S<
    [string, string, string, string, string | null, string, string | null, number | null, string | null]
  >;
  stored: S<[string], { seq: number }>;
  undelivered: S<[number, number], JournalRow>;
  delivered: S<[string, string]>;
  recent: S<
    { hash: string; boot: string; monoFrom: number; monoTo: number; from: string; to: string },
    { verdict: Verdict; colour: Colour; at: string; reason: string; outcome: 'admitted' | 'denied' | null }
  >;
  pending: S<[], { n: number }>;
  oldestPending: S<[], { at: string }>;
  since: S<[string, number], Message>;
  outcomesSince: S<[string], Message>;
  talliesSince: S<[string], Message>;
  outcomeOf: S<[string], { outcome: 'admitted' | 'denied' | 'not-entered' }>;
  unsettled: S<[string, string], { message: string; delivered: number }>;
  byId: S<[string], Message>;
  outcomesOf: S<[string], Message>;
  lastReview: S<[], { message: string; resolved: number }>;
  review: S<[string], { message: string; resolved: number }>;
}

/** The journal's prepared statements, made once per open database. */
export function prepareStatements(db: Database.Database): Statements {
  return {
    // Not `INSERT … RETURNING` with .get(): in autocommit the row comes back before the commit,
    // and a commit that fails (SQLITE_FULL on a full disk) is raised by the statement's reset,
    // which better-sqlite3 does not report. Measured on a full 1 MB tmpfs: .get() returned a seq
    // 200 times out of 200 with 0 rows stored; .run() threw SQLITE_FULL 200 times.
    insert: db.prepare<
      [string, string, string, string, string | null, string, string | null, number | null, string | null]
    >(
      'INSERT INTO checkins (id, at, id_hash, verdict, colour, message, boot, mono_ms, checkin) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    ),
    stored: db.prepare<[string], { seq: number }>('SELECT seq FROM checkins WHERE id = ?'),
    undelivered: db.prepare<[number, number], JournalRow>(
      'SELECT seq, id, message FROM checkins WHERE delivered_at IS NULL AND seq > ? ORDER BY seq LIMIT ?',
    ),
    delivered: db.prepare<[string, string]>(
      'UPDATE checkins SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL',
    ),
    // A check-in the door sensor marked `not-entered` (door-watch/) is no entry: the person scanning
    // again is decided anew (and the door opens again), not shown "already checked in" at a shut door.
    // Same boot: the monotonic clock decides (a wall-clock jump cannot fool it). Another boot, or
    // a row from before the stamp existed: the wall clock, bounded on both sides. Either way a
    // row dated in the future (a clock since corrected) never counts.
    recent: db.prepare<
      { hash: string; boot: string; monoFrom: number; monoTo: number; from: string; to: string },
      {
        verdict: Verdict;
        colour: Colour;
        at: string;
        reason: string;
        outcome: 'admitted' | 'denied' | null;
      }
    >(
      `SELECT verdict, colour, at, json_extract(message, '$.reason') AS reason,
         (SELECT o.verdict FROM checkins o WHERE o.checkin = checkins.id AND o.verdict IN ('admitted', 'denied')
           ORDER BY o.seq DESC LIMIT 1) AS outcome
       FROM checkins WHERE id_hash = @hash AND at <= @to
         AND NOT EXISTS (SELECT 1 FROM checkins n WHERE n.checkin = checkins.id AND n.verdict = 'not-entered')
         AND (
         (boot = @boot AND mono_ms BETWEEN @monoFrom AND @monoTo)
         OR ((boot IS NULL OR boot <> @boot OR mono_ms IS NULL) AND at >= @from)
       ) ORDER BY seq DESC LIMIT 1`,
    ),
    pending: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM checkins WHERE delivered_at IS NULL'),
    // Journal order (seq), not `at`: a boot's unsynced stamps can be older than they look.
    oldestPending: db.prepare<[], { at: string }>(
      'SELECT at FROM checkins WHERE delivered_at IS NULL ORDER BY seq LIMIT 1',
    ),
    // Check-ins only: an outcome has `checkin`, a verify-only tally has no person (id_hash '').
    since: db.prepare<[string, number], { message: string }>(
      "SELECT message FROM checkins WHERE at >= ? AND checkin IS NULL AND id_hash <> '' ORDER BY at DESC LIMIT ?",
    ),
    talliesSince: db.prepare<[string], { message: string }>(
      "SELECT message FROM checkins WHERE at >= ? AND checkin IS NULL AND id_hash = '' ORDER BY seq",
    ),
    // `not-entered` first whatever came before it (a guard's admit, then a door that did not move):
    // like `recent` above, a person who did not go in is decided anew on their next scan.
    outcomeOf: db.prepare<[string], { outcome: 'admitted' | 'denied' | 'not-entered' }>(
      `SELECT verdict AS outcome FROM checkins WHERE checkin = ? AND verdict IN ('admitted', 'denied', 'not-entered')
       ORDER BY verdict = 'not-entered' DESC, seq DESC LIMIT 1`,
    ),
    outcomesSince: db.prepare<[string], { message: string }>(
      'SELECT message FROM checkins WHERE checkin IS NOT NULL AND at >= ? ORDER BY seq',
    ),
    // Rows the hub has not counted (occupancy/index.ts): after the newest it counted (ULIDs grow in
    // journal order), and every row not receipted (a silent hub shows there).
    unsettled: db.prepare<[string, string], { message: string; delivered: number }>(
      `SELECT message, delivered_at IS NOT NULL AS delivered FROM checkins
       WHERE at >= ? AND (id > ? OR delivered_at IS NULL) ORDER BY seq`,
    ),
    byId: db.prepare<[string], { message: string }>(
      'SELECT message FROM checkins WHERE id = ? AND checkin IS NULL',
    ),
    outcomesOf: db.prepare<[string], { message: string }>(
      'SELECT message FROM checkins WHERE checkin = ? ORDER BY seq',
    ),
    // The newest REVIEW check-in, and whether an outcome already resolves it.
    lastReview: db.prepare<[], { message: string; resolved: number }>(
      `SELECT message, EXISTS (SELECT 1 FROM checkins o WHERE o.checkin = c.id) AS resolved
       FROM checkins c WHERE c.verdict = 'REVIEW' AND c.checkin IS NULL ORDER BY c.seq DESC LIMIT 1`,
    ),
    review: db.prepare<[string], { message: string; resolved: number }>(
      `SELECT message, EXISTS (SELECT 1 FROM checkins o WHERE o.checkin = c.id) AS resolved
       FROM checkins c WHERE c.id = ? AND c.verdict = 'REVIEW' AND c.checkin IS NULL`,
    ),
  };
}
