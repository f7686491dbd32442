// Network fault run (issue 12): real kiosk daemons scanning on ptys while the broker flaps, the hub's
// PostgreSQL goes down and the hub process is SIGKILLed mid-batch. At the end every check-in the
// kiosks journaled must be stored at the hub exactly once (the stored id set equals the journaled id
// set: nothing missing, nothing extra), with no dead letters; RSS and open file descriptors of every
// process are sampled to show growth.
//
//   npm run bench -- faults-network                     # the soak: one hour (QRKIOSK_FAULT_SECONDS)
//   QRKIOSK_FAULT_SECONDS=60 node bench/faults-network.mjs   # what CI runs (integration/faults-network.test.ts)
//
// Prints progress lines and, last, `RESULT {json}`. Exit 0 when nothing was lost or duplicated.
// Everything runs on loopback: a broker and a database of its own on free ports, temp folders.

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { VirtualSerialScanner } from '../firmware-sim/dist/index.js';
import { makeTempDir, REPO_ROOT, startMosquitto, startPostgres, waitFor } from '../testkit/dist/index.js';

const SECONDS = Number(process.env.QRKIOSK_FAULT_SECONDS ?? 3600);
const KIOSKS = Number(process.env.QRKIOSK_FAULT_KIOSKS ?? 2);
/** Scans per second per kiosk: a busy entrance (a guard scans one person every 1–3 s; ten is a queue). */
const RATE = Number(process.env.QRKIOSK_FAULT_RATE ?? 8);
/** The broker goes away every this many seconds, for 1.5 s (a flapping uplink or a broker restart). */
const FLAP_EVERY = Number(process.env.QRKIOSK_FAULT_FLAP_SECONDS ?? 6);
// Fault steps run even past SECONDS until this many were done: on a loaded machine each step takes
// longer, and a run bounded by time alone did too few (CI's test asks for every kind of fault).
const MIN_STEPS = Number(process.env.QRKIOSK_FAULT_MIN_STEPS ?? 0);

/** Which faults to inject (all by default): broker, database, hub. */
const KINDS = new Set((process.env.QRKIOSK_FAULT_KINDS ?? 'broker,database,hub').split(','));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const t0 = Date.now();
const say = (text) => console.log(`[${((Date.now() - t0) / 1000).toFixed(1).padStart(6)} s] ${text}`);
const children = new Set();
const cleanups = [];

function procStats(pid) {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024;
    return { rss, fds: readdirSync(`/proc/${pid}/fd`).length };
  } catch {
    return undefined;
  }
}

/** Starts a child and resolves once it printed `ready` on stdout; rejects if it exits first. */
function startProcess(name, args, ready) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let out = '';
    const onData = (d) => {
      out += d.toString();
      if (out.length > 200_000) out = out.slice(-100_000);
      if (ready && out.includes(ready)) {
        ready = undefined;
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      children.delete(child);
      if (ready)
        reject(new Error(`${name} exited (${code ?? signal}) before it was ready:\n${out.slice(-3000)}`));
    });
    /** @type {any} */ (child).output = () => out;
  });
}

