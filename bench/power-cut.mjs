// Power-cut benchmark (issue #12, "nothing lost, nobody in"): the real daemon (`qrkiosk run`) takes
// 10,000 scans through a virtual scanner on a real pty and is SIGKILLed at 100 random scans (seeded),
// then started again on the same data folder. After each kill a copy of the data folder has its WAL
// cut at a random offset (a torn write) and must open clean. Pass: every check-in the daemon logged —
// it logs a scan after the journal commit and the light — is in journal.db, and it started every time.
// Run: npm run bench -- power-cut   (QRKIOSK_BENCH_SCANS, QRKIOSK_BENCH_KILLS, QRKIOSK_BENCH_SEED)

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { powerCutRun } from '../firmware-sim/dist/index.js';

const SCANS = Number(process.env.QRKIOSK_BENCH_SCANS ?? 10_000);
const KILLS = Number(process.env.QRKIOSK_BENCH_KILLS ?? 100);
const SEED = Number(process.env.QRKIOSK_BENCH_SEED ?? 20211015);
const cli = join(import.meta.dirname, '..', 'gateway', 'dist', 'cli', 'main.js');
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-power-cut-'));

function readIds(dataDir) {
  const db = new Database(join(dataDir, 'journal.db'));
  try {
    const ok = db.pragma('integrity_check', { simple: true });
    if (ok !== 'ok') throw new Error(`integrity_check: ${ok}`);
    return db
      .prepare('SELECT id FROM checkins ORDER BY seq')
      .all()
      .map((r) => /** @type {{ id: string }} */ (r).id);
  } finally {
    db.close();
  }
}

let seed = SEED;
const torn = { copies: 0, walBytesCut: 0, rowsKept: 0, rowsBefore: 0, bad: 0 };
const started = Date.now();
const result = await powerCutRun({
  cli,
  dir,
  scans: SCANS,
  kills: KILLS,
  seed: SEED,
  afterKill: (dataDir, cut) => {
    const copy = join(dir, `torn-${cut}`);
    mkdirSync(copy);
    for (const f of readdirSync(dataDir)) copyFileSync(join(dataDir, f), join(copy, f));
    const wal = join(copy, 'journal.db-wal');
    const size = statSync(wal, { throwIfNoEntry: false })?.size ?? 0;
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const keep = size > 0 ? seed % size : 0;
    if (size > 0) truncateSync(wal, keep);
    try {
      const before = readIds(dataDir);
      const after = readIds(copy);
      if (after.some((id, i) => before[i] !== id))
        throw new Error('the torn copy is not a prefix of the journal');
      torn.copies++;
      torn.walBytesCut += size - keep;
      torn.rowsKept += after.length;
      torn.rowsBefore += before.length;
    } catch (err) {
      torn.bad++;
      console.error(`cut ${cut}: torn copy failed: ${err.message}`);
    }
    rmSync(copy, { recursive: true, force: true });
    if (cut % 10 === 0) console.log(`  … ${cut} kills, ${((Date.now() - started) / 1000).toFixed(0)} s`);
  },
});
const onDisk = new Set(readIds(result.dataDir));
const missing = result.shown.filter((id) => !onDisk.has(id));
const secs = (Date.now() - started) / 1000;
console.table({
  scans: result.sent,
  'check-ins logged (light shown)': result.shown.length,
  'rows in journal.db': onDisk.size,
  kills: result.kills,
  starts: result.starts,
  'logged but missing': missing.length,
  'torn WAL copies opened clean': `${torn.copies}/${result.kills}`,
  seconds: secs.toFixed(1),
});
rmSync(dir, { recursive: true, force: true });
const ok = missing.length === 0 && result.starts === result.kills + 1 && torn.bad === 0;
console.log(ok ? 'PASS: nothing shown was lost; the daemon started after every cut' : 'FAIL');
process.exit(ok ? 0 : 1);
