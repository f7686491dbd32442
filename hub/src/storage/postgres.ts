import type { CheckinMessage, KioskState, OutcomeMessage, TelemetryMessage } from '@qrkiosk/protocol';
import pg from 'pg';
import { PostgresAlerts } from './alerts.js';
import { postgresBootsBegan, postgresRetimeBoot } from './boots.js';
import { postgresAddCheckins } from './checkin-insert.js';
import { type EnrolmentRecords, postgresEnrolmentRecords } from './enrolments.js';
import { postgresFleet } from './fleet.js';
import { PostgresLinks } from './links.js';
import { MIGRATIONS } from './migrations.js';
import { postgresSiteMovements } from './occupancy.js';
import {
  NOT_ENTERED_EXCLUDED,
  postgresAddOutcome,
  postgresCheckinOwner,
  postgresNotEntered,
  postgresOutcomesOf,
} from './outcomes.js';
import { type PassRecords, postgresPassRecords } from './passes.js';
import { PostgresKioskRecords } from './postgres-kiosk-records.js';
import { postgresReleaseRecords, type ReleaseRecords } from './releases.js';
import type {
  AuditRow,
  CheckinRow,
  HubRepository,
  KioskRow,
  SiteCounts,
  SiteInfo,
  SiteInput,
} from './repository.js';
import { PostgresTallies } from './tallies.js';
import { postgresSnapshotRecords, type SnapshotRecords } from './telemetry-history.js';

const TIMESTAMPTZ = 1184;
const INT8 = 20;

/**
 * Results as the repository promises them: timestamps as ISO-8601 UTC strings (the session runs
 * in UTC), counts as numbers. Set per pool, not globally, so other pg users are not affected.
 */
const types = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === TIMESTAMPTZ)
      return (v: string) => new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')).toISOString();
    if (oid === INT8) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as 'text');
  }) as typeof pg.types.getTypeParser,
};

const parseMessages = (rows: Array<{ message: string }>) =>
  rows.map((r) => JSON.parse(r.message) as CheckinMessage);

/** A constant for pg_advisory_xact_lock: hub processes starting together migrate one at a time. */
const MIGRATION_LOCK = 0x71726b31;

/**
 * PostgreSQL, for provinces that outgrow one machine: several hub processes share one database
 * (and split MQTT ingest through a shared subscription). Same queries as SQLite in meaning; batch
 * inserts go through unnest() as one statement.
 */
export class PostgresRepository extends PostgresKioskRecords implements HubRepository {
  readonly engine = 'postgres';
  readonly alerts: PostgresAlerts;
  readonly links: PostgresLinks;
  readonly tallies: PostgresTallies;
  readonly releases: ReleaseRecords;
  readonly passes: PassRecords;
  readonly enrolments: EnrolmentRecords;
  readonly snapshots: SnapshotRecords;

  /** Only through open(): the database is migrated first. */
  private constructor(pool: pg.Pool) {
    super(pool);
    this.alerts = new PostgresAlerts(pool);
    this.links = new PostgresLinks(pool);
    this.tallies = new PostgresTallies(pool);
    this.releases = postgresReleaseRecords(pool);
    this.passes = postgresPassRecords(pool);
    this.enrolments = postgresEnrolmentRecords(pool, (fn) => this.transaction(fn));
    this.snapshots = postgresSnapshotRecords(pool);
  }

