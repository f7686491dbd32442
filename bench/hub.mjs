// Hub benchmark (issue 8). Run: npm run bench -- hub
//
// 0. Storage alone, batch sizes 1–1,000, both engines (what a transaction per batch buys).
// 1. Ingest. Simulated kiosks (firmware-sim's fleet load generator, one MQTT connection each, QoS 1)
//    publish through a real Mosquitto to `qrkiosk-hub run` processes; counted in the database: zero
//    loss and zero duplicates means exactly the published ids are stored. Two measures per scenario:
//    - live: the hubs run while the kiosks publish (the kiosks' CPU shares the machine);
//    - backlog: the check-ins are queued in the broker while the hubs are down, then the hubs start
//      and drain them (only the hubs and the broker work: the hub's own capacity).
//    Scenarios: SQLite, one hub, one MQTT connection (the hub before lanes); SQLite and PostgreSQL
//    with lanes; two hub processes on PostgreSQL. PostgreSQL runs durable (fsync on).
// Tracing on 10M check-ins moved to bench/trace.mjs (`npm run bench -- trace`, issue 18).
//
// QRKIOSK_BENCH_HUB_MESSAGES (default 100,000), QRKIOSK_BENCH_HUB_KIOSKS (20),
// QRKIOSK_BENCH_HUB_SCENARIOS (all: sqlite-1x1,sqlite-1x32,pg-1x32,pg-2x32).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { publishFleetLoad } from '../firmware-sim/dist/index.js';
import { REPO_ROOT, startMosquitto, startPostgres } from '../testkit/dist/index.js';

const MESSAGES = Number(process.env.QRKIOSK_BENCH_HUB_MESSAGES ?? 100_000);
const KIOSKS = Number(process.env.QRKIOSK_BENCH_HUB_KIOSKS ?? 20);
const SCENARIOS = (process.env.QRKIOSK_BENCH_HUB_SCENARIOS ?? 'sqlite-1x1,sqlite-1x32,pg-1x32,pg-2x32').split(
  ',',
);
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-hub-'));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** CPU seconds of a process and its descendants, live and reaped (Linux /proc; USER_HZ = 100). */
function cpuTree(root) {
  const stat = (pid) => {
    try {
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
      return f.slice(f.lastIndexOf(')') + 2).split(' ');
    } catch {
      return null;
    }
  };
  const parent = new Map();
  for (const d of readdirSync('/proc')) if (/^\d+$/.test(d)) parent.set(Number(d), Number(stat(d)?.[1]));
  let sum = 0;
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    const f = stat(pid);
    if (f) sum += (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / 100;
    for (const [child, pp] of parent) if (pp === pid) stack.push(child);
  }
  return sum;
}

/** A `qrkiosk-hub run` process; resolves once its page is up. */
function startHub({ name, brokerUrl, database, lanes }) {
  return new Promise((resolve, reject) => {
    const args = [join(REPO_ROOT, 'hub/dist/cli.js'), 'run', '--mqtt', brokerUrl, '--database', database];
    args.push('--data-dir', join(dir, `data-${name}`), '--port', '0', '--client-id', `bench-${name}`);
    args.push(...(lanes > 1 ? ['--share', 'hub', '--lanes', String(lanes)] : ['--share', 'none']));
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    const onData = (d) => {
      out += d.toString();
      if (out.includes('hub page ready')) {
        child.stdout.off('data', onData);
        child.stdout.resume();
        resolve(child);
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => reject(new Error(`hub ${name} exited ${code}: ${out}`)));
  });
}
const stopHub = (child) =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', resolve);
    child.kill('SIGTERM');
  });

