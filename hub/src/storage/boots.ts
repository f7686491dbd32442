import { bootInstant, type CheckinMessage } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';

/**
 * Re-timing, in SQL for both engines (hub/src/retime.ts says when and why). A kiosk without a
 * real-time clock journals check-ins with a wrong wall clock and, beside it, its boot id and the
 * monotonic time of the scan. Once the hub learns when that boot began (from a synced telemetry),
 * each such check-in's time is `began + uptimeMs`: `at` (column and message) becomes that, and the
 * kiosk's own time stays in `at_reported`. A check-in is re-timed once (`at_reported IS NULL`).
 */

/** The boot of a check-in (or tally) made with an unsynced clock (kept for re-timing); none when it was synced. */
export const unsyncedBoot = (c: Pick<CheckinMessage, 'clockSynced' | 'boot'>) =>
  c.clockSynced ? undefined : c.boot;

/**
 * Tables whose rows carry `boot_id`, `uptime_ms` and `at_reported`: check-ins, and verify-only
 * tallies (migration 16), which are counted by day like check-ins and so must land on the right one.
 */
const RETIMED = ['checkins', 'tallies'] as const;

/** A check-in moved by re-timing: its id, the kiosk's time and the corrected time (ISO, UTC). */
export interface Moved {
  id: string;
  from: string;
  to: string;
}

/** What one re-timing did: the boot's start in force (the first one learned stays) and what moved. */
export interface RetimeResult {
  beganMs: number;
  moved: Moved[];
}

interface Pending {
  id: string;
  at: string;
  uptimeMs: number;
  message: string;
}

/**
 * The corrected row: the new `at` and the message with it (the stored message is what tracing shows).
 * Undefined when the boot's start plus the row's uptime is no storable date (a row stored before the
 * schema bounded uptime, or a hostile kiosk): that row stays as reported, the rest of the boot moves.
 */
function corrected(row: Pending, beganMs: number): { to: string; message: string } | undefined {
  const to = bootInstant(beganMs, Number(row.uptimeMs));
  if (to === undefined) return undefined;
  const message = JSON.parse(row.message) as Record<string, unknown>;
  return { to, message: JSON.stringify({ ...message, at: to }) };
}

export function sqliteBootsBegan(
  db: Database.Database,
  kiosk: string,
  bootIds: string[],
): Map<string, number> {
  const get = db.prepare<[string, string], { began: number }>(
    'SELECT began_ms AS began FROM boot_clocks WHERE kiosk = ? AND boot_id = ?',
  );
  const found = new Map<string, number>();
  for (const boot of new Set(bootIds)) {
    const row = get.get(kiosk, boot);
    if (row) found.set(boot, Number(row.began));
  }
  return found;
}

export function sqliteRetimeBoot(
  db: Database.Database,
  kiosk: string,
  bootId: string,
  beganMs: number,
  at: Date,
): RetimeResult {
  return db.transaction(() => {
    db.prepare(
      'INSERT INTO boot_clocks (kiosk, boot_id, began_ms, learned_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING',
    ).run(kiosk, bootId, Math.round(beganMs), at.toISOString());
    const began = Number(
      (
        db
          .prepare('SELECT began_ms AS began FROM boot_clocks WHERE kiosk = ? AND boot_id = ?')
          .get(kiosk, bootId) as { began: number }
      ).began,
    );
    const moved: Moved[] = [];
    for (const table of RETIMED) {
      const rows = db
        .prepare(
          `SELECT id, at, uptime_ms AS uptimeMs, message FROM ${table} WHERE kiosk = ? AND boot_id = ? AND at_reported IS NULL`,
        )
        .all(kiosk, bootId) as Pending[];
      const update = db.prepare(
        `UPDATE ${table} SET at_reported = at, at = ?, message = ? WHERE id = ? AND at_reported IS NULL`,
      );
      for (const row of rows) {
        const fixed = corrected(row, began);
        if (!fixed) continue;
        if (update.run(fixed.to, fixed.message, row.id).changes === 1)
          moved.push({ id: row.id, from: row.at, to: fixed.to });
      }
    }
    return { beganMs: began, moved };
  })();
}

export async function postgresBootsBegan(
  pool: pg.Pool,
  kiosk: string,
  bootIds: string[],
): Promise<Map<string, number>> {
  const { rows } = await pool.query<{ boot_id: string; began_ms: number }>(
    'SELECT boot_id, began_ms FROM boot_clocks WHERE kiosk = $1 AND boot_id = ANY($2::text[])',
    [kiosk, [...new Set(bootIds)]],
  );
  return new Map(rows.map((r) => [r.boot_id, Number(r.began_ms)]));
}

/** Inside the caller's transaction. Two hub processes get the same telemetry: the row lock and the
 * `at_reported IS NULL` test make the second one move nothing. */
export async function postgresRetimeBoot(
  client: pg.PoolClient,
  kiosk: string,
  bootId: string,
  beganMs: number,
  at: Date,
): Promise<RetimeResult> {
  await client.query(
    'INSERT INTO boot_clocks (kiosk, boot_id, began_ms, learned_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
    [kiosk, bootId, Math.round(beganMs), at],
  );
  const began = Number(
    (
      await client.query<{ began_ms: number }>(
        'SELECT began_ms FROM boot_clocks WHERE kiosk = $1 AND boot_id = $2',
        [kiosk, bootId],
      )
    ).rows[0]?.began_ms,
  );
  const moved: Moved[] = [];
  for (const table of RETIMED) {
    const { rows } = await client.query<Pending>(
      `SELECT id, at, uptime_ms AS "uptimeMs", message FROM ${table}
        WHERE kiosk = $1 AND boot_id = $2 AND at_reported IS NULL FOR UPDATE`,
      [kiosk, bootId],
    );
    for (const row of rows) {
      const fixed = corrected(row, began);
      if (!fixed) continue;
      const done = await client.query(
        `UPDATE ${table} SET at_reported = at, at = $1, message = $2 WHERE id = $3 AND at_reported IS NULL`,
        [fixed.to, fixed.message, row.id],
      );
      if (done.rowCount === 1) moved.push({ id: row.id, from: row.at, to: fixed.to });
    }
  }
  return { beganMs: began, moved };
}
