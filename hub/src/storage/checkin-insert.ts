import type pg from 'pg';
import { unsyncedBoot } from './boots.js';
import { pgLinkRows, scanLinks } from './links.js';
import type { CheckinRow } from './repository.js';

/**
 * PostgreSQL's check-in insert: the batch through unnest() as one statement, and in the same statement
 * (so the same transaction) the links each scan carries (`document.links`, storage/links.ts). A crash
 * between a check-in and its links cannot keep one without the other, and a redelivery is never the
 * only chance to add them: the links go in whether or not the check-in was new (a duplicate's are
 * already there and are skipped by the key).
 */
const INSERT = `WITH stored AS (
    INSERT INTO checkins (id, site, kiosk, at, id_hash, verdict, message, received_at, at_reported, boot_id, uptime_ms)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[], $7::text[],
                         $8::timestamptz[], $9::timestamptz[], $10::text[], $11::bigint[])
    ON CONFLICT (id) DO NOTHING RETURNING id),
  e AS (${pgLinkRows('$12', '$13', '$14')}),
  linked AS (INSERT INTO identity_links (a, b, source, at) SELECT a, b, 'scan', at FROM e ORDER BY a, b
             ON CONFLICT (a, b) DO NOTHING)
  SELECT id FROM stored`;

export async function postgresAddCheckins(
  pool: pg.Pool,
  batch: ReadonlyArray<CheckinRow>,
): Promise<Set<string>> {
  if (batch.length === 0) return new Set();
  const col = <T>(f: (x: CheckinRow) => T) => batch.map(f);
  const links = batch.flatMap((x) =>
    scanLinks(x.checkin).map(([a, b]) => [a, b, x.receivedAt.toISOString()] as const),
  );
  const { rows } = await pool.query<{ id: string }>(INSERT, [
    col((x) => x.checkin.id),
    col((x) => x.checkin.site),
    col((x) => x.checkin.kiosk),
    // Normalised to milliseconds, as SQLite stores it: both engines compare the same instants.
    col((x) => new Date(x.checkin.at).toISOString()),
    col((x) => x.checkin.document.idHash),
    col((x) => x.checkin.verdict),
    col((x) => JSON.stringify(x.checkin)),
    col((x) => x.receivedAt.toISOString()),
    col((x) => (x.atReported ? new Date(x.atReported).toISOString() : null)),
    col((x) => unsyncedBoot(x.checkin)?.id ?? null),
    col((x) => unsyncedBoot(x.checkin)?.uptimeMs ?? null),
    links.map((l) => l[0]),
    links.map((l) => l[1]),
    links.map((l) => l[2]),
  ]);
  return new Set(rows.map((r) => r.id));
}
