import { readFileSync } from 'node:fs';
import websocket from '@fastify/websocket';
import type { Direction } from '@qrkiosk/protocol';
import {
  type CheckinMessage,
  maskName,
  maskNumber,
  type OutcomeKind,
  type Verdict,
  vnDayStartOf,
} from '@qrkiosk/protocol';
import { type Static, Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { EventBus } from '../bus.js';
import { reason } from '../decide/index.js';
import type { OccupancyState } from '../decide/occupancy-gate.js';
import { type FaultCode, RECORD_BLOCKING } from '../faults.js';
import type { Text } from '../i18n.js';
import type { Logger } from '../log.js';
import { ManualEntryError } from '../manual-entry.js';
import { type KioskMetrics, metricsAllowed } from '../metrics/index.js';
import { OutcomeError, type Outcomes } from '../outcomes/index.js';
import type { ReceptionPasses } from '../passes/reception.js';
import type { Journal } from '../record/index.js';
import { PinBody, type ScreenCheckin, ScreensGuard, screenCheckin } from './guard.js';
import { passRoutes } from './pass-routes.js';
import { type PublicReasonMode, publicLine } from './public-line.js';
import { receptionToday, screenTally } from './today.js';

export { MANUAL_PER_MINUTE, type ScreenCheckin } from './guard.js';

/**
 * What the screens read and do, and nothing more: the Controller passes itself, tests may pass less.
 * The screens see the bus, the journal (today's list), the guard's outcomes and manual entry — never
 * the scan path.
 */
export interface ScreensSource {
  bus: EventBus;
  journal: Pick<Journal, 'since' | 'outcomesSince' | 'talliesSince'>;
  outcomes: Pick<Outcomes, 'left' | 'resolve'>;
  faults: { list(): FaultCode[] };
  occupancy: { state(): OccupancyState | undefined };
  settings: { ui: { publicReason: PublicReasonMode }; kiosk: { direction: Direction } };
  /** The kiosk's clock (today is dated by it, as the scan path does). */
  now(): Date;
  manualCheckin(name: string, phone: string): CheckinMessage;
  /** The site keeps no register (signed rules' verifyOnly): shown in the footer, within a heartbeat of a change. */
  verifyOnly(): boolean;
  /** Served at GET /metrics (metrics/); absent: no such route. */
  metrics?: Pick<KioskMetrics, 'exposition'>;
}

/** The public socket's heartbeat; verdict.html's watchdog trips after 3 missed (WATCHDOG_MS = 6 s). */
export const HEARTBEAT_MS = 2000;

const PUBLIC = new URL('../../public/', import.meta.url);
const page = (name: string) => readFileSync(new URL(name, PUBLIC), 'utf8');

/**
 * What the screens receive: `/live` (the public verdict screen) gets `scan`, `status` and `fault` —
 * masked, and no health reason or card colour (public-line.ts); `/live/reception` (staff) gets
 * `status` and `checkin`, with the specific reason. A `scan` arrives when the door shows it.
 */
export type ScreenMessage =
  | {
      type: 'scan';
      at: string;
      verdict: Verdict;
      /** The line under the verdict: neutral for a health reason unless ui.publicReason is `specific`. */
      line: Text;
      kind: string;
      /** Null when a health reason is shown (never the name beside "F0"). */
      nameMasked: string | null;
      repeat: boolean;
      /** Decided and journaled while a refusal holds the door: shown beside it, played after it. */
      queued: boolean;
      /** Played right after a refusal's hold: that refusal's time ("vừa từ chối" marker). */
      afterRefusal?: string;
    }
  /** `scannerExpected: false` (no scanner configured, e.g. a reception-only demo): no "scanner lost" screen. */
  | { type: 'status'; online: boolean; scanner: boolean; scannerExpected: boolean }
  /** Sent every HEARTBEAT_MS: a quiet kiosk is alive; the page's watchdog trips only on silence. */
  /** `verifyOnly`: the signed rules made this a verify-only site (footer "Chỉ kiểm tra — không lưu danh sách"). */
  | { type: 'heartbeat'; verifyOnly: boolean }
  /** Faults in force (the page shows GUARD_FAULTS full-screen); `recording: false` puts the verdict screen in its full-screen fault state. */
  | { type: 'fault'; faults: FaultCode[]; recording: boolean }
  | { type: 'checkin'; checkin: ScreenCheckin }
  /** The guard resolved a REVIEW (button or reception): reception reloads its counts. */
  | { type: 'outcome'; checkin: string; outcome: OutcomeKind }
  /** People inside against the site's cap, and whose count it is (omitted fields: no cap in force). */
  | { type: 'occupancy'; occupancy: OccupancyState | null };

/** `POST /api/manual`: a visitor without a code (the values are checked by manualCheckin). */
const ManualBody = Type.Object({ name: Type.String(), phone: Type.String() });
type ManualBody = Static<typeof ManualBody>;

/** `POST /api/outcome`: the guard's decision on a REVIEW, or that an admitted person left. */
const OutcomeBody = Type.Object({
  checkin: Type.String(),
  outcome: Type.Union([Type.Literal('admitted'), Type.Literal('denied'), Type.Literal('left')]),
});
type OutcomeBody = Static<typeof OutcomeBody>;

/**
 * The kiosk's own screens, served by the gateway (`ui.port`): `/` the verdict screen for an HDMI or
 * touch display in Chromium kiosk mode, `/reception` today's check-ins and manual entry. Plain HTML
 * files, nothing to build on the Pi; live updates over one WebSocket.
 */
export class ScreensServer {
  private app: FastifyInstance | undefined;
  /** The public verdict screen's sockets, and reception's (staff: specific reasons). */
  private readonly sockets = { public: new Set<WebSocket>(), reception: new Set<WebSocket>() };
  private status = { online: false, scanner: false, scannerExpected: true };
  private heartbeat: NodeJS.Timeout | undefined;
  private readonly unsubscribe: Array<() => void> = [];

  constructor(
    private readonly controller: ScreensSource,
    private readonly log: Logger,
    /** Reception's "print a pass" over the hub link (issue #20); none: the button answers 503. */
    private readonly passes?: ReceptionPasses,
  ) {}

  /**
   * Starts listening; returns the address. `receptionPin`: asked once of every other machine
   * (ui.receptionPinFile); without it, a host other than loopback is open to the whole network.
   */
  async start(
    port: number,
    host = '127.0.0.1',
    options: { receptionPin?: string; scannerExpected?: boolean; metricsToken?: string } = {},
  ): Promise<string> {
    this.status.scannerExpected = options.scannerExpected ?? true;
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
    // Every request from another machine needs the PIN (when one is set), pages included; the metrics
    // have their own check (a Prometheus server has no PIN cookie, and the PIN does not open them).
    app.addHook('onRequest', async (req, reply) => {
      const url = req.routeOptions.url;
      if (url !== '/api/pin' && url !== '/metrics' && !guard.admitted(req, reply)) return reply;
    });
    const metrics = this.controller.metrics;
    if (metrics)
      app.get('/metrics', async (req, reply) => {
        const token = options.metricsToken;
        const refused = metricsAllowed(
          token ? { token } : {},
          req.socket.remoteAddress,
          req.headers.authorization,
        );
        if (refused) return reply.code(refused.status).send({ error: refused.error });
        const { contentType, body } = await metrics.exposition();
        return reply.type(contentType).header('cache-control', 'no-store').send(body);
      });
    app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(verdictPage));
    app.get('/reception', (_req, reply) =>
      reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(receptionPage),
    );
    app.post('/api/pin', { schema: { body: PinBody }, attachValidation: true }, (req, reply) =>
      guard.login(req, reply),
    );
    app.get('/api/today', () => this.today());
    // Route schemas check the bodies; `attachValidation` leaves the answer to the handler, so the guard's
    // 403 comes first and a bad body gets this page's bilingual error, not Fastify's English one.
    app.post<{ Body: ManualBody }>(
      '/api/manual',
      { schema: { body: ManualBody }, attachValidation: true },
      async (req, reply) => {
        if (!guard.manualAllowed(req, reply)) return reply;
        if (req.validationError)
          return reply
            .code(400)
            .send({ error: { vi: 'Cần họ tên và số điện thoại', en: 'Name and phone are required' } });
        const body = req.body;
        try {
          return { checkin: screenCheckin(this.controller.manualCheckin(body.name, body.phone)) };
        } catch (err) {
          if (err instanceof ManualEntryError) return reply.code(400).send({ error: err.text });
          this.log.error({ err }, 'manual check-in failed');
          return reply
            .code(500)
            .send({ error: { vi: 'Lỗi lưu check-in', en: 'Could not save the check-in' } });
        }
      },
    );
    passRoutes(app, guard, this.passes, this.log);
    // Reception resolves any of today's pending REVIEWs; the same token and Origin checks as a manual
    // entry, so another site open in the reception PC's browser cannot open the door.
    app.post<{ Body: OutcomeBody }>(
      '/api/outcome',
      { schema: { body: OutcomeBody }, attachValidation: true },
      async (req, reply) => {
        if (!guard.staffAllowed(req, reply)) return reply;
        if (req.validationError)
          return reply.code(400).send({
            error: {
              vi: 'Cần lượt check-in và kết quả (cho vào / không cho vào / đã ra)',
              en: 'A check-in and an outcome (admitted / denied / left) are required',
            },
          });
        const body = req.body;
        const kind = body.outcome;
        try {
          const { outcomes } = this.controller;
          return {
            // `left`: reception's exit button for a person let in (frees a place under the cap).
            outcome:
              kind === 'left'
                ? outcomes.left(body.checkin)
                : outcomes.resolve({ checkin: body.checkin, outcome: kind, by: 'reception' }),
          };
        } catch (err) {
          if (err instanceof OutcomeError) return reply.code(409).send({ error: err.reason, code: err.code });
          this.log.error({ err }, 'recording an outcome failed');
          return reply.code(500).send({ error: { vi: 'Lỗi lưu kết quả', en: 'Could not save the outcome' } });
        }
      },
    );
    app.register(async (scope) => {
      // A page of another origin must not read the scans: a browser always sends Origin on a
      // WebSocket, and a different one is refused before the upgrade.
      scope.addHook('preValidation', async (req, reply) => {
        if (req.headers.origin !== undefined && !guard.sameOrigin(req))
          return reply
            .code(403)
            .send({ error: { vi: 'Trang khác nguồn gốc', en: 'Cross-origin page refused' } });
      });
      for (const [path, audience] of [
        ['/live', 'public'],
        ['/live/reception', 'reception'],
      ] as const)
        scope.get(path, { websocket: true }, (socket) => {
          this.sockets[audience].add(socket);
          socket.send(JSON.stringify({ type: 'status', ...this.status } satisfies ScreenMessage));
          socket.send(JSON.stringify(faultMessage(this.controller.faults.list())));
          socket.send(
            JSON.stringify({
              type: 'occupancy',
              occupancy: this.controller.occupancy.state() ?? null,
            } satisfies ScreenMessage),
          );
          socket.on('close', () => this.sockets[audience].delete(socket));
        });
    });
    const bus = this.controller.bus;
    const mode = this.controller.settings.ui.publicReason;
    this.unsubscribe.push(
      // The public screen follows the door (door/index.ts), not the decision: a scan held behind a
      // refusal is shown beside it, then in full when its lights play.
      bus.on('scan.shown', ({ outcome: o, queued, afterRefusal }) => {
        // A verify-only site shows no identity on any screen, masked or not (issue #19).
        const id = this.controller.verifyOnly() ? undefined : o.decoded.identity;
        const { line, showName } = publicLine(o.decision, mode, o.previous?.at);
        this.broadcast('public', {
          type: 'scan',
          at: o.at.toISOString(),
          verdict: o.decision.verdict,
          line,
          kind: o.decoded.kind,
          nameMasked: id && showName ? maskName(id.name) : null,
          repeat: o.decision.repeat,
          queued,
          ...(afterRefusal ? { afterRefusal: afterRefusal.toISOString() } : {}),
        });
      }),
      // Reception sees every decision at once, repeats included, with the specific reason.
      bus.on('scan.decided', (o) => {
        const verifyOnly = this.controller.verifyOnly();
        const id = o.decoded.identity;
        if (o.checkin) this.broadcast('reception', { type: 'checkin', checkin: screenCheckin(o.checkin) });
        else if (o.tally) this.broadcast('reception', { type: 'checkin', checkin: screenTally(o.tally) });
        else if (o.decision.repeat && o.previous && id)
          this.broadcast('reception', {
            type: 'checkin',
            checkin: {
              id: `repeat-${o.at.getTime()}`,
              at: o.at.toISOString(),
              direction: this.controller.settings.kiosk.direction,
              verdict: o.decision.verdict,
              reason: { code: o.previous.reason, ...reason(o.previous.reason).text },
              repeatOf: o.previous.at,
              // Verify-only: kind, verdict, reason, time — nothing the QR said about the person.
              document: {
                kind: o.decoded.kind,
                nameMasked: verifyOnly ? null : maskName(id.name),
                numberMasked: verifyOnly ? null : maskNumber(id.documentNumber),
              },
            },
          });
      }),
      bus.on('checkin.manual', (checkin) =>
        this.broadcast('reception', { type: 'checkin', checkin: screenCheckin(checkin) }),
      ),
      bus.on('outcome.recorded', (o) =>
        this.broadcast('reception', { type: 'outcome', checkin: o.checkin, outcome: o.outcome }),
      ),
      bus.on('occupancy.changed', (o) => this.broadcastAll({ type: 'occupancy', occupancy: o ?? null })),
      bus.on('uplink.status', (s) => this.setStatus({ online: s.connected })),
      bus.on('scanner.status', (s) => this.setStatus({ scanner: s.connected })),
      bus.on('fault', (e) => this.broadcastAll(faultMessage(e.faults))),
    );
    // The page's watchdog (verdict.html) shows "kiosk software not answering" after WATCHDOG_MS of
    // silence; a heartbeat well inside it keeps an idle entrance from looking dead.
    this.heartbeat = setInterval(
      () => this.broadcast('public', { type: 'heartbeat', verifyOnly: this.controller.verifyOnly() }),
      HEARTBEAT_MS,
    );
    this.heartbeat.unref();
    this.app = app;
    const address = await app.listen({ port, host });
    this.log.info({ address }, 'screens ready: / (verdict), /reception, /metrics');
    return address;
  }

  private today() {
    // The kiosk's clock, not the machine's: tests and a kiosk whose clock is being corrected agree.
    const since = vnDayStartOf(this.controller.now()).toISOString();
    const { journal } = this.controller;
    // Counted over the whole day (a busy site passes 2,000 check-ins); the list shows the newest 2,000.
    const today = receptionToday(
      journal.since(since, 1_000_000),
      journal.outcomesSince(since),
      journal.talliesSince(since),
    );
    return {
      ...today,
      checkins: today.checkins.slice(0, 2000),
      direction: this.controller.settings.kiosk.direction,
      // A verify-only site: reception shows why there is no list and no manual entry.
      verifyOnly: this.controller.verifyOnly(),
    };
  }

  private setStatus(change: Partial<typeof this.status>): void {
    this.status = { ...this.status, ...change };
    this.broadcastAll({ type: 'status', ...this.status });
  }

  /**
   * Sent on the next tick, in order: these listeners hear of a scan inside scan(), where nothing but
   * the commit and the light may run (a page must never delay a light).
   */
  private broadcast(audience: keyof typeof this.sockets, message: ScreenMessage): void {
    setImmediate(() => {
      const text = JSON.stringify(message);
      for (const s of this.sockets[audience]) s.send(text);
    });
  }

  private broadcastAll(message: ScreenMessage): void {
    this.broadcast('public', message);
    this.broadcast('reception', message);
  }

  async stop(): Promise<void> {
    clearInterval(this.heartbeat);
    for (const u of this.unsubscribe.splice(0)) u();
    await this.app?.close();
  }
}

function faultMessage(faults: FaultCode[]): ScreenMessage {
  return { type: 'fault', faults, recording: !faults.some((f) => RECORD_BLOCKING.includes(f)) };
}
