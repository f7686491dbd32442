import { existsSync } from 'node:fs';

/** Injected everywhere time matters, so tests can set the scan time exactly. */
export interface Clock {
  now(): Date;
  /** True once the system clock has been synchronised (NTP); a Pi without RTC boots with a wrong clock. */
  synced(): boolean;
}

/** systemd-timesyncd creates this file once it has synchronised the clock. */
const TIMESYNC_FLAG = '/run/systemd/timesync/synchronized';

export const systemClock: Clock = {
  now: () => new Date(),
  synced: () => existsSync(TIMESYNC_FLAG),
};

export function fixedClock(at: Date | string, synced = true): Clock {
  const time = new Date(at);
  return { now: () => new Date(time), synced: () => synced };
}
