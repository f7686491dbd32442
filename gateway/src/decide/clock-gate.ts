import type { Facts } from '@qrkiosk/protocol';
import type { RuleSet } from './rules.js';
import type { Decision } from './types.js';

/** The reason shown and journaled when a date-dependent admission is held back by an unsynced clock. */
export const CLOCK_UNSYNCED_REASON: Decision['reason'] = {
  code: 'clock-unsynced',
  text: {
    vi: 'Đồng hồ chưa đồng bộ — kiểm tra giấy tờ',
    en: 'Clock not synchronised — check documents',
  },
};

/** Facts whose verdict moves with the date: dose and recovery days, a test's age, a case's end. */
function hasDates(facts: Facts): boolean {
  return (
    facts.firstDoseDate !== null ||
    facts.lastDoseDate !== null ||
    facts.recoveredDate !== null ||
    facts.negativeTestAt !== null ||
    facts.caseUntil !== null
  );
}

const readsTheDate = new WeakMap<RuleSet, boolean>();

/**
 * Whether any rule of the set reads the scan's date or instant (`scan.localDate`, `scan.instant`, or
 * `scan` whole): such a rule can admit on the clock alone — a window of days, a deadline — so its
 * ALLOW is no better than the clock. Computed once per rule set.
 */
export function rulesReadTheDate(rules: RuleSet): boolean {
  let reads = readsTheDate.get(rules);
  if (reads === undefined) {
    const text = JSON.stringify([rules.colour.rules.map((r) => r.logic), rules.refuse.map((r) => r.logic)]);
    reads = /"var":\s*(\[\s*)?"scan(\.localDate|\.instant)?"/.test(text);
    readsTheDate.set(rules, reads);
  }
  return reads;
}

/**
 * A decision as it may be shown while the wall clock is not trusted (gateway/src/time/clock-watch.ts).
 * An admission that rests on dates (14 days after a dose, a 72 h test, 180 days after recovery, a case
 * that has ended, a DCC's validity) was computed on a clock that may be days off: it becomes REVIEW
 * and the guard checks the papers. Nothing else changes: a refusal stays a refusal (never greener),
 * and verdicts that read no date (an unknown person's site verdict, a place's QR, a REVIEW already)
 * stay as they are. The colour is dropped with the admission: it was computed on the same clock.
 * `rules`: when a rule reads the scan's date itself, every admission by the rules rests on the clock.
 */
export function guardUnsyncedClock(
  decision: Decision,
  facts: Facts | null,
  synced: boolean,
  rules?: RuleSet,
): Decision {
  if (synced || decision.verdict !== 'ALLOW' || !facts) return decision;
  if (!hasDates(facts) && !(rules && rulesReadTheDate(rules))) return decision;
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: CLOCK_UNSYNCED_REASON,
    decidedBy: ['clock-unsynced', ...decision.decidedBy],
    repeat: decision.repeat,
  };
}
