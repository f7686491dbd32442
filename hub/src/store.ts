import {
  type CheckinMessage,
  type KioskState,
  type OutcomeMessage,
  peopleInside,
  type TallyMessage,
  type TelemetryMessage,
  tallyMovements,
  vnDayEnd,
  vnDayStart,
} from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import { Limiter } from './limiter.js';
import { groupPeople, personHashes } from './person-links.js';
import { areasOf, type DailyReport, kiosksAsOf, type ReportSite, type TraceVisit } from './report-model.js';
import { retimeFromTelemetry, retimeOnIngest, retimeTallyOnIngest } from './retime.js';
import {
  type HubRepository,
  type KioskRow,
  openRepository,
  type SiteInfo,
  type SiteInput,
} from './storage/index.js';
import { type CheckinRow, type KioskBinding, LOGIN_FAILURE_MEMORY_MS } from './storage/repository.js';
import { TelemetryHistory } from './telemetry-history.js';
import { Users } from './users.js';

export type { DailyReport, ReportArea, ReportSite, TraceVisit } from './report-model.js';
export type { KioskRow, SiteInfo, SiteInput } from './storage/index.js';

/** Later than any kiosk's first sighting; year 9999, which both engines store and compare as a time. */
const END_OF_TIME = new Date('9999-12-31T23:59:59Z');

/** How long a process trusts its copy of the site register (other hub processes may change it). */
const DIRECTORY_TTL_MS = 30_000;
/** A trace's database reads in flight at once (store-wide): PostgreSQL's pool keeps the rest for ingest. */
const TRACE_READS = 4;

/**
 * What the hub does with its storage, the same for SQLite and PostgreSQL: contact tracing and the
 * daily report are composed here from the repository's small queries, so both engines answer alike.
 */
export class HubStore {
  readonly users: Users;
  /** Snapshots of each kiosk's telemetry, for its page. */
  readonly telemetryLog: TelemetryHistory;
  private directory: { at: number; map: Map<string, SiteInfo> } | undefined;

  /** The trace's reads in flight, store-wide: a few pooled connections, never all of them. */
  private readonly traceReads = new Limiter(TRACE_READS);

  constructor(readonly repo: HubRepository) {
    this.users = new Users(repo);
    this.telemetryLog = new TelemetryHistory(repo);
  }

  /**
   * `database`: a postgres:// URL, an SQLite file, or nothing for `<dataDir>/hub.db`. `log`: where a
   * failing idle PostgreSQL connection is logged (default: standard error).
   */
  static async open(database: string | undefined, dataDir: string, log?: Logger): Promise<HubStore> {
    return new HubStore(
      await openRepository(
        database,
        dataDir,
        log ? { onPoolError: (err) => log.error({ err }, 'PostgreSQL idle connection failed') } : {},
      ),
    );
  }

  /**
   * How many check-in transactions may be in flight at once: PostgreSQL several (their commits share
   * WAL flushes), SQLite one (a single writer; the next batch gathers meanwhile).
   */
  get writeConcurrency(): number {
    return this.repo.engine === 'postgres' ? 4 : 1;
  }

  /**
   * Stores check-ins in one transaction; returns the ids that were new. One made with an unsynced
   * clock, of a boot whose start is known, is stored at its corrected time (retime.ts).
   */
  async addCheckins(batch: ReadonlyArray<CheckinRow>): Promise<Set<string>> {
    return this.repo.addCheckins(await retimeOnIngest(this.repo, batch));
  }

  /** Stores one check-in; false when its id was already there (a duplicate delivery). */
  async addCheckin(checkin: CheckinMessage, receivedAt: Date): Promise<boolean> {
    return (await this.addCheckins([{ checkin, receivedAt }])).has(checkin.id);
  }

