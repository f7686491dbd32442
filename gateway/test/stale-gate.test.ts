/**
 * The stale-data gate alone (decide/stale-gate.ts): which admissions each stale kind holds back. Decisions
 * come from the real decide() on the built-in rules; only the stale set is given.
 */
import type { DataKind } from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';
import { builtinRules, decide, guardStaleData, policyFor } from '../src/decide/index.js';
import { F0, GREEN } from './kiosk-rig.js';

const at = new Date('2021-10-15T03:00:00Z');
const policy = policyFor(builtinRules(), 's-001', { level: 2, unknownPerson: 'ALLOW' });
const allow = decide(GREEN, policy, at);
const refuse = decide(F0, policy, at);
const unknown = decide(null, policy, at);
const set = (...kinds: DataKind[]) => new Set<DataKind>(kinds);
const CARD = { dcc: false, pass: false, exit: false };
const DCC = { dcc: true, pass: false, exit: false };
/** A printed pass: its holder's facts come from the cache, who the holder is (and revocation) from the pass list. */
const PASS = { dcc: false, pass: true, exit: false };

describe('guardStaleData', () => {
  it('the decisions it starts from', () => {
    expect(allow).toMatchObject({ verdict: 'ALLOW', colour: 'green' });
    expect(refuse).toMatchObject({ verdict: 'REFUSE', reason: { code: 'case-f0' } });
    expect(unknown).toMatchObject({ verdict: 'ALLOW', reason: { code: 'unknown-person' } });
  });

  it('stale rules hold every admission of a person, from the cache or a vaccine passport', () => {
    for (const on of [CARD, DCC, PASS])
      expect(guardStaleData(allow, on, set('rules'))).toMatchObject({
        verdict: 'REVIEW',
        colour: null,
        reason: { code: 'data-stale', text: { vi: 'Dữ liệu quá cũ — kiểm tra giấy tờ' } },
        decidedBy: ['data-stale-rules', ...allow.decidedBy],
      });
  });

  it('stale facts hold what the cache decided, an unknown person admitted by the site too, not a passport', () => {
    expect(guardStaleData(allow, CARD, set('facts')).verdict).toBe('REVIEW');
    expect(guardStaleData(unknown, CARD, set('facts')).decidedBy).toEqual(['data-stale-facts']);
    expect(guardStaleData(allow, DCC, set('facts'))).toBe(allow);
  });

  it('a stale trust or revocation list holds passports only', () => {
    expect(guardStaleData(allow, DCC, set('trust', 'revocation')).decidedBy.slice(0, 2)).toEqual([
      'data-stale-trust',
      'data-stale-revocation',
    ]);
    expect(guardStaleData(allow, CARD, set('trust', 'revocation'))).toBe(allow);
    expect(guardStaleData(allow, PASS, set('trust', 'revocation'))).toBe(allow);
  });

  it('a stale pass list holds admissions on a pass only (a lost card may have been revoked since)', () => {
    expect(guardStaleData(allow, PASS, set('passes'))).toMatchObject({
      verdict: 'REVIEW',
      decidedBy: ['data-stale-passes', ...allow.decidedBy],
    });
    expect(guardStaleData(allow, PASS, set('facts', 'passes')).decidedBy.slice(0, 2)).toEqual([
      'data-stale-facts',
      'data-stale-passes',
    ]);
    expect(guardStaleData(allow, CARD, set('passes'))).toBe(allow);
    expect(guardStaleData(allow, DCC, set('passes'))).toBe(allow);
    expect(guardStaleData(allow, { ...PASS, exit: true }, set('passes'))).toBe(allow);
  });

  it('never changes a refusal, a REVIEW, or an exit; nothing stale changes nothing', () => {
    const all = set('facts', 'rules', 'trust', 'revocation', 'passes');
    expect(guardStaleData(refuse, CARD, all)).toBe(refuse);
    const review = guardStaleData(allow, CARD, set('rules'));
    expect(guardStaleData(review, CARD, all)).toBe(review);
    expect(guardStaleData(allow, { ...CARD, exit: true }, all)).toBe(allow);
    expect(guardStaleData(allow, { ...DCC, exit: true }, all)).toBe(allow);
    expect(guardStaleData(allow, { ...PASS, exit: true }, all)).toBe(allow);
    expect(guardStaleData(allow, CARD, set())).toBe(allow);
  });
});
