import { readFileSync } from 'node:fs';
import websocket from '@fastify/websocket';
import { maskName, maskNumber, vnDay } from '@qrkiosk/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { Controller } from '../controller.js';
import { type FaultCode, RECORD_BLOCKING } from '../faults.js';
import type { Text } from '../i18n.js';
import type { Logger } from '../log.js';
import { ManualEntryError } from '../manual-entry.js';
import { type ScreenCheckin, ScreensGuard, screenCheckin } from './guard.js';

export { MANUAL_PER_MINUTE, type ScreenCheckin } from './guard.js';

const PUBLIC = new URL('../../public/', import.meta.url);
const page = (name: string) => readFileSync(new URL(name, PUBLIC), 'utf8');

/** What the screens receive over `/live`. Masked only: screens face the public. */
export type ScreenMessage =
  | {
      type: 'scan';
      at: string;
      verdict: 'ALLOW' | 'REFUSE' | 'REVIEW';
      colour: 'green' | 'yellow' | 'red' | null;
      reason: Text & { code: string };
      kind: string;
      nameMasked: string | null;
      numberMasked: string | null;
      repeat: boolean;
    }
  | { type: 'status'; online: boolean; scanner: boolean }
  /** Storage faults in force; `recording: false` puts the verdict screen in its full-screen fault state. */
  | { type: 'fault'; faults: FaultCode[]; recording: boolean }
  | { type: 'checkin'; checkin: ScreenCheckin };

/**
 * The kiosk's own screens, served by the gateway (`ui.port`): `/` the verdict screen for an HDMI or
 * touch display in Chromium kiosk mode, `/reception` today's check-ins and manual entry. Plain HTML
 * files, nothing to build on the Pi; live updates over one WebSocket.
 */
export class ScreensServer {
  private app: FastifyInstance | undefined;
  private readonly sockets = new Set<WebSocket>();
  private status = { online: false, scanner: false };
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly controller: Controller,
    private readonly log: Logger,
  ) {}

  /**
   * Starts listening; returns the address. `receptionPin`: asked once of every other machine
   * (ui.receptionPinFile); without it, a host other than loopback is open to the whole network.
   */
  async start(port: number, host = '127.0.0.1', options: { receptionPin?: string } = {}): Promise<string> {
    const app = Fastify({ logger: false, bodyLimit: 4096 });
    await app.register(websocket);
    const guard = new ScreensGuard(options.receptionPin);
    if (!guard.pinRequired && !/^(127\.|::1$|localhost$)/.test(host))
      this.log.warn(
        { host },
        'screens listen beyond this machine without ui.receptionPinFile: anyone on the network can read today’s list and add check-ins',
      );
    const verdictPage = page('verdict.html');
    // The anti-forgery token goes into the page itself: only a page from this origin can read it.
    const receptionPage = page('reception.html').replace('__QRKIOSK_TOKEN__', guard.token);
    // Every request from another machine needs the PIN (when one is set), pages included.
    app.addHook('onRequest', async (req, reply) => {
      if (req.routeOptions.url !== '/api/pin' && !guard.admitted(req, reply)) return reply;
    });
    app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(verdictPage));
    app.get('/reception', (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(receptionPage),
    );
    app.post('/api/pin', (req, reply) => guard.login(req, reply));
    app.get('/api/today', () => this.today());
    app.post('/api/manual', async (req, reply) => {
      if (!guard.manualAllowed(req, reply)) return reply;
      const body = (req.body ?? {}) as { name?: unknown; phone?: unknown };
      if (typeof body.name !== 'string' || typeof body.phone !== 'string')
        return reply
          .code(400)
          .send({ error: { vi: 'Cần họ tên và số điện thoại', en: 'Name and phone are required' } });
      try {
        return { checkin: screenCheckin(this.controller.manualCheckin(body.name, body.phone)) };
      } catch (err) {
        if (err instanceof ManualEntryError) return reply.code(400).send({ error: err.text });
        this.log.error({ err }, 'manual check-in failed');
        return reply.code(500).send({ error: { vi: 'Lỗi lưu check-in', en: 'Could not save the check-in' } });
      }
    });
    app.register(async (scope) => {
      // A page of another origin must not read the scans: a browser always sends Origin on a
      // WebSocket, and a different one is refused before the upgrade.
      scope.addHook('preValidation', async (req, reply) => {
        if (req.headers.origin !== undefined && !guard.sameOrigin(req))
          return reply
            .code(403)
            .send({ error: { vi: 'Trang khác nguồn gốc', en: 'Cross-origin page refused' } });
      });
      scope.get('/live', { websocket: true }, (socket) => {
        this.sockets.add(socket);
        socket.send(JSON.stringify({ type: 'status', ...this.status } satisfies ScreenMessage));
        socket.send(JSON.stringify(faultMessage(this.controller.faults.list())));
        socket.on('close', () => this.sockets.delete(socket));
      });
    });
    const bus = this.controller.bus;
    this.unsubscribe.push(
      bus.on('scan.decided', (o) => {
        const id = o.decoded.identity;
        this.broadcast({
          type: 'scan',
          at: o.at.toISOString(),
          verdict: o.decision.verdict,
          colour: o.decision.colour,
          reason: { code: o.decision.reason.code, ...o.decision.reason.text },
          kind: o.decoded.kind,
          nameMasked: id ? maskName(id.name) : null,
          numberMasked: id ? maskNumber(id.documentNumber) : null,
          repeat: o.decision.repeat,
        });
        if (o.checkin) this.broadcast({ type: 'checkin', checkin: screenCheckin(o.checkin) });
      }),
      bus.on('checkin.manual', (checkin) =>
        this.broadcast({ type: 'checkin', checkin: screenCheckin(checkin) }),
      ),
      bus.on('uplink.status', (s) => this.setStatus({ online: s.connected })),
      bus.on('scanner.status', (s) => this.setStatus({ scanner: s.connected })),
      bus.on('fault', (e) => this.broadcast(faultMessage(e.faults))),
    );
    this.app = app;
    return app.listen({ port, host });
  }

  private today() {
    const since = new Date(`${vnDay(new Date())}T00:00:00+07:00`).toISOString();
    const checkins = this.controller.journal.since(since).map(screenCheckin);
    const inCount = checkins.filter((c) => c.direction === 'in').length;
    const outCount = checkins.length - inCount;
    return {
      checkins,
      in: inCount,
      out: outCount,
      occupancy: Math.max(0, inCount - outCount),
      direction: this.controller.settings.kiosk.direction,
    };
  }

  private setStatus(change: Partial<typeof this.status>): void {
    this.status = { ...this.status, ...change };
    this.broadcast({ type: 'status', ...this.status });
  }

  private broadcast(message: ScreenMessage): void {
    const text = JSON.stringify(message);
    for (const s of this.sockets) s.send(text);
  }

  async stop(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    await this.app?.close();
  }
}

function faultMessage(faults: FaultCode[]): ScreenMessage {
  return { type: 'fault', faults, recording: !faults.some((f) => RECORD_BLOCKING.includes(f)) };
}