  /** A guard's outcome after a REVIEW; false when its id was already there (a repeat delivery). */
  addOutcome(outcome: OutcomeMessage, receivedAt: Date) {
    return this.repo.addOutcome(outcome, receivedAt);
  }
  outcomesOf(checkin: string) {
    return this.repo.outcomesOf(checkin);
  }

  /** Stores a verify-only tally; one of an unsynced boot whose start is known is placed at once (retime.ts). */
  async addTally(tally: TallyMessage, receivedAt: Date) {
    return this.repo.tallies.add(await retimeTallyOnIngest(this.repo, { tally, receivedAt }));
  }
  /** Sites that sent tallies in [from, to]: verify-only, nothing there for tracing to read. */
  tallySites(from: Date, to: Date) {
    return this.repo.tallies.sites(from, to);
  }
  checkinOwner(id: string) {
    return this.repo.checkinOwner(id);
  }

  /** The site a kiosk is bound to (kiosk-registry.ts), or null. */
  kioskBinding(kiosk: string) {
    return this.repo.kioskBinding(kiosk);
  }
  /** Binds a kiosk on first use unless it already is; returns the binding that holds. */
  bindKiosk(b: KioskBinding, at: Date) {
    return this.repo.bindKiosk(b, at);
  }
  /**
   * Registers (or moves) a kiosk to a site, as `qrkiosk-hub kiosk register` does; a kiosk registered
   * again after a revocation is back in service (no longer retired: alerts, rollouts, the fleet table).
   */
  async registerKiosk(b: KioskBinding, at: Date) {
    await this.repo.registerKiosk(b, at);
    await this.repo.fleet.unretire(b.kiosk);
  }
  kioskBindings() {
    return this.repo.kioskBindings();
  }

  /**
   * People inside `site` on a Vietnam day (protocol's peopleInside over the site's movements), and per
   * kiosk the newest of its rows the count includes (ULIDs of one kiosk grow with time), so a kiosk
   * knows which of its own rows to add.
   */
  async occupancy(site: string, day: string): Promise<{ inside: number; through: Record<string, string> }> {
    const from = vnDayStart(day);
    const to = vnDayEnd(day);
    const { movements, outcomes, tallies } = await this.repo.siteMovements(site, from, to);
    const through: Record<string, string> = {};
    for (const r of [...movements, ...outcomes, ...tallies])
      if ((through[r.kiosk] ?? '') < r.id) through[r.kiosk] = r.id;
    // A verify-only site's tallies name nobody: each admitted entry is a person of its own (tallyMovements).
    const all = [...movements, ...tallyMovements(tallies, outcomes)];
    return { inside: peopleInside(all, outcomes).size, through };
  }
  recent(limit: number) {
    return this.repo.recent(limit);
  }
  countsSince(since: Date) {
    return this.repo.countsSince(since);
  }
  hourly(since: Date) {
    return this.repo.hourly(since);
  }
  checkinCount() {
    return this.repo.checkinCount();
  }
  /** A database round trip that reads no table (GET /healthz): cheap whatever the tables hold. */
  ping() {
    return this.repo.ping();
  }
  setKioskState(site: string, kiosk: string, state: KioskState, at: Date) {
    return this.repo.setKioskState(site, kiosk, state, at);
  }
  /** Keeps a kiosk's telemetry; a synced one re-times its boot's check-ins made unsynced (retime.ts). */
  async setKioskTelemetry(t: TelemetryMessage, at: Date) {
    await this.repo.setKioskTelemetry(t, at);
    await this.telemetryLog.record(t, at);
    return retimeFromTelemetry(this, t, at);
  }
  kiosks(): Promise<KioskRow[]> {
    return this.repo.kiosks();
  }
  /** The kiosks in service: a revoked (retired) one raises no alert and is no rollout stage member. */
  async activeKiosks(): Promise<KioskRow[]> {
    const [kiosks, retired] = await Promise.all([this.repo.kiosks(), this.repo.fleet.retired()]);
    return kiosks.filter((k) => !retired.has(k.kiosk));
  }
  /** A kiosk's telemetry snapshots, newest first (TelemetryHistory). */
  telemetryHistory(site: string, kiosk: string) {
    return this.telemetryLog.list(site, kiosk);
  }
  deadLetter(topic: string, reason: string, payload: Buffer, at: Date) {
    return this.repo.deadLetter(topic, reason, payload, at);
  }
  deadLetterCount() {
    return this.repo.deadLetterCount();
  }
  /**
   * Retention: check-ins older than the date go, and the links their scans made; the audit log and
   * imported links stay. Returns how many check-ins were removed.
   */
  async purge(olderThan: Date) {
    const n = await this.repo.purge(olderThan);
    await this.repo.links.purge(olderThan);
    return n;
  }
  /** Retention for dead letters: the same period as check-ins. Returns how many were removed. */
  purgeDeadLetters(olderThan: Date) {
    return this.repo.purgeDeadLetters(olderThan);
  }
  /** Failed-login counts of accounts nobody tried for a day (any well-formed phone gets a row). */
  forgetLoginFailures(now = new Date()) {
    return this.repo.forgetLoginFailures(new Date(now.getTime() - LOGIN_FAILURE_MEMORY_MS));
  }
  deadLetters(options: { id?: number; limit?: number } = {}) {
    return this.repo.deadLetters(options);
  }
  deleteDeadLetter(id: number) {
    return this.repo.deleteDeadLetter(id);
  }
  audit(actor: string, action: string, detail: Record<string, unknown>, at = new Date()) {
    return this.repo.audit(actor, action, detail, at);
  }
  auditLog(limit = 100) {
    return this.repo.auditLog(limit);
  }

