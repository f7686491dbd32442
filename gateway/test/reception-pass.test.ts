/**
 * Reception's "Print pass" on the kiosk (issue #20, passes/reception.ts, screens/pass-routes.ts): the real
 * Controller, its screens on a real socket and its uplink on a real Mosquitto. The hub's side here is a
 * STAND-IN written for this test (it answers `…/pass` as the test tells it, signing with protocol's
 * signPass), so the kiosk's checks can be shown against answers the real hub never sends (a forged key,
 * another site). The real hub answers in integration/reception-pass-e2e.test.ts.
 */
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import {
  encodePassList,
  fleetTopic,
  keyId,
  newPassId,
  PASS_ISSUED_SCHEMA_ID,
  type PassIssuedMessage,
  type PassRequestMessage,
  passKey,
  signPass,
  vnDay,
} from '@qrkiosk/protocol';
import { freePort, makeTempDir, type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Controller } from '../src/controller.js';
import { settingsFromText } from '../src/settings/index.js';
import { SimGpio } from '../src/signal/index.js';

const hub = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');
const today = vnDay(new Date());

function call(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: unknown,
) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const data = body === undefined ? undefined : JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        headers: { ...(data ? { 'content-type': 'application/json' } : {}), ...headers },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

const token = (passId: string, site: string, key: { privateKey: KeyObject; publicKey: KeyObject } = hub) =>
  signPass(
    { passId, scope: { kind: 'site', id: site }, validFrom: today, validUntil: '2099-12-31' },
    key.privateKey,
    keyId(key.publicKey),
  );

let broker: RunningMosquitto;
let standIn: MqttClient;
/** What the stand-in hub answers to each request (null: says nothing). */
let answer: (r: PassRequestMessage) => Omit<PassIssuedMessage, 'schema' | 'requestId'> | null;
const requests: PassRequestMessage[] = [];

async function kiosk(uplink: boolean) {
  const dir = makeTempDir('reception-pass-');
  const pub = join(dir, 'hub.pub');
  writeFileSync(pub, hub.publicKey.export({ type: 'spki', format: 'pem' }));
  const port = await freePort();
  const c = new Controller(
    settingsFromText(
      [
        'kiosk: { id: k-1, site: s-1 }',
        `data: { dir: "${dir}" }`,
        'log: { level: silent }',
        'rules: { duplicateWindowSeconds: 0 }',
        `ui: { port: ${port} }`,
        `mqtt: { url: "${broker.url}" }`,
        `updates: { publicKeyFiles: ["${pub}"] }`,
      ].join('\n'),
      't',
      {},
    ),
    { gpio: new SimGpio(), withoutScanner: true, withoutUplink: !uplink },
  );
  let online = false;
  c.bus.on('uplink.status', (u) => {
    online = u.connected;
  });
  await c.start();
  const origin = `http://127.0.0.1:${port}`;
  const page = (await call(port, 'GET', '/reception')).text;
  const headers = {
    origin,
    'x-qrkiosk-token': /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '',
  };
  const manual = async (name: string, phone: string): Promise<string> =>
    JSON.parse((await call(port, 'POST', '/api/manual', headers, { name, phone })).text).checkin.id;
  const print = async (checkinId: string, h: Record<string, string> = headers) => {
    const r = await call(port, 'POST', '/api/pass', h, { checkinId });
    return { status: r.status, body: JSON.parse(r.text) };
  };
  const connected = () => waitFor(() => (online ? true : undefined), 10_000, 'uplink');
  return { c, port, manual, print, connected };
}

beforeAll(async () => {
  broker = await startMosquitto();
  standIn = await connectAsync(broker.url);
  standIn.on('message', (topic, payload) => {
    const r = JSON.parse(payload.toString()) as PassRequestMessage;
    requests.push(r);
    const a = answer(r);
    if (a)
      void standIn.publishAsync(
        topic.replace(/pass-request$/, 'pass'),
        JSON.stringify({ schema: PASS_ISSUED_SCHEMA_ID, requestId: r.requestId, ...a }),
        { qos: 1 },
      );
  });
  await standIn.subscribeAsync('qrkiosk/v1/+/+/pass-request', { qos: 1 });
});
afterAll(async () => {
  await standIn?.endAsync();
  await broker?.stop();
});

