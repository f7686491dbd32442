/**
 * Issue #19 "offline, but within limits": the real Controller on real SQLite files, with rules signed by
 * the hub's own signing path (signedRulesEnvelope) and freshness statements by protocol's signFreshness.
 * Cache updates by protocol's buildUpdate, trust lists by signTrustList, vaccine passports by firmware-sim's
 * DCC signer. Only time is faked (the rig's TestClock, wall and monotonic apart). A kiosk whose rules, facts
 * or trust list are older than the signed limit turns the admissions resting on them into REVIEW
 * (data-stale) and recovers on a fresh signed update or statement; an unsynced wall-clock jump neither makes
 * nor hides staleness; the age survives a restart.
 */

import { spawnSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { signedRulesEnvelope } from '@qrkiosk/hub';
import {
  buildUpdate,
  encodeFacts,
  FRESHNESS_SCHEMA_ID,
  type FreshnessStatement,
  KeyRing,
  keyId,
  OP_PUT,
  signFreshness,
  signTrustList,
} from '@qrkiosk/protocol';
import { Cleanups, kioskYaml, makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { freshnessCheck } from '../src/doctor/freshness.js';
import { DATA_AGE_FILE } from '../src/freshness/index.js';
import { type FaultEvent, hashIdentity } from '../src/index.js';
import { FactsCache } from '../src/lookup/index.js';
import { F0, GREEN, hub, type Kiosk, kioskStarter, know, person, TestClock } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);

const HOUR = 3_600_000;
const base = JSON.parse(readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'));
/** Signed rules as the hub publishes them, with the office's limits. */
const rulesUpdate = (version: string, maxAgeHours: Record<string, number | null> = { rules: 24 }) =>
  Buffer.from(signedRulesEnvelope(JSON.stringify({ ...base, version, limits: { maxAgeHours } }), hub));
const statement = (
  issuedAt: Date,
  rules: string | null,
  signer = hub,
  cache: number | null = null,
): Buffer => {
  const s: FreshnessStatement = {
    schema: FRESHNESS_SCHEMA_ID,
    issuedAt: issuedAt.toISOString(),
    cache: cache === null ? null : { version: cache },
    rules: rules === null ? null : { version: rules },
    trust: null,
    revocation: null,
  };
  return signFreshness(s, signer.privateKey, keyId(signer.publicKey));
};
/** No duplicate window (the same person is scanned again), unknown people admitted by the site. */
const EXTRA = ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'];

async function kioskWithRules(clock: TestClock, dir = makeTempDir('fresh-')): Promise<Kiosk> {
  const k = await kiosk(dir, { clock, extra: EXTRA });
  await k.controller.updates.receive('rules', rulesUpdate('office-1'));
  expect(k.controller.telemetry().rules.version).toBe('office-1');
  return k;
}

describe('rules older than the signed limit', () => {
  it('turn an ALLOW into REVIEW (data-stale) with the fault, and a fresh signed rules update clears both', async () => {
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'));
    know(k, [
      [1, GREEN],
      [3, F0],
    ]);
    k.controller.freshness.refresh(); // the tick sees the import
    const faults: FaultEvent[] = [];
    k.controller.bus.on('fault', (f) => faults.push(f));
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      colour: 'green',
    });

    k.clock.pass(24 * HOUR + 60_000);
    k.controller.freshness.refresh(); // the 60-s tick
    expect(k.controller.faults.has('data-stale')).toBe(true);
    const stale = k.controller.scan(person(1).payload)!;
    expect(stale.decision).toMatchObject({
      verdict: 'REVIEW',
      colour: null,
      reason: {
        code: 'data-stale',
        text: { vi: 'Dữ liệu quá cũ — kiểm tra giấy tờ', en: 'Data too old — check documents' },
      },
    });
    expect(stale.decision.decidedBy[0]).toBe('data-stale-rules');
    expect(stale.checkin).toMatchObject({ verdict: 'REVIEW', reason: 'data-stale' });
    // An unknown person's site ALLOW rests on the rules too; a refusal is never changed.
    expect(k.controller.scan(person(2).payload)?.decision.reason.code).toBe('data-stale');
    expect(k.controller.scan(person(3).payload)?.decision).toMatchObject({
      verdict: 'REFUSE',
      reason: { code: 'case-f0' },
    });
    const t = k.controller.telemetry();
    expect(t.faults).toContain('data-stale');
    expect(t.freshness?.rules).toEqual({ ageSeconds: 24 * 3600 + 60, maxSeconds: 24 * 3600, stale: true });
    // The facts were imported at the same time: under their default 48 h.
    expect(t.freshness?.facts).toMatchObject({
      ageSeconds: 24 * 3600 + 60,
      maxSeconds: 48 * 3600,
      stale: false,
    });
    // Nothing installed: no age, never stale.
    expect(t.freshness?.trust).toEqual({ ageSeconds: null, maxSeconds: 48 * 3600, stale: false });
    const metrics = await k.controller.metrics.registry.metrics();
    expect(metrics).toContain('qrkiosk_kiosk_data_stale{kind="rules"} 1');
    expect(metrics).toContain('qrkiosk_kiosk_data_stale{kind="facts"} 0');
    expect(metrics).toContain(`qrkiosk_kiosk_data_age_seconds{kind="rules"} ${24 * 3600 + 60}`);
    expect(metrics).not.toContain('qrkiosk_kiosk_data_age_seconds{kind="trust"}');

    // The doctor, reading the data folder from another process's view (nothing written): the same ages.
    const hubKeys = new KeyRing();
    hubKeys.add(hub.publicKey);
    k.controller.freshness.stop(); // the ledger on disk as at a checkpoint
    const doctor = freshnessCheck({ settings: k.controller.settings, secrets: { hubKeys } }, k.clock);
    expect(doctor).toMatchObject({
      id: 'freshness',
      status: 'fail',
      values: {
        rulesAgeSeconds: 24 * 3600 + 60,
        rulesMaxSeconds: 24 * 3600,
        rulesStale: true,
        factsStale: false,
      },
    });
    expect(doctor.message.en).toContain('too old: rules');
    // `qrkiosk check` in its own process answers as the door does (another boot to it: the saved age carries).
    const config = join(makeTempDir('fresh-cli-'), 'kiosk.yaml');
    writeFileSync(join(config, '..', 'hub.pub.pem'), hub.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      config,
      kioskYaml({
        dataDir: k.dir,
        lines: [...EXTRA, `updates: { publicKeyFiles: ["${join(config, '..', 'hub.pub.pem')}"] }`],
      }),
    );
    const cli = spawnSync(
      process.execPath,
      [join(REPO_ROOT, 'gateway/dist/cli/main.js'), 'check', '-c', config, '--json', person(2).payload],
      { encoding: 'utf8' },
    );
    const answer = JSON.parse(cli.stdout);
    expect(answer).toMatchObject({ verdict: 'REVIEW', reason: { code: 'data-stale' } });
    expect(answer.stale).toContain('rules');
    k.controller.freshness.start();

    await k.controller.updates.receive('rules', rulesUpdate('office-2'));
    expect(k.controller.faults.has('data-stale')).toBe(false);
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      colour: 'green',
    });
    expect(faults.map((f) => [f.code, f.active])).toEqual([
      ['data-stale', true],
      ['data-stale', false],
    ]);
  });

  it('the hub statement confirms the installed version; a replayed, an older or a foreign statement does not', async () => {
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'));
    k.clock.pass(25 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));

    // Signed by a key the kiosk does not trust: refused.
    await k.controller.updates.receive(
      'fresh',
      statement(k.clock.now(), 'office-1', generateKeyPairSync('ed25519')),
    );
    expect(k.controller.faults.has('data-stale')).toBe(true);
    // Names another version: the office publishes something this kiosk does not have; nothing confirmed.
    await k.controller.updates.receive('fresh', statement(k.clock.now(), 'office-9'));
    expect(k.controller.faults.has('data-stale')).toBe(true);

    // Issued a day ahead (the hub's clock wrong): refused, or it would block every right one until then.
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() + 24 * HOUR), 'office-1'),
    );
    expect(k.controller.faults.has('data-stale')).toBe(true);

    const issued = new Date(k.clock.now().getTime() + 1000);
    const fresh = statement(issued, 'office-1');
    await k.controller.updates.receive('fresh', fresh);
    expect(k.controller.faults.has('data-stale')).toBe(false);
    expect(k.controller.scan(person(2).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      reason: { code: 'unknown-person' },
    });

    // A day later, the same statement again (a replay, or the retained copy on reconnect): still stale.
    k.clock.pass(25 * HOUR);
    await k.controller.updates.receive('fresh', fresh);
    k.controller.freshness.refresh();
    expect(k.controller.faults.has('data-stale')).toBe(true);
    // Only a newer one confirms.
    await k.controller.updates.receive('fresh', statement(k.clock.now(), 'office-1'));
    expect(k.controller.faults.has('data-stale')).toBe(false);
  });

  it('a limit of null in the signed rules is no limit', async () => {
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('rules', rulesUpdate('office-1', { rules: null, facts: null }));
    know(k, [[1, GREEN]]);
    k.clock.pass(400 * 24 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().size).toBe(0);
    expect(k.controller.telemetry().freshness?.rules).toMatchObject({ maxSeconds: null, stale: false });
  });
});