  /** Registers sites (or updates their name, area and, when given, address). */
  async registerSites(sites: ReadonlyArray<SiteInput>, at = new Date()): Promise<void> {
    await this.repo.upsertSites(sites, at);
    this.directory = undefined;
    this.onSitesChanged?.();
  }

  /** Told after every change of the site register (the hub daemon republishes the pass list's areas). */
  onSitesChanged: (() => void) | undefined;

  /** The site register, site id → name and area (cached for a short while). */
  async siteDirectory(): Promise<Map<string, SiteInfo>> {
    if (!this.directory || Date.now() - this.directory.at > DIRECTORY_TTL_MS) {
      const sites = await this.repo.sites();
      this.directory = { at: Date.now(), map: new Map(sites.map((s) => [s.site, s])) };
    }
    return this.directory.map;
  }

  /**
   * One person across documents (person-links.ts): the identity hashes linked to `idHash` within 4
   * hops, `idHash` first, at most `limit` (person nodes included; they have no check-ins).
   */
  personHashes(idHash: string, limit = 64): Promise<string[]> {
    // Tracing's link walks share the trace reads' bound (a walk holds one slot for its few hops).
    return this.traceReads.run(() => personHashes(this.repo.links, idHash, limit));
  }

  /** Each given hash → the representative (smallest hash) of its linked group, as far as the walk reaches. */
  groupPeople(idHashes: ReadonlyArray<string>): Promise<Map<string, string>> {
    return this.traceReads.run(() => groupPeople(this.repo.links, idHashes));
  }

