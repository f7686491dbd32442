import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { createServer, HubIngest, HubMetrics, type HubStore, type ServerOptions } from '../src/index.js';
import { type Engine, openStore } from './engines.js';

/**
 * The hub's HTTP server on a real port over a real store, without a broker: its ingest is built but
 * not started (live pages are fed by emitting on it, as the ingest does after each stored check-in).
 */
export async function httpHub(
  engine: Engine,
  options: ServerOptions = {},
): Promise<{
  app: FastifyInstance;
  store: HubStore;
  ingest: HubIngest;
  address: string;
  stop: () => Promise<void>;
}> {
  const { store } = await openStore(engine);
  const ingest = new HubIngest(
    { url: 'mqtt://127.0.0.1:1', protocolVersion: 5 },
    store,
    pino({ level: 'silent' }),
  );
  const app = await createServer(store, ingest, {
    hashKey: randomBytes(32),
    metrics: new HubMetrics(),
    ...options,
  });
  const address = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    app,
    store,
    ingest,
    address,
    stop: async () => {
      await app.close();
      await store.close();
    },
  };
}

/**
 * Every METHOD + path Fastify registered, read from its own route tree (`printRoutes`). The tree is
 * printed with its common prefixes (each node's label is the next piece of the path, as is): printed
 * without them, find-my-way shows `/app/*` as a bare `*` under `/`.
 */
export function registeredRoutes(app: FastifyInstance): string[] {
  const routes: string[] = [];
  const parents: string[] = [];
  for (const line of app.printRoutes({ commonPrefix: true }).split('\n')) {
    const m = /^([\s│]*)[└├]── (\S*)(?: \(([^)]+)\))?$/.exec(line);
    if (!m) continue;
    const depth = (m[1] ?? '').length / 4;
    const parent = depth === 0 ? '' : (parents[depth - 1] ?? '');
    const own = m[2] ?? '';
    // With commonPrefix, a child continues its parent's text (`/ap` → `i/users`); a parametric child
    // may repeat the separator (`/api/kiosks/` → `/:kiosk/commands`), which is said once.
    const path = parent.endsWith('/') && own.startsWith('/') ? `${parent}${own.slice(1)}` : `${parent}${own}`;
    parents[depth] = path;
    for (const method of (m[3] ?? '').split(', '))
      if (method && method !== 'HEAD') routes.push(`${method} ${path}`);
  }
  return routes.sort();
}
