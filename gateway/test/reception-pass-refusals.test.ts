/**
 * ReceptionPasses' own refusals (review 2, findings 6 and 8), on the class itself: what reception may not
 * print (a refused or denied check-in, a verify-only site), a token the kiosk must not take (not valid
 * today, the answer's validUntil not the token's), and the print page's window after the hub's answer.
 * The MQTT client is a STAND-IN written for this test: it answers each request as the test says, as the
 * hub's `…/pass` would (signed with protocol's signPass); the real hub answers in
 * integration/reception-pass-e2e.test.ts, the real broker in reception-pass.test.ts.
 */

import { generateKeyPairSync } from 'node:crypto';
import { EventEmitter } from 'node:events';
import {
  type CheckinMessage,
  KeyRing,
  keyId,
  newPassId,
  OUTCOME_SCHEMA_ID,
  type OutcomeMessage,
  PASS_ISSUED_SCHEMA_ID,
  type PassIssuedMessage,
  signPass,
} from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import type { MqttClient } from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { PASS_PRINT_MS, ReceptionPassError, ReceptionPasses } from '../src/passes/reception.js';
import type { LoadedSettings } from '../src/settings/index.js';
import { TestClock } from './kiosk-rig.js';

const hub = generateKeyPairSync('ed25519');
const SITE = 's-001';
const NOW = '2026-11-27T03:00:00.000Z';
const TODAY = '2026-11-27';

type Answer = Omit<Extract<PassIssuedMessage, { ok: true }>, 'schema' | 'requestId' | 'ok'>;

function card(over: { validFrom?: string; validUntil?: string } = {}): Answer {
  const passId = newPassId();
  const p = {
    passId,
    scope: { kind: 'site' as const, id: SITE },
    validFrom: TODAY,
    validUntil: '2027-11-26',
    ...over,
  };
  return {
    passId,
    token: signPass(p, hub.privateKey, keyId(hub.publicKey)),
    validUntil: p.validUntil,
    issuer: 'Chợ Hà Đông',
    nameMasked: 'T*** V** G***',
  };
}

/** A ReceptionPasses over one journaled check-in, its uplink a stand-in answering with `answer()`. */
function desk(
  checkin: CheckinMessage,
  options: { outcomes?: OutcomeMessage['outcome'][]; verifyOnly?: boolean } = {},
) {
  const clock = new TestClock(NOW);
  const keys = new KeyRing();
  keys.add(hub.publicKey);
  const loaded = {
    settings: { kiosk: { id: 'k-001', site: SITE } },
    secrets: { hubKeys: keys },
  } as unknown as LoadedSettings;
  const outcomes = (options.outcomes ?? []).map(
    (outcome, i): OutcomeMessage => ({
      schema: OUTCOME_SCHEMA_ID,
      id: `01J000000000000000000000C${i}`,
      checkin: checkin.id,
      outcome,
      by: 'button',
      site: SITE,
      kiosk: 'k-001',
      at: NOW,
      clockSynced: true,
    }),
  );
  let asked = 0;
  let answer: Answer = card();
  const client = Object.assign(new EventEmitter(), {
    connected: true,
    subscribe: () => undefined,
    publish(topic: string, body: string, _o: unknown, done: (err?: Error) => void) {
      asked++;
      done();
      const { requestId } = JSON.parse(body) as { requestId: string };
      const reply = { schema: PASS_ISSUED_SCHEMA_ID, requestId, ok: true, ...answer };
      setImmediate(() =>
        client.emit('message', topic.replace(/pass-request$/, 'pass'), Buffer.from(JSON.stringify(reply))),
      );
    },
  });
  const passes = new ReceptionPasses({
    loaded,
    clock,
    log: pino({ level: 'silent' }),
    checkin: (id) => (id === checkin.id ? { checkin, outcomes } : undefined),
    verifyOnly: () => options.verifyOnly ?? false,
    waitMs: 2_000,
    retryMs: 10,
  });
  passes.attach(client as unknown as MqttClient);
  return {
    passes,
    clock,
    asked: () => asked,
    answer: (a: Answer) => {
      answer = a;
    },
  };
}

