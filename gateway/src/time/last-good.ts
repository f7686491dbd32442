import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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

/** Writes the time by temp file + rename, so a power cut leaves the old time or the new, never half. */
export function writeLastGood(dataDir: string, at: Date): void {
  const file = join(dataDir, LAST_GOOD_FILE);
  try {
    writeFileSync(`${file}.tmp`, `${at.toISOString()}\n`);
    renameSync(`${file}.tmp`, file);
  } catch (err) {
    // A full disk leaves an empty temp file behind: remove it, keep the old time.
    rmSync(`${file}.tmp`, { force: true });
    throw err;
  }
}
