/**
 * The kiosk screens facing a hostile network (issue #12, defect 9): no identity hash in any screen
 * response, the WebSocket refuses other origins, manual entries need the reception page's token
 * from its own origin and are capped per minute, and with a reception PIN every other machine must
 * give it first. Real daemon, real sockets; "another machine" is a client bound to 127.0.0.2.
 */

import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { freePort, makeTempDir } from '@qrkiosk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Controller } from '../src/controller.js';
import { MANUAL_PER_MINUTE } from '../src/screens/index.js';
import { settingsFromText } from '../src/settings/index.js';
import { SimGpio } from '../src/signal/index.js';

interface Reply {
  status: number;
  text: string;
  headers: Record<string, string | string[] | undefined>;
}
/** One HTTP request over a real socket, optionally from another loopback address. */
function call(
  port: number,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: unknown; from?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const body = options.body === undefined ? undefined : JSON.stringify(options.body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ...(options.from ? { localAddress: options.from } : {}),
        headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...options.headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function kiosk(extra: string) {
  const port = await freePort();
  const dir = makeTempDir('screens-sec-');
  const loaded = settingsFromText(
    [
      'kiosk: { id: k-1, site: s-1 }',
      `data: { dir: "${dir}" }`,
      'log: { level: silent }',
      'rules: { duplicateWindowSeconds: 0 }',
      `ui: { port: ${port}, ${extra} }`,
    ].join('\n'),
    't',
    {},
  );
  const c = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true, withoutUplink: true });
  await c.start();
  return { c, port, origin: `http://127.0.0.1:${port}` };
}

const tokenOf = (page: string) => /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '';

