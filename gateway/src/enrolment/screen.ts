import { readFileSync } from 'node:fs';
import websocket from '@fastify/websocket';
import type { Bilingual } from '@qrkiosk/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Logger } from '../log.js';
import { HEARTBEAT_MS } from '../screens/index.js';

/** What the verdict page shows while the kiosk is unenrolled (verdict.html, states ENROL…). */
export type EnrolScreenState = 'waiting' | 'working' | 'refused' | 'not-enrolled' | 'enrolled';

export type EnrolScreenMessage =
  | { type: 'enrolment'; state: EnrolScreenState; message?: Bilingual; kiosk?: string }
  | { type: 'status'; online: boolean; scanner: boolean; scannerExpected: boolean }
  | { type: 'heartbeat' };

const VERDICT_PAGE = new URL('../../public/verdict.html', import.meta.url);

/**
 * The verdict screen of an unenrolled kiosk: the same page as always (`/`, `/live`), told the enrolment
 * state instead of verdicts. Nothing personal is ever on it (no check-in is made before enrolment), so
 * there is no reception page and no PIN here.
 */
export class EnrolmentScreen {
  private app: FastifyInstance | undefined;
  private readonly sockets = new Set<WebSocket>();
  private last: EnrolScreenMessage = { type: 'enrolment', state: 'waiting' };
  private status: Extract<EnrolScreenMessage, { type: 'status' }> = {
    type: 'status',
    online: false,
    scanner: false,
    scannerExpected: true,
  };
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly log: Logger) {}

  async start(port: number, host: string): Promise<string> {
    const app = Fastify({ logger: false, bodyLimit: 1024 });
    await app.register(websocket);
    const page = readFileSync(VERDICT_PAGE, 'utf8');
    app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
    app.register(async (scope) => {
      scope.get('/live', { websocket: true }, (socket) => {
        this.sockets.add(socket);
        socket.send(JSON.stringify(this.status));
        socket.send(JSON.stringify(this.last));
        socket.on('close', () => this.sockets.delete(socket));
      });
    });
    this.heartbeat = setInterval(() => this.send({ type: 'heartbeat' }), HEARTBEAT_MS);
    this.heartbeat.unref();
    this.app = app;
    const address = await app.listen({ port, host });
    this.log.info({ address }, 'enrolment screen ready');
    return address;
  }

  /** What the page shows now (tests read it without a browser). */
  get shown(): EnrolScreenMessage {
    return this.last;
  }

  show(state: EnrolScreenState, extra: { message?: Bilingual; kiosk?: string } = {}): void {
    this.last = { type: 'enrolment', state, ...extra };
    this.send(this.last);
  }

  scanner(connected: boolean): void {
    this.status = { ...this.status, scanner: connected };
    this.send(this.status);
  }

  private send(m: EnrolScreenMessage): void {
    const text = JSON.stringify(m);
    for (const s of this.sockets) s.send(text);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    await this.app?.close();
  }
}
