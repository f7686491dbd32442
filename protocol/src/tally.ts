import { type Static, Type } from '@sinclair/typebox';
import { BootStamp } from './boot-stamp.js';
import { CHECKIN_ID_PATTERN, DECISION_FIELDS } from './checkin.js';
import { unstorableAt } from './instant.js';
import type { Movement, MovementOutcome } from './occupancy.js';
import { type Validation, validatorFor } from './validate.js';
import { Direction, DocumentKind, ID_PATTERN } from './vocabulary.js';

export const TALLY_SCHEMA_ID = 'qrkiosk.tally/1';

/**
 * One scan at a verify-only site (issue #19: the signed rules' `sites[site].verifyOnly`): what the
 * office needs for counting — time, verdict, reason, kind — and nothing that names a person. No
 * identity hash, no masked number or name, no sealed box, no links: tracing is impossible for such a
 * site by construction (Italy's onboarding rules forbid keeping or forwarding what the QR held; a
 * Vietnamese event may be told to verify without keeping a register). Published on the kiosk's
 * `…/checkin` topic and carried by the same journal (outbox) and receipt path as check-ins and
 * outcomes: the hub tells them apart by `schema`. `additionalProperties: false` is the guarantee: a
 * tally carrying an identity field is not a tally.
 */
export const TallyMessage = Type.Object(
  {
    schema: Type.Literal(TALLY_SCHEMA_ID),
    id: Type.String({ pattern: CHECKIN_ID_PATTERN, description: 'ULID, unique per tally' }),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
    direction: Direction,
    at: Type.String({ format: 'date-time', description: 'Scan time, ISO-8601 UTC' }),
    clockSynced: Type.Boolean({ description: 'false while the kiosk clock has not been synchronised' }),
    boot: BootStamp(
      'at the scan, the same clock telemetry reports',
      'present while the clock is not synced, as on a check-in',
    ),
    kind: DocumentKind,
    ...DECISION_FIELDS,
  },
  { $id: TALLY_SCHEMA_ID, additionalProperties: false },
);
export type TallyMessage = Static<typeof TallyMessage>;

const tallyShape = validatorFor(TallyMessage);

/** A tally: the schema and, like a check-in, an `at` every database stores alike. */
export function validateTally(value: unknown): Validation<TallyMessage> {
  const shape = tallyShape(value);
  if (!shape.ok) return shape;
  const bad = unstorableAt(shape.value.at);
  return bad ? { ok: false, errors: [bad] } : shape;
}

/** Prefix of the stand-in person a tally counts as (peopleInside keys people by it); never a hash. */
export const TALLY_PERSON_PREFIX = 'tally:';

/**
 * Tallies as movements for peopleInside. A tally names nobody, so an exit cannot be matched to its
 * person: each admitted entry counts as a person of its own, and each admitted exit takes out the
 * earliest entry still inside (first in, first out). The count — what occupancy needs — is the same
 * whichever person left. `outcomes`: the guard's `admitted` lets a REVIEW tally in; an entry the door
 * sensor marked `not-entered` never went in, and one marked `left` went out at that time — neither may
 * then take a later exit, or that exit would leave a person who really is inside counted (issue #19
 * review: entry A not entered, entry C, exit B must leave nobody inside).
 */
export function tallyMovements(
  tallies: ReadonlyArray<Pick<TallyMessage, 'id' | 'at' | 'direction' | 'verdict'>>,
  outcomes: readonly MovementOutcome[] = [],
): Movement[] {
  const admitted = new Set<string>();
  const notEntered = new Set<string>();
  const left = new Map<string, number>();
  for (const o of outcomes) {
    if (o.outcome === 'admitted') admitted.add(o.checkin);
    else if (o.outcome === 'not-entered') notEntered.add(o.checkin);
    else if (o.outcome === 'left' && !left.has(o.checkin)) left.set(o.checkin, Date.parse(o.at));
  }
  const sorted = [...tallies].sort((a, b) => Date.parse(a.at) - Date.parse(b.at) || (a.id < b.id ? -1 : 1));
  const inside: string[] = [];
  const out: Movement[] = [];
  for (const t of sorted) {
    // Let in (ALLOW, or a REVIEW the guard admitted): the verdict peopleInside reads is ALLOW.
    if (t.verdict !== 'ALLOW' && !admitted.has(t.id)) continue;
    const moved = { id: t.id, at: t.at, direction: t.direction, verdict: 'ALLOW' as const };
    if (t.direction === 'in') {
      if (notEntered.has(t.id)) continue;
      inside.push(t.id);
      out.push({ ...moved, idHash: `${TALLY_PERSON_PREFIX}${t.id}` });
    } else {
      const at = Date.parse(t.at);
      // Entries already marked left by this exit's time are out: they take no exit of their own.
      const i = inside.findIndex((id) => !((left.get(id) ?? Number.POSITIVE_INFINITY) <= at));
      if (i < 0) continue;
      const [id] = inside.splice(i, 1);
      out.push({ ...moved, idHash: `${TALLY_PERSON_PREFIX}${id}` });
    }
  }
  return out;
}
