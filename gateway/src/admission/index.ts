import type { DataKind, Direction } from '@qrkiosk/protocol';
import { type Colour, type Facts, type Verdict, vnDay } from '@qrkiosk/protocol';
import {
  type Decision,
  decide,
  decideRepeat,
  decideUndecoded,
  guardOccupancy,
  guardStaleData,
  guardUnsyncedClock,
  type OccupancyNow,
  type Policy,
} from '../decide/index.js';
import { type DecodeContext, type DecodeResult, decodePayload } from '../decode/index.js';
import { factsFromDcc, type IdentityKey, identityKeys } from '../lookup/index.js';

/** The person's last journaled check-in within the duplicate window (Journal.lastRecent). */
export interface RecentCheckin {
  verdict: Verdict;
  colour: Colour;
  at: string;
  reason: string;
  outcome: 'admitted' | 'denied' | null;
}

/**
 * Everything admission reads, passed in: the same function decides for `scan()` (with the journal's
 * duplicate window, the occupancy count and the clock watch) and for `qrkiosk check` (with none of
 * them: no journal is opened, nothing is recorded).
 */
export interface AdmissionContext {
  at: Date;
  /** The wall clock is trusted (ClockWatch); `check` passes true: its time is given. */
  synced: boolean;
  /** DSC trust store and revocation list in force. */
  decode: DecodeContext;
  /** The deployment identity hash key. */
  hashKey: Buffer;
  /** The policy for this scan; asked only for a code that names a person (the kiosk's may reopen the cache). */
  policy: () => Policy;
  /** The cache's facts for a person; may throw (the person then counts as unknown: see `admitDecoded`). */
  lookup: (keys: IdentityKey[]) => Facts | null;
  /** Told when `lookup` threw (the kiosk raises its cache fault); its default is to ignore it. */
  lookupFailed?: (err: unknown) => void;
  /** The duplicate window: the person's last check-in within it. Left out: no window (`check`). */
  previous?: (idHash: string) => RecentCheckin | undefined;
  /** The occupancy gate (this kiosk's direction and the count). Left out: no gate (`check`). */
  occupancy?: { direction: Direction; now: () => OccupancyNow };
  /** The kinds of data past their limit (freshness/): admissions resting on them are REVIEW. Left out: none. */
  stale?: () => ReadonlySet<DataKind>;
}

/** What admission came to. `record`: a new check-in to journal (the caller commits it, then signals). */
export type Admission =
  | { record: false; decoded: DecodeResult; decision: Decision; previous?: { at: string; reason: string } }
  | { record: true; decoded: DecodeResult; decision: Decision; idHash: string; links: string[] };

/** decode → duplicate window → lookup → decide, for one frame's text. Records nothing. */
export function admit(text: string, ctx: AdmissionContext): Admission {
  return admitDecoded(decodeText(text, ctx), ctx);
}

/** The decode step alone (scan() keeps the decode result for its record-failed outcome). */
export function decodeText(text: string, ctx: Pick<AdmissionContext, 'decode'>): DecodeResult {
  return decodePayload(text, ctx.decode);
}

/** duplicate window → lookup → decide, with the clock gate, the stale-data gate, the occupancy gate and revoked DCCs. */
export function admitDecoded(decoded: DecodeResult, ctx: AdmissionContext): Admission {
  const { at } = ctx;
  // A revoked DCC names a person too: its refusal is journaled and sent like any other.
  const revoked = !decoded.ok;
  if (revoked && decoded.error?.code !== 'dcc-revoked')
    return { record: false, decoded, decision: decideUndecoded(decoded) };
  const keys = identityKeys(revoked ? { ...decoded, ok: true } : decoded, ctx.hashKey);
  const primary = keys[0];
  if (!primary) return { record: false, decoded, decision: decideUndecoded(decoded) };
  const idHash = primary.hash.toString('hex');
  // The other keys' hashes travel with the check-in (document.links, at most 4): the hub links the person's
  // documents with them. Distinct types hash apart, so they never repeat the primary.
  const links = keys.slice(1, 5).map((k) => k.hash.toString('hex'));
  let policy = ctx.policy(); // first: the kiosk's reopens a cache that was unavailable
  let facts: Facts | null = null;
  try {
    // A verified vaccine passport carries its own facts; every other code is looked up.
    if (!revoked)
      facts = decoded.kind === 'dcc' && decoded.dcc ? factsFromDcc(decoded.dcc, vnDay(at)) : ctx.lookup(keys);
  } catch (err) {
    // A cache that fails to read: the person counts as unknown, and unknown is at most REVIEW here
    // (a site that refuses unknown people keeps refusing) — never the site's ALLOW, never a green.
    ctx.lookupFailed?.(err);
    facts = null;
    if (policy.unknownPerson !== 'REFUSE') policy = { ...policy, unknownPerson: 'REVIEW' };
  }
  const previous = ctx.previous?.(idHash);
  // Let in within the window (ALLOW, or a REVIEW the guard admitted): scanning again at the door is
  // not a second entry, so the occupancy cap does not hold it.
  const letIn = previous !== undefined && (previous.verdict === 'ALLOW' || previous.outcome === 'admitted');
  const { occupancy } = ctx;
  const gate = (decided: Decision) =>
    occupancy
      ? guardOccupancy(
          decided,
          policy,
          { direction: occupancy.direction, alreadyInside: letIn },
          occupancy.now,
        )
      : decided;
  // A revoked DCC is refused outright (decideUndecoded): no gate can make it greener.
  const clockGated = () => guardUnsyncedClock(decide(facts, policy, at), facts, ctx.synced, policy.rules);
  // Decided on a verified vaccine passport's own facts (the same test as the lookup's above).
  const dcc = decoded.kind === 'dcc' && decoded.dcc !== undefined;
  const decision = revoked
    ? decideUndecoded(decoded)
    : gate(
        ctx.stale
          ? guardStaleData(
              clockGated(),
              { dcc, pass: decoded.kind === 'pass', exit: occupancy?.direction === 'out' },
              ctx.stale(),
            )
          : clockGated(),
      );
  // The earlier verdict is shown only when it is still today's: a person refused since (an F0 in
  // between) gets the new decision, journaled, never the earlier green. A REVIEW the guard admitted
  // is a repeat of an admission for a scan that is ALLOW now: no second row, no second relay.
  if (
    previous &&
    ((previous.verdict === decision.verdict && previous.colour === decision.colour) ||
      (previous.outcome === 'admitted' && decision.verdict === 'ALLOW'))
  )
    return {
      record: false,
      decoded,
      decision: decideRepeat(previous),
      previous: { at: previous.at, reason: previous.reason },
    };
  return { record: true, decoded, decision, idHash, links };
}