describe('age on the monotonic clock', () => {
  it('an unsynced wall clock jumping forward makes nothing stale; jumping back hides nothing', async () => {
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'));
    k.clock.isSynced = false;
    k.clock.wall += 30 * 24 * HOUR; // the wall clock jumps a month ahead; no real time passed
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().size).toBe(0);
    expect(k.controller.telemetry().freshness?.rules?.ageSeconds).toBe(0);

    k.clock.wall -= 60 * 24 * HOUR; // and back, two months
    k.clock.pass(25 * HOUR); // while a day passes for real
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    // An unknown person's site ALLOW reads no date (the clock gate leaves it): the stale gate holds it.
    expect(k.controller.scan(person(2).payload)?.decision.reason.code).toBe('data-stale');
  });

  it('a new boot without NTP carries the saved age and counts on from it', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    first.clock.pass(10 * HOUR);
    await first.controller.stop(); // saves the ledger
    const saved = JSON.parse(readFileSync(join(dir, DATA_AGE_FILE), 'utf8'));
    expect(saved.kinds.rules).toMatchObject({ marker: 'office-1', ageMs: 10 * HOUR, wallSynced: true });

    // Rebooted 5 h later without network: a new boot id, the monotonic clock near 0, the wall clock unsynced.
    const offline = new TestClock('2021-10-15T18:00:00Z');
    offline.boot = 'boot-2';
    offline.mono = 30_000;
    offline.isSynced = false;
    const second = await kiosk(dir, { clock: offline, extra: EXTRA });
    expect(second.controller.telemetry().freshness?.rules?.ageSeconds).toBe(10 * 3600);
    offline.pass(14 * HOUR + 60_000);
    second.controller.freshness.refresh();
    expect(second.controller.freshness.stale()).toEqual(new Set(['rules']));
  });

  it('with a synced clock the hours switched off count too', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    first.clock.pass(10 * HOUR);
    await first.controller.stop();
    const synced = new TestClock('2021-10-15T18:00:00Z'); // 5 h off
    synced.boot = 'boot-2';
    synced.mono = 30_000;
    const second = await kiosk(dir, { clock: synced, extra: EXTRA });
    expect(second.controller.telemetry().freshness?.rules?.ageSeconds).toBe(15 * 3600);
    // A daemon restart within the same boot: the monotonic time it was down counts as well.
    synced.pass(2 * HOUR);
    await second.controller.stop();
    synced.isSynced = false;
    synced.pass(3 * HOUR);
    const third = await kiosk(dir, { clock: synced, extra: EXTRA });
    expect(third.controller.telemetry().freshness?.rules?.ageSeconds).toBe(20 * 3600);
  });
});

