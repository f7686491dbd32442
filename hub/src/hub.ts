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
  log?: Logger;
}

/** The hub process: storage, MQTT ingest and the live page. start()/stop(); the constructor does nothing. */
export class Hub {
  store: HubStore | undefined;
  ingest: HubIngest | undefined;
  private server: FastifyInstance | undefined;
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
    this.server = await createServer(store, ingest);
    const address = await this.server.listen(this.options.http);
    this.log.info({ address }, 'hub page ready');
    return address;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    await this.ingest?.stop();
    this.store?.close();
  }
}
