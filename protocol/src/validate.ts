import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CheckinMessage } from './checkin.js';
import { TelemetryMessage } from './telemetry.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

const ajv = addFormats(new Ajv({ allErrors: true, strict: true }));

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

/** Compiles a validator once; the returned function never throws on hostile input. */
export function validatorFor<S extends TSchema>(schema: S): (value: unknown) => Validation<Static<S>> {
  const check: ValidateFunction = ajv.compile(schema);
  return (value) =>
    check(value) ? { ok: true, value: value as Static<S> } : { ok: false, errors: describe(check.errors) };
}

const checkinShape = validatorFor(CheckinMessage);

/**
 * A check-in: the schema, and an `at` that is a real instant between years 1 and 9999 — JSON
 * Schema's date-time admits times (a leap second, year 0) that no database stores alike. A kiosk
 * whose clock was never set sends 1970 or so: that is valid (clockSynced says so).
 */
export function validateCheckin(value: unknown): Validation<CheckinMessage> {
  const shape = checkinShape(value);
  if (!shape.ok) return shape;
  const at = Date.parse(shape.value.at);
  const year = new Date(at).getUTCFullYear();
  if (!Number.isFinite(at) || year < 1 || year > 9999)
    return { ok: false, errors: [`/at ${shape.value.at} is not a storable instant`] };
  return shape;
}
export const validateTelemetry = validatorFor(TelemetryMessage);

/** Parses an MQTT payload (bytes) as a check-in; every failure is a reason string, never an exception. */
export function parseCheckin(payload: Uint8Array): Validation<CheckinMessage> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  return validateCheckin(parsed);
}
