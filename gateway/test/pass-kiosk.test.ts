/**
 * Issue #20, "done when": reception enters a delivery worker by hand once, the hub prints a pass, and the
 * guard's scanner recognises the card as that same person, offline — on the real Controller with real
 * SQLite files, the pass list installed through FleetUpdates as the hub publishes it on `fleet/passes`.
 * A revoked (flagged in the signed pass list), unlisted, expired, out-of-scope or forged card is REVIEW with
 * its reason.
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodePassList,
  generateTracingKeys,
  hashIdentity,
  keyId,
  newPassId,
  openIdentity,
  type Pass,
  type PassArea,
  passKey,
  readTracingPrivateKey,
  signPass,
} from '@qrkiosk/protocol';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PASS_LIST_FILE } from '../src/passes/index.js';
import { F0, hub, type Kiosk, kioskStarter, TestClock } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);
const hubId = keyId(hub.publicKey);
/** The kiosk-rig's site (testkit fixtures). */
const SITE = 's-001';
const AREAS: Record<string, PassArea> = { [SITE]: { ward: '26743', district: '760' } };

const card = (over: Partial<Omit<Pass, 'keyId'>> = {}) => {
  const p = {
    passId: newPassId(),
    scope: { kind: 'site' as const, id: SITE },
    validFrom: '2021-10-01',
    validUntil: '2022-09-30',
    ...over,
  };
  return { ...p, token: signPass(p, hub.privateKey, hubId) };
};

/** The hub's pass list: each card's holder is the keyed hash of the phone reception typed. */
async function publishList(
  k: Kiosk,
  holders: Array<{
    passId: string;
    idHash?: string;
    revoked?: boolean;
    validUntil?: string;
    links?: string[];
  }>,
  version = 1,
  province: string | null = '79',
) {
  const list = encodePassList(
    holders.map((h) => ({
      passKey: passKey(h.passId),
      idHash: Buffer.from(h.idHash ?? '00'.repeat(16), 'hex'),
      links: (h.links ?? []).map((l) => Buffer.from(l, 'hex')),
      validUntil: h.validUntil ?? '2022-09-30',
      revoked: h.revoked ?? false,
    })),
    { version, areas: AREAS, province },
    hub,
  );
  await k.controller.updates.receive('passes', list);
}
const someone = (i: number) => i.toString(16).padStart(32, '0');