describe('kiosk screens without a PIN', () => {
  let k: Awaited<ReturnType<typeof kiosk>>;
  beforeAll(async () => {
    k = await kiosk('host: 127.0.0.1');
  });
  afterAll(async () => k?.c.stop());

  it('manual entries need the page token from the same origin, are capped per minute, and show no hash', async () => {
    const token = tokenOf((await call(k.port, 'GET', '/reception')).text);
    expect(token).toMatch(/^[0-9a-f]{48}$/);
    const manual = (headers: Record<string, string>, i = 0) =>
      call(k.port, 'POST', '/api/manual', {
        headers,
        body: { name: 'Hoàng Thị Mai', phone: `09123456${String(i).padStart(2, '0')}` },
      });
    // Forgeries: no origin, another origin, no token, a wrong token.
    expect((await manual({ 'x-qrkiosk-token': token })).status).toBe(403);
    expect((await manual({ origin: 'http://evil.example', 'x-qrkiosk-token': token })).status).toBe(403);
    expect((await manual({ origin: k.origin })).status).toBe(403);
    const refused = await manual({ origin: k.origin, 'x-qrkiosk-token': '0'.repeat(48) });
    expect(refused.status).toBe(403);
    expect(JSON.parse(refused.text).error.vi).toContain('trang lễ tân');
    expect(k.c.journal.pendingCount()).toBe(0);

    const statuses: number[] = [];
    let last: Reply | undefined;
    for (let i = 0; i < MANUAL_PER_MINUTE + 5; i++) {
      last = await manual({ origin: k.origin, 'x-qrkiosk-token': token }, i);
      statuses.push(last.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(MANUAL_PER_MINUTE);
    expect(statuses.slice(MANUAL_PER_MINUTE)).toEqual(Array(5).fill(429));
    const error = JSON.parse(last?.text ?? '{}').error;
    expect(error.vi).toContain('Quá nhiều lượt nhập tay');
    expect(error.en).toContain('Too many manual entries');
    expect(Number(last?.headers['retry-after'])).toBeGreaterThan(0);
    expect(k.c.journal.pendingCount()).toBe(MANUAL_PER_MINUTE);

    // No identity hash (or anything shaped like one) in what the screens answer.
    const hashes = k.c.journal.since('2000-01-01T00:00:00Z').map((c) => c.document.idHash);
    const today = (await call(k.port, 'GET', '/api/today')).text;
    expect(JSON.parse(today).checkins).toHaveLength(MANUAL_PER_MINUTE);
    for (const h of hashes) expect(today).not.toContain(h);
    expect(today).not.toContain('idHash');
  });

  it('a body its route schema refuses gets the page’s bilingual 400, after the origin and token checks', async () => {
    const other = await kiosk('host: 127.0.0.1');
    try {
      const token = tokenOf((await call(other.port, 'GET', '/reception')).text);
      const post = (
        path: string,
        body: unknown,
        headers = { origin: other.origin, 'x-qrkiosk-token': token },
      ) => call(other.port, 'POST', path, { headers, body });
      // A forged request is refused for what it is, whatever its body.
      expect(
        (await post('/api/manual', { name: 5 }, { origin: 'http://evil.example', 'x-qrkiosk-token': token }))
          .status,
      ).toBe(403);
      const manual = await post('/api/manual', { name: 'Hoàng Thị Mai' }); // no phone
      expect(manual.status).toBe(400);
      expect(JSON.parse(manual.text).error).toEqual({
        vi: 'Cần họ tên và số điện thoại',
        en: 'Name and phone are required',
      });
      const outcome = await post('/api/outcome', { checkin: '01KAPW0X0C2B7Q2K7N3T9V1F4E', outcome: 'maybe' });
      expect(outcome.status).toBe(400);
      expect(JSON.parse(outcome.text).error.en).toMatch(/admitted \/ denied \/ left/);
      expect(other.c.journal.pendingCount()).toBe(0);
    } finally {
      await other.c.stop();
    }
  });

  it('the live sockets refuse another origin and send no hash', async () => {
    // `/live` is the public verdict screen's; `/live/reception` (check-ins, specific reasons) is staff's.
    for (const path of ['/live', '/live/reception']) {
      const refused = await new Promise<number>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${k.port}${path}`, {
          headers: { origin: 'http://evil.example' },
        });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
      });
      expect(refused, path).toBe(403);
    }
    const ws = new WebSocket(`ws://127.0.0.1:${k.port}/live/reception`, { headers: { origin: k.origin } });
    const messages: string[] = [];
    ws.on('message', (m) => messages.push(String(m)));
    await new Promise((resolve) => ws.once('message', resolve));
    k.c.manualCheckin('Lê Văn Bình', '0987654321');
    while (!messages.some((m) => m.includes('"checkin"'))) await new Promise((r) => setImmediate(r));
    expect(messages.join()).not.toContain('idHash');
    ws.close();
  });
});

describe('kiosk screens with a reception PIN, open to the network', () => {
  let k: Awaited<ReturnType<typeof kiosk>>;
  beforeAll(async () => {
    const pinFile = join(makeTempDir('pin-'), 'pin');
    writeFileSync(pinFile, '482916\n');
    k = await kiosk(`host: 0.0.0.0, receptionPinFile: "${pinFile}"`);
  });
  afterAll(async () => k?.c.stop());

  it('another machine must give the PIN first; the kiosk display itself need not', async () => {
    const other = '127.0.0.2';
    for (const path of ['/reception', '/api/today', '/'])
      expect((await call(k.port, 'GET', path, { from: other })).status, path).toBe(401);
    expect((await call(k.port, 'GET', '/api/today')).status).toBe(200); // the kiosk's own display
    const wrong = await call(k.port, 'POST', '/api/pin', { from: other, body: { pin: '000000' } });
    expect(wrong.status).toBe(401);
    const right = await call(k.port, 'POST', '/api/pin', { from: other, body: { pin: '482916' } });
    expect(right.status).toBe(200);
    const cookie = String(right.headers['set-cookie']).split(';')[0] ?? '';
    expect(cookie).toMatch(/^qrk_reception=[0-9a-f]{48}$/);
    const page = await call(k.port, 'GET', '/reception', { from: other, headers: { cookie } });
    expect(page.status).toBe(200);
    const ok = await call(k.port, 'POST', '/api/manual', {
      from: other,
      headers: { cookie, origin: k.origin, 'x-qrkiosk-token': tokenOf(page.text) },
      body: { name: 'Hoàng Thị Mai', phone: '0912345678' },
    });
    expect(ok.status).toBe(200);
    // Guessing the PIN is capped too.
    const tries: number[] = [];
    for (let i = 0; i < 6; i++)
      tries.push(
        (await call(k.port, 'POST', '/api/pin', { from: other, body: { pin: `00000${i}` } })).status,
      );
    expect(tries).toContain(429);
  });
});
