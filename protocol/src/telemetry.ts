import { type Static, Type } from '@sinclair/typebox';
import { BootStamp } from './boot-stamp.js';
import { FreshnessReport } from './freshness.js';
import { ID_PATTERN } from './vocabulary.js';

export const TELEMETRY_SCHEMA_ID = 'qrkiosk.telemetry/1';

/** Published every `mqtt.telemetrySeconds` on `qrkiosk/v1/<site>/<kiosk>/telemetry` (QoS 0, not retained). */
export const TelemetryMessage = Type.Object(
  {
    schema: Type.Literal(TELEMETRY_SCHEMA_ID),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
    at: Type.String({ format: 'date-time' }),
    software: Type.String({ maxLength: 32 }),
    uptimeSeconds: Type.Integer({ minimum: 0 }),
    clockSynced: Type.Boolean({ description: 'whether the kiosk trusts its wall clock (NTP synced)' }),
    boot: BootStamp(
      'read together with `at`',
      "with clockSynced, tells the hub when this boot began (at − uptimeMs): it re-times the boot's unsynced check-ins",
    ),
    scannerConnected: Type.Boolean(),
    outboxDepth: Type.Integer({
      minimum: 0,
      description: 'check-ins journaled but not yet acknowledged by the broker',
    }),
    cache: Type.Object(
      {
        version: Type.Integer({ minimum: 0 }),
        updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
        ageSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
      },
      { additionalProperties: false },
    ),
    rules: Type.Object(
      {
        version: Type.String({ maxLength: 64 }),
        source: Type.String({ maxLength: 300 }),
        ageSeconds: Type.Optional(
          Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
            description: 'seconds since the rules in force were signed (null: embedded defaults)',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    // Optional: kiosks before issue #17 do not send them, and the hub shows "—" rather than refusing them.
    trust: Type.Optional(
      Type.Object(
        {
          ageSeconds: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()], {
            description: 'seconds since the DCC trust list was last installed (null: none)',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    outboxOldestAt: Type.Optional(
      Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
        description: 'when the oldest row not yet acknowledged by the broker was journaled (null: none)',
      }),
    ),
    disk: Type.Optional(
      Type.Object(
        {
          usedPercent: Type.Number({ minimum: 0, maximum: 100 }),
          freeBytes: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false, description: "the data folder's file system" },
      ),
    ),
    update: Type.Optional(
      Type.Object(
        {
          state: Type.String({ maxLength: 40, description: 'software update state (issue #17 rollouts)' }),
          version: Type.Optional(Type.String({ maxLength: 32 })),
          previous: Type.Optional(Type.String({ maxLength: 32 })),
          // The rollout the state belongs to (issue #17 review #6): a new rollout of the same version is not
          // halted by an old rollout's roll-back.
          rollout: Type.Optional(Type.String({ maxLength: 64 })),
          detail: Type.Optional(Type.String({ maxLength: 300 })),
        },
        { additionalProperties: false },
      ),
    ),
    // Issue #19: kiosks before it do not send it; the hub shows "—".
    freshness: Type.Optional(FreshnessReport),
    faults: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]{0,39}$' }), {
        maxItems: 16,
        description:
          'storage, clock and list faults in force on the kiosk (journal-unwritable, disk-full, journal-corrupt, journal-deleted, cache-corrupt, cache-unavailable, prune-failed, clock-unsynced, disk-low, revocation-missing, enrolment-revoked, data-stale, door-sensor, pass-list-refused); absent when there are none',
      }),
    ),
  },
  { $id: TELEMETRY_SCHEMA_ID, additionalProperties: false },
);
export type TelemetryMessage = Static<typeof TelemetryMessage>;
