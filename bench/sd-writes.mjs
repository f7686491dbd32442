// SD-card write volume per check-in (issue #16, the appliance recipe): how many bytes the real kiosk
// daemon (`qrkiosk run`) makes the kernel write for 1,000 check-ins, so a card's life can be estimated.
// Two modes, each on a fresh data folder:
//   offline — the uplink points at a closed port: every check-in stays in the journal (the outbox);
//   online  — a real Mosquitto and a subscriber that receipts every check-in (firmware-sim's
//             receiptCheckins, a STAND-IN for the hub): each check-in is also marked delivered.
// Scans come one at a time through a virtual scanner on a real pty (a guard's pace, not a flood).
// Measured from the daemon's /proc/<pid>/io before and after the scans (and after an idle window of the
// same length, to show what the daemon writes with nobody scanning): write_bytes is what the process
// dirtied for the block device (counted when dirtied, written back later by the kernel), rchar/wchar
// every byte through read/write calls (pipes and sockets too). fsync/fdatasync calls are counted with
// strace (seccomp filter: only those calls stop the daemon). The daemon logs to stdout, not journald:
// its log bytes are counted separately (what journald would receive; what journald then writes for them:
// bench/journald-writes/run.sh).
// As root, the data folder is a fresh ext4 file system of its own on a loop device, mounted noatime as
// Raspberry Pi OS mounts its root: the device's sectors-written counter (after syncfs) then adds what the
// process counters miss — ext4's journal (jbd2) commits, inode updates, SQLite's checkpoints written back.
// Run: npm run bench -- sd-writes    (QRKIOSK_BENCH_SCANS, default 1000; QRKIOSK_BENCH_MODES=offline,online)

import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { cccdFor, receiptCheckins, VirtualSerialScanner } from '../firmware-sim/dist/index.js';
import { HUB_FILTERS } from '../protocol/dist/index.js';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '../testkit/dist/index.js';

const SCANS = Number(process.env.QRKIOSK_BENCH_SCANS ?? 1000);
const MODES = (process.env.QRKIOSK_BENCH_MODES ?? 'offline,online').split(',');
const cli = join(REPO_ROOT, 'gateway', 'dist', 'cli', 'main.js');
const haveStrace = spawnSync('strace', ['-V']).status === 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function io(pid) {
  const fields = Object.fromEntries(
    readFileSync(`/proc/${pid}/io`, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(':').map((s) => s.trim()))
      .map(([k, v]) => [k, Number(v)]),
  );
  return fields;
}

const diff = (a, b) => Object.fromEntries(Object.keys(b).map((k) => [k, b[k] - a[k]]));

/** The node process: the child itself, or strace's child when the daemon runs under strace. */
async function nodePid(child) {
  if (!haveStrace) return child.pid;
  return waitFor(
    () => {
      const kids = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim();
      return kids ? Number(kids.split(' ')[0]) : undefined;
    },
    10_000,
    'the daemon under strace',
  );
}

/** A fresh ext4 on a loop device (root only), or undefined where it cannot be mounted. */
function loopFs(dir) {
  if (process.getuid?.() !== 0) return undefined;
  const image = join(dir, 'card.img');
  const mnt = join(dir, 'card');
  mkdirSync(mnt);
  writeFileSync(image, '');
  spawnSync('truncate', ['-s', '512M', image]);
  if (spawnSync('mkfs.ext4', ['-q', '-F', image]).status !== 0) return undefined;
  if (spawnSync('mount', ['-o', 'loop,noatime', image, mnt]).status !== 0) return undefined;
  const source = spawnSync('findmnt', ['-no', 'SOURCE', mnt], { encoding: 'utf8' }).stdout.trim();
  const stat = `/sys/block/${basename(source)}/stat`;
  return {
    mnt,
    /** Bytes written to the device so far, after flushing this file system. */
    written: () => {
      spawnSync('sync', ['-f', mnt]);
      return Number(readFileSync(stat, 'utf8').trim().split(/\s+/)[6]) * 512;
    },
    unmount: () => spawnSync('umount', [mnt]),
  };
}

