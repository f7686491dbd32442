import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { CheckinMessage, KioskState, OutcomeMessage, TelemetryMessage } from '@qrkiosk/protocol';
import Database from 'better-sqlite3';
import { SqliteAlerts } from './alerts.js';
import { sqliteBootsBegan, sqliteRetimeBoot, unsyncedBoot } from './boots.js';
import { type EnrolmentRecords, sqliteEnrolmentRecords } from './enrolments.js';
import { sqliteFleet } from './fleet.js';
import { linkTime, SqliteLinks, scanLinks } from './links.js';
import { MIGRATIONS } from './migrations.js';
import { sqliteSiteMovements } from './occupancy.js';
import {
  NOT_ENTERED_EXCLUDED,
  sqliteAddOutcome,
  sqliteCheckinOwner,
  sqliteNotEntered,
  sqliteOutcomesOf,
} from './outcomes.js';
import { type PassRecords, sqlitePassRecords } from './passes.js';
import { type ReleaseRecords, sqliteReleaseRecords } from './releases.js';
import type {
  AuditRow,
  CheckinRow,
  DeadLetterRow,
  HubRepository,
  KioskBinding,
  KioskRow,
  SiteCounts,
  SiteInfo,
  SiteInput,
} from './repository.js';
import { SqliteAccounts } from './sqlite-accounts.js';
import { SqliteTallies } from './tallies.js';
import { type SnapshotRecords, sqliteSnapshotRecords } from './telemetry-history.js';

const iso = (d: Date) => d.toISOString();
const parseMessages = (rows: Array<{ message: string }>) =>
  rows.map((r) => JSON.parse(r.message) as CheckinMessage);

/** Embedded SQLite (WAL). Times are ISO-8601 UTC strings, which sort and compare as text; better-sqlite3
 * is synchronous, the async methods only adapt it to the repository's shape. */
