/**
 * The occupancy cap's parts (issue #13, item 8): the shared count (protocol's peopleInside, which
 * kiosk, reception and hub all use), the gate on a decision, and where the cap comes from.
 */
import { type Movement, type MovementOutcome, peopleInside } from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';
import {
  builtinRules,
  type Decision,
  guardOccupancy,
  parseRuleSet,
  policyFor,
  reason,
} from '../src/decide/index.js';

const at = (min: number) => new Date(Date.UTC(2021, 9, 15, 2, min)).toISOString();
const move = (id: string, who: string, min: number, o: Partial<Movement> = {}): Movement => ({
  id,
  idHash: who,
  at: at(min),
  direction: 'in',
  verdict: 'ALLOW',
  ...o,
});

describe('peopleInside: who is inside by their last admitted movement', () => {
  it('counts admitted people once, never refusals or pending reviews', () => {
    const moves = [
      move('c1', 'p1', 1),
      move('c2', 'p1', 2), // the same person again: once
      move('c3', 'p2', 3, { verdict: 'REFUSE' }),
      move('c4', 'p3', 4, { verdict: 'REVIEW' }), // pending: not inside
      move('c5', 'p4', 5, { verdict: 'REVIEW' }),
    ];
    const outcomes: MovementOutcome[] = [{ checkin: 'c5', outcome: 'admitted', at: at(6) }];
    expect([...peopleInside(moves, outcomes)].sort()).toEqual(['p1', 'p4']);
  });

  it('an exit (out kiosk, or a `left` outcome) takes the person out at its time; order of input does not matter', () => {
    const moves = [
      move('c3', 'p1', 30), // back in after leaving
      move('c2', 'p2', 20, { direction: 'out' }),
      move('c1', 'p1', 1),
      move('c0', 'p2', 0),
      move('c4', 'p3', 5),
    ];
    const outcomes: MovementOutcome[] = [
      { checkin: 'c1', outcome: 'left', at: at(10) },
      { checkin: 'c4', outcome: 'left', at: at(40) },
      { checkin: 'c4', outcome: 'denied', at: at(6) }, // says nothing about movement
    ];
    expect([...peopleInside(moves, outcomes)]).toEqual(['p1']);
    expect([...peopleInside([...moves].reverse(), [...outcomes].reverse())]).toEqual(['p1']);
  });

  it('a `left` for a refused or pending check-in moves nobody', () => {
    const moves = [move('c1', 'p1', 1, { verdict: 'REVIEW' }), move('c2', 'p2', 2)];
    expect([...peopleInside(moves, [{ checkin: 'c1', outcome: 'left', at: at(3) }])]).toEqual(['p2']);
  });
});

const allow: Decision = {
  verdict: 'ALLOW',
  colour: 'green',
  reason: reason('admitted-green'),
  decidedBy: ['green', 'level-2'],
  repeat: false,
};

describe('guardOccupancy: at the cap, an entry that would be admitted is held for review', () => {
  const entry = { direction: 'in' as const, alreadyInside: false };
  it('holds at the cap, with the count and whose it is; the colour stays the person’s', () => {
    const held = guardOccupancy(allow, { maxInside: 2 }, entry, () => ({ inside: 2, scope: 'site' }));
    expect(held).toMatchObject({
      verdict: 'REVIEW',
      colour: 'green',
      reason: { code: 'occupancy-full', text: { vi: 'Đã đủ số người (2/2) — chờ người ra' } },
      decidedBy: ['occupancy-site', 'green', 'level-2'],
    });
    expect(guardOccupancy(allow, { maxInside: 2 }, entry, () => ({ inside: 1, scope: 'kiosk' }))).toBe(allow);
  });

  it('never touches a refusal or a review, an exit kiosk, a person inside, or a site with no cap', () => {
    const full = () => ({ inside: 99, scope: 'site' as const });
    const refuse: Decision = { ...allow, verdict: 'REFUSE', colour: 'red', reason: reason('case-f0') };
    expect(guardOccupancy(refuse, { maxInside: 2 }, entry, full)).toBe(refuse);
    expect(guardOccupancy(allow, { maxInside: 2 }, { ...entry, direction: 'out' }, full)).toBe(allow);
    expect(guardOccupancy(allow, { maxInside: 2 }, { ...entry, alreadyInside: true }, full)).toBe(allow);
    expect(guardOccupancy(allow, {}, entry, full)).toBe(allow);
    // A count that could not be read holds every entry: never "nobody inside".
    expect(
      guardOccupancy(allow, { maxInside: 2 }, entry, () => ({ inside: 0, scope: 'kiosk', unknown: true })),
    ).toMatchObject({ verdict: 'REVIEW', reason: { code: 'occupancy-unknown' } });
    // A cap of 0 (closed at this level): nobody is admitted without the guard.
    expect(guardOccupancy(allow, { maxInside: 0 }, entry, () => ({ inside: 0, scope: 'site' })).verdict).toBe(
      'REVIEW',
    );
  });
});

describe('where the cap comes from', () => {
  const signed = parseRuleSet(
    { ...builtinRules(), sites: { 's-1': { maxInside: { '3': 30 } } } },
    'test rules',
  );
  it('the signed rules file’s caps for the site replace kiosk.yaml’s whole; else kiosk.yaml; per level', () => {
    const local = { maxInside: { '2': 100, '3': 50 } };
    expect(policyFor(signed, 's-1', { ...local, level: 3 }).maxInside).toBe(30);
    // The hub set no cap at level 2 for s-1: kiosk.yaml's level-2 cap is not kept beside its file.
    expect(policyFor(signed, 's-1', { ...local, level: 2 }).maxInside).toBeUndefined();
    expect(policyFor(signed, 's-2', { ...local, level: 2 }).maxInside).toBe(100);
    expect(policyFor(signed, 's-2', { level: 2 }).maxInside).toBeUndefined();
  });

  it('a rules file with a bad cap is refused, saying where', () => {
    expect(() =>
      parseRuleSet({ ...builtinRules(), sites: { 's-1': { maxInside: { '5': 10 } } } }, 'bad rules'),
    ).toThrow(/bad rules: not a qrkiosk rules file/);
    expect(() =>
      parseRuleSet({ ...builtinRules(), sites: { 's-1': { maxInside: { '2': -1 } } } }, 'bad rules'),
    ).toThrow(/maxInside/);
  });
});
