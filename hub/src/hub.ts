import type { KeyObject } from 'node:crypto';
import { vnDay, vnTimeOn, vnYesterday } from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { RULES } from './alerts/rules.js';
import { type AlertParts, alertParts } from './alerts/setup.js';
import { KioskLogins } from './dynsec-accounts.js';
import { plainHttpWarning } from './enrolment-setup.js';
import { type FreshnessOptions, FreshnessPublisher } from './fresh-publisher.js';
import { hubLogger } from './hub-log.js';
import { HubIngest, type IngestOptions } from './ingest.js';
import { HubMetrics, type MetricsAccess } from './metrics/index.js';
import type { RecipientSource } from './notify/recipients.js';
import { type PassRequestDesk, startPassDesk } from './pass-requests.js';
import { daemonPassPublisher, type PassListPublisher } from './passes/publisher.js';
import { publishFleet } from './publish.js';
import { sendRequest } from './requests.js';
import { createServer } from './server.js';
import type { AlertsSettings, NotifySettings } from './settings/alerts-schema.js';
import { describeDatabase, type HubRepository } from './storage/index.js';
import { HubStore } from './store.js';
import { releasesDir } from './updates/releases.js';
import { RolloutEngine, Rollouts } from './updates/rollouts.js';
import { Enrolment, type EnrolmentKeys } from './use-cases/enrolment.js';
import { KioskCommands } from './use-cases/kiosk-commands.js';
import { applyRetention, DEFAULT_RETENTION_DAYS } from './use-cases/retention.js';

export interface HubOptions {
  mqtt: IngestOptions;
  dataDir: string;
  /** A postgres:// URL for PostgreSQL; otherwise an SQLite file (default `<dataDir>/hub.db`). */
  database?: string;
  http: { host: string; port: number };
  /** Check-ins older than this are purged daily (default 21 days); the audit log is kept. */
  retentionDays?: number;
  /** When the daily report is generated and stored, Vietnam time (default 06:00). */
  reportAt?: string;
  /** After a failed daily report, how long until it is tried again (default REPORT_RETRY_MS). */
  reportRetryMs?: number;
  /** The deployment key for identity hashes (tracing by number). */
  hashKey?: Buffer;
  /** The health office on the printed F1 list's letterhead (hub.yaml privacy.tracingOffice). */
  tracingOffice?: string;
  /** Login attempts allowed per address (IPv6: per /64) per minute (default 5). */
  loginsPerMinute?: number;
  /** Bytes a live page may leave unread before it is closed (default 1 MiB). */
  liveBufferBytes?: number;
  /** How often an open live page's session is checked again (default one minute). */
  liveSessionCheckMs?: number;
  /** The TLS reverse proxy's address(es) (fastify trustProxy); none by default. */
  trustProxy?: string;
  /**
   * Kiosk enrolment (POST /api/enrol): codes, keys and addresses (enrolment-setup.ts). The kiosks'
   * broker logins are set with the hub's own broker login (`mqtt`), which must administer the broker's
   * dynamic-security plugin (`qrkiosk-hub broker init` makes it so). None: enrolment is off.
   */
  enrolment?: EnrolmentKeys;
  /** Enrolment attempts allowed per address (IPv6: per /64) per minute (default 10). */
  enrolsPerMinute?: number;
  /**
   * Alert rules (hub.yaml `alerts:`) and where alerts and the daily report go (`notify:`). Both
   * given: alerts run every `alerts.everySeconds` and the report is delivered after it is stored.
   */
  alerts?: { rules: AlertsSettings; notify: NotifySettings; recipients?: RecipientSource };
  /**
   * Software rollouts (hub/src/updates/): signed with the hub's key, announced with bundle URLs under `baseUrl`,
   * moved on every `tickMs`. None: rollouts can be started (CLI, page) but do not move in this process.
   */
  rollouts?: { signing: { privateKey: KeyObject; publicKey: KeyObject }; baseUrl: string; tickMs: number };
  /** The signed statement on fleet/fresh (issue #19, fresh-publisher.ts). None: not published by this process. */
  freshness?: FreshnessOptions;
  /** hub.yaml passes: the province passes and the pass list name, a pass's default validity. */
  passes?: { province: string | null; validDays: number; kioskDailyPasses?: number };
  log?: Logger;
  /** Who may scrape GET /metrics besides an admin's session: a bearer token, listed addresses. */
  metricsAccess?: MetricsAccess;
  /**
   * Wraps the storage the hub opens (default: none). The seam for fault injection — a test passes a
   * repository that fails for a while — instead of reassigning methods on a live object.
   */
  wrapRepository?: (repo: HubRepository) => HubRepository;
}

