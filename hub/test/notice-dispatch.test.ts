/**
 * The dispatcher between two hub processes on one database (both engines), against a local HTTP
 * server standing in for a bridge that answers only when the test lets it: a slow send no longer
 * lets a second process send the same notice (review #7), and notice log lines name no e-mail
 * address or webhook URL (review #16). The dispatchers' clock is injected (the lease is computed
 * from it); nothing asserts a duration.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Writable } from 'node:stream';
import { Cleanups, freePort, waitFor } from '@qrkiosk/testkit';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { Dispatcher, HubStore, Mailer, Webhooks } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const silent = pino({ level: 'silent' });

/** A bridge that holds the first `hold` requests until released; later ones get 204 at once. */
async function heldHook(hold: number) {
  const bodies: string[] = [];
  const held: ServerResponse[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
    });
    req.on('end', () => {
      bodies.push(body);
      if (bodies.length <= hold) held.push(res);
      else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const a = server.address();
  cleanups.push(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${typeof a === 'object' && a ? a.port : 0}/hook`,
    bodies,
    /** Answers the n-th held request (1-based) with 204. */
    release: (n: number) => held[n - 1]?.writeHead(204).end(),
    received: (n: number) => waitFor(() => bodies.length >= n || undefined, 10_000, `${n} requests`),
  };
}

async function twoStores(engine: (typeof ENGINES)[number]) {
  const where = await newDatabase(engine);
  const stores = [
    await HubStore.open(where.database, where.dataDir),
    await HubStore.open(where.database, where.dataDir),
  ] as const;
  cleanups.push(async () => {
    for (const s of stores) await s.close();
  });
  return stores;
}

const T = new Date('2026-11-26T02:00:00Z');

describe.each(ENGINES)('notice dispatch (%s)', (engine) => {
  it('a slow send: the next notice is leased when its turn comes, so a second process does not send it too', async () => {
    const hook = await heldHook(2);
    const [a, b] = await twoStores(engine);
    await a.repo.alerts.queue(
      [1, 2].map((n) => ({
        key: `test:${n}:hook`,
        channel: 'webhook' as const,
        target: hook.url,
        payload: JSON.stringify({ n }),
        dueAt: T,
      })),
      T,
    );
    let ms = 0;
    const clock = () => ms;
    const dispatcher = (s: HubStore) =>
      new Dispatcher(s.repo.alerts, { webhooks: new Webhooks([], 60_000) }, 5, silent, {
        sendLimitMs: 60_000,
        clock,
      });
    // Process A sends notice 1; the bridge takes 80 s (the clock says) to answer it.
    const runA = dispatcher(a).run(T);
    await hook.received(1);
    ms = 80_000;
    hook.release(1);
    // A sends notice 2, the bridge slow again; 130 s after A began, process B looks for due notices.
    await hook.received(2);
    ms = 130_000;
    const resultB = await dispatcher(b).run(new Date(T.getTime() + 130_000));
    hook.release(2);
    expect(await runA).toEqual({ sent: 2, failed: 0 });
    expect(resultB).toEqual({ sent: 0, failed: 0 });
    expect(hook.bodies.map((x) => JSON.parse(x).n)).toEqual([1, 2]);
    expect((await a.repo.alerts.notices(10)).every((n) => n.sentAt !== null && n.attempts === 1)).toBe(true);
  });
});

describe('a send past its limit (sqlite)', () => {
  it('counts as failed and is not retried before its lease would have ended (it may still be going on)', async () => {
    const hook = await heldHook(1);
    const [store] = await twoStores('sqlite');
    await store.repo.alerts.queue(
      [{ key: 'test:hang', channel: 'webhook', target: hook.url, payload: '{}', dueAt: T }],
      T,
    );
    // The bridge never answers and the webhook's own timeout is far off: the dispatcher's limit ends it.
    const result = await new Dispatcher(
      store.repo.alerts,
      { webhooks: new Webhooks([], 60_000) },
      5,
      silent,
      { sendLimitMs: 200, clock: () => 0 },
    ).run(T);
    expect(result).toEqual({ sent: 0, failed: 1 });
    const [n] = await store.repo.alerts.notices(1);
    expect(n).toMatchObject({ attempts: 1, sentAt: null, lastError: 'the send did not finish in 200 ms' });
    // Lease = limit + 30 s, longer than the first back-off (30 s).
    expect(Date.parse(n?.dueAt ?? '')).toBe(T.getTime() + 200 + 30_000);
    hook.release(1);
  });
});

describe('a hub stopping (sqlite)', () => {
  it('takes no further notice once stopped: the send in flight finishes, the rest stay due', async () => {
    const hook = await heldHook(1);
    const [store] = await twoStores('sqlite');
    await store.repo.alerts.queue(
      [1, 2, 3].map((n) => ({
        key: `test:stop:${n}`,
        channel: 'webhook' as const,
        target: hook.url,
        payload: JSON.stringify({ n }),
        dueAt: T,
      })),
      T,
    );
    const d = new Dispatcher(store.repo.alerts, { webhooks: new Webhooks([], 60_000) }, 5, silent, {
      sendLimitMs: 60_000,
      clock: () => 0,
    });
    const run = d.run(T);
    await hook.received(1);
    d.stop();
    hook.release(1);
    expect(await run).toEqual({ sent: 1, failed: 0 });
    expect(hook.bodies.map((x) => JSON.parse(x).n)).toEqual([1]);
    const unsent = (await store.repo.alerts.notices(10)).filter((n) => n.sentAt === null);
    expect(unsent.map((n) => n.key).sort()).toEqual(['test:stop:2', 'test:stop:3']);
  });
});

describe('notice log lines', () => {
  it('name a failed notice by the mailbox’s domain and the bridge’s origin, never the address or the URL’s path', async () => {
    const [store] = await twoStores('sqlite');
    const lines: string[] = [];
    const log = pino(
      { level: 'info' },
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString());
          done();
        },
      }),
    );
    // Nothing listens on these ports: the mail server and the bridge both refuse the connection.
    const [smtpPort, hookPort] = [await freePort(), await freePort()];
    const hookUrl = `http://127.0.0.1:${hookPort}/bot7012345678:AAH-secret-token/sendMessage`;
    await store.repo.alerts.queue(
      [
        {
          key: 'alert:1:raise:mail:nguyen.van.a@qrkiosk.test',
          channel: 'mail',
          target: 'nguyen.van.a@qrkiosk.test',
          payload: JSON.stringify({ subject: 's', text: 't' }),
          dueAt: T,
        },
        {
          key: `alert:1:raise:hook:${hookUrl}`,
          channel: 'webhook',
          target: hookUrl,
          payload: '{}',
          dueAt: T,
        },
      ],
      T,
    );
    const mail = new Mailer({
      host: '127.0.0.1',
      port: smtpPort,
      secure: false,
      user: '',
      passwordFile: '',
      from: 'hub@qrkiosk.test',
    });
    cleanups.push(() => mail.close());
    const result = await new Dispatcher(
      store.repo.alerts,
      { mail, webhooks: new Webhooks([], 5_000) },
      5,
      log,
    ).run(T);
    expect(result).toEqual({ sent: 0, failed: 2 });
    const text = lines.join('');
    expect(lines).toHaveLength(2);
    expect(text).not.toContain('nguyen.van.a');
    expect(text).not.toContain('secret-token');
    expect(text).not.toContain('bot7012345678');
    const [m, h] = lines.map((l) => JSON.parse(l));
    expect(m.notice).toBe('alert:1:raise:mail:***@qrkiosk.test');
    expect(h.notice).toBe(`alert:1:raise:hook:http://127.0.0.1:${hookPort}/***`);
    // Still an error with its stack, as every error is logged.
    expect(h.err.stack).toContain('WebhookError');
    expect(h.err.message).toContain(`webhook http://127.0.0.1:${hookPort}/***`);
    // The notice row keeps the whole destination for the admin.
    expect((await store.repo.alerts.notices(10)).map((n) => n.lastError)).toContain(
      `webhook ${hookUrl}: fetch failed`,
    );
  });
});
