import { Type } from '@sinclair/typebox';

/**
 * The longest uptime a boot stamp may carry: 100 years in ms. No device runs that long; a bound keeps
 * a hostile number (9e15) from reaching the hub's re-timing, where boot start + uptime must still be a
 * date every database stores, and keeps it inside PostgreSQL's bigint and JavaScript's safe integers.
 */
export const MAX_UPTIME_MS = 100 * 365 * 24 * 3600 * 1000;

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
          maximum: MAX_UPTIME_MS,
          description: `monotonic time (CLOCK_MONOTONIC, ms) ${uptimeMeaning}`,
        }),
      },
      { additionalProperties: false, description },
    ),
  );