async function refusal(
  p: Promise<unknown>,
): Promise<{ status: number; code: string; vi: string; en: string }> {
  try {
    await p;
  } catch (err) {
    if (!(err instanceof ReceptionPassError)) throw err;
    return { status: err.status, code: err.code, vi: err.text.vi, en: err.text.en };
  }
  throw new Error('issued');
}

const today = (over: Parameters<typeof sampleCheckin>[0] = {}) =>
  sampleCheckin({ at: NOW, site: SITE, kiosk: 'k-001', ...over });

describe("ReceptionPasses' refusals", () => {
  it('prints for an admitted check-in, and for a REVIEW the guard admitted', async () => {
    const ok = today();
    expect((await desk(ok).passes.issue(ok.id)).issuer).toBe('Chợ Hà Đông');
    const admitted = today({ verdict: 'REVIEW', colour: 'yellow', reason: 'review-yellow' });
    expect((await desk(admitted, { outcomes: ['admitted'] }).passes.issue(admitted.id)).issuer).toBe(
      'Chợ Hà Đông',
    );
  });

  it('refuses a REFUSE check-in and a REVIEW the guard denied, before asking the hub', async () => {
    const refusedCheckin = today({ verdict: 'REFUSE', colour: 'red', reason: 'case-f0' });
    const a = desk(refusedCheckin);
    expect(await refusal(a.passes.issue(refusedCheckin.id))).toMatchObject({
      status: 409,
      code: 'checkin-refused',
    });
    expect(a.asked()).toBe(0);
    const denied = today({ verdict: 'REVIEW', colour: 'yellow', reason: 'review-yellow' });
    const b = desk(denied, { outcomes: ['denied'] });
    const r = await refusal(b.passes.issue(denied.id));
    expect(r).toMatchObject({ status: 409, code: 'checkin-refused' });
    expect(r.vi).not.toBe(r.en);
    expect(b.asked()).toBe(0);
  });

  it('refuses at a verify-only site (it keeps no register), whatever the check-in', async () => {
    const c = today();
    const d = desk(c, { verifyOnly: true });
    const r = await refusal(d.passes.issue(c.id));
    expect(r).toMatchObject({ status: 409, code: 'verify-only' });
    expect(r.vi).toContain('không cấp thẻ');
    expect(d.asked()).toBe(0);
  });

  it('refuses a check-in of another day', async () => {
    const yesterday = today({ at: '2026-11-26T03:00:00.000Z' });
    expect(await refusal(desk(yesterday).passes.issue(yesterday.id))).toMatchObject({
      status: 404,
      code: 'no-checkin',
    });
  });

  it('refuses a token not valid today, or whose validUntil is not the answer’s (pass-not-verified)', async () => {
    const c = today();
    const d = desk(c);
    const cases: Array<[string, Answer]> = [
      ['valid from tomorrow', card({ validFrom: '2026-11-28' })],
      ['expired yesterday', card({ validFrom: '2026-01-01', validUntil: '2026-11-26' })],
      ['the answer names another validUntil', { ...card(), validUntil: '2027-11-25' }],
    ];
    for (const [what, a] of cases) {
      d.answer(a);
      const r = await refusal(d.passes.issue(c.id));
      expect({ what, status: r.status, code: r.code }).toEqual({
        what,
        status: 502,
        code: 'pass-not-verified',
      });
      expect(d.passes.card(a.passId), what).toBeUndefined();
    }
  });

  it('serves the print page only within PASS_PRINT_MS of the hub’s last answer for the card (review 2, finding 6)', async () => {
    const c = today();
    const d = desk(c);
    const a = card();
    d.answer(a);
    await d.passes.issue(c.id);
    d.clock.pass(PASS_PRINT_MS);
    expect(d.passes.card(a.passId)?.token).toBe(a.token);
    d.clock.pass(1);
    // An open tab or the browser's history: the card may have been revoked since, so not from memory.
    expect(d.passes.card(a.passId)).toBeUndefined();
    // Pressing the button again asks the hub; its answer opens the window again.
    await d.passes.issue(c.id);
    expect(d.asked()).toBe(2);
    expect(d.passes.card(a.passId)?.token).toBe(a.token);
    // A wall-clock jump (NTP after a boot without RTC) moves nothing: the window is monotonic.
    d.clock.wall += 24 * 3_600_000;
    expect(d.passes.card(a.passId)?.token).toBe(a.token);
  });
});
