import type { DocumentKind } from '@qrkiosk/protocol';

/**
 * The shape of a trace's answer (`qrkiosk-hub trace --json`, POST /api/trace format 'json'): a
 * contract other tools and the tracing page read, so it changes only with its schema name.
 */
export const TRACE_SCHEMA = 'qrkiosk.trace/1';

/**
 * F2 bounds: at most this many F1 people are followed further (the most exposed first) and at most
 * this many F2 people listed. A large F1 list (a market) would otherwise fan out to a district.
 */
export const F2_LIMITS = { f1ForF2: 200, f2People: 2000 } as const;

/** One visit of the traced person (the F0), with the site's register entry. */
export interface TraceVisitRow {
  checkin: string;
  /** ISO-8601 UTC. */
  at: string;
  site: string;
  siteName: string;
  siteAddress: string;
  district: string;
  ward: string;
  kiosk: string;
  kind: DocumentKind;
  numberMasked: string;
  /** Distinct people (not check-ins) whose stay overlapped this one. */
  coVisitors: number;
  /** The door sensor saw nobody go through (issue #19): "không vào", no stay, 0 co-visitors. */
  notEntered?: true;
}

/** One meeting of a co-visitor with the F0 (level 1) or with an F1 (level 2, `via`). */
export interface TraceContact {
  /** The check-in id of the F0's visit (level 1) or of the F1's visit (level 2). */
  visit: string;
  via?: string;
  site: string;
  siteName: string;
  siteAddress: string;
  /** The co-visitor's first check-in of this meeting, ISO-8601 UTC. */
  at: string;
  overlapMinutes: number;
}

/** A revealed identity: only in an answer, never stored. */
export interface RevealedIdentity {
  kind: DocumentKind;
  number: string;
  name: string;
  dob?: string;
  phone?: string;
}

export interface TracePerson {
  ref: string;
  level: 1 | 2;
  /** How many of this person's check-ins met the F0 (or the F1). */
  checkins: number;
  /** The sum of the contacts' overlap minutes. */
  overlapMinutes: number;
  documents: Array<{ kind: DocumentKind; numberMasked: string; nameMasked: string }>;
  contacts: TraceContact[];
  identities?: RevealedIdentity[];
  /** Check-ins whose sealed identity was not opened: another key, a damaged box, or none sealed. */
  unopened?: number;
}

export interface TraceResult {
  schema: typeof TRACE_SCHEMA;
  case: string;
  ranBy: string;
  /** ISO-8601 UTC. */
  ranAt: string;
  query: { type: string; idMasked: string; from: string; to: string; window: number; f2: boolean };
  revealed: boolean;
  /** The linked identity hashes followed for the F0 (one person across documents). */
  identities: number;
  visits: TraceVisitRow[];
  people: TracePerson[];
  counts: { visits: number; f1People: number; f1Checkins: number; f2People: number; f2Checkins: number };
  limits: { f1ForF2: number; f2People: number; truncated: boolean };
  /**
   * Sites (in the user's scope) that sent verify-only tallies in the period: they keep no register,
   * so the case may have been there and nobody can tell (issue #19). Absent when there are none.
   */
  verifyOnlySites?: string[];
  /** Their names from the site directory ('' for a site the directory does not know), by site id. */
  verifyOnlySiteNames?: Record<string, string>;
}

/** The verify-only sites as people read them: "Name (s-009)", or the id alone when it has no name. */
export const verifyOnlyLabels = (r: Pick<TraceResult, 'verifyOnlySites' | 'verifyOnlySiteNames'>): string[] =>
  (r.verifyOnlySites ?? []).map((s) => {
    const name = r.verifyOnlySiteNames?.[s];
    return name ? `${name} (${s})` : s;
  });

/** What the CLI and the CSV say when a period has verify-only sites (the page and the print say the same). */
export const VERIFY_ONLY_NOTE = {
  vi: 'Địa điểm chỉ kiểm tra, không lưu danh sách — không thể truy vết tại đó:',
  en: 'Verify-only sites keep no register — tracing is impossible there:',
};