function startDaemon(config, traceFile) {
  const args = [cli, 'run', '--config', config];
  const child = haveStrace
    ? spawn(
        'strace',
        [
          '-f',
          '--seccomp-bpf',
          '-e',
          'trace=fsync,fdatasync,sync_file_range',
          '-o',
          traceFile,
          process.execPath,
          ...args,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      )
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const state = { scans: 0, logBytes: 0, tail: '', connected: false };
  let carry = '';
  child.stdout.on('data', (d) => {
    state.logBytes += d.length;
    const lines = (carry + d.toString()).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      state.tail = `${state.tail}${line}\n`.slice(-4000);
      if (line.includes('"msg":"scanner connected"')) state.connected = true;
      if (line.includes('"msg":"scan"')) state.scans++;
    }
  });
  child.stderr.on('data', (d) => {
    state.tail = `${state.tail}${d}`.slice(-4000);
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, state, exited };
}

function fsyncCounts(traceFile) {
  if (!haveStrace) return undefined;
  const text = readFileSync(traceFile, 'utf8');
  const count = (name) => text.split('\n').filter((l) => new RegExp(`\\b${name}\\(`).test(l)).length;
  return { fsync: count('fsync'), fdatasync: count('fdatasync'), sync_file_range: count('sync_file_range') };
}

async function run(mode) {
  const dir = makeTempDir(`sd-writes-${mode}-`);
  const card = loopFs(dir);
  const dataDir = join(card?.mnt ?? dir, 'data');
  mkdirSync(dataDir);
  const scanner = new VirtualSerialScanner();
  await scanner.plugIn();
  const broker = mode === 'online' ? await startMosquitto() : undefined;
  const hub = broker ? await connectAsync(broker.url, { protocolVersion: 5 }) : undefined;
  if (hub) {
    await hub.subscribeAsync(HUB_FILTERS.checkin, { qos: 1 });
    receiptCheckins(hub);
  }
  const config = join(dir, 'kiosk.yaml');
  writeFileSync(
    config,
    [
      'kiosk: { id: k-001, site: s-001, direction: in }',
      `scanner: { type: serial, path: "${scanner.path}", terminator: CR }`,
      'gpio: { driver: sim }',
      'ui: { port: 0 }',
      `mqtt: { url: "${broker ? broker.url : 'mqtt://127.0.0.1:1'}" }`,
      `data: { dir: "${dataDir}" }`,
      'rules: { duplicateWindowSeconds: 0 }',
      'log: { level: info }',
    ].join('\n'),
  );
  const traceFile = join(dir, 'fsync.trace');
  const daemon = startDaemon(config, traceFile);
  let pid;
  try {
    await waitFor(
      () => daemon.state.connected || undefined,
      30_000,
      `scanner connected\n${daemon.state.tail}`,
    );
    pid = await nodePid(daemon.child);
    if (broker) await sleep(2000); // let the uplink connect and subscribe before counting
    const fsyncsAtStart = fsyncCounts(traceFile);
    const logAtStart = daemon.state.logBytes;
    const deviceBefore = card?.written();
    const before = io(pid);
    const t0 = Date.now();
    for (let n = 0; n < SCANS; n++) {
      const seen = daemon.state.scans;
      await scanner.scan(cccdFor(n));
      await waitFor(() => daemon.state.scans > seen || undefined, 10_000, `scan ${n}\n${daemon.state.tail}`);
    }
    const journal = new Database(join(dataDir, 'journal.db'), { readonly: true, fileMustExist: true });
    if (broker) {
      await waitFor(
        () =>
          journal.prepare('SELECT count(*) FROM checkins WHERE delivered_at IS NULL').pluck().get() === 0 ||
          undefined,
        60_000,
        'every check-in delivered',
      );
    }
    const scanMs = Date.now() - t0;
    const after = io(pid);
    const device = card ? card.written() - deviceBefore : undefined;
    const fsyncsAfter = fsyncCounts(traceFile);
    const logBytes = daemon.state.logBytes - logAtStart;
    const rows = journal.prepare('SELECT count(*) FROM checkins').pluck().get();
    const delivered = journal
      .prepare('SELECT count(*) FROM checkins WHERE delivered_at IS NOT NULL')
      .pluck()
      .get();
    journal.close();
    // The same length of time with nobody scanning: what the daemon writes on its own (telemetry, timers).
    const idleBefore = io(pid);
    const idleFsyncs = fsyncCounts(traceFile);
    await sleep(scanMs);
    const idle = diff(idleBefore, io(pid));
    const idleFsyncsAfter = fsyncCounts(traceFile);
    const size = (f) => statSync(join(dataDir, f), { throwIfNoEntry: false })?.size ?? 0;
    const d = diff(before, after);
    const fs = fsyncsAfter && {
      during: diff(fsyncsAtStart, fsyncsAfter),
      idle: diff(idleFsyncs, idleFsyncsAfter),
    };
    return {
      mode,
      scans: SCANS,
      rows,
      delivered,
      seconds: +(scanMs / 1000).toFixed(1),
      io: d,
      device,
      idle,
      logBytes,
      fsyncs: fs,
      files: { 'journal.db': size('journal.db'), 'journal.db-wal': size('journal.db-wal') },
    };
  } finally {
    // The daemon itself, not strace: strace detaches on SIGTERM and would leave the daemon running.
    const signal = (sig) => {
      try {
        process.kill(pid ?? daemon.child.pid, sig);
      } catch {}
    };
    signal('SIGTERM');
    await Promise.race([daemon.exited, sleep(10_000)]);
    if (daemon.child.exitCode === null) {
      signal('SIGKILL');
      daemon.child.kill('SIGKILL');
      await daemon.exited;
    }
    await scanner.unplug();
    if (hub) await hub.endAsync();
    if (broker) await broker.stop();
    card?.unmount();
    rmSync(dir, { recursive: true, force: true });
  }
}

const kib = (b) => +(b / 1024).toFixed(1);
const results = [];
for (const mode of MODES) {
  console.log(`… ${mode}: ${SCANS} scans`);
  results.push(await run(mode));
}
const per1000 = (x, r) => Math.round((x * 1000) / r.scans);
const table = {};
for (const r of results) {
  const written = r.io.write_bytes - r.io.cancelled_write_bytes;
  table[r.mode] = {
    'rows / delivered': `${r.rows} / ${r.delivered}`,
    'write_bytes per check-in': Math.round(written / r.scans),
    'write_bytes per 1,000 (KiB)': kib(per1000(written, r)),
    'device bytes per check-in (ext4 loop, after syncfs)':
      r.device === undefined ? 'not root' : Math.round(r.device / r.scans),
    'device per 1,000 (KiB)': r.device === undefined ? 'not root' : kib(per1000(r.device, r)),
    'cancelled_write_bytes (KiB)': kib(r.io.cancelled_write_bytes),
    'wchar per check-in': Math.round(r.io.wchar / r.scans),
    'rchar per check-in': Math.round(r.io.rchar / r.scans),
    'log bytes per check-in (stdout)': Math.round(r.logBytes / r.scans),
    'fsync+fdatasync per check-in': r.fsyncs
      ? +((r.fsyncs.during.fsync + r.fsyncs.during.fdatasync) / r.scans).toFixed(2)
      : 'no strace',
    'idle write_bytes (same time, KiB)': kib(r.idle.write_bytes),
    'idle fsyncs (same time)': r.fsyncs ? r.fsyncs.idle.fsync + r.fsyncs.idle.fdatasync : 'no strace',
    'journal.db / -wal after (KiB)': `${kib(r.files['journal.db'])} / ${kib(r.files['journal.db-wal'])}`,
    seconds: r.seconds,
  };
}
console.table(table);
console.log(`RESULT ${JSON.stringify(results)}`);
