import { closeSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import {
  type KeyRing,
  PASS_LIST_MAGIC,
  type PassList,
  PassListError,
  type PassListHeader,
  peekPassListHeader,
  verifyPassList,
  writeDurably,
} from '@qrkiosk/protocol';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';

/**
 * The hub's signed pass list (`fleet/passes`, protocol/src/pass-list.ts), kept as the signed file itself
 * in `<data.dir>/passes.qrkpl`: written durably (temporary name, fsync, rename), verified again when
 * loaded, so a file altered on the card is refused like one altered on the wire. A list older than the
 * one in force is refused; the same list seen again (retained, after a reconnect) changes nothing.
 */
export const PASS_LIST_FILE = 'passes.qrkpl';
export const passListFile = (dataDir: string) => join(dataDir, PASS_LIST_FILE);

/** The installed list, verified; null when none is installed. Throws PassListError if it is refused. */
export function loadPassList(dataDir: string, keys: KeyRing): PassList | null {
  let file: Buffer;
  try {
    file = readFileSync(passListFile(dataDir));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return verifyPassList(file, keys);
}

/**
 * The installed list's header (unverified; only the header is read, not the up to 14 MB of entries), null
 * when none or unreadable: what the data-age ledger and `qrkiosk doctor` read from another process.
 */
export function installedPassListHeader(dataDir: string): PassListHeader | null {
  let fd: number;
  try {
    fd = openSync(passListFile(dataDir), 'r');
  } catch {
    return null;
  }
  try {
    const start = PASS_LIST_MAGIC.length + 4;
    const head = Buffer.alloc(start);
    if (readSync(fd, head, 0, start, 0) < start) return null;
    const length = Math.min(head.readUInt32LE(PASS_LIST_MAGIC.length), 4 * 1024 * 1024);
    const file = Buffer.alloc(start + length);
    if (readSync(fd, file, 0, file.length, 0) < file.length) return null;
    return peekPassListHeader(file);
  } finally {
    closeSync(fd);
  }
}

/**
 * Verifies a signed list and installs it if newer than `current` (the version in force). `installed:
 * false` for the same bytes again; throws PassListError for anything refused, nothing written then.
 */
export function installPassList(
  dataDir: string,
  payload: Buffer,
  keys: KeyRing,
  current: number,
): { installed: true; list: PassList } | { installed: false; version: number } {
  const peek = peekPassListHeader(payload);
  if (peek && peek.version === current) {
    let same = false;
    try {
      same = readFileSync(passListFile(dataDir)).equals(payload);
    } catch {
      same = false;
    }
    if (same) return { installed: false, version: current };
    throw new PassListError(
      'same-version',
      `pass list version ${current} differs from the installed list of the same version; the hub must publish a higher version`,
    );
  }
  const list = verifyPassList(payload, keys);
  let onDisk = 0;
  try {
    onDisk = peekPassListHeader(readFileSync(passListFile(dataDir)))?.version ?? 0;
  } catch {
    onDisk = 0;
  }
  if (list.header.version < Math.max(current, onDisk))
    throw new PassListError(
      'stale',
      `pass list version ${list.header.version} is older than the installed version ${Math.max(current, onDisk)}`,
    );
  mkdirSync(dataDir, { recursive: true });
  writeDurably(passListFile(dataDir), payload);
  return { installed: true, list };
}

/**
 * The pass list in force on a kiosk: loaded at start, replaced by each newer list the hub sends. A refused
 * list raises `pass-list-refused` (telemetry carries it to the hub's fleet page), cleared by the next list
 * installed: a kiosk that cannot take the hub's list would otherwise only say so in its own log.
 */
export class PassListSource {
  private list: PassList | undefined;

  constructor(
    private readonly dataDir: string,
    private readonly keys: KeyRing,
    private readonly log: Logger,
    private readonly faults?: Faults,
  ) {}

  get current(): PassList | undefined {
    return this.list;
  }

  load(): void {
    try {
      this.list = loadPassList(this.dataDir, this.keys) ?? undefined;
      if (this.list)
        this.log.info(
          { version: this.list.header.version, passes: this.list.header.count },
          'pass list loaded',
        );
    } catch (err) {
      // Altered on the card or signed by a key no longer trusted: every card is `pass-unlisted` (REVIEW)
      // until the hub's retained list arrives again.
      this.faults?.raise('pass-list-refused', err);
      this.log.error({ err }, 'installed pass list refused; every pass is REVIEW until the hub sends one');
      this.list = undefined;
    }
  }

  /** Whether a new list was installed. */
  receive(payload: Buffer): boolean {
    try {
      const result = installPassList(this.dataDir, payload, this.keys, this.list?.header.version ?? 0);
      if (!result.installed) {
        this.log.debug({ version: result.version }, 'pass list already installed');
        return false;
      }
      this.list = result.list;
      this.faults?.clear('pass-list-refused');
      this.log.info(
        { version: result.list.header.version, passes: result.list.header.count },
        'pass list installed',
      );
      return true;
    } catch (err) {
      if (!(err instanceof PassListError)) throw err;
      this.faults?.raise('pass-list-refused', err);
      this.log.error({ err, code: err.code }, 'pass list refused; the list in force stays');
      return false;
    }
  }
}