async function main() {
  const work = makeTempDir('faults-network-');
  const persistence = join(work, 'mosquitto');
  mkdirSync(persistence, { recursive: true });
  // Persistence on, as hardware/mosquitto ships it: the hub's persistent session and what is queued
  // for it survive the broker's restarts. No message limits: QoS 1 is never dropped for a slow hub.
  const brokerConfig = [
    'persistence true',
    `persistence_location ${persistence}/`,
    'max_queued_messages 0',
    'max_inflight_messages 0',
  ];
  let broker = await startMosquitto({ extraConfig: brokerConfig });
  const port = broker.port;
  cleanups.push(() => broker.stop());
  const postgres = await startPostgres();
  cleanups.push(() => postgres.stop());
  const database = postgres.createDatabase('faults');

  const hubArgs = [
    join(REPO_ROOT, 'hub/dist/cli.js'),
    'run',
    '--mqtt',
    broker.url,
    '--database',
    database,
    '--data-dir',
    join(work, 'hub'),
    '--port',
    '0',
    '--lanes',
    '4',
    '--client-id',
    'qrkiosk-hub-faults',
  ];
  let hub = await startProcess('hub', hubArgs, 'hub page ready');

  const kiosks = [];
  for (let k = 0; k < KIOSKS; k++) {
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    const dir = join(work, `kiosk-${k}`);
    mkdirSync(dir, { recursive: true });
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      [
        `kiosk: { id: k-${k}, site: s-${k} }`,
        `scanner: { path: "${scanner.path}" }`,
        'gpio: { driver: sim }',
        'ui: { port: 0 }',
        `mqtt: { url: "${broker.url}", telemetrySeconds: 5 }`,
        `data: { dir: "${join(dir, 'data')}" }`,
        'rules: { duplicateWindowSeconds: 60 }',
        'log: { level: info }',
      ].join('\n'),
    );
    const daemon = await startProcess(
      `kiosk ${k}`,
      [join(REPO_ROOT, 'gateway/dist/cli/main.js'), 'run', '-c', config],
      'kiosk started',
    );
    kiosks.push({ k, scanner, daemon, journal: join(dir, 'data', 'journal.db') });
  }
  say(`broker :${port}, PostgreSQL :${postgres.port}, hub and ${KIOSKS} kiosks started`);

  const samples = [];
  const sample = () => {
    samples.push({
      at: Date.now() - t0,
      hub: procStats(hub.pid),
      kiosks: kiosks.map((x) => procStats(x.daemon.pid)),
    });
  };
  const sampler = setInterval(sample, 5000);
  sample();

  // Scanning: each kiosk scans a new person RATE times a second (distinct people: no repeats).
  let scanning = true;
  let scans = 0;
  const scanLoops = kiosks.map(async ({ k, scanner }) => {
    let n = 0;
    while (scanning) {
      const serial = String(n++).padStart(6, '0');
      await scanner.scan(`00${k + 1}088${serial}||Người Thử ${n}|01011988|Nam|Hà Nội|01012021`);
      scans++;
      await sleep(1000 / RATE);
    }
  });

  // Faults, one after another until the time is up: the broker flaps every FLAP_EVERY s; every
  // fourth flap the database is down for 3 s while the broker is up; every seventh the hub is
  // SIGKILLed (mid-batch: check-ins are flowing) and restarted a second later.
  const counts = { brokerRestarts: 0, databaseOutages: 0, hubKills: 0 };
  const end = t0 + SECONDS * 1000;
  const due = (step) => Date.now() < end || step <= MIN_STEPS;
  for (let step = 1; due(step); step++) {
    await sleep(
      step <= MIN_STEPS ? FLAP_EVERY * 1000 : Math.min(FLAP_EVERY * 1000, Math.max(0, end - Date.now())),
    );
    if (!due(step)) break;
    if (KINDS.has('broker')) {
      await broker.stop();
      await sleep(1500);
      broker = await startMosquitto({ port, extraConfig: brokerConfig });
      counts.brokerRestarts++;
    }
    if (KINDS.has('database') && step % 4 === 2) {
      await postgres.stop();
      await sleep(3000);
      await postgres.start();
      counts.databaseOutages++;
    }
    if (KINDS.has('hub') && step % 7 === 3) {
      hub.kill('SIGKILL');
      await new Promise((r) =>
        hub.exitCode !== null || hub.signalCode !== null ? r() : hub.once('exit', r),
      );
      await sleep(1000);
      hub = await startProcess('hub', hubArgs, 'hub page ready');
      counts.hubKills++;
    }
    if (step % 10 === 0) say(`${scans} scans, ${JSON.stringify(counts)}`);
  }
  scanning = false;
  await Promise.all(scanLoops);
  say(`scanning stopped after ${scans} scans; waiting for every journaled check-in to reach the hub`);

  const journaledIds = () =>
    kiosks.flatMap(({ journal }) => {
      const db = new Database(journal, { readonly: true, fileMustExist: true });
      try {
        return db.prepare('SELECT id FROM checkins').pluck().all();
      } finally {
        db.close();
      }
    });
  const undelivered = () =>
    kiosks.reduce((sum, { journal }) => {
      const db = new Database(journal, { readonly: true, fileMustExist: true });
      try {
        return sum + db.prepare('SELECT count(*) FROM checkins WHERE delivered_at IS NULL').pluck().get();
      } finally {
        db.close();
      }
    }, 0);
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  cleanups.push(() => client.end());
  const storedCount = async () =>
    Number((await client.query('SELECT count(*) AS n FROM checkins')).rows[0].n);
  const expected = journaledIds().length;
  await waitFor(
    async () => (undelivered() === 0 && (await storedCount()) >= expected ? true : undefined),
    120_000,
    `every journaled check-in (${expected}) stored at the hub`,
  ).catch((err) => say(err.message));
  clearInterval(sampler);
  sample();

  const journaled = new Set(journaledIds());
  const stored = (await client.query('SELECT id FROM checkins')).rows.map((r) => r.id);
  const storedSet = new Set(stored);
  const deadLetters = Number((await client.query('SELECT count(*) AS n FROM dead_letters')).rows[0].n);
  const missing = [...journaled].filter((id) => !storedSet.has(id)).length;
  const extra = stored.filter((id) => !journaled.has(id)).length;
  const duplicates = stored.length - storedSet.size;

  // Growth: the first sample after a minute of warm-up (or the first) against the last.
  const warm = samples.find((s) => s.at >= 60_000) ?? samples[0];
  const last = samples.at(-1);
  const growth = (pick) => {
    const a = pick(warm);
    const b = pick(last);
    return a && b
      ? {
          rssStartMiB: +(a.rss / 2 ** 20).toFixed(1),
          rssEndMiB: +(b.rss / 2 ** 20).toFixed(1),
          fdsStart: a.fds,
          fdsEnd: b.fds,
        }
      : null;
  };
  const result = {
    seconds: SECONDS,
    kiosks: KIOSKS,
    scans,
    journaled: journaled.size,
    storedAtHub: stored.length,
    missing,
    extra,
    duplicates,
    deadLetters,
    undeliveredAtKiosks: undelivered(),
    ...counts,
    resources: {
      note: 'hub: the process running at the end (restarted after each kill); kiosks: never restarted',
      hub: growth((s) => s?.hub),
      kiosks: kiosks.map((_, i) => growth((s) => s?.kiosks[i])),
    },
  };
  if (process.env.QRKIOSK_FAULT_DEBUG) console.log(hub.output().slice(-6000));
  console.log(`RESULT ${JSON.stringify(result)}`);
  return missing === 0 && extra === 0 && duplicates === 0 && deadLetters === 0 && journaled.size > 0 ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} catch (err) {
  console.error(err);
} finally {
  for (const child of children) child.kill('SIGKILL');
  for (const c of cleanups.reverse()) await Promise.resolve(c()).catch(() => undefined);
}
process.exit(code);
