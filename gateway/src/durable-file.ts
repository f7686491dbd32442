import { closeSync, fsyncSync, openSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so that a power cut leaves the old one or the new one, never half of either: written
 * aside (`tmp`, default `<file>.tmp`), synced, renamed over the file, and the folder synced so the rename
 * itself survives. One home for the rules file, the DCC trust list and the revocation list.
 */
export function writeDurably(
  file: string,
  data: string | Uint8Array,
  options: { tmp?: string; mode?: number } = {},
): void {
  const tmp = options.tmp ?? `${file}.tmp`;
  const fd = openSync(tmp, 'w', options.mode ?? 0o644);
  try {
    let offset = 0;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
