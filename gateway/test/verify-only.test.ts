/**
 * Verify-only sites (issue #19): the signed rules' `sites[site].verifyOnly` makes the real Controller
 * decide, light and open as always but journal a tally with no identity. Checked by reading the
 * journal's SQLite files byte by byte (main file and WAL, as a second process would find them) for
 * the person's keyed hashes, number and name — and against a control site of the same rules that
 * keeps its register, so the search is shown to find what is there.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyId, maskName, maskNumber, TALLY_SCHEMA_ID } from '@qrkiosk/protocol';
import { Cleanups, freePort, makeTempDir } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { builtinRules, policyFor, signRules } from '../src/decide/index.js';
import { hashIdentity } from '../src/index.js';
import { ManualEntryError } from '../src/manual-entry.js';
import { RecentTallies } from '../src/verify-only/index.js';
import { VERIFY_ONLY_LATCH_FILE, VerifyOnlyLatch } from '../src/verify-only/latch.js';
import { F0, GREEN, hub, hubConfirmsRules, kioskStarter, know, person, pulses } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);

/** Signed rules (the hub's key the rig trusts) in the kiosk's data folder, as a hub update leaves them. */
function signedRules(dir: string, sites: Record<string, object>, version = 'verify-only-1'): void {
  const bytes = Buffer.from(JSON.stringify({ ...builtinRules(), version, sites }));
  writeFileSync(join(dir, 'rules.json'), bytes);
  writeFileSync(
    join(dir, 'rules.json.sig'),
    JSON.stringify(signRules(bytes, hub.privateKey, keyId(hub.publicKey))),
  );
}

/** Every byte SQLite holds for the journal: a row not yet checkpointed is only in the WAL. */
function journalBytes(dir: string): string {
  const parts = ['journal.db', 'journal.db-wal'].map((f) => {
    try {
      return readFileSync(join(dir, f));
    } catch {
      return Buffer.alloc(0);
    }
  });
  return Buffer.concat(parts).toString('latin1');
}

const IDENTITY_FIELDS = ['idHash', 'numberMasked', 'nameMasked', 'sealed', 'links'];

/** The masked number and name a check-in of person n journals, as the journal's bytes hold them (latin1 of UTF-8). */
function maskedIdentity(...people: number[]): string[] {
  return (people.length ? people : [1, 2]).flatMap((n) =>
    [maskNumber(person(n).number), maskName('Nguyễn Văn An')].map((v) => Buffer.from(v).toString('latin1')),
  );
}

describe('verify-only policy', () => {
  it('comes from the signed rules for the site, and is off everywhere else', () => {
    const rules = { ...builtinRules(), sites: { 's-001': { verifyOnly: true } } };
    expect(policyFor(rules, 's-001', {}).verifyOnly).toBe(true);
    expect(policyFor(rules, 's-002', {}).verifyOnly).toBe(false);
    expect(policyFor(builtinRules(), 's-001', {}).verifyOnly).toBe(false);
  });
});

