import { type Static, Type } from '@sinclair/typebox';
import { ID_PATTERN } from './vocabulary.js';

export const DOCTOR_SCHEMA_ID = 'qrkiosk.doctor/1';

/**
 * What a check came to. `skip` only when the check cannot apply here (no systemd, a config that did
 * not load); its message says why.
 */
export const DOCTOR_STATUSES = ['ok', 'warn', 'fail', 'skip'] as const;
export type DoctorStatus = (typeof DOCTOR_STATUSES)[number];

/**
 * The checks `qrkiosk doctor` runs, in the order it runs them. Stable ids: the hub will collect
 * reports and compare kiosks by them; a new check gets a new id, an id is never reused.
 */
export const DOCTOR_CHECK_IDS = [
  'config',
  'service',
  'scanner',
  'gpio',
  'broker',
  'enrolment',
  'cache',
  'rules',
  'trust-list',
  'revocation-list',
  // Issue #20: the hub's list of printed passes.
  'pass-list',
  // Issue #19: data ages against the signed limits.
  'freshness',
  'clock',
  'disk',
  'sd-writes',
  'outbox',
  'tracing',
] as const;
export type DoctorCheckId = (typeof DOCTOR_CHECK_IDS)[number];

const Bilingual = Type.Object(
  { vi: Type.String({ maxLength: 8000 }), en: Type.String({ maxLength: 8000 }) },
  { additionalProperties: false },
);

const Measured = Type.Union([Type.String(), Type.Number(), Type.Boolean(), Type.Null()]);

export const DoctorCheck = Type.Object(
  {
    id: Type.Union(DOCTOR_CHECK_IDS.map((id) => Type.Literal(id))),
    status: Type.Union(DOCTOR_STATUSES.map((s) => Type.Literal(s))),
    message: Bilingual,
    /** What to do about it; empty strings when nothing is to be done. */
    fix: Bilingual,
    /** What was measured, flat (numbers in seconds and bytes, times ISO-8601, null for unknown). */
    values: Type.Record(Type.String({ pattern: '^[a-zA-Z][a-zA-Z0-9]{0,39}$' }), Measured),
  },
  { additionalProperties: false },
);
export type DoctorCheck = Static<typeof DoctorCheck>;

/** `qrkiosk doctor --json`: one document, every check in DOCTOR_CHECK_IDS order. */
export const DoctorReport = Type.Object(
  {
    schema: Type.Literal(DOCTOR_SCHEMA_ID),
    /** Null when the config did not load (then only `config` says anything). */
    kiosk: Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Null()]),
    site: Type.Union([Type.String({ pattern: ID_PATTERN }), Type.Null()]),
    at: Type.String({ format: 'date-time' }),
    software: Type.String({ maxLength: 32 }),
    config: Type.String({ description: 'the config file read' }),
    /** The worst status: fail > warn > ok (skips do not count). */
    status: Type.Union([Type.Literal('ok'), Type.Literal('warn'), Type.Literal('fail')]),
    checks: Type.Array(DoctorCheck),
  },
  { additionalProperties: false },
);
export type DoctorReport = Static<typeof DoctorReport>;
