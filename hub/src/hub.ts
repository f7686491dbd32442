import { join } from 'node:path';
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
    const address = await this.server.listen(this.options.http);
    this.log.info({ address }, 'hub page ready');
    return address;
  }

  async stop(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    await this.server?.close();
    await this.ingest?.stop();
    this.store?.close();
  }
}