describe('a verify-only kiosk keeps no register', () => {
  it('decides, lights and opens as always; the journal holds tallies and no identity', async () => {
    const dir = makeTempDir('verify-only-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const k = await kiosk(dir, { extra: ['rules: { duplicateWindowSeconds: 60 }'] });
    await hubConfirmsRules(k, 'verify-only-1');
    know(k, [
      [1, GREEN],
      [2, F0],
    ]);
    const key = k.controller.identityHashKey();
    const allowed = k.controller.scan(person(1).payload);
    expect(allowed?.decision.verdict).toBe('ALLOW');
    expect(allowed?.checkin).toBeUndefined();
    expect(allowed?.tally).toMatchObject({ schema: TALLY_SCHEMA_ID, verdict: 'ALLOW', kind: 'cccd' });
    await vi.waitFor(() => expect(pulses(k.gpio, 'relay')).toBe(1));
    // The duplicate window still works, from memory: no second row, no second relay.
    const again = k.controller.scan(person(1).payload);
    expect(again?.decision.repeat).toBe(true);
    expect(again?.tally).toBeUndefined();
    const refused = k.controller.scan(person(2).payload);
    expect(refused?.decision.verdict).toBe('REFUSE');
    expect(refused?.tally?.reason).toBe('case-f0');
    // Reception cannot write a register either.
    expect(() => k.controller.manualCheckin('Hoàng Thị Mai', '0912 345 678')).toThrow(ManualEntryError);
    expect(() => k.controller.manualCheckin('Hoàng Thị Mai', '0912 345 678')).toThrow(/no register/);

    const db = new Database(join(dir, 'journal.db'), { readonly: true });
    const rows = db.prepare('SELECT id_hash, verdict, message FROM checkins ORDER BY seq').all() as Array<{
      id_hash: string;
      verdict: string;
      message: string;
    }>;
    db.close();
    expect(rows.map((r) => r.verdict)).toEqual(['ALLOW', 'REFUSE']);
    for (const r of rows) {
      expect(r.id_hash).toBe('');
      const message = JSON.parse(r.message) as Record<string, unknown>;
      expect(message.schema).toBe(TALLY_SCHEMA_ID);
      for (const field of IDENTITY_FIELDS) expect(JSON.stringify(message)).not.toContain(`"${field}"`);
    }
    const raw = journalBytes(dir);
    for (const n of [1, 2]) {
      const { number } = person(n);
      expect(raw).not.toContain(number);
      expect(raw).not.toContain(hashIdentity(key, 'cccd', number).toString('hex'));
      // The old ID number on the card (the links' hash) neither.
      expect(raw).not.toContain(hashIdentity(key, 'cmnd', '272345678').toString('hex'));
    }
    for (const field of IDENTITY_FIELDS) expect(raw).not.toContain(`"${field}"`);
    // The journal would hold the masked forms (never the raw name): search those, as the control site does.
    for (const masked of maskedIdentity()) expect(raw).not.toContain(masked);
  });

  it('reception lists tallies without identity, counts them, and resolves or marks them like check-ins', async () => {
    const dir = makeTempDir('verify-only-reception-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const k = await kiosk(dir, { screensPort: await freePort() });
    await hubConfirmsRules(k, 'verify-only-1');
    know(k, [[1, GREEN]]);
    const allowed = k.controller.scan(person(1).payload);
    const review = k.controller.scan(person(3).payload); // nobody in the cache: REVIEW
    expect(review?.decision.verdict).toBe('REVIEW');
    const today = async () =>
      (await (await fetch(`${k.controller.screensAddress}/api/today`)).json()) as {
        verifyOnly: boolean;
        checkins: Array<Record<string, unknown> & { id: string; document: Record<string, unknown> }>;
        in: number;
        occupancy: number;
        pending: number;
      };
    const first = await today();
    expect(first).toMatchObject({ verifyOnly: true, in: 1, occupancy: 1, pending: 1 });
    expect(first.checkins.map((c) => [c.id, c.verdict])).toEqual([
      [review?.tally?.id, 'REVIEW'],
      [allowed?.tally?.id, 'ALLOW'],
    ]);
    for (const c of first.checkins)
      expect(c.document).toEqual({ kind: 'cccd', nameMasked: null, numberMasked: null });
    // Reception admits the REVIEW by its tally id, then marks the first entry as gone ("Đã ra").
    const post = (body: object) =>
      fetch(`${k.controller.screensAddress}/api/outcome`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-qrkiosk-token': receptionToken,
          origin: k.controller.screensAddress ?? '',
        },
        body: JSON.stringify(body),
      });
    const html = await (await fetch(`${k.controller.screensAddress}/reception`)).text();
    const receptionToken = /name="qrkiosk-token" content="([^"]+)"/.exec(html)?.[1] ?? '';
    expect((await post({ checkin: review?.tally?.id, outcome: 'admitted' })).status).toBe(200);
    expect((await post({ checkin: allowed?.tally?.id, outcome: 'left' })).status).toBe(200);
    const after = await today();
    expect(after).toMatchObject({ in: 2, occupancy: 1, pending: 0 });
    expect(after.checkins.find((c) => c.id === allowed?.tally?.id)).toMatchObject({ left: true });
  });

  it('no screen message names the person: reception and public sockets, new scans and repeats', async () => {
    const messages = async (sites: Record<string, object>) => {
      const dir = makeTempDir('verify-only-screens-');
      signedRules(dir, sites);
      const k = await kiosk(dir, {
        screensPort: await freePort(),
        extra: ['rules: { duplicateWindowSeconds: 600 }'],
      });
      know(k, [[1, GREEN]]);
      const seen: string[] = [];
      const origin = k.controller.screensAddress ?? '';
      const sockets = ['/live', '/live/reception'].map(
        (path) => new WebSocket(`${origin.replace('http', 'ws')}${path}`, { headers: { origin } }),
      );
      await Promise.all(
        sockets.map((ws) => {
          ws.on('message', (m) => seen.push(String(m)));
          return new Promise((resolve) => ws.once('message', resolve));
        }),
      );
      k.controller.scan(person(1).payload); // ALLOW
      k.controller.scan(person(1).payload); // a repeat: no row, shown from the decoded QR
      k.controller.scan(person(3).payload); // REVIEW
      await vi.waitFor(() =>
        expect(seen.filter((m) => m.includes('"type":"checkin"')).length).toBeGreaterThanOrEqual(3),
      );
      await vi.waitFor(() => expect(seen.filter((m) => m.includes('"type":"scan"')).length).toBe(3));
      for (const ws of sockets) ws.close();
      return seen.join('\n');
    };
    const identity = [1, 3].flatMap((n) => [maskNumber(person(n).number), person(n).number]);
    const name = maskName('Nguyễn Văn An');
    // The control site: the same search finds the masked name and number (so it can fail).
    const control = await messages({ 's-999': { verifyOnly: true } });
    expect(control).toContain(name);
    for (const s of identity.filter((_, i) => i % 2 === 0)) expect(control).toContain(s);
    const verifyOnly = await messages({ 's-001': { verifyOnly: true } });
    for (const s of [name, ...identity]) expect(verifyOnly).not.toContain(s);
    for (const field of ['idHash', 'sealed', 'links']) expect(verifyOnly).not.toContain(`"${field}"`);
    expect(verifyOnly).not.toMatch(/"(nameMasked|numberMasked)":"/);
  });

  it('a control site of the same rules keeps its register, and the same search finds it', async () => {
    const dir = makeTempDir('verify-only-control-');
    signedRules(dir, { 's-999': { verifyOnly: true } });
    const k = await kiosk(dir);
    await hubConfirmsRules(k, 'verify-only-1');
    know(k, [[1, GREEN]]);
    const outcome = k.controller.scan(person(1).payload);
    expect(outcome?.checkin?.document.idHash).toBeDefined();
    const raw = journalBytes(dir);
    expect(raw).toContain(
      hashIdentity(k.controller.identityHashKey(), 'cccd', person(1).number).toString('hex'),
    );
    expect(raw).toContain('"numberMasked"');
    // The search the verify-only test makes finds the masked name and number here.
    const [number, name] = maskedIdentity(1);
    expect(raw).toContain(number);
    expect(raw).toContain(name);
    expect(raw).toContain(hashIdentity(k.controller.identityHashKey(), 'cmnd', '272345678').toString('hex'));
  });

  it('fails to privacy: signed rules that can no longer be loaded do not bring the register back', async () => {
    const dir = makeTempDir('verify-only-latch-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const first = await kiosk(dir);
    know(first, [[1, GREEN]]);
    expect(first.controller.scan(person(1).payload)?.tally).toBeDefined();
    await first.controller.stop();
    // The signature is damaged (or the key rotated): the file is refused, the built-in rules are in force.
    const sig = JSON.parse(readFileSync(join(dir, 'rules.json.sig'), 'utf8')) as { signature: string };
    writeFileSync(
      join(dir, 'rules.json.sig'),
      JSON.stringify({ ...sig, signature: `${sig.signature.slice(0, -4)}AAAA` }),
    );
    const damaged = await kiosk(dir, { clock: first.clock });
    know(damaged, [[1, GREEN]]);
    expect(damaged.controller.verifyOnly()).toBe(true);
    const scanned = damaged.controller.scan(person(1).payload);
    expect(scanned?.checkin).toBeUndefined();
    expect(scanned?.tally?.verdict).toBe('ALLOW');
    expect(journalBytes(dir)).not.toContain('"numberMasked"');
    expect(() => damaged.controller.manualCheckin('Hoàng Thị Mai', '0912 345 678')).toThrow(ManualEntryError);
    await damaged.controller.stop();
    // Newer valid signed rules that no longer say verify-only clear it; then a damaged file keeps a register again.
    signedRules(dir, {}, 'verify-only-2');
    const cleared = await kiosk(dir, { clock: first.clock });
    expect(cleared.controller.verifyOnly()).toBe(false);
    await cleared.controller.stop();
    writeFileSync(join(dir, 'rules.json.sig'), '{}');
    const plain = await kiosk(dir, { clock: first.clock });
    know(plain, [[1, GREEN]]);
    expect(plain.controller.scan(person(1).payload)?.checkin).toBeDefined();
  });

  it('only newer signed rules clear it: not an older file put back, not a kiosk.site change (review 3 #5)', () => {
    const dir = makeTempDir('verify-only-latch-unit-');
    const log = pino({ level: 'silent' });
    const latch = new VerifyOnlyLatch(dir, log);
    expect(latch.apply('s-001', 'office-2026-11-20', true, true)).toBe(true);
    // A technician sets kiosk.site to s-002: the same signed rules do not make s-002 verify-only.
    const restarted = new VerifyOnlyLatch(dir, log);
    expect(restarted.apply('s-002', 'office-2026-11-20', true, false)).toBe(true);
    // An older signed rules file copied back by hand, saying nothing of verify-only.
    expect(restarted.apply('s-001', 'office-2026-11-01', true, false)).toBe(true);
    expect(existsSync(join(dir, VERIFY_ONLY_LATCH_FILE))).toBe(true);
    // Newer rules that keep it move the latch up: the version between no longer clears it.
    expect(restarted.apply('s-001', 'office-2026-11-25', true, true)).toBe(true);
    expect(new VerifyOnlyLatch(dir, log).apply('s-001', 'office-2026-11-22', true, false)).toBe(true);
    // Newer signed rules that say otherwise for the site in force: a signed change, the register is back.
    const later = new VerifyOnlyLatch(dir, log);
    expect(later.apply('s-002', 'office-2026-11-26', true, false)).toBe(false);
    expect(existsSync(join(dir, VERIFY_ONLY_LATCH_FILE))).toBe(false);
    expect(new VerifyOnlyLatch(dir, log).apply('s-002', 'office-2026-11-26', false, false)).toBe(false);
  });

  it('a restart forgets the duplicate window (it was never written)', async () => {
    const dir = makeTempDir('verify-only-restart-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const extra = ['rules: { duplicateWindowSeconds: 600 }'];
    const first = await kiosk(dir, { extra });
    await hubConfirmsRules(first, 'verify-only-1');
    know(first, [[1, GREEN]]);
    expect(first.controller.scan(person(1).payload)?.tally?.verdict).toBe('ALLOW');
    await first.controller.stop();
    const second = await kiosk(dir, { extra, clock: first.clock });
    const outcome = second.controller.scan(person(1).payload);
    expect(outcome?.decision.repeat).toBe(false);
    expect(outcome?.tally?.verdict).toBe('ALLOW');
  });

  it('a REVIEW tally is resolved by the guard like a check-in, and the window remembers the admission', async () => {
    const dir = makeTempDir('verify-only-review-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const k = await kiosk(dir, { extra: ['rules: { duplicateWindowSeconds: 60 }'] });
    await hubConfirmsRules(k, 'verify-only-1');
    // Nobody in the cache: the built-in rules' unknown person is REVIEW.
    const review = k.controller.scan(person(3).payload);
    expect(review?.decision.verdict).toBe('REVIEW');
    const tally = review?.tally;
    expect(tally).toBeDefined();
    const outcome = k.controller.outcomes.resolve({
      outcome: 'admitted',
      by: 'reception',
      checkin: tally?.id,
    });
    expect(outcome.checkin).toBe(tally?.id);
    // Admitted within the window: scanning again is a repeat, not a second entry.
    expect(k.controller.scan(person(3).payload)?.decision.repeat).toBe(true);
  });

  it('a tally the door sensor marked not-entered is no entry: scanning again opens the door again', async () => {
    const dir = makeTempDir('verify-only-door-');
    signedRules(dir, { 's-001': { verifyOnly: true } });
    const k = await kiosk(dir, {
      gpio: 'doorSensor: { pin: GPIO16 }',
      extra: ['signal: { doorEnterSeconds: 2 }', 'rules: { duplicateWindowSeconds: 600 }'],
    });
    // Rules placed by hand have no confirmed age (fail closed): the hub's statement confirms them.
    await hubConfirmsRules(k, 'verify-only-1');
    know(k, [[1, GREEN]]);
    const first = k.controller.scan(person(1).payload);
    expect(first?.tally?.verdict).toBe('ALLOW');
    await vi.waitFor(() => expect(pulses(k.gpio, 'relay')).toBe(1));
    // Nobody passed: past doorEnterSeconds the door watch journals not-entered for the tally.
    expect(k.controller.occupancy.now().inside).toBe(1);
    await vi.waitFor(() => expect(k.controller.occupancy.now().inside).toBe(0), { timeout: 5000 });
    const again = k.controller.scan(person(1).payload);
    expect(again?.decision.repeat).toBe(false);
    expect(again?.tally?.verdict).toBe('ALLOW');
    await vi.waitFor(() => expect(pulses(k.gpio, 'relay')).toBe(2));
    k.gpio.doorMoved();
    expect(k.controller.occupancy.now().inside).toBe(1);
  });

  it('the kiosk’s own occupancy count includes its tallies: a cap of one holds the second person', async () => {
    const dir = makeTempDir('verify-only-cap-');
    const one = { '1': 1, '2': 1, '3': 1, '4': 1 };
    signedRules(dir, { 's-001': { verifyOnly: true, maxInside: one } });
    const k = await kiosk(dir);
    await hubConfirmsRules(k, 'verify-only-1');
    know(k, [
      [1, GREEN],
      [4, GREEN],
    ]);
    expect(k.controller.scan(person(1).payload)?.tally?.verdict).toBe('ALLOW');
    expect(k.controller.occupancy.now()).toMatchObject({ inside: 1, scope: 'kiosk' });
    const held = k.controller.scan(person(4).payload);
    expect(held?.decision).toMatchObject({ verdict: 'REVIEW', reason: { code: 'occupancy-full' } });
    expect(held?.tally?.reason).toBe('occupancy-full');
  });
});

describe('the verify-only duplicate window (memory only)', () => {
  const seen = (tally: string, ms: number, boot = 'boot-1') => ({
    tally,
    verdict: 'ALLOW' as const,
    colour: 'green' as const,
    at: '2021-10-15T03:00:00.000Z',
    reason: 'admitted-green',
    stamp: { boot, ms },
  });
  const none = () => null;

  it('answers within the window on the same boot only, with the guard’s outcome read by tally id', () => {
    const recent = new RecentTallies();
    recent.note('a'.repeat(32), seen('T1', 10_000), 60_000);
    const at = (ms: number, boot = 'boot-1') => ({ boot, ms });
    expect(recent.previous('a'.repeat(32), at(70_000), 60_000, none)).toMatchObject({ verdict: 'ALLOW' });
    expect(recent.previous('a'.repeat(32), at(70_001), 60_000, none)).toBeUndefined();
    expect(recent.previous('a'.repeat(32), at(20_000, 'boot-2'), 60_000, none)).toBeUndefined();
    expect(recent.previous('b'.repeat(32), at(20_000), 60_000, none)).toBeUndefined();
    const outcome = recent.previous('a'.repeat(32), at(20_000), 60_000, (id) =>
      id === 'T1' ? 'admitted' : null,
    );
    expect(outcome?.outcome).toBe('admitted');
  });

  it('forgets a tally the door sensor marked not-entered, even one the guard admitted', () => {
    const recent = new RecentTallies();
    recent.note('a'.repeat(32), seen('T1', 10_000), 60_000);
    expect(
      recent.previous('a'.repeat(32), { boot: 'boot-1', ms: 20_000 }, 60_000, () => 'not-entered'),
    ).toBeUndefined();
  });

  it('forgets people past the window as new ones are noted, so memory stays bounded by the window', () => {
    const recent = new RecentTallies();
    recent.note('a'.repeat(32), seen('T1', 0), 60_000);
    recent.note('b'.repeat(32), seen('T2', 30_000), 60_000);
    expect(recent.size).toBe(2);
    recent.note('c'.repeat(32), seen('T3', 61_000), 60_000);
    expect(recent.size).toBe(2); // a is out of the window and gone; b is still in it
    recent.note('b'.repeat(32), seen('T4', 100_000), 60_000); // b again: moved to the newest end
    recent.note('d'.repeat(32), seen('T5', 125_000), 60_000);
    expect(recent.size).toBe(2); // c (61 s) is gone, b (100 s) and d stay
  });
});
