import { describe, expect, it } from 'vitest';
import { decide } from '../src/decide/index.js';
import { type Facts, NO_FACTS } from '../src/lookup/index.js';
import { settingsFromText } from '../src/settings/index.js';

const rules = settingsFromText('kiosk: { id: k-1, site: s-1 }', 't.yaml', {}).settings.rules;
// 10:00 in Vietnam on 30/10/2021 (03:00 UTC).
const scan = new Date('2021-10-30T03:00:00Z');
const facts = (f: Partial<Facts>): Facts => ({ ...NO_FACTS, ...f });

describe('colour and verdict at the boundaries (level 2 admits green and yellow)', () => {
  it('13 days after the second dose is not yet green; 14 is', () => {
    const f = (d: string) => facts({ primarySeriesComplete: true, dosesReceived: 2, lastDoseDate: d });
    expect(decide(f('2021-10-17'), rules, scan)).toMatchObject({ colour: 'red', verdict: 'REFUSE' });
    expect(decide(f('2021-10-16'), rules, scan)).toMatchObject({ colour: 'green', verdict: 'ALLOW' });
  });
  it('counts days in Vietnam time, not UTC', () => {
    // 23:30 UTC on 29/10 is already 30/10 in Vietnam: 14 days after 16/10.
    const late = new Date('2021-10-29T17:30:00Z');
    const f = facts({ primarySeriesComplete: true, lastDoseDate: '2021-10-16' });
    expect(decide(f, rules, late).colour).toBe('green');
    expect(decide(f, rules, new Date('2021-10-29T16:59:00Z')).colour).toBe('red');
  });
  it('a first dose 14 days ago is yellow', () => {
    expect(decide(facts({ firstDoseDate: '2021-10-16' }), rules, scan)).toMatchObject({
      colour: 'yellow',
      verdict: 'ALLOW',
    });
    expect(decide(facts({ firstDoseDate: '2021-10-17' }), rules, scan).colour).toBe('red');
  });
  it('a negative PCR is yellow for exactly 72 hours', () => {
    const at = (ms: number) => new Date(scan.getTime() - ms).toISOString();
    const pcr = (iso: string) => facts({ negativeTestAt: iso, negativeTestType: 'pcr' });
    expect(decide(pcr(at(72 * 3600e3 - 60e3)), rules, scan).colour).toBe('yellow');
    expect(decide(pcr(at(72 * 3600e3)), rules, scan).colour).toBe('yellow');
    expect(decide(pcr(at(72 * 3600e3 + 60e3)), rules, scan).colour).toBe('red');
    expect(decide(facts({ negativeTestAt: at(3600e3), negativeTestType: 'rat' }), rules, scan).colour).toBe(
      'red',
    );
  });
  it('recovery is green for 180 days, not 181', () => {
    expect(decide(facts({ recoveredDate: '2021-05-03' }), rules, scan).colour).toBe('green');
    expect(decide(facts({ recoveredDate: '2021-05-02' }), rules, scan).colour).toBe('red');
  });
  it('refuses F0 and F1 whatever the colour, until the case ends', () => {
    const green = { primarySeriesComplete: true, lastDoseDate: '2021-09-01' };
    expect(decide(facts({ ...green, caseStatus: 'f0', caseUntil: null }), rules, scan)).toMatchObject({
      verdict: 'REFUSE',
      reason: { code: 'case-f0' },
    });
    expect(
      decide(facts({ ...green, caseStatus: 'f1', caseUntil: '2021-10-30' }), rules, scan).reason.code,
    ).toBe('case-f1');
    expect(decide(facts({ ...green, caseStatus: 'f1', caseUntil: '2021-10-29' }), rules, scan).verdict).toBe(
      'ALLOW',
    );
  });
  it('gives an unknown person the configured verdict with no colour', () => {
    expect(decide(null, rules, scan)).toMatchObject({
      verdict: 'REVIEW',
      colour: null,
      reason: { code: 'unknown-person' },
    });
    expect(decide(null, { ...rules, unknownPerson: 'REFUSE' }, scan).verdict).toBe('REFUSE');
  });
  it('admits by the colours configured for the level', () => {
    const yellow = facts({ firstDoseDate: '2021-09-01' });
    expect(decide(yellow, { ...rules, level: 4 }, scan).verdict).toBe('REFUSE');
    expect(decide(facts({}), { ...rules, level: 1 }, scan)).toMatchObject({
      verdict: 'ALLOW',
      colour: 'red',
    });
  });
});
