import { type Static, Type } from '@sinclair/typebox';
import { CHECKIN_ID_PATTERN } from './checkin.js';
import { parseKioskJson, type Validation, validatorFor } from './validate.js';

/**
 * Reception's "print a pass" on a kiosk (issue #20): the kiosk asks, the hub signs. A card is useful at
 * other kiosks only once the hub has the holder in the signed pass list, so issuing needs the hub anyway,
 * and a hub-signed token needs no fleet-wide list of kiosk keys. Offline, reception is told it cannot
 * issue now; it never prints a card that works nowhere.
 *
 * Kiosk → hub on `qrkiosk/v1/<site>/<kiosk>/pass-request` (kioskTopics().passRequest), QoS 1, not retained:
 * the check-in to issue for, by id. The hub takes the holder's keyed hash and masked name from the
 * check-in it stored from that same site and kiosk — never from the request. That check-in is the kiosk's
 * own report, so a misused kiosk can still bind a card to any hash it reports; what bounds it (24 h, its
 * own site, audited, a daily cap per kiosk) is in hub/src/pass-requests.ts and docs/protocol.md.
 *
 * Hub → kiosk on `qrkiosk/v1/<site>/<kiosk>/pass` (kioskTopics().pass), QoS 1, not retained: the signed
 * token (protocol/src/pass.ts) and what the card prints, or a refusal with a code and vi/en text.
 * `requestId` pairs the answer with its request (a kiosk retries while the check-in is on its way).
 */
export const PASS_REQUEST_SCHEMA_ID = 'qrkiosk.pass-request/1';
export const PASS_ISSUED_SCHEMA_ID = 'qrkiosk.pass-issued/1';

/** The hub's refusal when the check-in has not reached it yet: the kiosk asks again a few times. */
export const PASS_CHECKIN_NOT_RECEIVED = 'checkin-not-received';

export const PassRequestMessage = Type.Object(
  {
    schema: Type.Literal(PASS_REQUEST_SCHEMA_ID),
    requestId: Type.String({ format: 'uuid', description: 'echoed in the answer' }),
    checkinId: Type.String({
      pattern: CHECKIN_ID_PATTERN,
      description:
        "the check-in (ULID) whose holder gets the pass: a manual entry or a document scan of this kiosk's",
    }),
  },
  { $id: PASS_REQUEST_SCHEMA_ID, additionalProperties: false },
);
export type PassRequestMessage = Static<typeof PassRequestMessage>;

const Bilingual = Type.Object(
  { vi: Type.String({ maxLength: 300 }), en: Type.String({ maxLength: 300 }) },
  { additionalProperties: false },
);

export const PassIssuedMessage = Type.Union(
  [
    Type.Object(
      {
        schema: Type.Literal(PASS_ISSUED_SCHEMA_ID),
        requestId: Type.String({ format: 'uuid' }),
        ok: Type.Literal(true),
        passId: Type.String({ pattern: '^[0-9a-f]{20}$' }),
        token: Type.String({
          pattern: '^QRKP1:[A-Z2-7]+$',
          maxLength: 512,
          description: 'the signed token the QR carries (protocol/src/pass.ts)',
        }),
        validUntil: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'Vietnam day, inclusive' }),
        issuer: Type.String({ maxLength: 120, description: 'who issued it, as the card prints it' }),
        nameMasked: Type.String({ maxLength: 200 }),
      },
      { additionalProperties: false },
    ),
    Type.Object(
      {
        schema: Type.Literal(PASS_ISSUED_SCHEMA_ID),
        requestId: Type.String({ format: 'uuid' }),
        ok: Type.Literal(false),
        code: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
        text: Bilingual,
      },
      { additionalProperties: false },
    ),
  ],
  { $id: PASS_ISSUED_SCHEMA_ID },
);
export type PassIssuedMessage = Static<typeof PassIssuedMessage>;

const requestShape = validatorFor(PassRequestMessage);
const issuedShape = validatorFor(PassIssuedMessage);

/** A kiosk's request (bytes off MQTT); every failure is a reason string, never an exception. */
export function parsePassRequest(payload: Uint8Array): Validation<PassRequestMessage> {
  const parsed = parseKioskJson(payload);
  return parsed.ok ? requestShape(parsed.value) : parsed;
}

/** The hub's answer (bytes off MQTT), like parsePassRequest. */
export function parsePassIssued(payload: Uint8Array): Validation<PassIssuedMessage> {
  const parsed = parseKioskJson(payload);
  return parsed.ok ? issuedShape(parsed.value) : parsed;
}