/** After a daily report failed (the database down at report time), tried again this often. */
export const REPORT_RETRY_MS = 5 * 60_000;

/** The hub process: storage, MQTT ingest and the live page. start()/stop(); the constructor does nothing. */
export class Hub {
  store: HubStore | undefined;
  ingest: HubIngest | undefined;
  /** Prometheus metrics (metrics/): the alerts engine reports its counts with setAlertStates. */
  readonly metrics = new HubMetrics();
  private unwatch: (() => void) | undefined;
  private server: FastifyInstance | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private alertTimer: NodeJS.Timeout | undefined;
  /** The alert engine (hub.yaml alerts/notify), when configured. */
  alerts: AlertParts | undefined;
  private rolloutTimer: NodeJS.Timeout | undefined;
  freshness: FreshnessPublisher | undefined;
  /** The pass list's publisher (issue #20, passes/publisher.ts), signed with the fleet key kiosks trust. */
  passes: PassListPublisher | undefined;
  private passDesk: PassRequestDesk | undefined;
  private readonly log: Logger;

  constructor(private readonly options: HubOptions) {
    this.log = options.log ?? hubLogger();
  }

  /** Starts and returns the page's address. */
  async start(): Promise<string> {
    try {
      return await this.startParts();
    } catch (err) {
      // Half started (the database open, lanes connected): close what is open, then report.
      await this.stop().catch((stopErr: unknown) =>
        this.log.error({ err: stopErr }, 'closing a half-started hub failed'),
      );
      throw err;
    }
  }

  private async startParts(): Promise<string> {
    const opened = await HubStore.open(this.options.database, this.options.dataDir, this.log);
    const wrap = this.options.wrapRepository;
    // Timed outside the fault seam: a failure a test injects is counted as a real one would be.
    const store = new HubStore(this.metrics.timed(wrap ? wrap(opened.repo) : opened.repo));
    this.store = store;
    const ingest = new HubIngest(this.options.mqtt, store, this.log);
    this.ingest = ingest;
    this.unwatch = this.metrics.watch(store, ingest);
    await ingest.start();
    const fresh = this.options.freshness;
    const login = this.adminLogin();
    const withPasses = fresh && { ...fresh, passes: () => store.repo.passes.publishedListVersion() };
    const freshness = withPasses && new FreshnessPublisher(withPasses, login, this.log, this.metrics);
    this.freshness = freshness;
    const tick = () => void freshness?.tick();
    const passes = daemonPassPublisher(store, fresh, this.options.passes, login, this.log, tick);
    this.passes = passes;
    this.passDesk = await startPassDesk(passes, login, this.log, this.options.passes); // reception's (#20)
    this.server = await createServer(store, ingest, {
      ...(this.options.hashKey ? { hashKey: this.options.hashKey } : {}),
      ...(this.options.tracingOffice ? { tracingOffice: this.options.tracingOffice } : {}),
      ...(this.options.loginsPerMinute ? { loginsPerMinute: this.options.loginsPerMinute } : {}),
      ...(this.options.liveSessionCheckMs ? { liveSessionCheckMs: this.options.liveSessionCheckMs } : {}),
      ...(this.options.liveBufferBytes ? { liveBufferBytes: this.options.liveBufferBytes } : {}),
      ...(this.options.trustProxy ? { trustProxy: this.options.trustProxy } : {}),
      ...(this.options.enrolment ? { enrolment: this.enrolmentOf(store, this.options.enrolment) } : {}),
      ...(this.options.enrolment ? { commands: this.commandsOf(store, this.options.enrolment) } : {}),
      ...(this.options.enrolsPerMinute ? { enrolsPerMinute: this.options.enrolsPerMinute } : {}),
      metrics: this.metrics,
      ...(this.options.metricsAccess ? { metricsAccess: this.options.metricsAccess } : {}),
      releasesDir: releasesDir(this.options.dataDir),
      ...(freshness ? { freshness: () => freshness.status() } : {}),
      ...(passes ? { passes: { ...passes.routeOptions(), publisher: passes } } : {}),
      onError: (err) => this.log.error({ err }, 'hub page request failed'),
    });
    this.startRollouts(store);
    freshness?.start();
    passes?.start();
    const purge = () =>
      applyRetention(store, this.options.retentionDays ?? DEFAULT_RETENTION_DAYS, { actor: 'hub' });
    await purge();
    this.retentionTimer = setInterval(
      () => void purge().catch((err: unknown) => this.log.error({ err }, 'retention purge failed')),
      86_400_000,
    );
    this.retentionTimer.unref();
    this.startAlerts(store);
    this.scheduleReport();
    const address = await this.server.listen(this.options.http);
    this.log.info(
      { address, database: describeDatabase(this.options.database, this.options.dataDir) },
      'hub page ready',
    );
    const plain = this.options.enrolment && plainHttpWarning(this.options.enrolment.publicUrl);
    if (plain) this.log.warn({ publicUrl: this.options.enrolment?.publicUrl, text: plain }, plain.en);
    return address;
  }

