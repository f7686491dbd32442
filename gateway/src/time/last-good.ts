import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '@qrkiosk/protocol';

/**
 * The last wall-clock time the kiosk knew to be right, kept on disk as Debian's fake-hwclock does.
 * A Pi has no real-time clock: after a power cut it boots at an old time (or 1970) until NTP syncs.
 * Any wall clock earlier than this file's time is certainly wrong.
 */
export const LAST_GOOD_FILE = 'clock-last-good';

/** The stored time, or null when there is none (first start, or a file that does not parse). */
export function readLastGood(dataDir: string): Date | null {
  try {
    const at = new Date(readFileSync(join(dataDir, LAST_GOOD_FILE), 'utf8').trim());
    return Number.isNaN(at.getTime()) ? null : at;
  } catch {
    return null;
  }
}

/** Writes the time durably (protocol's writeDurably): a power cut leaves the old time or the new, never half. */
export function writeLastGood(dataDir: string, at: Date): void {
  writeDurably(join(dataDir, LAST_GOOD_FILE), `${at.toISOString()}\n`);
}