/** Counts stored check-ins (and checks they are exactly the published ids) in either engine. */
async function counter(engine, database) {
  if (engine === 'sqlite') {
    const db = new Database(database, { readonly: true, fileMustExist: true });
    const n = db.prepare('SELECT count(*) AS n FROM checkins');
    return {
      count: async () => /** @type {{ n: number }} */ (n.get()).n,
      ids: async () => db.prepare('SELECT id FROM checkins ORDER BY id').pluck().all(),
      close: async () => db.close(),
    };
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  return {
    count: async () => Number((await client.query('SELECT count(*) AS n FROM checkins')).rows[0].n),
    ids: async () => (await client.query('SELECT id FROM checkins ORDER BY id')).rows.map((r) => r.id),
    close: () => client.end(),
  };
}

async function waitStored(c, total, t0) {
  for (;;) {
    const n = await c.count();
    if (n >= total || performance.now() - t0 > 600_000) return n;
    await sleep(50);
  }
}

async function ingestScenario(name) {
  const [, engine, hubs, lanes] = /^(sqlite|pg)-(\d+)x(\d+)$/.exec(name) ?? [];
  if (!engine) throw new Error(`unknown scenario ${name}`);
  const results = {};
  for (const mode of ['live', 'backlog']) {
    const broker = await startMosquitto({
      extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0', 'max_queued_bytes 0'],
    });
    const postgres = engine === 'pg' ? await startPostgres({ durable: true }) : undefined;
    const database = postgres
      ? postgres.createDatabase(`bench_${mode}`)
      : join(dir, `${name}-${mode}`, 'hub.db');
    const start = () =>
      Promise.all(
        Array.from({ length: Number(hubs) }, (_, i) =>
          startHub({ name: `${name}-${mode}-${i}`, brokerUrl: broker.url, database, lanes: Number(lanes) }),
        ),
      );
    let procs = await start();
    const per = Math.ceil(MESSAGES / KIOSKS);
    const cpu = () => ({
      hub: procs.reduce((n, p) => n + cpuTree(p.pid), 0),
      broker: cpuTree(broker.pid),
      db: postgres ? cpuTree(postgres.pid) : 0,
      load: process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6,
    });
    let cpu0;
    const c = await counter(engine === 'pg' ? 'postgres' : 'sqlite', database);
    let t0;
    let published;
    if (mode === 'backlog') {
      // Sessions and subscriptions exist (persistent); queue everything while the hubs are down.
      await Promise.all(procs.map(stopHub));
      published = await publishFleetLoad({ url: broker.url, kiosks: KIOSKS, perKiosk: per });
      t0 = performance.now();
      cpu0 = { ...cpu(), hub: 0 };
      procs = await start();
    } else {
      t0 = performance.now();
      cpu0 = cpu();
      published = await publishFleetLoad({ url: broker.url, kiosks: KIOSKS, perKiosk: per });
    }
    const stored = await waitStored(c, published.ids.length, t0);
    const seconds = (performance.now() - t0) / 1000;
    const cpu1 = cpu();
    const us = (k) => Math.round(((cpu1[k] - cpu0[k]) / stored) * 1e6);
    const perCheckin = {
      hub: us('hub'),
      broker: us('broker'),
      db: us('db'),
      load: mode === 'live' ? us('load') : 0,
    };
    const totalUs = perCheckin.hub + perCheckin.broker + perCheckin.db + perCheckin.load;
    const ids = await c.ids();
    const expected = [...published.ids].sort();
    const exact = ids.length === expected.length && ids.every((id, i) => id === expected[i]);
    results[mode] = { rate: Math.round(stored / seconds), seconds, stored, exact, perCheckin };
    console.log(
      `ingest ${name} ${mode}: ${published.ids.length} check-ins from ${KIOSKS} kiosks, ${hubs} hub process(es) × ${lanes} lane(s), ${engine === 'pg' ? 'PostgreSQL' : 'SQLite'}: ${seconds.toFixed(1)} s = ${results[mode].rate}/s; stored ${stored}, ${exact ? 'exactly the published ids (0 lost)' : 'MISMATCH'}`,
    );
    console.log(
      `  CPU per check-in: hub ${perCheckin.hub} µs, broker ${perCheckin.broker} µs${postgres ? `, PostgreSQL ${perCheckin.db} µs` : ''}${mode === 'live' ? `, load generator ${perCheckin.load} µs` : ''}; total ${totalUs} µs → at most ${Math.round((cpus().length * 1e6) / totalUs)}/s on ${cpus().length} cores`,
    );
    await c.close();
    await Promise.all(procs.map(stopHub));
    await broker.stop();
    await postgres?.stop();
  }
  return results;
}

// 0. Storage alone: check-ins written through the repository in batches of 1, 8, 32 and 1,000
//    (one transaction each), wall rate and the hub process's CPU per check-in. This is what lanes buy.
{
  const { SqliteRepository, PostgresRepository } = await import('../hub/dist/index.js');
  const { syntheticCheckin } = await import('../firmware-sim/dist/index.js');
  const { monotonicFactory } = await import('ulid');
  const ulid = monotonicFactory();
  const postgres = await startPostgres({ durable: true });
  for (const engine of ['sqlite', 'postgres']) {
    for (const batch of [1, 8, 32, 1000]) {
      const repo =
        engine === 'sqlite'
          ? new SqliteRepository(join(dir, `storage-${batch}`, 'hub.db'))
          : await PostgresRepository.open(postgres.createDatabase(`storage_${batch}`));
      const rows = Array.from({ length: 50_000 }, () => ({
        checkin: syntheticCheckin(ulid(), 's-1', 'k-1', new Date()),
        receivedAt: new Date(),
      }));
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < rows.length; i += batch) await repo.addCheckins(rows.slice(i, i + batch));
      const seconds = (performance.now() - t0) / 1000;
      const c = process.cpuUsage(c0);
      console.log(
        `storage ${engine}, batches of ${batch}: ${Math.round(rows.length / seconds)} check-ins/s; hub CPU ${((c.user + c.system) / rows.length).toFixed(1)} µs per check-in`,
      );
      await repo.close();
    }
  }
  await postgres.stop();
}

const ingest = {};
for (const s of SCENARIOS) ingest[s] = await ingestScenario(s);
if (ingest['pg-1x32'] && ingest['pg-2x32'])
  for (const mode of ['live', 'backlog'])
    console.log(
      `two hub processes vs one on PostgreSQL (${mode}): ${(ingest['pg-2x32'][mode].rate / ingest['pg-1x32'][mode].rate).toFixed(2)}×`,
    );

console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}`);
rmSync(dir, { recursive: true, force: true });
