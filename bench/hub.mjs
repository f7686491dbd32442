// Hub benchmark (issue 8, SQLite): ingest rate from Mosquitto with N simulated kiosks publishing at
// once (zero loss, zero duplicates, counted in the database), and contact-tracing latency on a hub
// database of 10M check-ins. Run: npm run bench -- hub
// QRKIOSK_BENCH_HUB_MESSAGES (default 100,000), QRKIOSK_BENCH_HUB_KIOSKS (20), QRKIOSK_BENCH_TRACE_ROWS (10,000,000).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import pino from 'pino';
import { ulid } from 'ulid';
import { Hub, HubStore } from '../hub/dist/index.js';
import { CHECKIN_SCHEMA_ID, hashIdentity, kioskTopics } from '../protocol/dist/index.js';
import { startMosquitto } from '../testkit/dist/index.js';

const MESSAGES = Number(process.env.QRKIOSK_BENCH_HUB_MESSAGES ?? 100_000);
const KIOSKS = Number(process.env.QRKIOSK_BENCH_HUB_KIOSKS ?? 20);
const ROWS = Number(process.env.QRKIOSK_BENCH_TRACE_ROWS ?? 10_000_000);
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-hub-'));
const key = randomBytes(32);
const checkin = (site, kiosk, at, idHash) => ({
  schema: CHECKIN_SCHEMA_ID,
  id: ulid(at),
  kiosk,
  site,
  direction: 'in',
  at: new Date(at).toISOString(),
  clockSynced: true,
  document: { kind: 'cccd', numberMasked: '********1234', nameMasked: 'NGUYỄN V** A*', idHash },
  verdict: 'ALLOW',
  colour: 'green',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
});

// 1. Ingest: K kiosks publish M/K check-ins each, concurrently, QoS 1; the hub stores and dedupes.
{
  const broker = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
  const hub = new Hub({
    mqtt: { url: broker.url, protocolVersion: 5 },
    dataDir: join(dir, 'ingest'),
    http: { host: '127.0.0.1', port: 0 },
    log: pino({ level: 'silent' }),
  });
  await hub.start();
  const per = Math.ceil(MESSAGES / KIOSKS);
  const clients = await Promise.all(
    Array.from({ length: KIOSKS }, () => connectAsync(broker.url, { protocolVersion: 5 })),
  );
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, k) => {
      const topic = kioskTopics(`s-${k}`, `k-${k}`).checkin;
      const now = Date.now();
      for (let i = 0; i < per; i += 500) {
        const batch = [];
        for (let j = i; j < Math.min(i + 500, per); j++)
          batch.push(
            c.publishAsync(
              topic,
              JSON.stringify(checkin(`s-${k}`, `k-${k}`, now + j, randomBytes(16).toString('hex'))),
              { qos: 1 },
            ),
          );
        await Promise.all(batch);
      }
    }),
  );
  const total = per * KIOSKS;
  while (hub.store.checkinCount() < total && performance.now() - t0 < 300_000)
    await new Promise((r) => setTimeout(r, 20));
  const s = (performance.now() - t0) / 1000;
  console.log(
    `ingest: ${total} check-ins from ${KIOSKS} kiosks in ${s.toFixed(1)} s = ${Math.round(total / s)}/s; stored ${hub.store.checkinCount()}, dead letters ${hub.store.deadLetterCount()}`,
  );
  await Promise.all(clients.map((c) => c.endAsync()));
  await hub.stop();
  await broker.stop();
}

// 2. Tracing on ROWS check-ins: 2,000 sites, 1M people, 21 days; random people traced over 14 days.
{
  const file = join(dir, 'trace', 'hub.db');
  const store = new HubStore(file);
  store.close();
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    'INSERT INTO checkins (id, site, kiosk, at, id_hash, message, received_at) VALUES (?, ?, ?, ?, ?, ?, ?)',
  );
  const start = Date.parse('2021-10-01T00:00:00Z');
  const people = 1_000_000;
  const hashes = Array.from({ length: 1000 }, (_, i) =>
    hashIdentity(key, 'cccd', String(i).padStart(12, '0')).toString('hex'),
  );
  const template = JSON.stringify(checkin('@SITE', 'k-1', start, '@HASH'))
    .replace(/"id":"[^"]+"/, '"id":"@ID"')
    .replace(/"at":"[^"]+"/, '"at":"@AT"');
  const t0 = performance.now();
  const batch = 200_000;
  for (let b = 0; b < ROWS; b += batch) {
    db.transaction(() => {
      for (let i = b; i < Math.min(b + batch, ROWS); i++) {
        const person = (i * 7919) % people;
        const idHash = person < 1000 ? hashes[person] : `${person.toString(16).padStart(32, '0')}`;
        const site = `s-${(i * 31) % 2000}`;
        const at = start + Math.floor((i / ROWS) * 21 * 86_400_000);
        // ULID-shaped ids from the row number (a ULID per row costs more than the insert).
        const id = `01F${[...i.toString(32).padStart(23, '0')].map((c) => CROCKFORD[Number.parseInt(c, 32)]).join('')}`;
        const iso = new Date(at).toISOString();
        const m = template
          .replace('@ID', id)
          .replace('@SITE', site)
          .replace('@AT', iso)
          .replace('@HASH', idHash);
        insert.run(id, site, 'k-1', iso, idHash, m, iso);
      }
    })();
  }
  db.close();
  console.log(
    `trace database: ${ROWS} check-ins written in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
  );
  const hub = new HubStore(file);
  const times = [];
  let visits = 0;
  let coVisitors = 0;
  for (let q = 0; q < 200; q++) {
    const h = hashes[q % 1000];
    const t = process.hrtime.bigint();
    const r = hub.trace(h, new Date('2021-10-05T00:00:00Z'), new Date('2021-10-19T00:00:00Z'), 30);
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
    visits += r.length;
    coVisitors += r.reduce((n, v) => n + v.coVisitors.length, 0);
  }
  times.sort((a, b) => a - b);
  const p = (x) => times[Math.floor(x * (times.length - 1))].toFixed(1);
  console.log(
    `tracing (14 days, ±30 min) on ${ROWS} check-ins: p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms; ${(visits / 200).toFixed(1)} visits and ${(coVisitors / 200).toFixed(0)} co-visitors per query`,
  );
  hub.close();
}
console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}`);
rmSync(dir, { recursive: true, force: true });
