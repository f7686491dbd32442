import { type Static, Type } from '@sinclair/typebox';
import { BootStamp } from './boot-stamp.js';
import { Colour, Direction, DocumentKind, ID_PATTERN, Verdict } from './vocabulary.js';

export const CHECKIN_SCHEMA_ID = 'qrkiosk.checkin/1';

/** A check-in id: a ULID (Crockford base32, 26 characters). */
export const CHECKIN_ID_PATTERN = '^[0-9A-HJKMNP-TV-Z]{26}$';
const CHECKIN_ID = new RegExp(CHECKIN_ID_PATTERN);
export const isCheckinId = (value: unknown): value is string =>
  typeof value === 'string' && CHECKIN_ID.test(value);

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
      },
      { additionalProperties: false },
    ),
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
  },
  { $id: CHECKIN_SCHEMA_ID, additionalProperties: false },
);
export type CheckinMessage = Static<typeof CheckinMessage>;