export class SqliteRepository extends SqliteAccounts implements HubRepository {
  readonly engine = 'sqlite';
  readonly alerts: SqliteAlerts;
  readonly links: SqliteLinks;
  readonly tallies: SqliteTallies;
  readonly releases: ReleaseRecords;
  readonly passes: PassRecords;
  readonly enrolments: EnrolmentRecords;
  readonly snapshots: SnapshotRecords;
  private readonly s;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    // Several hub processes or a CLI command may open the file at once: wait rather than fail.
    db.pragma('busy_timeout = 5000');
    migrateSqlite(db);
    super(db);
    this.alerts = new SqliteAlerts(db);
    this.links = new SqliteLinks(db);
    this.tallies = new SqliteTallies(db);
    this.releases = sqliteReleaseRecords(db);
    this.passes = sqlitePassRecords(db);
    this.enrolments = sqliteEnrolmentRecords(db);
    this.snapshots = sqliteSnapshotRecords(db);
    this.s = {
      insert: db.prepare<
        [
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string,
          string | null,
          string | null,
          number | null,
        ]
      >(
        'INSERT OR IGNORE INTO checkins (id, site, kiosk, at, id_hash, verdict, message, received_at, at_reported, boot_id, uptime_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      recent: db.prepare<[number], { message: string }>(
        'SELECT message FROM checkins ORDER BY at DESC, id DESC LIMIT ?',
      ),
      // Verify-only sites' tallies count as scans beside the check-ins (storage/tallies.ts).
      countSince: db.prepare<{ since: string }, { site: string; n: number }>(
        `SELECT site, count(*) AS n FROM (SELECT site FROM checkins WHERE at >= @since
           UNION ALL SELECT site FROM tallies WHERE at >= @since) GROUP BY site ORDER BY site`,
      ),
      hourly: db.prepare<{ since: string }, { site: string; hour: string; n: number }>(
        `SELECT site, strftime('%H', at, '+7 hours') AS hour, count(*) AS n FROM (
           SELECT site, at FROM checkins WHERE at >= @since UNION ALL SELECT site, at FROM tallies WHERE at >= @since
         ) GROUP BY site, hour`,
      ),
      visits: db.prepare<[string, string, string], { message: string }>(
        'SELECT message FROM checkins WHERE id_hash = ? AND at >= ? AND at < ? ORDER BY at',
      ),
      around: db.prepare<[string, string, string, string], { message: string }>(
        `SELECT message FROM checkins WHERE site = ? AND at >= ? AND at <= ? AND id_hash <> ? AND ${NOT_ENTERED_EXCLUDED} ORDER BY at`,
      ),
      verdicts: db.prepare<{ from: string; to: string }, SiteCounts>(
        `SELECT site, count(*) AS scans, sum(verdict = 'ALLOW') AS allowed,
                sum(verdict = 'REFUSE') AS refused, sum(verdict = 'REVIEW') AS review
           FROM (SELECT site, verdict FROM checkins WHERE at >= @from AND at < @to
             UNION ALL SELECT site, verdict FROM tallies WHERE at >= @from AND at < @to)
           GROUP BY site ORDER BY site`,
      ),
      kiosk: db.prepare<[string, string, string, string, string]>(
        'INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen) VALUES (?, ?, ?, ?, ?) ON CONFLICT (site, kiosk) DO UPDATE SET state = excluded.state, last_seen = excluded.last_seen',
      ),
      telemetry: db.prepare<[string, string, string, string, string]>(
        "INSERT INTO kiosks (site, kiosk, state, last_seen, first_seen, telemetry) VALUES (?, ?, 'online', ?, ?, ?) ON CONFLICT (site, kiosk) DO UPDATE SET last_seen = excluded.last_seen, telemetry = excluded.telemetry",
      ),
      kiosks: db.prepare<[], KioskRow>(
        'SELECT site, kiosk, state, last_seen AS lastSeen, telemetry FROM kiosks ORDER BY site, kiosk',
      ),
      newKiosks: db.prepare<[string, string], { site: string; kiosk: string }>(
        'SELECT site, kiosk FROM kiosks WHERE first_seen >= ? AND first_seen < ? ORDER BY site, kiosk',
      ),
      // Without an address (a register without the column) the stored one is kept; '' clears it.
      site: db.prepare<[string, string, string, string, string, string]>(
        'INSERT INTO sites (site, name, district, ward, address, registered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET name = excluded.name, district = excluded.district, ward = excluded.ward, address = excluded.address',
      ),
      siteKeepAddress: db.prepare<[string, string, string, string, string, string]>(
        'INSERT INTO sites (site, name, district, ward, address, registered_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (site) DO UPDATE SET name = excluded.name, district = excluded.district, ward = excluded.ward',
      ),
      sites: db.prepare<[], SiteInfo>('SELECT site, name, district, ward, address FROM sites ORDER BY site'),
      dead: db.prepare<[string, string, Buffer, string]>(
        'INSERT INTO dead_letters (topic, reason, payload, received_at) VALUES (?, ?, ?, ?)',
      ),
      deadCount: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters'),
      count: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM checkins'),
      audit: db.prepare<[string, string, string, string]>(
        'INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)',
      ),
      auditLog: db.prepare<[number], AuditRow>(
        'SELECT at, actor, action, detail FROM audit ORDER BY seq DESC LIMIT ?',
      ),
    };
  }

  async addCheckins(batch: ReadonlyArray<CheckinRow>): Promise<Set<string>> {
    const fresh = new Set<string>();
    // One transaction (one fsync) for the whole batch: this is what makes ingest fast.
    this.db.transaction(() => {
      for (const { checkin: c, receivedAt, atReported } of batch) {
        const boot = unsyncedBoot(c);
        const stored = this.s.insert.run(
          c.id,
          c.site,
          c.kiosk,
          iso(new Date(c.at)),
          c.document.idHash,
          c.verdict,
          JSON.stringify(c),
          iso(receivedAt),
          atReported ? iso(new Date(atReported)) : null,
          boot?.id ?? null,
          boot?.uptimeMs ?? null,
        );
        if (stored.changes === 1) fresh.add(c.id);
        // In the same transaction, new check-in or not (postgres: storage/checkin-insert.ts).
        this.links.addNow(scanLinks(c), 'scan', linkTime(c.at, receivedAt));
      }
    })();
    return fresh;
  }

  async bootsBegan(kiosk: string, bootIds: string[]) {
    return sqliteBootsBegan(this.db, kiosk, bootIds);
  }

  async retimeBoot(kiosk: string, bootId: string, beganMs: number, at: Date) {
    return sqliteRetimeBoot(this.db, kiosk, bootId, beganMs, at);
  }

  async addOutcome(outcome: OutcomeMessage, receivedAt: Date) {
    return sqliteAddOutcome(this.db, outcome, receivedAt);
  }

  async outcomesOf(checkin: string) {
    return sqliteOutcomesOf(this.db, checkin);
  }

  async notEntered(checkins: readonly string[]) {
    return sqliteNotEntered(this.db, checkins);
  }

  async checkinOwner(id: string) {
    return sqliteCheckinOwner(this.db, id);
  }

  async siteMovements(site: string, from: Date, to: Date) {
    return sqliteSiteMovements(this.db, site, from, to);
  }

  async recent(limit: number) {
    return parseMessages(this.s.recent.all(limit));
  }

  async countsSince(since: Date) {
    return this.s.countSince.all({ since: iso(since) });
  }

  async hourly(since: Date) {
    return this.s.hourly
      .all({ since: iso(since) })
      .map((r) => ({ site: r.site, hour: Number(r.hour), n: r.n }));
  }

  async ping() {
    this.db.prepare('SELECT 1').get();
  }

  async checkinCount() {
    return this.s.count.get()?.n ?? 0;
  }

  async visits(idHash: string, from: Date, to: Date) {
    return parseMessages(this.s.visits.all(idHash, iso(from), iso(to)));
  }

  async around(site: string, from: Date, to: Date, exceptIdHash: string) {
    return parseMessages(this.s.around.all(site, iso(from), iso(to), exceptIdHash));
  }

  async verdictCounts(from: Date, to: Date) {
    return this.s.verdicts.all({ from: iso(from), to: iso(to) });
  }

  async purge(olderThan: Date) {
    this.db.prepare('DELETE FROM boot_clocks WHERE learned_at < ?').run(iso(olderThan));
    // Outcomes are kept as long as the check-ins they resolve: the same rule.
    this.db
      .prepare(
        `DELETE FROM outcomes WHERE received_at < @cutoff
           AND (at < @cutoff OR julianday(at) > julianday(received_at) + 1)`,
      )
      .run({ cutoff: iso(olderThan) });
    await this.tallies.purge(olderThan);
    // By arrival as well as by the kiosk's time (see HubRepository.purge).
    return this.db
      .prepare(
        `DELETE FROM checkins WHERE received_at < @cutoff
           AND (at < @cutoff OR julianday(at) > julianday(received_at) + 1)`,
      )
      .run({ cutoff: iso(olderThan) }).changes;
  }

  async setKioskState(site: string, kiosk: string, state: KioskState, at: Date) {
    this.s.kiosk.run(site, kiosk, state, iso(at), iso(at));
  }

  async setKioskTelemetry(t: TelemetryMessage, at: Date) {
    this.s.telemetry.run(t.site, t.kiosk, iso(at), iso(at), JSON.stringify(t));
  }

  async kiosks() {
    return this.s.kiosks.all();
  }

  async newKiosks(from: Date, to: Date) {
    return this.s.newKiosks.all(iso(from), iso(to));
  }

  async upsertSites(sites: ReadonlyArray<SiteInput>, at: Date) {
    this.db.transaction(() => {
      for (const s of sites)
        (s.address === undefined ? this.s.siteKeepAddress : this.s.site).run(
          s.site,
          s.name,
          s.district,
          s.ward,
          s.address ?? '',
          iso(at),
        );
    })();
  }

  async sites() {
    return this.s.sites.all();
  }

  async saveReport(day: string, report: string, at: Date) {
    this.db
      .prepare(
        'INSERT INTO reports (day, generated_at, report) VALUES (?, ?, ?) ON CONFLICT (day) DO UPDATE SET generated_at = excluded.generated_at, report = excluded.report',
      )
      .run(day, iso(at), report);
  }

  async savedReport(day: string) {
    const row = this.db
      .prepare<[string], { generatedAt: string; report: string }>(
        'SELECT generated_at AS generatedAt, report FROM reports WHERE day = ?',
      )
      .get(day);
    return row ?? null;
  }

  async audit(actor: string, action: string, detail: Record<string, unknown>, at: Date) {
    this.s.audit.run(iso(at), actor, action, JSON.stringify(detail));
  }

  async auditLog(limit: number) {
    return this.s.auditLog.all(limit);
  }

  async deadLetter(topic: string, reason: string, payload: Buffer, at: Date) {
    this.s.dead.run(topic, reason.slice(0, 1000), payload.subarray(0, 65536), iso(at));
  }

  async deadLetterCount() {
    return this.s.deadCount.get()?.n ?? 0;
  }

  async kioskBinding(kiosk: string) {
    return (
      (this.db.prepare('SELECT kiosk, site, how FROM kiosk_sites WHERE kiosk = ?').get(kiosk) as
        | KioskBinding
        | undefined) ?? null
    );
  }

  async bindKiosk(b: KioskBinding, at: Date) {
    this.db
      .prepare(
        'INSERT INTO kiosk_sites (kiosk, site, how, bound_at) VALUES (?, ?, ?, ?) ON CONFLICT (kiosk) DO NOTHING',
      )
      .run(b.kiosk, b.site, b.how, iso(at));
    return (await this.kioskBinding(b.kiosk)) ?? b;
  }

  get fleet() {
    return sqliteFleet(this.db);
  }

  async registerKiosk(b: KioskBinding, at: Date) {
    this.db
      .prepare(
        'INSERT INTO kiosk_sites (kiosk, site, how, bound_at) VALUES (?, ?, ?, ?) ON CONFLICT (kiosk) DO UPDATE SET site = excluded.site, how = excluded.how, bound_at = excluded.bound_at',
      )
      .run(b.kiosk, b.site, b.how, iso(at));
  }

  async kioskBindings() {
    return this.db
      .prepare('SELECT kiosk, site, how FROM kiosk_sites ORDER BY site, kiosk')
      .all() as KioskBinding[];
  }

  async deadLetters(options: { id?: number; limit?: number }) {
    const rows =
      options.id !== undefined
        ? this.db
            .prepare<[number], DeadLetterRow>(
              'SELECT seq AS id, topic, reason, payload, received_at AS receivedAt FROM dead_letters WHERE seq = ?',
            )
            .all(options.id)
        : this.db
            .prepare<[number], DeadLetterRow>(
              'SELECT seq AS id, topic, reason, payload, received_at AS receivedAt FROM dead_letters ORDER BY seq LIMIT ?',
            )
            .all(options.limit ?? 1000);
    return rows;
  }

  async deleteDeadLetter(id: number) {
    this.db.prepare('DELETE FROM dead_letters WHERE seq = ?').run(id);
  }

  async purgeDeadLetters(olderThan: Date) {
    return this.db.prepare('DELETE FROM dead_letters WHERE received_at < ?').run(iso(olderThan)).changes;
  }

  async close() {
    this.db.close();
  }
}

/** Runs the steps newer than the file's user_version, each in its own transaction. */
function migrateSqlite(db: Database.Database): void {
  const version = Number(db.pragma('user_version', { simple: true }));
  // Hubs before the numbered steps marked files 1 or 2 with differing sets of tables (an early one
  // had no reports table, another no users): steps 1–2 are idempotent, so run them again for those.
  const current = version <= 2 ? 0 : version;
  for (const step of MIGRATIONS) {
    if (step.version <= current) continue;
    db.transaction(() => {
      if (typeof step.sqlite === 'string') db.exec(step.sqlite);
      else step.sqlite(db);
      db.pragma(`user_version = ${step.version}`);
    })();
  }
}
