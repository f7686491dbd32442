import {
  type CheckinMessage,
  type OutcomeKind,
  type OutcomeMessage,
  peopleInside,
  TALLY_PERSON_PREFIX,
  type TallyMessage,
  tallyMovements,
} from '@qrkiosk/protocol';
import { reason } from '../decide/index.js';
import { type ScreenCheckin, screenCheckin } from './guard.js';

/**
 * A verify-only site's tally as reception lists it (issue #19): time, kind, verdict, reason — no name,
 * no number, as the tally holds none. The guard can still admit or refuse a REVIEW and mark an entry
 * as left by its id; nothing on the page names the person.
 */
export const screenTally = (t: TallyMessage): ScreenCheckin => ({
  id: t.id,
  at: t.at,
  direction: t.direction,
  verdict: t.verdict,
  reason: { code: t.reason, ...reason(t.reason).text },
  document: { kind: t.kind, nameMasked: null, numberMasked: null },
});

/** A reception row: the check-in as decided, and the guard's outcome when a REVIEW has one. */
export type ReceptionRow = ScreenCheckin & { outcome?: OutcomeKind; left?: true; notEntered?: true };

export interface ReceptionToday {
  checkins: ReceptionRow[];
  /** People let in today (ALLOW, manual, or a REVIEW the guard admitted), each person once. */
  in: number;
  /** People who went out through an `out` kiosk, each person once. */
  out: number;
  /** People whose last admitted movement today was in (protocol's peopleInside, as the door counts). */
  occupancy: number;
  /** People refused (REFUSE, or a REVIEW the guard denied), each once; never counted as in. */
  refused: number;
  /** REVIEW check-ins no outcome resolves yet: the guard still has to decide. */
  pending: number;
}

/**
 * Reception's counts from today's journal (issue #13): only admitted people are "vào"/"đang ở
 * trong"; refused and pending checks are counted apart; a person checked in twice counts once (the
 * duplicate window only folds scans within minutes of each other). `checkins` newest first, as
 * Journal.since gives them; the outcome, not the REVIEW, decides whether a person went in. `tallies`:
 * a verify-only site's rows (no person: each tally counts as one of its own, as the hub counts them).
 */
export function receptionToday(
  checkins: CheckinMessage[],
  outcomes: OutcomeMessage[],
  tallies: TallyMessage[] = [],
): ReceptionToday {
  const outcomeOf = new Map<string, OutcomeKind>();
  const left = new Set<string>();
  // The door sensor saw nobody go through (issue #19): listed "không vào", never counted as in.
  const notEntered = new Set<string>();
  for (const o of outcomes) {
    if (o.outcome === 'left') left.add(o.checkin);
    else if (o.outcome === 'not-entered') notEntered.add(o.checkin);
    else if (!outcomeOf.has(o.checkin)) outcomeOf.set(o.checkin, o.outcome);
  }
  const wentIn = new Set<string>();
  const wentOut = new Set<string>();
  const refused = new Set<string>();
  let pending = 0;
  const rows = [
    ...checkins.map((c) => ({ c, row: screenCheckin(c), person: c.document.idHash })),
    ...tallies.map((t) => ({ c: t, row: screenTally(t), person: `${TALLY_PERSON_PREFIX}${t.id}` })),
  ];
  for (const { c, person } of rows) {
    const outcome = outcomeOf.get(c.id);
    const admitted = c.verdict === 'ALLOW' || outcome === 'admitted';
    if (c.verdict === 'REVIEW' && outcome === undefined) pending++;
    if (c.verdict === 'REFUSE' || outcome === 'denied') refused.add(person);
    if (!admitted || notEntered.has(c.id)) continue;
    (c.direction === 'in' ? wentIn : wentOut).add(person);
    if (left.has(c.id)) wentOut.add(person);
  }
  const inside = peopleInside(
    [
      ...checkins.map((c) => ({
        id: c.id,
        at: c.at,
        direction: c.direction,
        verdict: c.verdict,
        idHash: c.document.idHash,
      })),
      ...tallyMovements(tallies, outcomes),
    ],
    outcomes,
  );
  // Newest first, check-ins and tallies together (a site switched to verify-only today has both);
  // within one millisecond the later ULID (one kiosk mints them in order) first.
  rows.sort((a, b) => Date.parse(b.c.at) - Date.parse(a.c.at) || (a.c.id < b.c.id ? 1 : -1));
  return {
    checkins: rows.map(({ c, row }) => {
      const outcome = outcomeOf.get(c.id);
      return {
        ...row,
        ...(outcome ? { outcome } : {}),
        ...(left.has(c.id) ? { left: true as const } : {}),
        ...(notEntered.has(c.id) ? { notEntered: true as const } : {}),
      };
    }),
    in: wentIn.size,
    out: wentOut.size,
    occupancy: inside.size,
    refused: refused.size,
    pending,
  };
}
