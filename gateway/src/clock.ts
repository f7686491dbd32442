import { existsSync, readFileSync } from 'node:fs';

/** Injected everywhere time matters, so tests can set the scan time exactly. */
export interface Clock {
  now(): Date;
  /** True once the system clock has been synchronised (NTP); a Pi without RTC boots with a wrong clock. */
  synced(): boolean;
  /**
   * The machine's monotonic time (boot id, ms since boot), which a wall-clock jump does not move.
   * Optional: clocks without it use the kernel's (monotonicNow); tests inject one to jump the wall.
   */
  monotonic?(): { boot: string; ms: number };
}

/** systemd-timesyncd creates this file once it has synchronised the clock. */
const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

export const systemClock: Clock = {
  now: () => new Date(),
  synced: () => existsSync(TIMESYNC_FLAG),
};

let bootId: string | undefined;

/**
 * The kernel's boot id: which run of the machine a monotonic time belongs to. Check-ins made with an
 * unsynced clock and every telemetry carry it, so the hub can re-time them (docs/protocol.md).
 */
function kernelBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = 'unknown';
    }
  }
  return bootId;
}

/**
 * The kernel's boot id and CLOCK_MONOTONIC in ms (process.hrtime: the same clock across processes of
 * one boot, so a restarted daemon's stamps match the ones it journaled before).
 */
export function monotonicNow(): { boot: string; ms: number } {
  return { boot: kernelBootId(), ms: Number(process.hrtime.bigint() / 1_000_000n) };
}