  /**
   * Contact tracing. The visits of one person — any of `idHashes`, their linked documents
   * (personHashes) — between `from` and `to`, oldest first, and for each arrival everyone else
   * checked in at the same site within ±`windowMinutes` (none of the person's own hashes). An exit
   * ('out') starts no stay, so it is listed without co-visitors. Both lookups are index range scans:
   * (id_hash, at) per hash for the visits, (site, at) for the co-visitors. At most TRACE_READS of
   * them run at once across every trace of this store (an F2 step runs several traces at a time).
   */
  async trace(
    idHashes: ReadonlyArray<string>,
    from: Date,
    to: Date,
    windowMinutes: number,
  ): Promise<TraceVisit[]> {
    const own = new Set(idHashes);
    const byId = new Map<string, CheckinMessage>();
    const read = this.traceReads;
    for (const list of await Promise.all([...own].map((h) => read.run(() => this.repo.visits(h, from, to)))))
      for (const c of list) byId.set(c.id, c);
    const visits = [...byId.values()].sort(
      (a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : 1),
    );
    const w = windowMinutes * 60_000;
    // The person's own entries the door sensor marked as not entered: listed, but no stay (issue #19).
    const notEntered = await read.run(() => this.repo.notEntered(visits.map((v) => v.id)));
    return Promise.all(
      visits.map(async (visit): Promise<TraceVisit> => {
        if (notEntered.has(visit.id)) return { visit, coVisitors: [], notEntered: true };
        if (visit.direction === 'out') return { visit, coVisitors: [] };
        const t = Date.parse(visit.at);
        const around = await read.run(() =>
          this.repo.around(visit.site, new Date(t - w), new Date(t + w), visit.document.idHash),
        );
        return { visit, coVisitors: around.filter((c) => !own.has(c.document.idHash)) };
      }),
    );
  }

  /**
   * The daily report for one Vietnam-local day: per site, kiosks, check-ins and verdicts; per area
   * (ward within district) sites registered, with scans, scans and the sites that scanned nothing
   * (the follow-up list); kiosks seen for the first time that day.
   */
  async dailyReport(day: string): Promise<DailyReport> {
    const from = vnDayStart(day);
    const to = vnDayEnd(day);
    const [counts, allKiosks, registered, newKiosks, laterKiosks] = await Promise.all([
      this.repo.verdictCounts(from, to),
      this.repo.kiosks(),
      this.repo.sites(),
      this.repo.newKiosks(from, to),
      this.repo.newKiosks(to, END_OF_TIME),
    ]);
    const kiosks = kiosksAsOf(allKiosks, laterKiosks);
    const info = new Map(registered.map((s) => [s.site, s]));
    const ids = [
      ...new Set([...info.keys(), ...kiosks.map((k) => k.site), ...counts.map((r) => r.site)]),
    ].sort();
    const bySite = new Map(counts.map((r) => [r.site, r]));
    const sites: ReportSite[] = ids.map((site) => ({
      site,
      name: info.get(site)?.name ?? '',
      district: info.get(site)?.district ?? '',
      ward: info.get(site)?.ward ?? '',
      kiosks: kiosks.filter((k) => k.site === site).length,
      scans: bySite.get(site)?.scans ?? 0,
      allowed: bySite.get(site)?.allowed ?? 0,
      refused: bySite.get(site)?.refused ?? 0,
      review: bySite.get(site)?.review ?? 0,
    }));
    return {
      day,
      sites,
      areas: areasOf(sites, newKiosks),
      sitesWithoutScans: sites.filter((s) => s.scans === 0).map((s) => s.site),
      newKiosks,
    };
  }

  /** Generates and stores (or replaces) the report of a day; returns it. */
  async saveReport(day: string, at = new Date()): Promise<DailyReport> {
    const report = await this.dailyReport(day);
    await this.repo.saveReport(day, JSON.stringify(report), at);
    return report;
  }

  async savedReport(day: string): Promise<{ generatedAt: string; report: DailyReport } | null> {
    const row = await this.repo.savedReport(day);
    if (!row) return null;
    const report = JSON.parse(row.report) as DailyReport;
    // Reports stored before areas existed have no site names, wards or districts: their sites read
    // as not registered, and their areas are worked out from that.
    const sites = report.sites.map((x) => ({
      ...x,
      name: x.name ?? '',
      district: x.district ?? '',
      ward: x.ward ?? '',
    }));
    return {
      generatedAt: row.generatedAt,
      report: { ...report, sites, areas: report.areas ?? areasOf(sites, report.newKiosks) },
    };
  }

  close(): Promise<void> {
    return this.repo.close();
  }
}