  /** Connects, migrates, and returns the repository. `url`: postgres://user:pass@host:port/db */
  static async open(
    url: string,
    options: { poolSize?: number; onPoolError?: (err: Error) => void } = {},
  ): Promise<PostgresRepository> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 8,
      types,
      // The type parser above reads ISO output in UTC whatever the server's defaults are.
      options: '-c TimeZone=UTC -c DateStyle=ISO',
      // A half-open connection (failover, NAT timeout) must fail, not hang ingest for ever: the
      // ingest retries a failed store.
      keepAlive: true,
      connectionTimeoutMillis: 10_000,
      query_timeout: 60_000,
      application_name: 'qrkiosk-hub',
    });
    // An idle connection dropped by the server (restart, failover) must not crash the hub (pg emits
    // 'error' on the pool, fatal without a listener), but it is said: the next query reconnects.
    pool.on(
      'error',
      options.onPoolError ??
        ((err) =>
          process.stderr.write(`qrkiosk-hub: PostgreSQL idle connection failed: ${err.stack ?? err}\n`)),
    );
    try {
      await migratePostgres(pool);
    } catch (err) {
      await pool.end();
      throw err;
    }
    return new PostgresRepository(pool);
  }

  async addCheckins(batch: ReadonlyArray<CheckinRow>): Promise<Set<string>> {
    return postgresAddCheckins(this.pool, batch);
  }

  async bootsBegan(kiosk: string, bootIds: string[]) {
    return postgresBootsBegan(this.pool, kiosk, bootIds);
  }

  async retimeBoot(kiosk: string, bootId: string, beganMs: number, at: Date) {
    return this.transaction((client) => postgresRetimeBoot(client, kiosk, bootId, beganMs, at));
  }

  async addOutcome(outcome: OutcomeMessage, receivedAt: Date) {
    return postgresAddOutcome(this.pool, outcome, receivedAt);
  }

  async outcomesOf(checkin: string) {
    return postgresOutcomesOf(this.pool, checkin);
  }

  async notEntered(checkins: readonly string[]) {
    return postgresNotEntered(this.pool, checkins);
  }

  async checkinOwner(id: string) {
    return postgresCheckinOwner(this.pool, id);
  }

  async siteMovements(site: string, from: Date, to: Date) {
    return postgresSiteMovements(this.pool, site, from, to);
  }

  async recent(limit: number) {
    return parseMessages(
      await this.rows('SELECT message FROM checkins ORDER BY at DESC, id DESC LIMIT $1', [limit]),
    );
  }

  // Verify-only sites' tallies count as scans beside the check-ins (storage/tallies.ts).
  async countsSince(since: Date) {
    return this.rows<{ site: string; n: number }>(
      `SELECT site, count(*) AS n FROM (SELECT site FROM checkins WHERE at >= $1
         UNION ALL SELECT site FROM tallies WHERE at >= $1) AS scans GROUP BY site ORDER BY site`,
      [since],
    );
  }

  async hourly(since: Date) {
    return this.rows<{ site: string; hour: number; n: number }>(
      `SELECT site, extract(hour FROM (at AT TIME ZONE 'UTC') + interval '7 hours')::int AS hour, count(*) AS n
         FROM (SELECT site, at FROM checkins WHERE at >= $1
           UNION ALL SELECT site, at FROM tallies WHERE at >= $1) AS scans GROUP BY 1, 2`,
      [since],
    );
  }

  async ping() {
    await this.pool.query('SELECT 1');
  }

  async checkinCount() {
    return (await this.rows<{ n: number }>('SELECT count(*) AS n FROM checkins'))[0]?.n ?? 0;
  }

  async visits(idHash: string, from: Date, to: Date) {
    return parseMessages(
      await this.rows(
        'SELECT message FROM checkins WHERE id_hash = $1 AND at >= $2 AND at < $3 ORDER BY at',
        [idHash, from, to],
      ),
    );
  }

  async around(site: string, from: Date, to: Date, exceptIdHash: string) {
    return parseMessages(
      await this.rows(
        `SELECT message FROM checkins WHERE site = $1 AND at >= $2 AND at <= $3 AND id_hash <> $4 AND ${NOT_ENTERED_EXCLUDED} ORDER BY at`,
        [site, from, to, exceptIdHash],
      ),
    );
  }

  async verdictCounts(from: Date, to: Date) {
    return this.rows<SiteCounts>(
      `SELECT site, count(*) AS scans, count(*) FILTER (WHERE verdict = 'ALLOW') AS allowed,
              count(*) FILTER (WHERE verdict = 'REFUSE') AS refused,
              count(*) FILTER (WHERE verdict = 'REVIEW') AS review
         FROM (SELECT site, verdict FROM checkins WHERE at >= $1 AND at < $2
           UNION ALL SELECT site, verdict FROM tallies WHERE at >= $1 AND at < $2) AS scans
         GROUP BY site ORDER BY site`,
      [from, to],
    );
  }

  async purge(olderThan: Date) {
    await this.pool.query('DELETE FROM boot_clocks WHERE learned_at < $1', [olderThan]);
    // Outcomes are kept as long as the check-ins they resolve: the same rule.
    await this.pool.query(
      `DELETE FROM outcomes WHERE received_at < $1 AND (at < $1 OR at > received_at + interval '1 day')`,
      [olderThan],
    );
    await this.tallies.purge(olderThan);
    // By arrival as well as by the kiosk's time (see HubRepository.purge).
    return (
      (
        await this.pool.query(
          `DELETE FROM checkins WHERE received_at < $1 AND (at < $1 OR at > received_at + interval '1 day')`,
          [olderThan],
        )
      ).rowCount ?? 0
    );
  }

  async setKioskState(site: string, kiosk: string, state: KioskState, at: Date) {
    await this.pool.query(
      `INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen) VALUES ($1, $2, $3, $4, $4)
       ON CONFLICT (site, kiosk) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen`,
      [site, kiosk, state, at],
    );
  }

  async setKioskTelemetry(t: TelemetryMessage, at: Date) {
    await this.pool.query(
      `INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen, telemetry) VALUES ($1, $2, 'online', $3, $3, $4)
       ON CONFLICT (site, kiosk) DO UPDATE SET last_seen = excluded.last_seen, telemetry = excluded.telemetry`,
      [t.site, t.kiosk, at, JSON.stringify(t)],
    );
  }

  async kiosks() {
    return this.rows<KioskRow>(
      'SELECT site, kiosk, state, last_seen AS "lastSeen", telemetry FROM kiosks ORDER BY site, kiosk',
    );
  }

  async newKiosks(from: Date, to: Date) {
    return this.rows<{ site: string; kiosk: string }>(
      'SELECT site, kiosk FROM kiosks WHERE first_seen >= $1 AND first_seen < $2 ORDER BY site, kiosk',
      [from, to],
    );
  }

  async upsertSites(sites: ReadonlyArray<SiteInput>, at: Date) {
    // An address not given (a register without the column) keeps the stored one; '' clears it.
    const given = [
      sites.filter((s) => s.address !== undefined),
      sites.filter((s) => s.address === undefined),
    ];
    await this.transaction(async (client) => {
      for (const [i, g] of given.entries()) {
        if (g.length === 0) continue;
        await client.query(
          `INSERT INTO sites (site, name, district, ward, address, registered_at)
           SELECT s, n, d, w, a, $6 FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[]) AS x (s, n, d, w, a)
           ON CONFLICT (site) DO UPDATE SET name = excluded.name, district = excluded.district,
             ward = excluded.ward${i === 0 ? ', address = excluded.address' : ''}`,
          [
            g.map((s) => s.site),
            g.map((s) => s.name),
            g.map((s) => s.district),
            g.map((s) => s.ward),
            g.map((s) => s.address ?? ''),
            at,
          ],
        );
      }
    });
  }

  async sites() {
    return this.rows<SiteInfo>('SELECT site, name, district, ward, address FROM sites ORDER BY site');
  }

  async saveReport(day: string, report: string, at: Date) {
    await this.pool.query(
      `INSERT INTO reports (day, generated_at, report) VALUES ($1, $2, $3)
       ON CONFLICT (day) DO UPDATE SET generated_at = excluded.generated_at, report = excluded.report`,
      [day, at, report],
    );
  }

  async savedReport(day: string) {
    const [row] = await this.rows<{ generatedAt: string; report: string }>(
      'SELECT generated_at AS "generatedAt", report FROM reports WHERE day = $1',
      [day],
    );
    return row ?? null;
  }

  async audit(actor: string, action: string, detail: Record<string, unknown>, at: Date) {
    await this.pool.query('INSERT INTO audit (at, actor, action, detail) VALUES ($1, $2, $3, $4)', [
      at,
      actor,
      action,
      JSON.stringify(detail),
    ]);
  }

  async auditLog(limit: number) {
    return this.rows<AuditRow>('SELECT at, actor, action, detail FROM audit ORDER BY seq DESC LIMIT $1', [
      limit,
    ]);
  }

  get fleet() {
    return postgresFleet(this.pool);
  }

  async close() {
    await this.pool.end();
  }
}

/** Runs the steps newer than schema_version, all in one transaction under an advisory lock. */
async function migratePostgres(pool: pg.Pool): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('CREATE TABLE IF NOT EXISTS schema_version (version integer NOT NULL)');
    const { rows } = await client.query<{ version: number }>('SELECT version FROM schema_version');
    const current = rows[0]?.version ?? 0;
    if (rows.length === 0) await client.query('INSERT INTO schema_version (version) VALUES (0)');
    for (const step of MIGRATIONS) {
      if (step.version <= current) continue;
      await client.query(step.postgres);
      await client.query('UPDATE schema_version SET version = $1', [step.version]);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
