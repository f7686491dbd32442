import type { KeyObject } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { type KeyRing, signBytes, verifyBytes } from './signing.js';
import { validatorFor } from './validate.js';

export const FRESHNESS_SCHEMA_ID = 'qrkiosk.freshness/1';

const Counter = Type.Object({ version: Type.Integer({ minimum: 0 }) }, { additionalProperties: false });

/**
 * `qrkiosk/v1/fleet/fresh` (issue #19): the hub's signed statement "this is what the office publishes now",
 * retained and re-signed every `fleet.freshnessMinutes`. A kiosk holding exactly these versions counts them as
 * confirmed now, so data that has not changed does not go stale while the kiosk is connected; a kiosk cut off
 * gets no new statement and its data ages. `issuedAt` only ever grows on a kiosk (an old statement replayed
 * confirms nothing). null: the hub has never published that kind.
 * Envelope: `{"statement": "<JSON text>", "signature": {"keyId", "signature"}}`, signed over
 * "qrkiosk-freshness/1\n" + text (a context prefix, so no other signed hub text can pass for one).
 */
export const FreshnessStatement = Type.Object(
  {
    schema: Type.Literal(FRESHNESS_SCHEMA_ID),
    issuedAt: Type.String({ format: 'date-time' }),
    cache: Type.Union([Counter, Type.Null()]),
    rules: Type.Union([
      Type.Object({ version: Type.String({ minLength: 1, maxLength: 64 }) }, { additionalProperties: false }),
      Type.Null(),
    ]),
    trust: Type.Union([Counter, Type.Null()]),
    revocation: Type.Union([Counter, Type.Null()]),
    // Optional: a hub from before passes (issue #20) sends none, and its statement must still confirm the rest.
    passes: Type.Optional(Type.Union([Counter, Type.Null()])),
  },
  { $id: FRESHNESS_SCHEMA_ID, additionalProperties: false },
);
export type FreshnessStatement = Static<typeof FreshnessStatement>;

const CONTEXT = Buffer.from('qrkiosk-freshness/1\n', 'ascii');
const MAX_ENVELOPE_BYTES = 4096;

export class FreshnessError extends Error {
  constructor(
    readonly code: 'format' | 'unknown-key' | 'bad-signature',
    message: string,
  ) {
    super(message);
    this.name = 'FreshnessError';
  }
}

const checkStatement = validatorFor(FreshnessStatement);

/** The signed envelope, as the hub publishes it retained on fleet/fresh. */
export function signFreshness(statement: FreshnessStatement, privateKey: KeyObject, keyId: string): Buffer {
  const text = JSON.stringify(statement);
  const signature = signBytes(privateKey, Buffer.concat([CONTEXT, Buffer.from(text, 'utf8')]));
  return Buffer.from(
    JSON.stringify({ statement: text, signature: { keyId, signature: signature.toString('base64') } }),
  );
}

/** The statement, when signed by a trusted hub key and well formed; throws FreshnessError saying why. */
export function verifyFreshness(payload: Buffer, keys: KeyRing): FreshnessStatement {
  if (payload.length > MAX_ENVELOPE_BYTES)
    throw new FreshnessError('format', `envelope of ${payload.length} bytes (at most ${MAX_ENVELOPE_BYTES})`);
  let envelope: { statement?: unknown; signature?: { keyId?: unknown; signature?: unknown } } | null;
  try {
    envelope = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new FreshnessError('format', 'not JSON');
  }
  const text = envelope?.statement;
  const sig = envelope?.signature;
  if (typeof text !== 'string' || typeof sig?.keyId !== 'string' || typeof sig.signature !== 'string')
    throw new FreshnessError('format', 'not a signed freshness envelope');
  const key = keys.get(sig.keyId);
  if (!key)
    throw new FreshnessError('unknown-key', `signed by key ${sig.keyId}, which this kiosk does not trust`);
  if (
    !verifyBytes(
      key,
      Buffer.concat([CONTEXT, Buffer.from(text, 'utf8')]),
      Buffer.from(sig.signature, 'base64'),
    )
  )
    throw new FreshnessError('bad-signature', 'the signature does not match');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new FreshnessError('format', 'signed text is not JSON');
  }
  const valid = checkStatement(value);
  if (!valid.ok) throw new FreshnessError('format', `not a freshness statement: ${valid.errors.join('; ')}`);
  if (!Number.isFinite(Date.parse(valid.value.issuedAt)))
    throw new FreshnessError('format', `issuedAt ${valid.value.issuedAt} is not an instant`);
  return valid.value;
}
