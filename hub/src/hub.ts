import { join } from 'node:path';
import { vnDay } from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import { HubIngest, type IngestOptions } from './ingest.js';
import { createServer } from './server.js';
import { HubStore } from './store.js';

export interface HubOptions {
  mqtt: IngestOptions;
  dataDir: string;
  http: { host: string; port: number };
  /** Check-ins older than this are purged daily (default 21 days); the audit log is kept. */
  retentionDays?: number;
  /** When the daily report is generated and stored, Vietnam time (default 06:00). */
  reportAt?: string;
  /** The deployment key for identity hashes (tracing by number). */
  hashKey?: Buffer;
  log?: Logger;
}

/** The hub process: storage, MQTT ingest and the live page. start()/stop(); the constructor does nothing. */
export class Hub {
  store: HubStore | undefined;
  ingest: HubIngest | undefined;
  private server: FastifyInstance | undefined;
  private retentionTimer: NodeJS.Timeout | undefined;
  private reportTimer: NodeJS.Timeout | undefined;
  private readonly log: Logger;

  constructor(private readonly options: HubOptions) {
    this.log = options.log ?? pino({ base: { app: 'qrkiosk-hub' } });
  }

  /** Starts and returns the page's address. */
  async start(): Promise<string> {
    const store = new HubStore(join(this.options.dataDir, 'hub.db'));
    this.store = store;
    const ingest = new HubIngest(this.options.mqtt, store, this.log);
    this.ingest = ingest;
    await ingest.start();
    this.server = await createServer(
      store,
      ingest,
      this.options.hashKey ? { hashKey: this.options.hashKey } : {},
    );
    const purge = () => {
      const days = this.options.retentionDays ?? 21;
      const removed = store.purge(new Date(Date.now() - days * 86_400_000));
      if (removed > 0) store.audit('hub', 'purge', { days, removed });
    };
    purge();
    this.retentionTimer = setInterval(purge, 86_400_000);
    this.retentionTimer.unref();
    this.scheduleReport(store);
    const address = await this.server.listen(this.options.http);
    this.log.info({ address }, 'hub page ready');
    return address;
  }

  /**
   * The provinces' 06:00 report: every day at `reportAt` Vietnam time the hub stores yesterday's
   * report (sites, scans, sites with NO scans, new kiosks); officers read it on the page or as CSV.
   */
  private scheduleReport(store: HubStore): void {
    const [hh, mm] = (this.options.reportAt ?? '06:00').split(':').map(Number) as [number, number];
    const next = () => {
      const now = Date.now();
      const today = vnDay(new Date(now));
      let at = Date.parse(`${today}T${String(hh).padStart(2, '0')}:${String(mm).padStart(2, '0')}:00+07:00`);
      if (at <= now) at += 86_400_000;
      return at - now;
    };
    const run = () => {
      const yesterday = vnDay(new Date(Date.now() - 86_400_000));
      store.saveReport(yesterday);
      store.audit('hub', 'report-scheduled', { day: yesterday });
      this.log.info({ day: yesterday }, 'daily report stored');
      this.reportTimer = setTimeout(run, next());
      this.reportTimer.unref();
    };
    this.reportTimer = setTimeout(run, next());
    this.reportTimer.unref();
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.reportTimer) clearTimeout(this.reportTimer);
    await this.server?.close();
    await this.ingest?.stop();
    this.store?.close();
  }
}
