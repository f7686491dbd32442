/** What the kiosk knows of a person's Covid status. Unknown is null, never a guess. */
export interface Facts {
  dosesReceived: number | null;
  primarySeriesComplete: boolean | null;
  /** Local dates `YYYY-MM-DD`. */
  firstDoseDate: string | null;
  lastDoseDate: string | null;
  recoveredDate: string | null;
  /** ISO-8601 instant with offset. */
  negativeTestAt: string | null;
  negativeTestType: 'pcr' | 'rat' | null;
  caseStatus: 'none' | 'f0' | 'f1';
  caseUntil: string | null;
}

export const NO_FACTS: Facts = {
  dosesReceived: null,
  primarySeriesComplete: null,
  firstDoseDate: null,
  lastDoseDate: null,
  recoveredDate: null,
  negativeTestAt: null,
  negativeTestType: null,
  caseStatus: 'none',
  caseUntil: null,
};
