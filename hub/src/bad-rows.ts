import { KEY_BYTES } from '@qrkiosk/protocol';
import { byKey } from './cache-entries.js';

/**
 * `next` plus the entries of `previous` that `keep` names and `next` lacks, in key order: the people
 * on bad rows keep what the kiosks had, instead of becoming deletions (an Excel `TRUE` once made an
 * F0 person "unknown" on every kiosk).
 */
export function carryOver(previous: Buffer, next: Buffer, keep: (keyHex: string) => boolean): Buffer {
  const out: Buffer[] = [];
  for (const e of byKey(previous, next)) {
    if (e.new) out.push(e.new);
    else if (keep(e.old.subarray(0, KEY_BYTES).toString('hex'))) out.push(e.old);
  }
  return Buffer.concat(out);
}

/** publish-cache refuses a CSV with bad rows unless told (--allow-bad-rows); nothing is written or sent. */
export class BadRowsError extends Error {
  constructor(readonly problems: Array<{ line: number; message: string }>) {
    super(`${problems.length} bad rows`);
  }
}
