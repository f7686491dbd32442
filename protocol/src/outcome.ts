import { type Static, Type } from '@sinclair/typebox';
import { CHECKIN_ID_PATTERN } from './checkin.js';
import { ID_PATTERN } from './vocabulary.js';

export const OUTCOME_SCHEMA_ID = 'qrkiosk.outcome/1';

/**
 * What the guard decided after a REVIEW: `admitted` ("đã kiểm tra giấy tờ, cho vào") or `denied`
 * ("không cho vào"); or, for a person let in, `left` ("đã ra": reception's exit button, which frees a
 * place under an occupancy limit and tells tracing when they went out). Its own message, linked by
 * `checkin`: the check-in is never rewritten, so the hub keeps both what the kiosk decided and what
 * the guard did.
 */
export const OutcomeKind = Type.Union([
  Type.Literal('admitted'),
  Type.Literal('denied'),
  Type.Literal('left'),
]);
export type OutcomeKind = Static<typeof OutcomeKind>;

/** Where the guard gave it: the button at the door, or the reception page. */
export const OutcomeBy = Type.Union([Type.Literal('button'), Type.Literal('reception')]);
export type OutcomeBy = Static<typeof OutcomeBy>;

/**
 * Published on the kiosk's `…/checkin` topic and carried by the same journal (outbox) and receipt
 * path as check-ins: the hub tells them apart by `schema`, receipts the id, and stores it once.
 * The same topic keeps every broker ACL that lets a kiosk send check-ins working unchanged.
 */
export const OutcomeMessage = Type.Object(
  {
    schema: Type.Literal(OUTCOME_SCHEMA_ID),
    id: Type.String({ pattern: CHECKIN_ID_PATTERN, description: 'ULID, unique per outcome' }),
    checkin: Type.String({
      pattern: CHECKIN_ID_PATTERN,
      description: 'the check-in it resolves (a REVIEW), or whose person left (`left`)',
    }),
    outcome: OutcomeKind,
    by: OutcomeBy,
    at: Type.String({ format: 'date-time', description: 'when the guard resolved it, ISO-8601 UTC' }),
    clockSynced: Type.Boolean(),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
  },
  { $id: OUTCOME_SCHEMA_ID, additionalProperties: false },
);
export type OutcomeMessage = Static<typeof OutcomeMessage>;
