import { Type } from '@sinclair/typebox';

/**
 * Which boot a message came from and how long it had been up: check-ins carry it while the clock is unsynced,
 * telemetry carries it always, and the hub joins the two to re-time a boot's check-ins (hub/src/retime.ts).
 * One schema for both, with the sentence that says what `uptimeMs` was read with on each side.
 */
export const BootStamp = (uptimeMeaning: string, description: string) =>
  Type.Optional(
    Type.Object(
      {
        id: Type.String({ maxLength: 64, description: 'kernel boot id (/proc/sys/kernel/random/boot_id)' }),
        uptimeMs: Type.Integer({
          minimum: 0,
          description: `monotonic time (CLOCK_MONOTONIC, ms) ${uptimeMeaning}`,
        }),
      },
      { additionalProperties: false, description },
    ),
  );
