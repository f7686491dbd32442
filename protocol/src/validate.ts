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

export const validateCheckin = validatorFor(CheckinMessage);
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