describe('facts older than the limit', () => {
  /** A hub-signed cache update (protocol's buildUpdate) holding person 1 as GREEN, keyed with the kiosk's key. */
  const cacheUpdate = (k: Kiosk, seq: number, baseSeq?: number) =>
    buildUpdate(
      {
        kind: baseSeq === undefined ? 'snapshot' : 'delta',
        seq,
        createdAt: k.clock.now().toISOString(),
        ...(baseSeq === undefined ? {} : { baseSeq }),
      },
      [
        {
          op: OP_PUT,
          key: hashIdentity(k.controller.identityHashKey(), 'cccd', person(1).number),
          facts: encodeFacts(GREEN),
        },
      ],
      hub.privateKey,
      hub.publicKey,
    );

  it('hold the people the cache decides (unknown ones too), not the rules; a statement naming the cache version and a delta each confirm it', async () => {
    // The built-in rules: not from the office, so they have no age and never go stale.
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('cache', cacheUpdate(k, 3));
    expect(k.controller.cache.version()).toBe(3);
    expect(k.controller.telemetry().freshness?.rules?.ageSeconds).toBeNull();
    k.clock.pass(48 * HOUR + 60_000);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['facts']));
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'REVIEW',
      decidedBy: ['data-stale-facts', 'green-primary-series', 'level-2'],
    });
    expect(k.controller.scan(person(2).payload)?.decision.reason.code).toBe('data-stale');

    // The office still publishes version 3: the statement confirms it.
    await k.controller.updates.receive('fresh', statement(k.clock.now(), null, hub, 3));
    expect(k.controller.freshness.stale().size).toBe(0);
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      colour: 'green',
    });

    k.clock.pass(48 * HOUR + 60_000);
    k.controller.freshness.refresh();
    expect(k.controller.faults.has('data-stale')).toBe(true);
    // A delta 3 → 4 applied: new data, confirmed.
    await k.controller.updates.receive('cache-delta', cacheUpdate(k, 4, 3));
    expect(k.controller.cache.version()).toBe(4);
    expect(k.controller.faults.has('data-stale')).toBe(false);
    expect(k.controller.telemetry().freshness?.facts).toMatchObject({ ageSeconds: 0, stale: false });
  });
});