  /** The rollout engine on a timer, publishing fleet/software over the hub's own broker login. */
  private startRollouts(store: HubStore): void {
    const r = this.options.rollouts;
    if (!r) return;
    const login = this.adminLogin();
    const engine = new RolloutEngine(store, new Rollouts(store), {
      publish: (payload) => publishFleet(login, [{ kind: 'software', payload }]),
      signing: r.signing,
      baseUrl: r.baseUrl,
      onError: (err) => this.log.error({ err }, 'rollout step failed; tried again at the next tick'),
      onChange: (row, what) =>
        this.log.info({ rollout: row.id, version: row.version, state: row.state, what }, 'rollout'),
    });
    const tick = () => {
      void engine.tick().finally(() => {
        if (this.rolloutTimer) this.rolloutTimer = setTimeout(tick, r.tickMs).unref();
      });
    };
    this.rolloutTimer = setTimeout(tick, r.tickMs).unref();
  }

  /** The hub's own broker login (the ingest's URL, username and password): enrolment and commands use it. */
  private adminLogin() {
    const m = this.options.mqtt;
    return {
      url: m.url,
      ...(m.username ? { username: m.username } : {}),
      ...(m.password !== undefined ? { password: m.password } : {}),
    };
  }

  private enrolmentOf(store: HubStore, keys: EnrolmentKeys): Enrolment {
    return new Enrolment(store, new KioskLogins(this.adminLogin()), keys, this.log);
  }

  /**
   * Commands to kiosks, signed with the key the kiosks were given at enrolment (grant.hubPublicKeys).
   * Each command on a connection of its own (requests.ts), not on the ingest's lanes: commands are rare
   * (a person pressing a button), the lanes are shared subscriptions that are retired and replaced
   * (ingest-retire.ts), and a kiosk slow to answer then holds only its own connection.
   */
  private commandsOf(store: HubStore, keys: EnrolmentKeys): KioskCommands {
    const login = this.adminLogin();
    return new KioskCommands(
      store,
      (where, command, fields, timeoutMs) =>
        sendRequest(login, keys.signing, where, command, fields, timeoutMs),
      { logins: new KioskLogins(login) },
    );
  }

  /**
   * The provinces' 06:00 report: every day at `reportAt` Vietnam time the hub stores yesterday's
   * report (sites, scans, sites with NO scans, new kiosks) and delivers it (dailyReport); officers
   * also read it on the page or as CSV. At start the last report that fell due is made and queued
   * if it was not (the hub was down, or failed, at report time); a failed report is tried again every
   * REPORT_RETRY_MS until it works. Each step is safe to repeat for a day (dailyReport).
   */
  private scheduleReport(): void {
    const [hh, mm] = (this.options.reportAt ?? '06:00').split(':').map(Number) as [number, number];
    const next = () => {
      const now = Date.now();
      const today = vnDay(new Date(now));
      let at = vnTimeOn(today, hh, mm).getTime();
      if (at <= now) at += 86_400_000;
      return at - now;
    };
    const arm = (ms: number, day: () => string) => {
      this.reportTimer = setTimeout(() => void run(day()), ms);
      this.reportTimer.unref();
    };
    const run = async (day: string) => {
      const ok = await this.dailyReport(day);
      if (this.stopping) return;
      // Failed: the same day again soon (the next 06:00 would be the next day's report).
      if (ok) arm(next(), () => vnYesterday(new Date()));
      else arm(this.options.reportRetryMs ?? REPORT_RETRY_MS, () => day);
    };
    const now = new Date();
    const dueToday = now.getTime() >= vnTimeOn(vnDay(now), hh, mm).getTime();
    // Before today's report time the last one due was yesterday morning's, of the day before.
    const lastDue = vnYesterday(dueToday ? now : new Date(now.getTime() - 86_400_000));
    // Run again even when stored: a hub stopped between storing and queuing it queues it now (the
    // stored report is reused and the notices are keyed by day, so none goes twice).
    this.reportCatchUp = run(lastDue);
  }