describe("reception's Print pass", () => {
  it('asks the hub until it has the check-in, verifies and prints the card, forgets it once revoked', async () => {
    const k = await kiosk(true);
    try {
      await k.connected();
      const passId = newPassId();
      let asked = 0;
      answer = () =>
        ++asked < 3
          ? {
              ok: false,
              code: 'checkin-not-received',
              text: { vi: 'Trung tâm chưa nhận', en: 'Not received yet' },
            }
          : {
              ok: true,
              passId,
              token: token(passId, 's-1'),
              validUntil: '2099-12-31',
              issuer: 'Chợ <Hà Đông>',
              nameMasked: 'H*** T** M**',
            };
      const checkinId = await k.manual('Hoàng Thị Mai', '0912345678');
      requests.length = 0;
      const printed = await k.print(checkinId);
      expect(printed).toEqual({
        status: 200,
        body: { passId, validUntil: '2099-12-31', issuer: 'Chợ <Hà Đông>', nameMasked: 'H*** T** M**' },
      });
      // Three requests for one check-in: the hole between the entry and the hub storing it is ridden out.
      expect(requests.map((r) => r.checkinId)).toEqual([checkinId, checkinId, checkinId]);
      expect(new Set(requests.map((r) => r.requestId)).size).toBe(3);
      // Asked again: asked of the hub again (it answers with the same pass), never printed from memory alone.
      expect((await k.print(checkinId)).body.passId).toBe(passId);
      expect(requests).toHaveLength(4);
      const page = await call(k.port, 'GET', `/reception/pass/${passId}`);
      expect(page.status).toBe(200);
      expect(page.text).toContain('<svg class="qr"');
      expect(page.text).toContain('Chợ &lt;Hà Đông&gt;');
      expect(page.text).toContain(passId.replace(/(.{4})(?=.)/g, '$1 '));
      expect((await call(k.port, 'GET', `/reception/pass/${newPassId()}`)).status).toBe(404);
      // Revoked at the hub since: refused, and the card leaves the kiosk's memory (no reprint of a lost card).
      answer = () => ({
        ok: false,
        code: 'pass-revoked',
        text: { vi: 'Thẻ đã bị khóa', en: 'Pass revoked' },
      });
      expect(await k.print(checkinId)).toMatchObject({ status: 409, body: { code: 'pass-revoked' } });
      expect((await call(k.port, 'GET', `/reception/pass/${passId}`)).status).toBe(404);
    } finally {
      await k.c.stop();
    }
  });

  it('refuses a card the kiosk cannot verify, passes on the hub’s refusal, and checks the request', async () => {
    const k = await kiosk(true);
    try {
      await k.connected();
      const ok = (t: string, passId: string) => ({
        ok: true as const,
        passId,
        token: t,
        validUntil: '2099-12-31',
        issuer: 'x',
        nameMasked: 'x',
      });
      const cases: Array<[string, (id: string) => ReturnType<typeof answer>, number, string]> = [
        [
          'a key this kiosk does not trust',
          (id) => ok(token(id, 's-1', forger), id),
          502,
          'pass-not-verified',
        ],
        ["another site's pass", (id) => ok(token(id, 's-2'), id), 502, 'pass-not-verified'],
        ['a token for another pass id', (id) => ok(token(newPassId(), 's-1'), id), 502, 'pass-not-verified'],
        [
          'the hub refusing',
          () => ({
            ok: false,
            code: 'checkin-other-kiosk',
            text: { vi: 'Không phải kiosk này', en: 'Not this kiosk' },
          }),
          409,
          'checkin-other-kiosk',
        ],
      ];
      for (const [what, make, status, code] of cases) {
        answer = () => make(newPassId());
        const checkinId = await k.manual(
          'Lê Văn Tám',
          `09876543${String(cases.findIndex((c) => c[0] === what)).padStart(2, '0')}`,
        );
        const r = await k.print(checkinId);
        expect({ what, status: r.status, code: r.body.code }).toEqual({ what, status, code });
        expect(r.body.error.vi).not.toBe(r.body.error.en);
      }
      const any = await k.manual('Trần Văn Ba', '0911111111');
      // Not from the reception page; not a check-in id; not one of today's.
      expect((await k.print(any, { origin: 'http://evil.example' })).status).toBe(403);
      // A bad id is refused with a code like every other refusal here (review 2 finding 12).
      expect(await k.print('../../etc')).toMatchObject({ status: 400, body: { code: 'bad-checkin-id' } });
      expect((await k.print('01JD0000000000000000000000')).body.code).toBe('no-checkin');
      // A check-in made with a printed pass (its holder in the hub's signed list) gets no pass of its own.
      const card = newPassId();
      const list = encodePassList(
        [{ passKey: passKey(card), idHash: Buffer.alloc(16, 7), validUntil: '2099-12-31', revoked: false }],
        { version: 1, areas: {}, province: null },
        hub,
      );
      await standIn.publishAsync(fleetTopic('passes'), list, { qos: 1, retain: true });
      const scanned = await waitFor(() => k.c.scan(token(card, 's-1'))?.checkin, 10_000, 'a pass check-in');
      expect((await k.print(scanned.id)).body.code).toBe('checkin-is-pass');
      await standIn.publishAsync(fleetTopic('passes'), '', { qos: 1, retain: true });
    } finally {
      await k.c.stop();
    }
  });

  it('says it cannot issue now when the hub is out of reach', async () => {
    const k = await kiosk(false);
    try {
      const r = await k.print(await k.manual('Phạm Thị Tư', '0922222222'));
      expect(r.status).toBe(503);
      expect(r.body).toMatchObject({ code: 'hub-offline' });
      expect(r.body.error.vi).toContain('chưa cấp thẻ được');
      expect(r.body.error.en).toContain('no pass can be issued now');
    } finally {
      await k.c.stop();
    }
  });
});
