/**
 * Reception's pass requests at the hub (issue #20, hub/src/pass-requests.ts) on both engines. The token
 * is read back by protocol's Python oracle (test/oracles/qrkiosk_pass.py: base32 by Python's base64,
 * Ed25519 by the `cryptography` package); the holder is the stored check-in's, whatever the request says.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import {
  type CheckinMessage,
  findPass,
  KeyRing,
  OUTCOME_SCHEMA_ID,
  type OutcomeMessage,
  PASS_ISSUED_SCHEMA_ID,
  PASS_REQUEST_SCHEMA_ID,
  type PassIssuedMessage,
  parsePassIssued,
  passKey,
  verifyPassList,
} from '@qrkiosk/protocol';
import { REPO_ROOT, sampleCheckin } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { answerPassRequest, type PassRequestDeps } from '../src/pass-requests.js';
import type { HubStore } from '../src/store.js';
import { passListFile } from '../src/use-cases/pass-list.js';
import { issuePass } from '../src/use-cases/passes.js';
import { ENGINES, openStore } from './engines.js';

const ORACLE = `${REPO_ROOT}/protocol/test/oracles/qrkiosk_pass.py`;
const signing = generateKeyPairSync('ed25519');
const rawPublic = signing.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const NOW = new Date('2026-11-27T03:00:00.000Z');
const TOPIC = 'qrkiosk/v1/s-001/k-001/pass-request';
const HOLDER = 'a1'.repeat(16);

function request(checkinId: string, extra: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({ schema: PASS_REQUEST_SCHEMA_ID, requestId: randomUUID(), checkinId, ...extra }),
  );
}

async function setup(engine: (typeof ENGINES)[number]) {
  const { store } = await openStore(engine);
  await store.registerSites([{ site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' }]);
  const published: number[] = [];
  const deps: PassRequestDeps = {
    store,
    signing,
    now: () => NOW,
    publish: async () => published.push(1),
    log: pino({ level: 'silent' }),
  };
  return { store, deps, published };
}

async function stored(store: HubStore, over: Parameters<typeof sampleCheckin>[0], receivedAt = NOW) {
  const c: CheckinMessage = sampleCheckin({ at: NOW.toISOString(), ...over });
  await store.addCheckins([{ checkin: c, receivedAt }]);
  return c;
}

async function answer(deps: PassRequestDeps, payload: Buffer, topic = TOPIC): Promise<PassIssuedMessage> {
  const done = await answerPassRequest(deps, topic, payload);
  if (!done) throw new Error('no answer');
  expect(done.topic).toBe(topic.replace(/pass-request$/, 'pass'));
  // Every answer is one the kiosk's parser takes.
  expect(parsePassIssued(Buffer.from(JSON.stringify(done.answer))).ok).toBe(true);
  return done.answer;
}

describe.each(ENGINES)('reception pass requests (%s)', (engine) => {
  it("issues a site pass for the stored check-in's holder, the same pass when asked again", async () => {
    const { store, deps, published } = await setup(engine);
    try {
      const c = await stored(store, {
        document: { kind: 'manual', idHash: HOLDER, nameMasked: 'TRẦN V** B*', numberMasked: '******5678' },
      });
      // A hash in the request is not the protocol's: refused before anything is issued.
      expect(await answerPassRequest(deps, TOPIC, request(c.id, { idHash: 'b2'.repeat(16) }))).toBeNull();
      const first = await answer(deps, request(c.id));
      if (!first.ok) throw new Error(first.text.en);
      expect(first.schema).toBe(PASS_ISSUED_SCHEMA_ID);
      expect(first).toMatchObject({
        nameMasked: 'TRẦN V** B*',
        issuer: 'Chợ Hà Đông',
        validUntil: '2027-11-26',
      });
      const read = JSON.parse(
        execFileSync('python3', [ORACLE, 'read', first.token, rawPublic], { encoding: 'utf8' }),
      );
      expect(read).toMatchObject({
        passId: first.passId,
        scope: { kind: 'site', id: 's-001' },
        validFrom: '2026-11-27',
        validUntil: '2027-11-26',
      });
      const row = await store.repo.passes.get(first.passId);
      expect(row).toMatchObject({ idHash: HOLDER, issuedBy: 'kiosk:s-001/k-001', revokedAt: null });
      expect(published).toHaveLength(1);
      // A retry or a reprint: the same pass, the same token (Ed25519 is deterministic), nothing published.
      const again = await answer(deps, request(c.id));
      expect(again).toMatchObject({ ok: true, passId: first.passId, token: first.token });
      expect(published).toHaveLength(1);
      expect(await store.repo.passes.list({ revoked: true })).toHaveLength(1);
      // The card was lost and revoked: this check-in prints it no more (a new visit gets a new pass).
      await store.repo.passes.revoke(first.passId, NOW, 'officer', 'lost');
      expect(await answer(deps, request(c.id))).toMatchObject({ ok: false, code: 'pass-revoked' });
    } finally {
      await store.close();
    }
  });

  it("binds the card to every key of the check-in's document: its links travel in the pass list (review 2, finding 1)", async () => {
    const { store, deps } = await setup(engine);
    try {
      const former = 'c3'.repeat(16);
      const c = await stored(store, {
        document: {
          kind: 'cccd',
          idHash: HOLDER,
          links: [former],
          nameMasked: 'NGUYỄN V** A*',
          numberMasked: '*********234',
        },
      });
      const issued = await answer(deps, request(c.id));
      if (!issued.ok) throw new Error(issued.text.en);
      expect(await store.repo.passes.get(issued.passId)).toMatchObject({ idHash: HOLDER, links: former });
      const ring = new KeyRing();
      ring.add(signing.publicKey);
      const list = verifyPassList((await passListFile(deps, 1)).file, ring);
      expect(findPass(list, passKey(issued.passId))).toMatchObject({ idHash: HOLDER, links: [former] });
      // Revoked, the card names nobody: neither its holder nor the links travel.
      await store.repo.passes.revoke(issued.passId, NOW, 'officer', 'lost');
      const after = verifyPassList((await passListFile(deps, 2)).file, ring);
      expect(after.header.linkCount).toBe(0);
      expect(findPass(after, passKey(issued.passId))).toMatchObject({ revoked: true, links: [] });
    } finally {
      await store.close();
    }
  });

  it('refuses with a code and vi/en text what it must not issue', async () => {
    const { store, deps, published } = await setup(engine);
    try {
      const refusal = async (payload: Buffer, topic = TOPIC) => {
        const a = await answer(deps, payload, topic);
        if (a.ok) throw new Error('issued');
        expect(a.text.vi).not.toBe(a.text.en);
        return a.code;
      };
      // Not stored yet (the check-in is still on its way): the kiosk asks again.
      expect(await refusal(request('01JD0000000000000000000000'))).toBe('checkin-not-received');
      const other = await stored(store, { kiosk: 'k-002' });
      expect(await refusal(request(other.id))).toBe('checkin-other-kiosk');
      // Another site's kiosk naming this site's check-in on its own topic.
      const here = await stored(store, {});
      expect(await refusal(request(here.id), 'qrkiosk/v1/s-002/k-001/pass-request')).toBe(
        'checkin-other-kiosk',
      );
      const old = await stored(store, {}, new Date(NOW.getTime() - 25 * 3600_000));
      expect(await refusal(request(old.id))).toBe('checkin-too-old');
      const pass = await stored(store, { document: { kind: 'pass' } });
      expect(await refusal(request(pass.id))).toBe('checkin-is-pass');
      const refused = await stored(store, { verdict: 'REFUSE', colour: 'red', reason: 'f0' });
      expect(await refusal(request(refused.id))).toBe('checkin-refused');
      // A site not in the register: the use case's own refusal, passed on.
      const unregistered = await stored(store, { site: 's-009' });
      expect(await refusal(request(unregistered.id), 'qrkiosk/v1/s-009/k-001/pass-request')).toBe(
        'unknown-scope',
      );
      // Without the hub's signing key: a refusal, never a crash.
      const unsigned = await stored(store, {});
      const { signing: _, ...noKey } = deps;
      const a = await answer(noKey, request(unsigned.id));
      expect(a).toMatchObject({ ok: false, code: 'no-key' });
      expect(published).toHaveLength(0);
      expect(await store.repo.passes.list({ revoked: true })).toHaveLength(0);
      // Not a request, or not a request topic: no answer at all.
      expect(await answerPassRequest(deps, TOPIC, Buffer.from('{"schema":'))).toBeNull();
      expect(await answerPassRequest(deps, 'qrkiosk/v1/+/k-001/pass-request', request(here.id))).toBeNull();
      expect(await answerPassRequest(deps, 'qrkiosk/v1/s-001/k-001/checkin', request(here.id))).toBeNull();
    } finally {
      await store.close();
    }
  });

  it('refuses a REVIEW the guard denied, as the kiosk does (review 2 finding 9)', async () => {
    const { store, deps } = await setup(engine);
    try {
      const c = await stored(store, { verdict: 'REVIEW', colour: 'yellow', reason: 'f1' });
      const denied: OutcomeMessage = {
        schema: OUTCOME_SCHEMA_ID,
        id: '01JD00000000000000000000ZZ',
        checkin: c.id,
        outcome: 'denied',
        by: 'button',
        at: NOW.toISOString(),
        clockSynced: true,
        kiosk: 'k-001',
        site: 's-001',
      };
      await store.addOutcome(denied, NOW);
      expect(await answer(deps, request(c.id))).toMatchObject({ ok: false, code: 'checkin-refused' });
      expect(await store.repo.passes.list({ revoked: true })).toHaveLength(0);
    } finally {
      await store.close();
    }
  });

  it("caps one kiosk's reception passes a Vietnam day, logged and audited once (review 2 finding 2)", async () => {
    const { store, deps, published } = await setup(engine);
    try {
      const capped = { ...deps, kioskDailyPasses: 2, capped: new Set<string>() };
      // A pass this kiosk got yesterday (Vietnam time) does not count today; one at 01:00 today in Vietnam
      // (18:00 yesterday in UTC) does: the day is Vietnam's, not UTC's (review 3 finding 7).
      const earlier = (passId: string, issuedAt: string) => ({
        passId,
        idHash: HOLDER,
        scopeKind: 'site',
        scopeId: 's-001',
        validFrom: '2026-11-26',
        validUntil: '2027-11-25',
        nameMasked: 'N***',
        issuer: 'Chợ Hà Đông',
        issuedBy: 'kiosk:s-001/k-001',
        issuedAt,
        revokedAt: null,
        revokedBy: null,
        reason: null,
      });
      await store.repo.passes.add([
        earlier('f'.repeat(20), '2026-11-26T16:59:59.000Z'),
        earlier('e'.repeat(20), '2026-11-26T18:00:00.000Z'),
      ]);
      const ids: string[] = [];
      for (let n = 0; n < 4; n++)
        ids.push(
          (
            await stored(store, {
              document: { kind: 'manual', idHash: `${n}`.repeat(32), nameMasked: 'N***' },
            })
          ).id,
        );
      const answers = [];
      for (const id of ids) answers.push(await answer(capped, request(id)));
      // Cap 2: the one from 01:00 today and one more.
      expect(answers.map((a) => (a.ok ? 'ok' : a.code))).toEqual([
        'ok',
        'kiosk-pass-cap',
        'kiosk-pass-cap',
        'kiosk-pass-cap',
      ]);
      const refusal = answers[1];
      if (!refusal || refusal.ok) throw new Error('not refused');
      expect(refusal.text.vi).toMatch(/đủ số thẻ/);
      // A reprint of a card already issued is no new card: still answered at the cap.
      expect(await answer(capped, request(ids[0] as string))).toMatchObject({ ok: true });
      // Another kiosk of the site has its own count.
      const there = await stored(store, { kiosk: 'k-002' });
      expect(
        await answer(capped, request(there.id, {}), 'qrkiosk/v1/s-001/k-002/pass-request'),
      ).toMatchObject({
        ok: true,
      });
      // One at k-001 and one at k-002: a refused request publishes nothing.
      expect(published).toHaveLength(2);
      const audit = (await store.auditLog(50)).filter((r) => r.action === 'pass-kiosk-cap');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor: 'kiosk:s-001/k-001' });
    } finally {
      await store.close();
    }
  });

  it("another hub process's pass for the check-in stands; this one's is withdrawn (claimCheckin conflict)", async () => {
    const { store, deps } = await setup(engine);
    try {
      const c = await stored(store, {
        document: { kind: 'manual', idHash: HOLDER, nameMasked: 'TRẦN V** B*', numberMasked: '******5678' },
      });
      // The other process: issues for the same check-in and records it between this one's issue and claim.
      let theirs = '';
      const passes = store.repo.passes;
      const racing = {
        ...passes,
        claimCheckin: async (checkinId: string, passId: string, at: Date) => {
          const other = await issuePass(deps, {
            idHash: HOLDER,
            nameMasked: 'TRẦN V** B*',
            scope: { kind: 'site', id: 's-001' },
            issuedBy: 'kiosk:s-001/k-001',
          });
          theirs = other.passId;
          expect(await passes.claimCheckin(checkinId, theirs, at)).toBe(true);
          return passes.claimCheckin(checkinId, passId, at);
        },
      };
      const repo = Object.create(store.repo, { passes: { value: racing } });
      const raced = Object.create(store, { repo: { value: repo } }) as HubStore;
      const a = await answer({ ...deps, store: raced }, request(c.id));
      expect(a).toMatchObject({ ok: true, passId: theirs });
      const all = await passes.list({ revoked: true });
      expect(all).toHaveLength(2);
      const mine = all.find((r) => r.passId !== theirs);
      expect(mine).toMatchObject({ revokedBy: 'hub', reason: 'duplicate reception request' });
      expect(all.find((r) => r.passId === theirs)?.revokedAt).toBeNull();
      expect(await passes.passOfCheckin(c.id)).toBe(theirs);
    } finally {
      await store.close();
    }
  });
});

describe('reception pass requests, hostile input', () => {
  it('any payload on any topic is an answer or ignored, never a throw, never a pass', async () => {
    const { store, deps } = await setup('sqlite');
    try {
      const c = await stored(store, {});
      const payload = fc.oneof(
        fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
        fc.jsonValue().map((v) => Buffer.from(JSON.stringify(v))),
        fc
          .record({
            requestId: fc.oneof(fc.uuid(), fc.string()),
            checkinId: fc.oneof(fc.constant(c.id), fc.string()),
          })
          .map((r) => request(r.checkinId, { requestId: r.requestId })),
      );
      const topic = fc.oneof(fc.constant(TOPIC), fc.string({ maxLength: 80 }));
      await fc.assert(
        fc.asyncProperty(topic, payload, async (t, p) => {
          const done = await answerPassRequest(deps, t, p);
          if (done)
            expect(done.topic).toMatch(/^qrkiosk\/v1\/[a-z0-9][a-z0-9_-]*\/[a-z0-9][a-z0-9_-]*\/pass$/);
        }),
        { numRuns: 300 },
      );
      // Only the well-formed request for the stored check-in on its kiosk's topic was ever issued a pass.
      expect((await store.repo.passes.list({ revoked: true })).length).toBeLessThanOrEqual(1);
    } finally {
      await store.close();
    }
  });
});