  /** The start's catch-up of a missed daily report (scheduleReport), for stop() and tests to await. */
  reportCatchUp: Promise<void> | undefined;
  private stopping = false;

  /**
   * What the report timer does for a day: store its report (unless stored already), then queue it
   * for every area's officers and webhooks and send. Every hub process does it, and it may run again
   * for a day (catch-up, retry): the stored report is reused and each destination's notice is keyed
   * by the day, so each is sent once. False when it failed (logged; the caller retries).
   */
  async dailyReport(day: string): Promise<boolean> {
    const store = this.store;
    if (!store) return false;
    try {
      const saved = await store.savedReport(day);
      const report = saved ? saved.report : await store.saveReport(day);
      if (!saved) {
        await store.audit('hub', 'report-scheduled', { day });
        this.log.info({ day }, 'daily report stored');
      }
      const queued = await this.alerts?.engine.queueReport(report);
      if (queued !== undefined) this.log.info({ day, queued }, 'daily report queued for delivery');
      await this.dispatchTick();
      return true;
    } catch (err) {
      this.log.error({ err, day }, 'daily report failed');
      return false;
    }
  }

  /**
   * Alerts every `everySeconds` (30 s by default), one check at a time in this process; notices are
   * sent on a loop of their own (dispatchTick) so a mail server or bridge that hangs holds up only
   * the sending, never the noticing of a new alert.
   */
  private startAlerts(store: HubStore): void {
    const a = this.options.alerts;
    if (!a) return;
    this.alerts = alertParts(store, a.rules, a.notify, this.log, a.recipients);
    this.alertTimer = setInterval(() => {
      void this.alertTick();
      void this.dispatchTick();
    }, this.alerts.everyMs);
    this.alertTimer.unref();
  }

  private dispatching: Promise<void> | undefined;
  private dispatchAgain: Promise<void> | undefined;

  /**
   * Sends what is due, one run at a time in this process. Called while a run is going, it runs once
   * more after it (notices queued meanwhile may be past that run's last look) and resolves then.
   */
  dispatchTick(): Promise<void> {
    const engine = this.alerts?.engine;
    if (!engine) return Promise.resolve();
    if (this.dispatching) {
      this.dispatchAgain ??= this.dispatching.then(() => {
        this.dispatchAgain = undefined;
        return this.dispatchTick();
      });
      return this.dispatchAgain;
    }
    this.dispatching = engine
      .dispatch()
      .then(() => undefined)
      .catch((err: unknown) => this.log.error({ err }, 'notice dispatch failed'))
      .finally(() => {
        this.dispatching = undefined;
      });
    return this.dispatching;
  }

  private ticking: Promise<void> | undefined;

  /**
   * The alerts in force by rule, for GET /metrics: read back from the store after each tick (another
   * hub process may have raised or cleared them). Every rule is set, at 0 too, so its series stays.
   */
  private async countAlerts(): Promise<void> {
    const store = this.store;
    if (!store) return;
    const counts: Record<string, number> = Object.fromEntries(RULES.map((r) => [r, 0]));
    for (const a of await store.repo.alerts.list(true, 100_000)) counts[a.rule] = (counts[a.rule] ?? 0) + 1;
    this.metrics.setAlertStates(counts);
  }

  /**
   * One alert check unless one is running, then the notices it queued are sent (not awaited: the
   * sending has its own loop, dispatchTick).
   */
  alertTick(): Promise<void> {
    const engine = this.alerts?.engine;
    if (!engine) return Promise.resolve();
    this.ticking ??= engine
      .check()
      .then(() => {
        void this.dispatchTick();
        return this.countAlerts();
      })
      .catch((err: unknown) => this.log.error({ err }, 'alert tick failed'))
      .finally(() => {
        this.ticking = undefined;
      });
    return this.ticking;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    if (this.alertTimer) clearInterval(this.alertTimer);
    // A send in flight finishes (≤ its limit); no further notice is taken, they stay due.
    this.alerts?.stopSending();
    await this.reportCatchUp;
    await this.ticking;
    await this.dispatchAgain;
    await this.dispatching;
    this.alerts?.close();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.reportTimer) clearTimeout(this.reportTimer);
    const rollout = this.rolloutTimer;
    this.rolloutTimer = undefined;
    if (rollout) clearTimeout(rollout);
    await this.freshness?.stop();
    await this.passDesk?.stop();
    await this.passes?.stop();
    await this.server?.close();
    await this.ingest?.stop();
    this.unwatch?.();
    await this.store?.close();
  }
}
