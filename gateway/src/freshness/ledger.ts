import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DATA_KINDS, type DataKind, writeDurably } from '@qrkiosk/protocol';

/** The ledger's file in the data folder: when each kind of data was last confirmed (issue #19). */
export const DATA_AGE_FILE = 'data-age.json';
const SCHEMA = 'qrkiosk.data-age/1';

/** A reading of the machine's monotonic clock (Clock.monotonic / monotonicNow). */
export interface MonoNow {
  boot: string;
  ms: number;
}

/** One kind's last confirmation: when the kiosk last knew this data to be what the office publishes. */
export interface Confirmation {
  /** What was confirmed (sources.ts): a different marker later is a new install, so a new confirmation. */
  marker: string;
  /** The wall time of the confirmation (a statement's issuedAt), and whether the clock was trusted then. */
  wallAt: string;
  wallSynced: boolean;
  /** Age already counted at `ref`: 0 at a confirmation; carried over from the last save after a restart. */
  baseMs: number;
  ref: MonoNow;
}

export interface LedgerState {
  kinds: Partial<Record<DataKind, Confirmation>>;
  /** issuedAt of the newest fleet/fresh statement accepted: an older or replayed one confirms nothing. */
  statementAt: string | null;
}

/**
 * How old a confirmation is now, in ms. The monotonic clock counts always: a wall clock set back
 * cannot hide age, one set forward cannot invent it. The wall clock adds what the monotonic clock cannot
 * see — the hours a kiosk was switched off — but only when it was trusted both at the confirmation and
 * now: an unsynced wall clock (a Pi without RTC boots at its last saved time, or at 1970) never moves
 * age. Between boots, without NTP, the time switched off is not counted; such a kiosk has the
 * `clock-unsynced` fault and holds date-dependent admissions anyway (decide/clock-gate.ts).
 */
export function ageMs(c: Confirmation, mono: MonoNow, wall: Date, synced: boolean): number {
  const monoAge = monoAgeMs(c, mono);
  if (!(synced && c.wallSynced)) return monoAge;
  const wallAge = wall.getTime() - Date.parse(c.wallAt);
  return Number.isFinite(wallAge) ? Math.max(monoAge, wallAge) : monoAge;
}

/** How old a confirmation is on the monotonic clock alone (the age carried from earlier boots included). */
export function monoAgeMs(c: Confirmation, mono: MonoNow): number {
  return c.baseMs + (mono.boot === c.ref.boot ? Math.max(0, mono.ms - c.ref.ms) : 0);
}

interface SavedKind {
  marker: string;
  wallAt: string;
  wallSynced: boolean;
  /** The age at the save (`savedAt`). */
  ageMs: number;
}
interface SavedFile {
  schema: typeof SCHEMA;
  savedAt: MonoNow;
  statementAt: string | null;
  kinds: Partial<Record<DataKind, SavedKind>>;
}

const isSavedKind = (v: unknown): v is SavedKind => {
  const k = v as SavedKind;
  return (
    typeof k?.marker === 'string' &&
    typeof k.wallAt === 'string' &&
    typeof k.wallSynced === 'boolean' &&
    Number.isFinite(k.ageMs) &&
    k.ageMs >= 0
  );
};

/**
 * The ledger as the file holds it, read at `mono`. In the same boot (the daemon restarted) the monotonic
 * time since the save counts too; after a reboot each kind carries the age it had at the last save (the
 * checkpoint every 5 min and at stop), so a restart never makes data younger than it was.
 * A missing file is an empty ledger; an unreadable one too, said through `bad`.
 */
export function readLedger(dataDir: string, mono: MonoNow, bad?: (err: Error) => void): LedgerState {
  let text: string;
  try {
    text = readFileSync(join(dataDir, DATA_AGE_FILE), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') bad?.(err as Error);
    return { kinds: {}, statementAt: null };
  }
  try {
    const saved = JSON.parse(text) as SavedFile;
    if (
      saved?.schema !== SCHEMA ||
      typeof saved.savedAt?.boot !== 'string' ||
      !Number.isFinite(saved.savedAt.ms)
    )
      throw new Error(`${DATA_AGE_FILE} is not a ${SCHEMA} file`);
    const sameBoot = saved.savedAt.boot === mono.boot;
    const kinds: LedgerState['kinds'] = {};
    for (const kind of DATA_KINDS) {
      const k = saved.kinds?.[kind];
      if (!isSavedKind(k)) continue;
      kinds[kind] = {
        marker: k.marker,
        wallAt: k.wallAt,
        wallSynced: k.wallSynced,
        baseMs: k.ageMs,
        ref: sameBoot ? saved.savedAt : mono,
      };
    }
    const statementAt =
      typeof saved.statementAt === 'string' && Number.isFinite(Date.parse(saved.statementAt))
        ? saved.statementAt
        : null;
    return { kinds, statementAt };
  } catch (err) {
    bad?.(err as Error);
    return { kinds: {}, statementAt: null };
  }
}

/** Writes the ledger durably (a power cut leaves the old file or the new, never half). */
export function writeLedger(
  dataDir: string,
  state: LedgerState,
  now: { mono: MonoNow; wall: Date; synced: boolean },
): void {
  const { mono } = now;
  const kinds: SavedFile['kinds'] = {};
  for (const kind of DATA_KINDS) {
    const c = state.kinds[kind];
    // The whole age, the hours a trusted wall clock saw the kiosk off included: carried into a next boot
    // whose wall clock is not trusted, they must not be lost.
    if (c)
      kinds[kind] = {
        marker: c.marker,
        wallAt: c.wallAt,
        wallSynced: c.wallSynced,
        ageMs: ageMs(c, mono, now.wall, now.synced),
      };
  }
  const file: SavedFile = { schema: SCHEMA, savedAt: mono, statementAt: state.statementAt, kinds };
  writeDurably(join(dataDir, DATA_AGE_FILE), `${JSON.stringify(file)}\n`);
}
