import type { Facts } from '@qrkiosk/protocol';
import type { Decision } from './index.js';

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

/**
 * A decision as it may be shown while the wall clock is not trusted (gateway/src/time/clock-watch.ts).
 * An admission that rests on dates (14 days after a dose, a 72 h test, 180 days after recovery, a case
 * that has ended, a DCC's validity) was computed on a clock that may be days off: it becomes REVIEW
 * and the guard checks the papers. Nothing else changes: a refusal stays a refusal (never greener),
 * and verdicts that read no date (an unknown person's site verdict, a place's QR, a REVIEW already)
 * stay as they are. The colour is dropped with the admission: it was computed on the same clock.
 */
export function guardUnsyncedClock(decision: Decision, facts: Facts | null, synced: boolean): Decision {
  if (synced || decision.verdict !== 'ALLOW' || !facts || !hasDates(facts)) return decision;
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: CLOCK_UNSYNCED_REASON,
    decidedBy: ['clock-unsynced', ...decision.decidedBy],
    repeat: decision.repeat,
  };
}
