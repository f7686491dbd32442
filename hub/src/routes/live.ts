import {
  type CheckinMessage,
  type TallyMessage,
  type TelemetryMessage,
  vnDayStartOf,
} from '@qrkiosk/protocol';
import type { FastifyInstance } from 'fastify';
import type { HubIngest } from '../ingest.js';
import type { HubStore, KioskRow, SiteInfo } from '../store.js';
import { canSee, type Session } from '../users.js';
import { COOKIE, sessionOf } from './access.js';
import { forPage } from './page-checkin.js';
import { NoQuery } from './schemas.js';

/** A message on the live WebSocket (only what the user's scope covers). */
export type LiveMessage =
  | {
      type: 'snapshot';
      checkins: CheckinMessage[];
      kiosks: KioskRow[];
      today: Array<{ site: string; n: number }>;
    }
  | { type: 'checkin'; checkin: CheckinMessage }
  | { type: 'kiosk'; site: string; kiosk: string; state: string; lastSeen: string }
  | { type: 'telemetry'; telemetry: TelemetryMessage }
  /** A verify-only site's scan (a tally): counted on the page, nothing to list — it names nobody. */
  | { type: 'tally'; site: string; at: string; verdict: TallyMessage['verdict'] };

export interface LiveOptions {
  /** How often an open live page's session is checked again (default one minute). */
  liveSessionCheckMs?: number;
  /** Bytes a page may leave unread before it is closed (default LIVE_BUFFER_BYTES). */
  liveBufferBytes?: number;
  /** Where a failed session check is logged (with its stack). */
  onError?: (err: unknown) => void;
}

/** How often an open live page's session is checked again. */
const LIVE_SESSION_CHECK_MS = 60_000;
/**
 * What one live page may leave unread (ws `bufferedAmount`) before it is closed: 1 MiB, about 1,500
 * check-ins — minutes of a province's busiest hour for a page that is merely slow. Without a bound,
 * 30 stalled pages and 20,000 check-ins took the hub from 107 to 729 MB.
 */
export const LIVE_BUFFER_BYTES = 1024 * 1024;
/** Close code for a page that fell behind: "try again later" (RFC 6455); the page reconnects. */
export const CLOSE_TOO_SLOW = 1013;

/**
 * `/live`: a snapshot, then each new check-in, kiosk state and telemetry the user's scope covers. A
 * page that does not read what it is sent is closed (1013) rather than buffered without end; the
 * page reconnects and gets a new snapshot, so nothing is lost to it, only the backlog.
 */
export function liveRoute(
  app: FastifyInstance,
  store: HubStore,
  ingest: HubIngest,
  options: LiveOptions,
): void {
  const limit = options.liveBufferBytes ?? LIVE_BUFFER_BYTES;
  // Each open page listens on the ingest (three listeners): dozens of pages are normal, not a leak.
  ingest.setMaxListeners(0);
  app.register(async (scope) => {
    scope.get(
      '/live',
      { websocket: true, config: { access: { who: 'public' } }, schema: { querystring: NoQuery } },
      async (socket, req) => {
        // Public at the HTTP level: the session is checked here, after the upgrade, so the page gets
        // a close code (4401) it understands instead of a failed handshake it would retry for ever.
        // Listen first and queue everything until the session and snapshot are read: a check-in that
        // arrives meanwhile is filtered and sent after the snapshot, not lost.
        const queued: LiveMessage[] = [];
        let user: Session['user'] | undefined;
        let directory = new Map<string, SiteInfo>();
        const siteOf = (m: LiveMessage) =>
          m.type === 'checkin'
            ? m.checkin.site
            : m.type === 'kiosk'
              ? m.site
              : m.type === 'telemetry'
                ? m.telemetry.site
                : m.type === 'tally'
                  ? m.site
                  : '';
        const visible = (site: string) => user !== undefined && canSee(user, site, directory);
        const write = (m: LiveMessage) => {
          if (socket.readyState !== socket.OPEN) return;
          if (socket.bufferedAmount > limit) {
            socket.close(CLOSE_TOO_SLOW, 'too slow: reconnect for a new snapshot');
            return;
          }
          socket.send(JSON.stringify(m));
        };
        const send = (m: LiveMessage) => {
          if (!user) {
            if (queued.length < 10_000) queued.push(m);
            else socket.close(CLOSE_TOO_SLOW, 'too slow: reconnect for a new snapshot');
          } else if (visible(siteOf(m))) write(m);
        };
        const onCheckin = (checkin: CheckinMessage) => send({ type: 'checkin', checkin: forPage(checkin) });
        const onKiosk = (k: { site: string; kiosk: string; state: string; lastSeen: string }) =>
          send({ type: 'kiosk', ...k });
        const onTelemetry = (telemetry: TelemetryMessage) => send({ type: 'telemetry', telemetry });
        const onTally = (t: TallyMessage) =>
          send({ type: 'tally', site: t.site, at: t.at, verdict: t.verdict });
        ingest.on('checkin', onCheckin);
        ingest.on('kiosk', onKiosk);
        ingest.on('telemetry', onTelemetry);
        ingest.on('tally', onTally);
        // The session is checked again every minute: a logout, an expiry or a changed user (which
        // ends their sessions) reaches an open page too.
        const sessionId = req.cookies[COOKIE];
        const recheck = setInterval(() => {
          void (async () => {
            const s = await store.users.session(sessionId);
            if (!s) socket.close(4401, 'session ended');
            else {
              user = s.user;
              directory = await store.siteDirectory();
            }
          })().catch((err: unknown) => {
            options.onError?.(err);
            socket.close(1011, 'session check failed');
          });
        }, options.liveSessionCheckMs ?? LIVE_SESSION_CHECK_MS);
        socket.on('close', () => {
          clearInterval(recheck);
          ingest.off('checkin', onCheckin);
          ingest.off('kiosk', onKiosk);
          ingest.off('telemetry', onTelemetry);
          ingest.off('tally', onTally);
        });
        const s = await sessionOf(store, req);
        if (!s) {
          socket.close(4401, 'login required');
          return;
        }
        const snapshotUser = s.user;
        directory = await store.siteDirectory();
        const [recent, kiosks, today] = await Promise.all([
          store.recent(100),
          store.kiosks(),
          store.countsSince(vnDayStartOf(new Date())),
        ]);
        const inScope = (site: string) => canSee(snapshotUser, site, directory);
        // Every known site (registered or with a kiosk) is listed, those without a scan today at 0:
        // the page shows them as today's follow-up list.
        const counts = new Map(today.map((r) => [r.site, r.n]));
        const known = new Set([...directory.keys(), ...kiosks.map((k) => k.site), ...counts.keys()]);
        const snapshot: LiveMessage = {
          type: 'snapshot',
          checkins: recent.filter((c) => inScope(c.site)).map(forPage),
          kiosks: kiosks.filter((k) => inScope(k.site)),
          today: [...known]
            .filter(inScope)
            .sort()
            .map((site) => ({ site, n: counts.get(site) ?? 0 })),
        };
        const seen = new Set(snapshot.checkins.map((c) => c.id));
        user = snapshotUser;
        write(snapshot);
        for (const m of queued.splice(0))
          if (visible(siteOf(m)) && (m.type !== 'checkin' || !seen.has(m.checkin.id))) write(m);
      },
    );
  });
}
