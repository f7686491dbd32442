import type { FastifyInstance } from 'fastify';
import type { HubIngest } from '../ingest.js';
import type { HubStore } from '../store.js';
import { NoQuery } from './schemas.js';

/** A database that has not answered in this long is down for the health check. */
export const HEALTH_DB_TIMEOUT_MS = 3000;

export interface Health {
  ok: boolean;
  /** The parts that are down: a monitor alerts on which one. */
  down: Array<'mqtt' | 'database'>;
  mqtt: { ok: boolean; lanes: number; connected: number };
  database: { ok: boolean; ms: number };
}

/**
 * GET /healthz, public (a load balancer or a monitor has no session): 200 when the broker and the
 * database both work, else 503 naming what is down. MQTT is up when every ingest lane is connected
 * (a lane down is check-ins not taken, or the fleet's states not followed when it is lane 0); the
 * database when a `SELECT 1` comes back within HEALTH_DB_TIMEOUT_MS. Not a count of check-ins: that
 * scans a table that only grows (a false 503 on a big one, the SQLite loop blocked meanwhile, on a
 * public unthrottled URL) and told anyone the fleet's volume. The body names no error text (it is
 * public); the error goes to the log with its stack.
 */
export function healthRoute(
  app: FastifyInstance,
  store: HubStore,
  ingest: HubIngest,
  onError: (err: unknown) => void,
): void {
  app.get(
    '/healthz',
    { config: { access: { who: 'public' } }, schema: { querystring: NoQuery } },
    async (_req, reply) => {
      const began = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const answered = await Promise.race([
        store.ping().then(() => true),
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new Error(`the database did not answer in ${HEALTH_DB_TIMEOUT_MS} ms`)),
            HEALTH_DB_TIMEOUT_MS,
          );
        }),
      ])
        .catch((err: unknown) => {
          onError(err);
          return false;
        })
        .finally(() => clearTimeout(timer));
      const lanes = ingest.lanes;
      const mqtt = {
        ok: lanes.total > 0 && lanes.connected === lanes.total,
        lanes: lanes.total,
        connected: lanes.connected,
      };
      const database = { ok: answered, ms: Date.now() - began };
      const down = [...(mqtt.ok ? [] : ['mqtt' as const]), ...(database.ok ? [] : ['database' as const])];
      const body: Health = { ok: down.length === 0, down, mqtt, database };
      return reply.code(body.ok ? 200 : 503).send(body);
    },
  );
}
