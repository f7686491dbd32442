import { type Facts, vnDay } from '@qrkiosk/protocol';

/** Whole days between two local dates (`YYYY-MM-DD`), b − a. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/**
 * What the rules see: the facts, plus durations computed exactly at the scan — day counts between
 * Vietnam-local calendar dates (UTC+7), the test's age in whole seconds — and which are known.
 * CertLogic compares integers only and has no null literal, hence the `known` flags.
 */
export function ruleInput(facts: Facts, at: Date, level: number) {
  const today = vnDay(at);
  const since = (date: string | null) => (date ? daysBetween(date.slice(0, 10), today) : null);
  const testAt = facts.negativeTestAt ? Date.parse(facts.negativeTestAt) : Number.NaN;
  return {
    facts,
    scan: { localDate: today, instant: at.toISOString(), level },
    derived: {
      daysSinceFirstDose: since(facts.firstDoseDate),
      daysSinceLastDose: since(facts.lastDoseDate),
      daysSinceRecovery: since(facts.recoveredDate),
      secondsSinceNegativeTest: Number.isNaN(testAt) ? null : Math.floor((at.getTime() - testAt) / 1000),
      daysUntilCaseEnds: facts.caseUntil ? daysBetween(today, facts.caseUntil) : null,
    },
    known: {
      firstDose: facts.firstDoseDate !== null,
      lastDose: facts.lastDoseDate !== null,
      recovery: facts.recoveredDate !== null,
      negativeTest: !Number.isNaN(testAt),
      caseUntil: facts.caseUntil !== null,
    },
  };
}
