/**
 * Issue #20 with issue #19's data age: the pass list is a kind of data the kiosk decides on (who holds a
 * card, which cards are revoked). On the real Controller with real files: an installed list is confirmed
 * at install; past its limit an ALLOW on a pass is held (REVIEW data-stale), nothing else is; the hub's
 * signed statement naming the list's version confirms it again, one from a hub before passes does not.
 * The doctor's pass-list check reads the same data folder. Lists and statements are signed by protocol's
 * encodePassList and signFreshness; only time is faked (the rig's TestClock).
 */
import {
  encodePassList,
  FRESHNESS_SCHEMA_ID,
  type FreshnessStatement,
  KeyRing,
  keyId,
  newPassId,
  passKey,
  signFreshness,
  signPass,
} from '@qrkiosk/protocol';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { passListCheck } from '../src/doctor/passes.js';
import { hub, kioskStarter, person, TestClock } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);
const HOUR = 3_600_000;
const SITE = 's-001';
const hubKeys = new KeyRing();
hubKeys.add(hub.publicKey);

const token = (passId: string) =>
  signPass(
    { passId, scope: { kind: 'site', id: SITE }, validFrom: '2021-10-01', validUntil: '2022-09-30' },
    hub.privateKey,
    keyId(hub.publicKey),
  );
const list = (version: number, passIds: string[], createdAt: Date) =>
  encodePassList(
    passIds.map((id, i) => ({
      passKey: passKey(id),
      idHash: Buffer.alloc(16, i + 1),
      validUntil: '2022-09-30',
      revoked: false,
    })),
    { version, areas: {}, province: null },
    hub,
    createdAt,
  );
const statement = (issuedAt: Date, passes?: number | null) => {
  const s: FreshnessStatement = {
    schema: FRESHNESS_SCHEMA_ID,
    issuedAt: issuedAt.toISOString(),
    cache: null,
    rules: null,
    trust: null,
    revocation: null,
    ...(passes === undefined ? {} : { passes: passes === null ? null : { version: passes } }),
  };
  return signFreshness(s, hub.privateKey, keyId(hub.publicKey));
};
/** Unknown people admitted by the site: the card's holder is not in the cache, so its ALLOW is the site's. */
const EXTRA = ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'];

describe('the pass list ages like the other lists', () => {
  it('no list installed: not stale, and the doctor warns without failing', async () => {
    const k = await kiosk(makeTempDir('pass-fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    k.clock.pass(100 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().has('passes')).toBe(false);
    // Left out of telemetry while there is none: a hub from before passes refuses a block naming the kind.
    expect(k.controller.telemetry().freshness).not.toHaveProperty('passes');
    const doctor = passListCheck(
      { settings: k.controller.settings, secrets: { hubKeys } } as never,
      k.clock.now(),
    );
    expect(doctor).toMatchObject({ id: 'pass-list', status: 'warn', values: { version: 0, count: 0 } });
    expect(doctor.message.vi).toContain('Chưa có danh sách thẻ QR');
  });

  it('past 48 h an ALLOW on a pass is held, a document is not; a statement naming the version confirms it', async () => {
    const k = await kiosk(makeTempDir('pass-fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    const id = newPassId();
    await k.controller.updates.receive('passes', list(1795748400, [id], k.clock.now()));
    expect(k.controller.telemetry().freshness?.passes).toMatchObject({ ageSeconds: 0, stale: false });
    expect(k.controller.scan(token(id))?.decision).toMatchObject({
      verdict: 'ALLOW',
      reason: { code: 'unknown-person' },
    });
    const doctor = passListCheck(
      { settings: k.controller.settings, secrets: { hubKeys } } as never,
      k.clock.now(),
    );
    expect(doctor).toMatchObject({
      id: 'pass-list',
      status: 'ok',
      values: { version: 1795748400, count: 1, ageSeconds: 0 },
    });

    k.clock.pass(48 * HOUR + 60_000);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['passes']));
    expect(k.controller.faults.has('data-stale')).toBe(true);
    const held = k.controller.scan(token(id))!;
    expect(held.decision).toMatchObject({ verdict: 'REVIEW', reason: { code: 'data-stale' } });
    expect(held.decision.decidedBy[0]).toBe('data-stale-passes');
    // A citizen ID card rests on nothing the pass list says.
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({ verdict: 'ALLOW' });

    // A hub from before passes: its statement verifies, but says nothing of the pass list.
    await k.controller.updates.receive('fresh', statement(k.clock.now()));
    expect(k.controller.freshness.stale().has('passes')).toBe(true);
    // Another version than the installed one: nothing confirmed.
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() + 1000), 1795748401),
    );
    expect(k.controller.freshness.stale().has('passes')).toBe(true);
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() + 2000), 1795748400),
    );
    expect(k.controller.freshness.stale().has('passes')).toBe(false);
    expect(k.controller.scan(token(id))?.decision.verdict).toBe('ALLOW');

    // A newer list installed is confirmed by its install.
    k.clock.pass(48 * HOUR + 60_000);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().has('passes')).toBe(true);
    await k.controller.updates.receive('passes', list(1795748500, [id], k.clock.now()));
    expect(k.controller.freshness.stale().has('passes')).toBe(false);
  });

  it('the doctor fails on a list it cannot verify (every card would be REVIEW)', async () => {
    const k = await kiosk(makeTempDir('pass-fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('passes', list(7, [newPassId(), newPassId()], k.clock.now()));
    const other = new KeyRing();
    const doctor = passListCheck(
      { settings: k.controller.settings, secrets: { hubKeys: other } } as never,
      k.clock.now(),
    );
    expect(doctor).toMatchObject({ id: 'pass-list', status: 'fail', values: { version: 7, count: 2 } });
    expect(doctor.message.en).toMatch(/^Pass list refused .*every printed pass is REVIEW$/);
  });
});
