import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Facts, KeyRing, keyId, NO_FACTS } from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import {
  builtinRules,
  decide,
  loadSignedRules,
  parseRuleSet,
  policyFor,
  RulesSource,
  signRules,
} from '../src/decide/index.js';
import { factsFromDcc } from '../src/lookup/index.js';

const rules = builtinRules();
const level = (n: number) => policyFor(rules, 's-1', {}, n);
const L2 = level(2);
// 10:00 in Vietnam on 30/10/2021 (03:00 UTC).
const scan = new Date('2021-10-30T03:00:00Z');
const facts = (f: Partial<Facts>): Facts => ({ ...NO_FACTS, ...f });

describe('colour and verdict at the boundaries (built-in rules; level 2 admits green and yellow)', () => {
  it('13 days after the second dose is not yet green; 14 is', () => {
    const f = (d: string) => facts({ primarySeriesComplete: true, dosesReceived: 2, lastDoseDate: d });
    expect(decide(f('2021-10-17'), L2, scan)).toMatchObject({ colour: 'red', verdict: 'REFUSE' });
    expect(decide(f('2021-10-16'), L2, scan)).toMatchObject({
      colour: 'green',
      verdict: 'ALLOW',
      decidedBy: ['green-primary-series', 'level-2'],
    });
  });
  it('counts days in Vietnam time, not UTC', () => {
    // 17:30 UTC on 29/10 is already 00:30 on 30/10 in Vietnam: 14 days after 16/10.
    const f = facts({ primarySeriesComplete: true, lastDoseDate: '2021-10-16' });
    expect(decide(f, L2, new Date('2021-10-29T17:30:00Z')).colour).toBe('green');
    expect(decide(f, L2, new Date('2021-10-29T16:59:00Z')).colour).toBe('red');
  });
  it('a first dose 14 days ago is yellow, 13 days is not', () => {
    expect(decide(facts({ firstDoseDate: '2021-10-16' }), L2, scan)).toMatchObject({
      colour: 'yellow',
      verdict: 'ALLOW',
    });
    expect(decide(facts({ firstDoseDate: '2021-10-17' }), L2, scan).colour).toBe('red');
  });
  it('a negative PCR is yellow for exactly 72 hours (±1 min, ±1 s)', () => {
    const ago = (ms: number) => new Date(scan.getTime() - ms).toISOString();
    const pcr = (iso: string) => facts({ negativeTestAt: iso, negativeTestType: 'pcr' });
    expect(decide(pcr(ago(72 * 3600e3 - 60e3)), L2, scan).colour).toBe('yellow');
    expect(decide(pcr(ago(72 * 3600e3)), L2, scan).colour).toBe('yellow');
    expect(decide(pcr(ago(72 * 3600e3 + 1e3)), L2, scan).colour).toBe('red');
    expect(decide(pcr(ago(72 * 3600e3 + 60e3)), L2, scan).colour).toBe('red');
    // A rapid test does not count; a test "from the future" (clock skew) neither.
    expect(decide(facts({ negativeTestAt: ago(3600e3), negativeTestType: 'rat' }), L2, scan).colour).toBe(
      'red',
    );
    expect(decide(pcr(ago(-3600e3)), L2, scan).colour).toBe('red');
  });
  it('recovery is green for 180 days, not 181', () => {
    expect(decide(facts({ recoveredDate: '2021-05-03' }), L2, scan).colour).toBe('green');
    expect(decide(facts({ recoveredDate: '2021-05-02' }), L2, scan).colour).toBe('red');
  });
  it('refuses F0 and F1 whatever the colour and level, until the case ends', () => {
    const green = { primarySeriesComplete: true, lastDoseDate: '2021-09-01' };
    expect(decide(facts({ ...green, caseStatus: 'f0', caseUntil: null }), level(1), scan)).toMatchObject({
      verdict: 'REFUSE',
      reason: { code: 'case-f0' },
      decidedBy: ['active-f0'],
    });
    expect(decide(facts({ ...green, caseStatus: 'f1', caseUntil: '2021-10-30' }), L2, scan).reason.code).toBe(
      'case-f1',
    );
    expect(decide(facts({ ...green, caseStatus: 'f1', caseUntil: '2021-10-29' }), L2, scan).verdict).toBe(
      'ALLOW',
    );
  });
  it('gives an unknown person the site verdict with no colour', () => {
    expect(decide(null, L2, scan)).toMatchObject({
      verdict: 'REVIEW',
      colour: null,
      reason: { code: 'unknown-person' },
    });
    expect(decide(null, policyFor(rules, 's-1', { unknownPerson: 'REFUSE' }), scan).verdict).toBe('REFUSE');
  });
  it('admits by the colours configured for the level', () => {
    expect(decide(facts({ firstDoseDate: '2021-09-01' }), level(4), scan).verdict).toBe('REFUSE');
    expect(decide(facts({}), level(1), scan)).toMatchObject({ verdict: 'ALLOW', colour: 'red' });
  });
  it('takes the level from the rules file for the site, then the kiosk, then the default', () => {
    const r = { ...rules, level: { default: 3, sites: { 's-9': 4 } } };
    expect(policyFor(r, 's-9', { level: 1 }).level).toBe(4);
    expect(policyFor(r, 's-1', { level: 1 }).level).toBe(1);
    expect(policyFor(r, 's-1', {}).level).toBe(3);
  });
});

