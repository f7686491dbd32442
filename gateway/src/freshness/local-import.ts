import { type Clock, monotonicNow } from '../clock.js';
import { clockTrusted } from '../time/clock-watch.js';
import { readLedger, writeLedger } from './ledger.js';
import { factsInstalled } from './sources.js';

/**
 * `qrkiosk cache import` imported at least one row: it confirms the facts now, in the data-age ledger
 * itself, so a kiosk whose daemon has not run yet (or is stopped) starts with those facts dated by the
 * import. A running daemon keeps its own copy of the ledger and saves over this file, but it confirms the
 * same import itself when it next looks (index.ts localImport): the outcome is the same either way.
 */
export function recordLocalImport(
  dataDir: string,
  cache: { version: number; updatedAt: string | null; signer: string | null },
  clock: Clock,
  assumeSynced: boolean | undefined,
): void {
  const facts = factsInstalled(cache);
  if (!facts?.localAt) return;
  const mono = clock.monotonic?.() ?? monotonicNow();
  const wall = clock.now();
  const synced = clockTrusted(clock, dataDir, assumeSynced);
  const state = readLedger(dataDir, mono);
  state.kinds.facts = {
    marker: facts.marker,
    wallAt: wall.toISOString(),
    wallSynced: synced,
    baseMs: 0,
    ref: mono,
  };
  writeLedger(dataDir, state, { mono, wall, synced });
}