describe('a DCC trust list older than the limit', () => {
  it('holds vaccine-passport admissions only; the next signed list clears it', async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    const passport = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('rules', rulesUpdate('office-1', { trust: 24, facts: 72 }));
    const trustList = (version: number) =>
      Buffer.from(signTrustList([signer.certificateDer], version, hub, k.clock.now()));
    await k.controller.updates.receive('trust', trustList(1));
    know(k, [[1, GREEN]]);
    k.controller.freshness.refresh();
    expect(k.controller.scan(passport)?.decision).toMatchObject({ verdict: 'ALLOW' });

    k.clock.pass(25 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['trust']));
    expect(k.controller.scan(passport)?.decision).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'data-stale' },
    });
    expect(k.controller.scan(passport)?.decision.decidedBy[0]).toBe('data-stale-trust');
    // A card looked up in the (fresh) cache: not the trust list's business.
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      colour: 'green',
    });

    await k.controller.updates.receive('trust', trustList(2));
    expect(k.controller.faults.has('data-stale')).toBe(false);
    expect(k.controller.scan(passport)?.decision.verdict).toBe('ALLOW');
  });
});

describe('a technician CSV import', () => {
  it('that imported no row confirms nothing: week-old facts stay stale (review #1)', async () => {
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('rules', rulesUpdate('office-1', { rules: null, facts: 24 }));
    know(k, [[1, GREEN]]);
    k.controller.freshness.refresh();
    k.clock.pass(7 * 24 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['facts']));
    const before = k.controller.cache.versionInfo().updatedAt;
    // One bad row only: nothing imported.
    const csv = join(makeTempDir('fresh-csv-'), 'bad.csv');
    const header =
      'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until';
    writeFileSync(csv, `${header}\ncccd,not-a-number,x,,,,,,,,\n`);
    const report = await k.controller.cache.importCsv(csv, k.controller.identityHashKey(), k.clock.now());
    expect(report.imported).toBe(0);
    expect(k.controller.cache.versionInfo().updatedAt).toBe(before);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['facts']));
    expect(k.controller.scan(person(1).payload)?.decision.reason.code).toBe('data-stale');
  });
});

describe('an exit kiosk', () => {
  it('lets people out on stale data: an exit held for review would stop counting them (review #8)', async () => {
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
      direction: 'out',
    });
    await k.controller.updates.receive('rules', rulesUpdate('office-1'));
    know(k, [[1, GREEN]]);
    k.controller.freshness.refresh();
    k.clock.pass(7 * 24 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules', 'facts']));
    expect(k.controller.faults.has('data-stale')).toBe(true);
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({ verdict: 'ALLOW' });
  });
});