describe('a verified DCC is judged by the same rules', () => {
  const report = (type: 'vaccination' | 'test' | 'recovery', entry: Record<string, unknown>) =>
    ({ type, entry }) as unknown as Parameters<typeof factsFromDcc>[0];
  it('vaccination: complete series 14 days ago is green; 1 of 2 doses is yellow', () => {
    expect(
      decide(factsFromDcc(report('vaccination', { dn: 2, sd: 2, dt: '2021-10-16' }), '2021-10-30'), L2, scan)
        .colour,
    ).toBe('green');
    expect(
      decide(factsFromDcc(report('vaccination', { dn: 1, sd: 2, dt: '2021-10-01' }), '2021-10-30'), L2, scan)
        .colour,
    ).toBe('yellow');
  });
  it('test: a negative PCR within 72 h is yellow; a positive one is not', () => {
    const t = (tr: string) => report('test', { tt: 'LP6464-4', sc: '2021-10-29T08:00:00+07:00', tr });
    expect(decide(factsFromDcc(t('260415000'), '2021-10-30'), L2, scan).colour).toBe('yellow');
    expect(decide(factsFromDcc(t('260373001'), '2021-10-30'), L2, scan).colour).toBe('red');
  });
  it('recovery within 180 days is green', () => {
    expect(
      decide(factsFromDcc(report('recovery', { fr: '2021-09-01' }), '2021-10-30'), L2, scan).colour,
    ).toBe('green');
  });
});

describe('signed rules files', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const ring = new KeyRing();
  ring.add(publicKey);
  const write = (doc: unknown, sign = true) => {
    const dir = makeTempDir('rules-');
    const file = join(dir, 'rules.json');
    const bytes = Buffer.from(JSON.stringify(doc));
    writeFileSync(file, bytes);
    if (sign) writeFileSync(`${file}.sig`, JSON.stringify(signRules(bytes, privateKey, keyId(publicKey))));
    return file;
  };
  const stricter = { ...rules, version: 'province-2021-12-01', admit: { ...rules.admit, '2': ['green'] } };

  it('loads a signed file and its rules apply', () => {
    const loaded = loadSignedRules(write(stricter), ring);
    expect(loaded.version).toBe('province-2021-12-01');
    expect(
      decide(facts({ firstDoseDate: '2021-09-01' }), policyFor(loaded, 's-1', {}, 2), scan).verdict,
    ).toBe('REFUSE');
  });
  it('refuses unsigned, tampered, foreign-key and malformed files, saying why', () => {
    expect(() => loadSignedRules(write(stricter, false), ring)).toThrow(/unsigned rules are refused/);
    const file = write(stricter);
    writeFileSync(
      file,
      JSON.stringify({ ...stricter, admit: { ...stricter.admit, '4': ['green', 'yellow', 'red'] } }),
    );
    expect(() => loadSignedRules(file, ring)).toThrow(/signature does not match/);
    expect(() => loadSignedRules(write(stricter), new KeyRing())).toThrow(/does not trust/);
    expect(() =>
      loadSignedRules(
        write({
          ...stricter,
          colour: {
            ...stricter.colour,
            rules: [{ id: 'x', colour: 'green', reason: 'x', logic: { nope: [] } }],
          },
        }),
        ring,
      ),
    ).toThrow(/unrecognised operator/);
    expect(() => parseRuleSet({ schema: 'qrkiosk.rules/1' }, 'x')).toThrow(/not a qrkiosk rules file/);
  });
  it('hot-reloads: a new signed version replaces the rules, a bad one is refused and the old rules stay', () => {
    const file = write(stricter);
    const seen: string[] = [];
    const source = new RulesSource(file, ring, pino({ level: 'silent' }), (r) => seen.push(r.version));
    source.start();
    source.stop();
    expect(source.rules.version).toBe('province-2021-12-01');
    const next = { ...stricter, version: 'province-2021-12-15' };
    const bytes = Buffer.from(JSON.stringify(next));
    writeFileSync(file, bytes);
    writeFileSync(`${file}.sig`, JSON.stringify(signRules(bytes, privateKey, keyId(publicKey))));
    expect(source.reload()).toBe(true);
    expect(source.rules.version).toBe('province-2021-12-15');
    writeFileSync(file, JSON.stringify({ ...next, version: 'forged' }));
    expect(source.reload()).toBe(false);
    expect(source.rules.version).toBe('province-2021-12-15');
    expect(seen).toEqual(['province-2021-12-01', 'province-2021-12-15']);
  });
  it('falls back to the built-in rules when there is no file', () => {
    const source = new RulesSource(
      join(makeTempDir('rules-'), 'absent.json'),
      ring,
      pino({ level: 'silent' }),
    );
    source.start();
    source.stop();
    expect(source.rules.version).toBe(builtinRules().version);
    expect(source.source).toBe('built-in');
  });
});
