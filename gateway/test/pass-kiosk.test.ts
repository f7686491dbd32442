/**
 * Issue #20, "done when": reception enters a delivery worker by hand once, the hub prints a pass, and the
 * guard's scanner recognises the card as that same person, offline — on the real Controller with real
 * SQLite files, the pass list installed through FleetUpdates as the hub publishes it on `fleet/passes`.
 * A revoked (signed revocation list), expired, out-of-scope or forged card is REVIEW with its reason.
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
  PASS_REVOCATION_KID,
  type Pass,
  type PassArea,
  passKey,
  readTracingPrivateKey,
  signPass,
  signRevocationList,
} from '@qrkiosk/protocol';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { PASS_LIST_FILE } from '../src/passes/index.js';
import { hub, type Kiosk, kioskStarter, TestClock } from './kiosk-rig.js';

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
async function publishList(k: Kiosk, holders: Array<{ passId: string; idHash: string }>, version = 1) {
  const list = encodePassList(
    holders.map((h) => ({
      passKey: passKey(h.passId),
      idHash: Buffer.from(h.idHash, 'hex'),
      validUntil: '2022-09-30',
    })),
    { version, areas: AREAS },
    hub,
  );
  await k.controller.updates.receive('passes', list);
}

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
    // An older list (version 4, holder changed) is refused: the one in force stays.
    await publishList(again, [{ passId: pass.passId, idHash: 'cd'.repeat(16) }], 4);
    expect(again.controller.scan(pass.token)?.checkin?.document.idHash).toBe(holder);
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

  it('before the list arrives: a genuine pass names a person of its own, unknown to the cache', async () => {
    const k = await kiosk(makeTempDir('pass-'), { extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    const pass = card();
    const out = k.controller.scan(pass.token)!;
    expect(out.decoded.pass?.holder).toBeNull();
    expect(out.decision.reason.code).toBe('unknown-person');
    expect(out.checkin?.document.idHash).toMatch(/^[0-9a-f]{32}$/);
    expect(k.controller.scan(pass.token)?.checkin?.document.idHash).toBe(out.checkin?.document.idHash);
  });

  it('a revoked, expired, not yet valid, out-of-scope, forged or unknown-key card is REVIEW with its reason, nothing journaled', async () => {
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const k = await kiosk(makeTempDir('pass-'), { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    await publishList(k, []);
    const lost = card();
    await k.controller.updates.receive(
      'revocation',
      signRevocationList(
        [{ kid: Buffer.from(PASS_REVOCATION_KID, 'base64'), type: 'UCI', hashes: [passKey(lost.passId)] }],
        1,
        hub,
      ),
    );
    const other = generateKeyPairSync('ed25519');
    const forged = card();
    const cases: Array<[string, string]> = [
      [lost.token, 'pass-revoked'],
      [card({ validFrom: '2021-01-01', validUntil: '2021-10-14' }).token, 'pass-expired'],
      [card({ validFrom: '2021-10-16' }).token, 'pass-not-yet-valid'],
      [card({ scope: { kind: 'site', id: 's-002' } }).token, 'pass-out-of-scope'],
      [card({ scope: { kind: 'ward', id: '99999' } }).token, 'pass-out-of-scope'],
      [signPass(forged, other.privateKey, hubId), 'pass-invalid'],
      [signPass(forged, other.privateKey, keyId(other.publicKey)), 'pass-invalid'],
      [`${forged.token.slice(0, 40)}${forged.token.slice(41)}`, 'pass-invalid'],
    ];
    for (const [token, code] of cases) {
      const out = k.controller.scan(token)!;
      expect(out.decision, code).toMatchObject({ verdict: 'REVIEW', reason: { code } });
      expect(out.checkin).toBeUndefined();
    }
    // The ward its site is in (the list's site register) and the province: valid here.
    for (const scope of [
      { kind: 'ward' as const, id: '26743' },
      { kind: 'province' as const, id: '79' },
    ])
      expect(k.controller.scan(card({ scope }).token)?.decoded).toMatchObject({ kind: 'pass', ok: true });
    // Vietnam day: 2021-10-14T17:30Z is already the 15th in Vietnam, so a card valid until the 14th has expired.
    clock.wall = Date.parse('2021-10-14T17:30:00Z');
    expect(k.controller.scan(card({ validUntil: '2021-10-14' }).token)?.decision.reason.code).toBe(
      'pass-expired',
    );
  });
});