describe('the ledger fails closed (review #4)', () => {
  it('lost or damaged: installed data is of unknown age, so stale, until the hub statement confirms it', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    await first.controller.stop();
    writeFileSync(join(dir, DATA_AGE_FILE), '{"schema": "qrkiosk.data-age/1", "savedAt": ');
    const clock = new TestClock('2021-10-15T04:00:00Z');
    const k = await kiosk(dir, { clock, extra: EXTRA });
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    expect(k.controller.telemetry().freshness?.rules).toEqual({
      ageSeconds: null,
      maxSeconds: 24 * 3600,
      stale: true,
    });
    expect(k.controller.scan(person(2).payload)?.decision.reason.code).toBe('data-stale');
    await k.controller.updates.receive('fresh', statement(clock.now(), 'office-1'));
    expect(k.controller.freshness.stale().size).toBe(0);
  });

  it('an upgrade from before the ledger (no file) starts stale', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    await first.controller.stop();
    rmSync(join(dir, DATA_AGE_FILE));
    const k = await kiosk(dir, { clock: new TestClock('2021-10-15T04:00:00Z'), extra: EXTRA });
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
  });

  it('rules put back by hand (the file watcher) are not fresh; a version that comes back keeps its age', async () => {
    const dir = makeTempDir('fresh-');
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    const rulesFile = join(dir, 'rules.json');
    const office1 = readFileSync(rulesFile);
    // What the rules file watcher (watchFile, every 5 s) does on a change, called at once.
    const watcherSeesChange = () =>
      (k.controller as unknown as { policy: { reload(): void } }).policy.reload();
    k.clock.pass(20 * HOUR);
    await k.controller.updates.receive('rules', rulesUpdate('office-2'));
    const office2 = readFileSync(rulesFile);
    k.clock.pass(HOUR);
    // A technician copies the older signed rules back: signed, but never confirmed under that version.
    writeFileSync(rulesFile, office1);
    watcherSeesChange();
    expect(k.controller.telemetry().rules.version).toBe('office-1');
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    // office-2 put back: not confirmed again on sight, its age carries on from its install.
    writeFileSync(rulesFile, office2);
    watcherSeesChange();
    k.controller.freshness.refresh();
    expect(k.controller.telemetry().freshness?.rules?.ageSeconds).toBe(3600);
  });
});

describe('statements and an untrusted clock', () => {
  it('a statement dated ahead, accepted while unsynced, does not block the right ones once synced (review #3)', async () => {
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'));
    k.clock.isSynced = false;
    // The hub's clock a week ahead; ours cannot tell: accepted for what it confirms.
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() + 7 * 24 * HOUR), 'office-1'),
    );
    k.clock.pass(25 * HOUR);
    k.clock.isSynced = true;
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    // The hub's clock set right: its next statement is accepted, not refused as older than the bad one.
    await k.controller.updates.receive('fresh', statement(k.clock.now(), 'office-1'));
    expect(k.controller.freshness.stale().size).toBe(0);
  });

  it('a replay floor in the future (a ledger from an older version) is dropped once the clock is trusted (review #3)', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'), dir);
    await first.controller.stop();
    const file = join(dir, DATA_AGE_FILE);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    writeFileSync(file, JSON.stringify({ ...saved, statementAt: '2021-10-22T03:00:00.000Z' }));
    const clock = new TestClock('2021-10-16T04:00:00Z');
    const k = await kiosk(dir, { clock, extra: EXTRA });
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    await k.controller.updates.receive('fresh', statement(clock.now(), 'office-1'));
    expect(k.controller.freshness.stale().size).toBe(0);
  });

  it('a statement that waited while the clock was unsynced counts from its issuedAt once synced (review #9)', async () => {
    const k = await kioskWithRules(new TestClock('2021-10-15T03:00:00Z'));
    k.clock.pass(20 * HOUR);
    k.clock.isSynced = false;
    // Issued 10 h ago by the hub, delivered now.
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() - 10 * HOUR), 'office-1'),
    );
    expect(k.controller.freshness.stale().size).toBe(0);
    k.clock.pass(15 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().size).toBe(0); // 15 h on the monotonic clock
    k.clock.isSynced = true;
    k.controller.freshness.refresh();
    // 25 h since the hub issued it: past the 24 h limit.
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    expect(k.controller.telemetry().freshness?.rules?.ageSeconds).toBe(25 * 3600);
  });
});

describe('doctor and check judge the clock as the daemon does (review #11)', () => {
  it('clock.assumeSynced: the hours switched off count in doctor as at the door', async () => {
    const dir = makeTempDir('fresh-');
    const first = await kiosk(dir, {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
      assumeSynced: true,
    });
    await first.controller.updates.receive('rules', rulesUpdate('office-1'));
    await first.controller.stop();
    // 30 h off; the clock's own flag says unsynced, but the site trusts it (clock.assumeSynced).
    const clock = new TestClock('2021-10-16T09:00:00Z');
    clock.boot = 'boot-2';
    clock.mono = 30_000;
    clock.isSynced = false;
    const k = await kiosk(dir, { clock, extra: EXTRA, assumeSynced: true });
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    const hubKeys = new KeyRing();
    hubKeys.add(hub.publicKey);
    const doctor = freshnessCheck({ settings: k.controller.settings, secrets: { hubKeys } }, clock);
    expect(doctor).toMatchObject({ status: 'fail', values: { rulesStale: true } });
  });
});

