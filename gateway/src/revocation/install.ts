import { closeSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  type KeyRing,
  openRevocationList,
  peekRevocationHeader,
  type RevocationHeader,
  RevocationListError,
  writeDurably,
} from '@qrkiosk/protocol';
import { RevocationList } from './list.js';

/**
 * The hub's signed revocation list (`fleet/revocation`), kept on the kiosk as the signed file itself in
 * `<data.dir>/revocation.qrkr`: written to a temporary name, fsynced, renamed, so a restart finds the
 * old list or the new one, never half. It is verified again when loaded, so a file altered on the
 * card is refused like one altered on the wire.
 */
export const REVOCATION_FILE = 'revocation.qrkr';
export const revocationFile = (dataDir: string) => join(dataDir, REVOCATION_FILE);

export type RevocationInstall =
  | { installed: true; list: RevocationList; entries: number }
  | { installed: false; version: number };

/** The installed list, verified; null when none is installed. Throws RevocationListError if it is refused. */
export function loadRevocationList(dataDir: string, keys: KeyRing): RevocationList | null {
  let file: Buffer;
  try {
    file = readFileSync(revocationFile(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return listFromFile(file, keys);
}

/**
 * The version written on disk (its header only, unverified), 0 when none: `qrkiosk revocation apply` may have
 * installed a newer list than the running daemon holds, and an older one from MQTT must not replace it.
 */
export function installedRevocationVersion(dataDir: string): number {
  return installedRevocationHeader(dataDir)?.version ?? 0;
}

/** The installed list's header (unverified), null when none or unreadable; `qrkiosk doctor` shows its age. */
export function installedRevocationHeader(dataDir: string): RevocationHeader | null {
  let fd: number;
  try {
    fd = openSync(revocationFile(dataDir), 'r');
  } catch {
    return null;
  }
  try {
    const head = Buffer.alloc(10);
    if (readSync(fd, head, 0, 10, 0) < 10) return null;
    const length = Math.min(head.readUInt32LE(6), 4 * 1024 * 1024);
    const file = Buffer.alloc(10 + length);
    readSync(fd, file, 0, file.length, 0);
    return peekRevocationHeader(file);
  } finally {
    closeSync(fd);
  }
}

/** A signed list file, verified (hub key, signature, sorted sections). Throws RevocationListError. */
export function listFromFile(file: Buffer, keys: KeyRing): RevocationList {
  const { header, sections } = openRevocationList(file, keys);
  return new RevocationList(sections, header.version);
}

/**
 * Verifies a signed list and installs it if it is newer than `current` (the version in force).
 * `installed: false` for the list already in force (a retained message seen again after a reconnect);
 * throws RevocationListError for anything refused (`stale` for an older list); nothing is written then.
 */
export function installRevocationList(
  dataDir: string,
  payload: Buffer,
  keys: KeyRing,
  current: number,
): RevocationInstall {
  const peek = peekRevocationHeader(payload);
  if (peek && peek.version === current) {
    // The retained list seen again after a reconnect: the same bytes. Other bytes under the same
    // version would never take effect: say so, loudly, rather than "already installed".
    let same = false;
    try {
      same = readFileSync(revocationFile(dataDir)).equals(payload);
    } catch {
      same = false;
    }
    if (same) return { installed: false, version: current };
    throw new RevocationListError(
      'same-version',
      `list version ${current} differs from the installed list of the same version; the hub must publish a higher version`,
    );
  }
  const list = listFromFile(payload, keys);
  const onDisk = installedRevocationVersion(dataDir);
  if (list.version < Math.max(current, onDisk))
    throw new RevocationListError(
      'stale',
      `list version ${list.version} is older than the installed version ${Math.max(current, onDisk)}`,
    );
  mkdirSync(dataDir, { recursive: true });
  writeDurably(revocationFile(dataDir), payload);
  return { installed: true, list, entries: list.size };
}
