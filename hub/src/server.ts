import { readFileSync } from 'node:fs';
import websocket from '@fastify/websocket';
import type { CheckinMessage, TelemetryMessage } from '@qrkiosk/protocol';
import { vnDay } from '@qrkiosk/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import type { HubIngest } from './ingest.js';
import type { HubStore } from './store.js';

const PAGE = new URL('../public/index.html', import.meta.url);

/** A message on the live WebSocket. */
export type LiveMessage =
  | {
      type: 'snapshot';
      checkins: CheckinMessage[];
      kiosks: ReturnType<HubStore['kiosks']>;
      today: Array<{ site: string; n: number }>;
    }
  | { type: 'checkin'; checkin: CheckinMessage }
  | { type: 'kiosk'; site: string; kiosk: string; state: string; lastSeen: string }
  | { type: 'telemetry'; telemetry: TelemetryMessage };

/** Start of today in Vietnam (UTC+7), for "today" counts. */
function startOfVnDay(now: Date): Date {
  return new Date(`${vnDay(now)}T00:00:00+07:00`);
}

/** The live page: one HTML file (nothing to build) and a WebSocket that pushes what arrives. */
export async function createServer(store: HubStore, ingest: HubIngest): Promise<FastifyInstance> {
  const app = Fastify({ logger: false });
  const page = readFileSync(PAGE, 'utf8');
  await app.register(websocket);
  app.get('/', (_req, reply) => reply.type('text/html; charset=utf-8').send(page));
  app.get('/api/checkins', (req) => {
    const limit = Math.min(Math.max(Number((req.query as { limit?: string }).limit) || 100, 1), 1000);
    return store.recent(limit);
  });
  app.get('/api/kiosks', () => store.kiosks());
  app.get('/healthz', () => ({ ok: true, checkins: store.checkinCount() }));
  app.register(async (scope) => {
    scope.get('/live', { websocket: true }, (socket) => {
      const send = (m: LiveMessage) => socket.send(JSON.stringify(m));
      send({
        type: 'snapshot',
        checkins: store.recent(100),
        kiosks: store.kiosks(),
        today: store.countsSince(startOfVnDay(new Date())),
      });
      const onCheckin = (checkin: CheckinMessage) => send({ type: 'checkin', checkin });
      const onKiosk = (k: { site: string; kiosk: string; state: string; lastSeen: string }) =>
        send({ type: 'kiosk', ...k });
      const onTelemetry = (telemetry: TelemetryMessage) => send({ type: 'telemetry', telemetry });
      ingest.on('checkin', onCheckin);
      ingest.on('kiosk', onKiosk);
      ingest.on('telemetry', onTelemetry);
      socket.on('close', () => {
        ingest.off('checkin', onCheckin);
        ingest.off('kiosk', onKiosk);
        ingest.off('telemetry', onTelemetry);
      });
    });
  });
  return app;
}
