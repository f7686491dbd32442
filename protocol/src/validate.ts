import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { CheckinMessage } from './checkin.js';
import { DoctorReport } from './doctor.js';
import { unstorableAt } from './instant.js';
import { MAX_KIOSK_MESSAGE_BYTES } from './limits.js';
import { OccupancyMessage } from './occupancy.js';
import { OutcomeMessage } from './outcome.js';
import { TelemetryMessage } from './telemetry.js';

// ajv-formats is CommonJS; under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

// Not allErrors: a hostile payload with 100,000 wrong properties would otherwise cost one error
// object each (the hub stalled on such payloads); the first error is reason enough to refuse.
const ajv = addFormats(new Ajv({ allErrors: false, strict: true }));

export type Validation<T> = { ok: true; value: T } | { ok: false; errors: string[] };

function describe(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`);
}

/** Compiles a validator once; the returned function never throws on hostile input. */
export function validatorFor<S extends TSchema>(schema: S): (value: unknown) => Validation<Static<S>> {
  // Compiled at the first value, not at import: every program importing protocol (each CLI start, each
  // test file) would otherwise compile every message schema, used or not (~0.25 s).
  let check: ValidateFunction | undefined;
  return (value) => {
    check ??= ajv.compile(schema);
    return check(value)
      ? { ok: true, value: value as Static<S> }
      : { ok: false, errors: describe(check.errors) };
  };
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
  const bad = unstorableAt(shape.value.at);
  return bad ? { ok: false, errors: [bad] } : shape;
}
export const validateTelemetry = validatorFor(TelemetryMessage);
/** A `qrkiosk doctor --json` report (protocol/src/doctor.ts). */
export const validateDoctorReport = validatorFor(DoctorReport);

/**
 * Parses a kiosk's MQTT payload as JSON, refusing it by size first (MAX_KIOSK_MESSAGE_BYTES) so a
 * hostile megabyte payload costs nothing to refuse. Every failure is a reason string, never an exception.
 */
export function parseKioskJson(payload: Uint8Array): Validation<unknown> {
  if (payload.length > MAX_KIOSK_MESSAGE_BYTES)
    return {
      ok: false,
      errors: [`payload of ${payload.length} bytes is over the limit of ${MAX_KIOSK_MESSAGE_BYTES}`],
    };
  try {
    return { ok: true, value: JSON.parse(Buffer.from(payload).toString('utf8')) as unknown };
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
}

/** Parses an MQTT payload (bytes) as a check-in; every failure is a reason string, never an exception. */
export function parseCheckin(payload: Uint8Array): Validation<CheckinMessage> {
  const parsed = parseKioskJson(payload);
  return parsed.ok ? validateCheckin(parsed.value) : parsed;
}

/** Parses an MQTT payload (bytes) as telemetry, like parseCheckin. */
export function parseTelemetry(payload: Uint8Array): Validation<TelemetryMessage> {
  const parsed = parseKioskJson(payload);
  return parsed.ok ? validateTelemetry(parsed.value) : parsed;
}

const outcomeShape = validatorFor(OutcomeMessage);

/** An outcome: the schema and, like a check-in, an `at` every database stores alike. */
export function validateOutcome(value: unknown): Validation<OutcomeMessage> {
  const shape = outcomeShape(value);
  if (!shape.ok) return shape;
  const bad = unstorableAt(shape.value.at);
  return bad ? { ok: false, errors: [bad] } : shape;
}

/** What a payload on a kiosk's `…/checkin` topic says it is (its `schema`), before validating it. */
export function schemaOf(value: unknown): string | undefined {
  const schema = (value as { schema?: unknown } | null)?.schema;
  return typeof value === 'object' && typeof schema === 'string' ? schema : undefined;
}

const occupancyShape = validatorFor(OccupancyMessage);

/** The hub's count of people inside a site (protocol/src/occupancy.ts), from MQTT bytes. */
export function parseOccupancy(payload: Uint8Array): Validation<OccupancyMessage> {
  const parsed = parseKioskJson(payload);
  return parsed.ok ? occupancyShape(parsed.value) : parsed;
}
