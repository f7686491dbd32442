import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * Writes a file so that a power cut leaves the old one or the new one, never half of either: written
 * aside (`tmp`, default `<file>.tmp`), synced, renamed over the file, and the folder synced so the rename
 * itself survives. One home for every file the kiosk and the hub replace whole: rules, trust and revocation
 * lists, the identity key, the last good time, the hub's fleet state.
 */
export function writeDurably(
  file: string,
  data: string | Uint8Array | readonly Uint8Array[],
  options: { tmp?: string; mode?: number } = {},
): void {
  const tmp = options.tmp ?? `${file}.tmp`;
  const parts =
    typeof data === 'string' ? [Buffer.from(data, 'utf8')] : data instanceof Uint8Array ? [data] : data;
  try {
    // A temp file left by a crash keeps its mode under 'w' (the mode applies only on creation): a 644 one
    // would then hold a secret meant to be 600. Removed first, and created afresh ('wx') with our mode.
    rmSync(tmp, { force: true });
    const fd = openSync(tmp, 'wx', options.mode ?? 0o644);
    try {
      for (const bytes of parts) {
        let offset = 0;
        while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    // A full disk leaves a short temp file: remove it, keep the old file.
    rmSync(tmp, { force: true });
    throw err;
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