describe('a printed pass at the kiosk', () => {
  it('is the same person as their manual entry: the duplicate window catches the card, then its check-in carries that hash', async () => {
    const clock = new TestClock('2021-10-15T03:00:00Z');
    // A site that admits visitors it has no facts for (reception's manual entry is ALLOW, colour none):
    // the card's scan then decides the same, and the window holds it as a repeat of the manual entry.
    const k = await kiosk(makeTempDir('pass-'), {
      clock,
      extra: ['rules: { duplicateWindowSeconds: 600, unknownPerson: ALLOW }'],
    });
    const manual = k.controller.manualCheckin('Trần Văn Giao', '0912 345 678');
    // The hub computes the same keyed hash from the CSV or the reception's entry (the deployment key).
    expect(manual.document.idHash).toBe(
      hashIdentity(k.controller.identityHashKey(), 'phone', '0912345678').toString('hex'),
    );
    const pass = card();
    await publishList(k, [{ passId: pass.passId, idHash: manual.document.idHash }]);
    expect(existsSync(join(k.dir, PASS_LIST_FILE))).toBe(true);

    clock.pass(60_000);
    const repeat = k.controller.scan(pass.token)!;
    expect(repeat.decoded).toMatchObject({
      kind: 'pass',
      ok: true,
      pass: { holder: manual.document.idHash },
    });
    expect(repeat.decision).toMatchObject({ repeat: true, reason: { code: 'already-checked-in' } });
    expect(repeat.checkin).toBeUndefined();

    clock.pass(600_000);
    const later = k.controller.scan(pass.token)!;
    expect(later.checkin?.document).toMatchObject({
      kind: 'pass',
      idHash: manual.document.idHash,
      nameMasked: '',
      numberMasked: `*****${pass.passId.slice(0, 4)}`,
    });
    expect(later.decision.verdict).toBe(manual.verdict);
  });

  it("is looked up by every key of its holder's document: F0 under the former CMND refuses the card as the CCCD (review 2, finding 1)", async () => {
    const clock = new TestClock('2021-10-15T03:00:00Z');
    // The review's reproduction: a site that admits unknown people, the person listed F0 under the old
    // CMND number only. Their CCCD is REFUSE red through its second key; the card must be too.
    const k = await kiosk(makeTempDir('pass-'), {
      clock,
      extra: ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'],
    });
    const hashKey = k.controller.identityHashKey();
    const cmnd = hashIdentity(hashKey, 'cmnd', '272345678');
    k.controller.cache.upsert([{ key: cmnd, facts: F0 }]);
    k.controller.freshness.refresh();
    const scan = k.controller.scan('079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021')!;
    expect(scan.decision).toMatchObject({ verdict: 'REFUSE', colour: 'red' });
    const doc = scan.checkin!.document;
    expect(doc.idHash).toBe(hashIdentity(hashKey, 'cccd', '079090001234').toString('hex'));
    expect(doc.links).toEqual([cmnd.toString('hex')]);

    // The hub lists the card with the check-in's hash and links (hub/src/pass-requests.ts).
    const pass = card();
    await publishList(k, [{ passId: pass.passId, idHash: doc.idHash, links: doc.links }]);
    clock.pass(60_000);
    const byCard = k.controller.scan(pass.token)!;
    expect(byCard.decoded).toMatchObject({
      kind: 'pass',
      ok: true,
      pass: { holder: doc.idHash, links: doc.links },
    });
    expect(byCard.decision).toMatchObject({ verdict: 'REFUSE', colour: 'red' });
    // Its check-in carries the links too, so the hub's tracing links the person through the card.
    expect(byCard.checkin?.document).toMatchObject({ kind: 'pass', idHash: doc.idHash, links: doc.links });

    // Without the link (a list as before this fix) the card was the unknown person's ALLOW: the bug.
    const bare = card();
    await publishList(k, [{ passId: bare.passId, idHash: doc.idHash }], 2);
    expect(k.controller.scan(bare.token)!.decision.verdict).toBe('ALLOW');
  });

  it("is looked up by a BHYT card's BHXH number too (facts filed under the stable number)", async () => {
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const k = await kiosk(makeTempDir('pass-'), {
      clock,
      extra: ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'],
    });
    const hashKey = k.controller.identityHashKey();
    const bhyt = hashIdentity(hashKey, 'bhyt', 'GD4797920123456').toString('hex');
    const bhxh = hashIdentity(hashKey, 'bhxh', '7920123456');
    k.controller.cache.upsert([{ key: bhxh, facts: F0 }]);
    k.controller.freshness.refresh();
    const pass = card();
    await publishList(k, [{ passId: pass.passId, idHash: bhyt, links: [bhxh.toString('hex')] }]);
    expect(k.controller.scan(pass.token)!.decision).toMatchObject({ verdict: 'REFUSE', colour: 'red' });
  });

  it('keeps the installed list across a restart and refuses an older one', async () => {
    const dir = makeTempDir('pass-');
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const first = await kiosk(dir, { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    const pass = card();
    const holder = 'ab'.repeat(16);
    await publishList(first, [{ passId: pass.passId, idHash: holder }], 5);
    await first.controller.stop();
    const again = await kiosk(dir, { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    expect(again.controller.scan(pass.token)?.checkin?.document.idHash).toBe(holder);
    // An older list (version 4, holder changed) is refused: the one in force stays, and the hub is told.
    expect(again.controller.faults.has('pass-list-refused')).toBe(false);
    await publishList(again, [{ passId: pass.passId, idHash: 'cd'.repeat(16) }], 4);
    expect(again.controller.scan(pass.token)?.checkin?.document.idHash).toBe(holder);
    expect(again.controller.faults.has('pass-list-refused')).toBe(true);
    expect(again.controller.telemetry().faults).toContain('pass-list-refused');
    // The next list installed clears it.
    await publishList(again, [{ passId: pass.passId, idHash: holder }], 6);
    expect(again.controller.faults.has('pass-list-refused')).toBe(false);
  });

  it('seals the whole pass id for the office (the kiosk knows no name or number to seal)', async () => {
    const tracing = generateTracingKeys(makeTempDir('tracing-'));
    const k = await kiosk(makeTempDir('pass-'), {
      extra: [
        `privacy: { tracingPublicKeyFile: "${tracing.publicFile}" }`,
        'rules: { duplicateWindowSeconds: 0 }',
      ],
    });
    const pass = card();
    await publishList(k, [{ passId: pass.passId, idHash: 'ef'.repeat(16) }]);
    const checkin = k.controller.scan(pass.token)?.checkin;
    if (!checkin?.document.sealed) throw new Error('the pass was not recorded with a sealed identity');
    const priv = readTracingPrivateKey(readFileSync(tracing.privateFile));
    expect(openIdentity([priv], checkin.id, checkin.document.sealed)).toEqual({
      v: 1,
      kind: 'pass',
      number: `PASS-${pass.passId}`,
      name: '',
    });
  });

  it('a genuine pass the kiosk has no record of (no list yet, or issued after it) is REVIEW pass-unlisted, never a stranger admitted', async () => {
    // A site that admits unknown people: the card must still not be let in as one.
    const k = await kiosk(makeTempDir('pass-'), {
      extra: ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'],
    });
    const pass = card();
    const expectUnlisted = () => {
      const out = k.controller.scan(pass.token)!;
      expect(out.decoded).toMatchObject({ kind: 'pass', ok: false, error: { code: 'pass-unlisted' } });
      expect(out.decision).toMatchObject({
        verdict: 'REVIEW',
        reason: {
          code: 'pass-unlisted',
          text: {
            vi: 'Thẻ chưa có trong danh sách của máy — kiểm tra giấy tờ',
            en: "Pass not yet in this kiosk's list — check documents",
          },
        },
      });
      expect(out.checkin).toBeUndefined();
    };
    expectUnlisted();
    await publishList(k, [{ passId: newPassId(), idHash: someone(1) }]);
    expectUnlisted();
    await publishList(k, [{ passId: pass.passId, idHash: someone(2) }], 2);
    expect(k.controller.scan(pass.token)?.checkin?.document.idHash).toBe(someone(2));
  });

  it('a revoked, expired, not yet valid, out-of-scope, forged or unknown-key card is REVIEW with its reason, nothing journaled', async () => {
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const k = await kiosk(makeTempDir('pass-'), { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    const lost = card();
    const other = generateKeyPairSync('ed25519');
    const forged = card();
    const cases: Array<[ReturnType<typeof card>, string]> = [
      [lost, 'pass-revoked'],
      [card({ validFrom: '2021-01-01', validUntil: '2021-10-14' }), 'pass-expired'],
      [card({ validFrom: '2021-10-16' }), 'pass-not-yet-valid'],
      [card({ scope: { kind: 'site', id: 's-002' } }), 'pass-out-of-scope'],
      [card({ scope: { kind: 'ward', id: '99999' } }), 'pass-out-of-scope'],
      // Another province's card, signed by a key this kiosk also trusts (review finding 13).
      [card({ scope: { kind: 'province', id: '80' } }), 'pass-out-of-scope'],
      [{ ...forged, token: signPass(forged, other.privateKey, hubId) }, 'pass-invalid'],
      [{ ...forged, token: signPass(forged, other.privateKey, keyId(other.publicKey)) }, 'pass-invalid'],
      [{ ...forged, token: `${forged.token.slice(0, 40)}${forged.token.slice(41)}` }, 'pass-invalid'],
    ];
    // Every card is in the list (a listed holder), so each reason is its own, not `pass-unlisted`; the
    // lost one is flagged revoked, as the hub publishes it after a revoke.
    const listed = new Map(cases.map(([c], i) => [c.passId, { passId: c.passId, idHash: someone(i + 1) }]));
    await publishList(
      k,
      [...listed.values()].map((e) => ({ ...e, revoked: e.passId === lost.passId })),
    );
    for (const [{ token }, code] of cases) {
      const out = k.controller.scan(token)!;
      expect(out.decision, code).toMatchObject({ verdict: 'REVIEW', reason: { code } });
      expect(out.checkin).toBeUndefined();
    }
    // The ward its site is in (the list's site register) and the province the list names: valid here.
    const ward = card({ scope: { kind: 'ward', id: '26743' } });
    const province = card({ scope: { kind: 'province', id: '79' } });
    const shortened = card();
    await publishList(
      k,
      [
        { passId: ward.passId, idHash: someone(20) },
        { passId: province.passId, idHash: someone(21) },
        // The hub shortened this card's validity: the list's earlier day holds.
        { passId: shortened.passId, idHash: someone(22), validUntil: '2021-10-14' },
      ],
      2,
    );
    for (const c of [ward, province])
      expect(k.controller.scan(c.token)?.decoded).toMatchObject({ kind: 'pass', ok: true });
    expect(k.controller.scan(shortened.token)?.decision.reason.code).toBe('pass-expired');
    // A hub with no province configured: no province card is in scope.
    await publishList(k, [{ passId: province.passId, idHash: someone(21) }], 3, null);
    expect(k.controller.scan(province.token)?.decision.reason.code).toBe('pass-out-of-scope');
    // Vietnam day: 2021-10-14T17:30Z is already the 15th in Vietnam, so a card valid until the 14th has expired.
    clock.wall = Date.parse('2021-10-14T17:30:00Z');
    expect(k.controller.scan(card({ validUntil: '2021-10-14' }).token)?.decision.reason.code).toBe(
      'pass-expired',
    );
  });

  it('a card revoked after it was admitted is refused on the next list, and a revoked entry names nobody', async () => {
    const k = await kiosk(makeTempDir('pass-'), { extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    const pass = card();
    await publishList(k, [{ passId: pass.passId, idHash: someone(7) }]);
    expect(k.controller.scan(pass.token)?.checkin?.document.idHash).toBe(someone(7));
    // The hub's encoder writes zeros for a revoked holder even when given one.
    await publishList(k, [{ passId: pass.passId, idHash: someone(7), revoked: true }], 2);
    const list = readFileSync(join(k.dir, PASS_LIST_FILE));
    expect(list.includes(Buffer.from(someone(7), 'hex'))).toBe(false);
    const out = k.controller.scan(pass.token)!;
    expect(out.decision).toMatchObject({ verdict: 'REVIEW', reason: { code: 'pass-revoked' } });
    expect(out.checkin).toBeUndefined();
  });
});
