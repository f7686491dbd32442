import { type Static, Type } from '@sinclair/typebox';
import { BootStamp } from './boot-stamp.js';
import { SEALED_BOX_MAX_CHARS } from './sealed-identity.js';
import { Colour, Direction, DocumentKind, ID_PATTERN, Verdict } from './vocabulary.js';

export const CHECKIN_SCHEMA_ID = 'qrkiosk.checkin/1';

/** A check-in id: a ULID (Crockford base32, 26 characters). */
export const CHECKIN_ID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{26}$';
const CHECKIN_ID = new RegExp(CHECKIN_ID_PATTERN);
export const isCheckinId = (value: unknown): value is string =>
  typeof value === 'string' && CHECKIN_ID.test(value);

/**
 * What the kiosk decided and on which versions: the same fields on a check-in and on a verify-only site's tally
 * (tally.ts), defined once so the two messages cannot drift apart.
 */
export const DECISION_FIELDS = {
  verdict: Verdict,
  colour: Colour,
  reason: Type.String({ pattern: '^[a-z0-9-]{1,64}$' }),
  versions: Type.Object(
    {
      software: Type.String({ maxLength: 32 }),
      rules: Type.String({ maxLength: 64 }),
      cache: Type.Integer({ minimum: 0 }),
    },
    { additionalProperties: false },
  ),
};

/**
 * One check-in, as the kiosk journals it and publishes it on `qrkiosk/v1/<site>/<kiosk>/checkin`.
 * The `id` is a ULID minted on the kiosk: it is the idempotency key all the way to the hub.
 * Identity travels masked plus a keyed hash; the hash lets the hub trace contacts without
 * ever holding the full number.
 */
export const CheckinMessage = Type.Object(
  {
    schema: Type.Literal(CHECKIN_SCHEMA_ID),
    id: Type.String({ pattern: CHECKIN_ID_PATTERN, description: 'ULID, unique per check-in' }),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
    direction: Direction,
    at: Type.String({ format: 'date-time', description: 'Scan time, ISO-8601 UTC' }),
    clockSynced: Type.Boolean({ description: 'false while the kiosk clock has not been synchronised' }),
    boot: BootStamp(
      'at the scan, the same clock telemetry reports',
      'present while the clock is not synced: the hub re-times the check-in once a synced telemetry of the same boot tells it when that boot began',
    ),
    document: Type.Object(
      {
        kind: DocumentKind,
        numberMasked: Type.String({ maxLength: 64 }),
        nameMasked: Type.String({ maxLength: 200 }),
        idHash: Type.String({
          pattern: '^[0-9a-f]{32}$',
          description:
            'HMAC-SHA-256 of the primary identity key with the deployment key, first 16 bytes, hex',
        }),
        sealed: Type.Optional(
          Type.Object(
            {
              kid: Type.String({
                pattern: '^[0-9a-f]{16}$',
                description: 'first 8 bytes of sha256 of the raw tracing public key, hex',
              }),
              box: Type.String({
                pattern: '^[A-Za-z0-9+/]+={0,2}$',
                maxLength: SEALED_BOX_MAX_CHARS,
                description:
                  'base64 of epk(32) ‖ iv(12) ‖ AES-256-GCM ciphertext ‖ tag(16) (sealed-identity.ts)',
              }),
            },
            {
              additionalProperties: false,
              description:
                'The full identity sealed to the deployment tracing key; absent when the kiosk has none (older kiosks too)',
            },
          ),
        ),
        links: Type.Optional(
          Type.Array(Type.String({ pattern: '^[0-9a-f]{32}$' }), {
            maxItems: 4,
            uniqueItems: true,
            description:
              "keyed hashes of the scan's other identity keys (CMND beside a CCCD, BHXH beside a BHYT card, a personal QR's QID and number): never a number",
          }),
        ),
      },
      { additionalProperties: false },
    ),
    ...DECISION_FIELDS,
  },
  { $id: CHECKIN_SCHEMA_ID, additionalProperties: false },
);
export type CheckinMessage = Static<typeof CheckinMessage>;
