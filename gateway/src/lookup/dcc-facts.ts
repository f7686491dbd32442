import { type Facts, NO_FACTS } from '@qrkiosk/protocol';
import type { DccReport } from '../decode/index.js';

/** SNOMED CT "not detected": the only negative test result in the DCC value set. */
const NOT_DETECTED = '260415000';
/** LOINC LP6464-4: nucleic acid amplification (PCR). LP217198-3 is a rapid antigen test. */
const NAAT = 'LP6464-4';

const day = (v: unknown): string | null =>
  typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : null;
const instant = (v: unknown): string | null => {
  if (typeof v !== 'string') return null;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : new Date(t).toISOString();
};

/**
 * A verified DCC carries the facts itself, so the same rules judge it as the cache's facts:
 * vaccination dn/sd/dt, test tt/sc/tr, recovery fr. For dn ≥ 2 the first-dose date is not in the
 * code; the last dose date stands in for it (the first dose can only have been earlier).
 */
export function factsFromDcc(report: DccReport, today: string): Facts | null {
  const e = report.entry;
  if (!e || !report.type) return null;
  const base: Facts = { ...NO_FACTS, source: 'dcc', updatedOn: today };
  if (report.type === 'vaccination') {
    const dn = typeof e.dn === 'number' ? e.dn : null;
    const sd = typeof e.sd === 'number' ? e.sd : null;
    const dt = day(e.dt);
    return {
      ...base,
      dosesReceived: dn,
      primarySeriesComplete: dn !== null && sd !== null ? dn >= sd : null,
      firstDoseDate: dt,
      lastDoseDate: dt,
    };
  }
  if (report.type === 'test') {
    if (e.tr !== NOT_DETECTED) return base;
    return { ...base, negativeTestAt: instant(e.sc), negativeTestType: e.tt === NAAT ? 'pcr' : 'rat' };
  }
  return { ...base, recoveredDate: day(e.fr) };
}
