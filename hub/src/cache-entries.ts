import { FACTS_BYTES, KEY_BYTES } from '@qrkiosk/protocol';

/** One fleet cache entry: 16-byte keyed hash ‖ 16-byte facts. */
export const ENTRY_BYTES = KEY_BYTES + FACTS_BYTES;

/**
 * Walks two entry sets sorted by key in one merge pass (no map): each key once, with its entry in
 * `previous`, in `next`, or both. The one walk behind a cache diff and the bad-rows carry-over.
 */
export function* byKey(
  previous: Buffer,
  next: Buffer,
): Generator<{ old: Buffer; new?: undefined } | { old?: Buffer; new: Buffer }> {
  let i = 0;
  let j = 0;
  while (i < previous.length || j < next.length) {
    const a = i < previous.length ? previous.subarray(i, i + ENTRY_BYTES) : undefined;
    const b = j < next.length ? next.subarray(j, j + ENTRY_BYTES) : undefined;
    const order = !a ? 1 : !b ? -1 : Buffer.compare(a.subarray(0, KEY_BYTES), b.subarray(0, KEY_BYTES));
    if (order < 0 && a) {
      yield { old: a };
      i += ENTRY_BYTES;
    } else if (b) {
      yield order === 0 && a ? { old: a, new: b } : { new: b };
      if (order === 0) i += ENTRY_BYTES;
      j += ENTRY_BYTES;
    }
  }
}
