import { vnDay } from '@qrkiosk/protocol';
import type { Facts } from '../lookup/index.js';

export type CardColour = 'green' | 'yellow' | 'red';

/** Whole days between two local dates (`YYYY-MM-DD`), b − a. */
export function daysBetween(a: string, b: string): number {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

const HOUR = 3_600_000;

/**
 * Thẻ Covid colour at the scan moment (Khánh Hòa criteria, vn-formats.md). Day counts use the
 * local date in Vietnam (UTC+7): "≥14 days after the dose" is (local date of scan − dose date) ≥ 14.
 * The rule becomes data (CertLogic) with the cache issue; the boundaries here are the same.
 */
export function colourOf(facts: Facts, at: Date): { colour: CardColour; because: string } {
  const today = vnDay(at);
  const sinceDays = (date: string | null) => (date ? daysBetween(date, today) : null);
  const lastDose = sinceDays(facts.lastDoseDate);
  const recovered = sinceDays(facts.recoveredDate);
  if (facts.primarySeriesComplete && lastDose !== null && lastDose >= 14)
    return { colour: 'green', because: 'primary-series-complete' };
  if (recovered !== null && recovered >= 0 && recovered <= 180)
    return { colour: 'green', because: 'recovered' };
  const firstDose = sinceDays(facts.firstDoseDate);
  if (firstDose !== null && firstDose >= 14) return { colour: 'yellow', because: 'first-dose' };
  if (facts.negativeTestType === 'pcr' && facts.negativeTestAt) {
    const age = at.getTime() - Date.parse(facts.negativeTestAt);
    if (age >= 0 && age <= 72 * HOUR) return { colour: 'yellow', because: 'negative-pcr' };
  }
  return { colour: 'red', because: 'no-qualifying-fact' };
}
