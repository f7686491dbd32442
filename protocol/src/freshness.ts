import { type Static, Type } from '@sinclair/typebox';

/**
 * Offline, within limits (issue #19): how old each kind of data a kiosk decides on may grow before its
 * admissions become REVIEW. The five kinds the office sends: the facts cache, the signed rules, the DCC trust
 * list, the DCC revocation list and the pass list (who holds each printed pass, and which are revoked). The limits travel in the signed rules (`limits.maxAgeHours`), so the office
 * decides, not the kiosk; these are the defaults when the rules say nothing.
 */
export const DATA_KINDS = ['facts', 'rules', 'trust', 'revocation', 'passes'] as const;
export type DataKind = (typeof DATA_KINDS)[number];

/**
 * 48 h each: the Swiss COVID certificate SDK verifies offline only while its lists are under 48 h old, Italy's
 * VerificaC19 stops at 24 h. A kiosk that is online gets a signed freshness statement every hour (fleet/fresh),
 * so 48 h means two days cut off, not two days without new data; an office may lower any of them.
 */
export const DEFAULT_MAX_AGE_HOURS: Readonly<Record<DataKind, number>> = {
  facts: 48,
  rules: 48,
  trust: 48,
  revocation: 48,
  // A lost card's revocation reaches a kiosk only with a newer pass list: as long as the DCC revocation list.
  passes: 48,
};

/** Most hours a limit may say: a year (a longer one is no limit; `null` says that plainly). */
export const MAX_AGE_HOURS_CEILING = 8760;

const MaxAgeHours = Type.Union([Type.Integer({ minimum: 1, maximum: MAX_AGE_HOURS_CEILING }), Type.Null()]);

/**
 * The signed rules' `limits` (top level, optional): how many hours each kind may age on a kiosk before the
 * admissions resting on it become REVIEW; null: the office sets no limit for that kind. One schema for the
 * kiosk (gateway/src/decide/rules.ts RuleSetSchema) and the hub that signs the file (hub/src/rules-text.ts),
 * so they cannot drift apart.
 */
export const LimitsSchema = Type.Object(
  {
    maxAgeHours: Type.Optional(
      Type.Object(
        {
          facts: Type.Optional(MaxAgeHours),
          rules: Type.Optional(MaxAgeHours),
          trust: Type.Optional(MaxAgeHours),
          revocation: Type.Optional(MaxAgeHours),
          passes: Type.Optional(MaxAgeHours),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type Limits = Static<typeof LimitsSchema>;

/** Each kind's limit in hours as a kiosk applies it: the rules' own, else the default; null: no limit. */
export function maxAgeHoursOf(limits: Limits | undefined): Record<DataKind, number | null> {
  const said = limits?.maxAgeHours ?? {};
  const out = { ...DEFAULT_MAX_AGE_HOURS } as Record<DataKind, number | null>;
  for (const k of DATA_KINDS) if (said[k] !== undefined) out[k] = said[k] ?? null;
  return out;
}

/** The reason code of a decision held back by stale data (the journal, the hub's reports, the screens). */
export const STALE_REASON_CODE = 'data-stale';

const KindAge = Type.Object(
  {
    ageSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description:
        'seconds since the kiosk last confirmed this data (install or signed statement); null: none installed (not stale), or installed of unknown age (stale)',
    }),
    maxSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
      description: 'the limit in force (from the signed rules, else the default); null: no limit',
    }),
    stale: Type.Boolean({ description: 'past the limit: admissions resting on it are REVIEW' }),
  },
  { additionalProperties: false },
);

/** Telemetry's `freshness` block: each kind's age on the kiosk's monotonic clock and its limit. */
export const FreshnessReport = Type.Object(
  {
    facts: Type.Optional(KindAge),
    rules: Type.Optional(KindAge),
    trust: Type.Optional(KindAge),
    revocation: Type.Optional(KindAge),
    passes: Type.Optional(KindAge),
  },
  { additionalProperties: false },
);
