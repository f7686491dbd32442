import { FACTS_BYTES, KEY_BYTES } from '@qrkiosk/protocol';

/** One fleet cache entry: 16-byte keyed hash ‖ 16-byte facts (publish.ts's ENTRY_BYTES). */
const ENTRY_BYTES = KEY_BYTES + FACTS_BYTES;

/**
 * `next` plus the entries of `previous` that `keep` names and `next` lacks, in key order: the people
 * on bad rows keep what the kiosks had, instead of becoming deletions (an Excel `TRUE` once made an
 * F0 person "unknown" on every kiosk).
 */
export function carryOver(previous: Buffer, next: Buffer, keep: (keyHex: string) => boolean): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  let j = 0;
  while (i < previous.length || j < next.length) {
    const a = i < previous.length ? previous.subarray(i, i + ENTRY_BYTES) : undefined;
    const b = j < next.length ? next.subarray(j, j + ENTRY_BYTES) : undefined;
    const order = !a ? 1 : !b ? -1 : Buffer.compare(a.subarray(0, KEY_BYTES), b.subarray(0, KEY_BYTES));
    if (order < 0 && a) {
      if (keep(a.subarray(0, KEY_BYTES).toString('hex'))) out.push(a);
      i += ENTRY_BYTES;
    } else if (b) {
      out.push(b);
      j += ENTRY_BYTES;
      if (order === 0) i += ENTRY_BYTES;
    }
  }
  return Buffer.concat(out);
}

/** publish-cache refuses a CSV with bad rows unless told (--allow-bad-rows); nothing is written or sent. */
export class BadRowsError extends Error {
  constructor(readonly problems: Array<{ line: number; message: string }>) {
    super(`${problems.length} bad rows`);
  }
}
