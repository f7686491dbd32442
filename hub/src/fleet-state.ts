import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FACTS_BYTES, KEY_BYTES, writeDurably } from '@qrkiosk/protocol';

/**
 * What the fleet was last sent: the sorted entries of the current snapshot and its sequence number.
 * The next `publish-cache` diffs the new CSV against it to make a delta.
 *
 * File `<state-dir>/fleet-cache.state`:
 *   "QRKS1\n" | header JSON | "\n" | entries (16-byte key ‖ 16-byte facts, sorted by key)
 * The header holds seq, createdAt, the entry count and the entries' SHA-256, so a truncated or damaged
 * file is refused instead of silently producing a wrong delta. 32 bytes per identity (320 MB at 10M).
 * Written to a temporary file, synced, then renamed over the old one: a crash leaves either the old
 * state or the new one, never half of one.
 */
export interface FleetCacheState {
  seq: number;
  createdAt: string;
  /** Sorted 32-byte entries, back to back. */
  entries: Buffer;
}

const MAGIC = Buffer.from('QRKS1\n', 'ascii');
const ENTRY_BYTES = KEY_BYTES + FACTS_BYTES;
export const FLEET_STATE_FILE = 'fleet-cache.state';

export class FleetStateError extends Error {}

export function readFleetState(dir: string): FleetCacheState | null {
  const file = join(dir, FLEET_STATE_FILE);
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  const refuse = (why: string) =>
    new FleetStateError(
      `${file}: tệp trạng thái hỏng (${why}); xóa nó và gửi lại với --snapshot / damaged state file (${why}); remove it and publish with --snapshot`,
    );
  if (!bytes.subarray(0, MAGIC.length).equals(MAGIC)) throw refuse('bad magic');
  const newline = bytes.indexOf(0x0a, MAGIC.length);
  if (newline < 0) throw refuse('no header');
  let header: { seq?: unknown; createdAt?: unknown; entries?: unknown; sha256?: unknown };
  try {
    header = JSON.parse(bytes.subarray(MAGIC.length, newline).toString('utf8')) as typeof header;
  } catch {
    throw refuse('header is not JSON');
  }
  const entries = bytes.subarray(newline + 1);
  if (
    !Number.isSafeInteger(header.seq) ||
    typeof header.createdAt !== 'string' ||
    header.entries !== entries.length / ENTRY_BYTES ||
    createHash('sha256').update(entries).digest('hex') !== header.sha256
  )
    throw refuse('length or checksum does not match');
  return { seq: header.seq as number, createdAt: header.createdAt, entries };
}

export function writeFleetState(dir: string, state: FleetCacheState): void {
  if (state.entries.length % ENTRY_BYTES !== 0) throw new Error('entries are not a whole number of entries');
  mkdirSync(dir, { recursive: true });
  const header = JSON.stringify({
    seq: state.seq,
    createdAt: state.createdAt,
    entries: state.entries.length / ENTRY_BYTES,
    sha256: createHash('sha256').update(state.entries).digest('hex'),
  });
  writeFileAtomic(join(dir, FLEET_STATE_FILE), [MAGIC, Buffer.from(`${header}\n`, 'utf8'), state.entries]);
}

/** Temp file, fsync, rename, fsync the folder (protocol's writeDurably): the old file or the new after a crash. */
export function writeFileAtomic(file: string, parts: readonly Buffer[], mode = 0o644): void {
  writeDurably(file, parts, { tmp: `${file}.tmp-${process.pid}`, mode });
}
