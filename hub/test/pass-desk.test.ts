/**
 * The hub's desk for reception pass requests (hub/src/pass-requests.ts PassRequestDesk) over a real
 * Mosquitto (review 2 finding 8): a request left retained on a kiosk's topic is never answered — not at
 * the desk's start nor after — while a live request is, on that kiosk's `…/pass` only. The Mosquitto the
 * tests run does deliver the retained request to the desk's shared subscription ($share), flagged
 * retained: the desk's own retain check is what stops it (this test fails with that check removed, as
 * tried for review 3 finding 7).
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { kioskTopics, PASS_REQUEST_SCHEMA_ID, parsePassIssued } from '@qrkiosk/protocol';
import { type RunningMosquitto, sampleCheckin, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PassRequestDesk } from '../src/pass-requests.js';
import { ENGINES, openStore } from './engines.js';

const signing = generateKeyPairSync('ed25519');
const topics = kioskTopics('s-001', 'k-001');

let broker: RunningMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());

const request = (checkinId: string, requestId = randomUUID()) =>
  JSON.stringify({ schema: PASS_REQUEST_SCHEMA_ID, requestId, checkinId });

describe.each(ENGINES)('the pass request desk (%s)', (engine) => {
  it('answers a live request and never a retained one', async () => {
    const { store } = await openStore(engine);
    await store.registerSites([{ site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' }]);
    const c = sampleCheckin({ at: new Date().toISOString() });
    await store.addCheckins([{ checkin: c, receivedAt: new Date() }]);
    const kiosk = await connectAsync(broker.url);
    const answers: string[] = [];
    kiosk.on('message', (_t, payload) => {
      const a = parsePassIssued(payload);
      if (a.ok) answers.push(a.value.requestId);
    });
    await kiosk.subscribeAsync(topics.pass, { qos: 1 });
    // Left retained before the hub starts (a misbehaving kiosk, or one replayed by a bridge).
    const stale = randomUUID();
    await kiosk.publishAsync(topics.passRequest, request(c.id, stale), { qos: 1, retain: true });
    const desk = new PassRequestDesk(
      { url: broker.url },
      { store, signing, publish: async () => undefined, log: pino({ level: 'silent' }) },
    );
    try {
      await desk.start();
      const live = randomUUID();
      await kiosk.publishAsync(topics.passRequest, request(c.id, live), { qos: 1 });
      await waitFor(() => (answers.includes(live) ? true : undefined), 10_000, 'the live answer');
      // The desk answers one at a time in order: a retained request handled at start would be answered first.
      expect(answers).toEqual([live]);
      expect(await store.repo.passes.list({ revoked: true })).toHaveLength(1);
    } finally {
      await kiosk.publishAsync(topics.passRequest, '', { qos: 1, retain: true });
      await kiosk.endAsync();
      await desk.stop();
      await store.close();
    }
  });
});