describe("review 3: the replay floor and a local import on the kiosk's own clock", () => {
  it('a kiosk whose clock never syncs still refuses an older statement after a reboot (#8)', async () => {
    const dir = makeTempDir('fresh-');
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const first = await kioskWithRules(clock, dir);
    clock.isSynced = false;
    const newer = new Date(clock.now().getTime() + 30 * 60_000);
    const older = new Date(clock.now().getTime() + 10 * 60_000);
    await first.controller.updates.receive('fresh', statement(newer, 'office-1'));
    await first.controller.stop();
    // A reboot without NTP: a new monotonic clock, the saved age carried.
    clock.boot = 'boot-2';
    clock.mono = 1_000;
    const k = await kiosk(dir, { clock, extra: EXTRA });
    clock.pass(25 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    // The older statement, replayed by someone who can write fleet/fresh: it confirms nothing.
    await k.controller.updates.receive('fresh', statement(older, 'office-1'));
    expect(k.controller.freshness.stale()).toEqual(new Set(['rules']));
    // A newer one does.
    await k.controller.updates.receive('fresh', statement(clock.now(), 'office-1'));
    expect(k.controller.freshness.stale().size).toBe(0);
  });

  it('a local import just after a statement from a hub whose clock runs ahead is confirmed (#7)', async () => {
    const k = await kiosk(makeTempDir('fresh-'), {
      clock: new TestClock('2021-10-15T03:00:00Z'),
      extra: EXTRA,
    });
    await k.controller.updates.receive('rules', rulesUpdate('office-1', { rules: null, facts: 24 }));
    const snapshot = buildUpdate(
      { kind: 'snapshot', seq: 3, createdAt: k.clock.now().toISOString() },
      [
        {
          op: OP_PUT,
          key: hashIdentity(k.controller.identityHashKey(), 'cccd', person(1).number),
          facts: encodeFacts(GREEN),
        },
      ],
      hub.privateKey,
      hub.publicKey,
    );
    await k.controller.updates.receive('cache', snapshot);
    k.clock.pass(30 * HOUR);
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale()).toEqual(new Set(['facts']));
    // The hub's clock is 50 min ahead of ours (within the hour allowed): its statement confirms version 3.
    await k.controller.updates.receive(
      'fresh',
      statement(new Date(k.clock.now().getTime() + 50 * 60_000), null, hub, 3),
    );
    expect(k.controller.freshness.stale().size).toBe(0);
    // A minute later a technician imports a row: by our clock it is after the statement arrived.
    k.clock.pass(60_000);
    k.controller.cache.upsert(
      [{ key: hashIdentity(k.controller.identityHashKey(), 'cccd', person(2).number), facts: GREEN }],
      k.clock.now(),
    );
    k.controller.freshness.refresh();
    expect(k.controller.freshness.stale().size).toBe(0);
    expect(k.controller.telemetry().freshness?.facts).toMatchObject({ ageSeconds: 0, stale: false });
  });
});

describe('a CSV import made while the daemon was stopped (review #1, #4)', () => {
  it('is confirmed at the next start when newer than the last confirmation; not with the ledger lost', async () => {
    const dir = makeTempDir('fresh-');
    const clock = new TestClock('2021-10-15T03:00:00Z');
    const first = await kiosk(dir, { clock, extra: EXTRA });
    await first.controller.updates.receive('rules', rulesUpdate('office-1', { rules: null, facts: 24 }));
    know(first, [[1, GREEN]]);
    first.controller.freshness.refresh();
    clock.pass(30 * HOUR);
    const key = first.controller.identityHashKey();
    await first.controller.stop();
    // The technician's import while the daemon is stopped: another writer of the same cache file.
    const cache = new FactsCache(dir);
    cache.open();
    cache.upsert([{ key: hashIdentity(key, 'cccd', person(2).number), facts: GREEN }], clock.now());
    cache.close();
    const second = await kiosk(dir, { clock, extra: EXTRA });
    expect(second.controller.freshness.stale().size).toBe(0);
    await second.controller.stop();
    rmSync(join(dir, DATA_AGE_FILE));
    const third = await kiosk(dir, { clock, extra: EXTRA });
    expect(third.controller.freshness.stale()).toEqual(new Set(['facts']));
  });
});
