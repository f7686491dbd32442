import { type Static, Type } from '@sinclair/typebox';
import { CHECKIN_ID_PATTERN } from './checkin.js';
import { ID_PATTERN } from './vocabulary.js';

export const OUTCOME_SCHEMA_ID = 'qrkiosk.outcome/1';

/**
 * What the guard decided after a REVIEW: `admitted` ("đã kiểm tra giấy tờ, cho vào") or `denied`
 * ("không cho vào"); or, for a person let in, `left` ("đã ra": reception's exit button, which frees a
 * place under an occupancy limit and tells tracing when they went out). Its own message, linked by
 * `checkin`: the check-in is never rewritten, so the hub keeps both what the kiosk decided and what
 * the guard did. `not-entered` ("không vào", issue #19): the relay opened for an admitted entry but the
 * door contact or turnstile sensor did not move within `signal.doorEnterSeconds`, so the person did not
 * come in; occupancy and tracing do not count that check-in as an entry.
 */
export const OutcomeKind = Type.Union([
  Type.Literal('admitted'),
  Type.Literal('denied'),
  Type.Literal('left'),
  Type.Literal('not-entered'),
]);
export type OutcomeKind = Static<typeof OutcomeKind>;

/**
 * Where it came from: the guard's button at the door, the reception page, or the door's own sensor
 * (`door-sensor`, only ever with `not-entered`: nobody decided it, the door did not move).
 */
export const OutcomeBy = Type.Union([
  Type.Literal('button'),
  Type.Literal('reception'),
  Type.Literal('door-sensor'),
]);
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
      description:
        'the check-in it resolves (a REVIEW), whose person left (`left`), or who did not come in (`not-entered`)',
    }),
    outcome: OutcomeKind,
    by: OutcomeBy,
    at: Type.String({
      format: 'date-time',
      description: 'when the guard resolved it (or the door sensor gave up), ISO-8601 UTC',
    }),
    clockSynced: Type.Boolean(),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
  },
  { $id: OUTCOME_SCHEMA_ID, additionalProperties: false },
);
export type OutcomeMessage = Static<typeof OutcomeMessage>;
