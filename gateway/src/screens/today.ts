import { type CheckinMessage, type OutcomeKind, type OutcomeMessage, peopleInside } from '@qrkiosk/protocol';
import { type ScreenCheckin, screenCheckin } from './guard.js';

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
 * Journal.since gives them; the outcome, not the REVIEW, decides whether a person went in.
 */
export function receptionToday(checkins: CheckinMessage[], outcomes: OutcomeMessage[]): ReceptionToday {
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
  for (const c of checkins) {
    const outcome = outcomeOf.get(c.id);
    const admitted = c.verdict === 'ALLOW' || outcome === 'admitted';
    if (c.verdict === 'REVIEW' && outcome === undefined) pending++;
    if (c.verdict === 'REFUSE' || outcome === 'denied') refused.add(c.document.idHash);
    if (!admitted || notEntered.has(c.id)) continue;
    (c.direction === 'in' ? wentIn : wentOut).add(c.document.idHash);
    if (left.has(c.id)) wentOut.add(c.document.idHash);
  }
  const inside = peopleInside(
    checkins.map((c) => ({
      id: c.id,
      at: c.at,
      direction: c.direction,
      verdict: c.verdict,
      idHash: c.document.idHash,
    })),
    outcomes,
  );
  return {
    checkins: checkins.map((c) => {
      const outcome = outcomeOf.get(c.id);
      return {
        ...screenCheckin(c),
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
