// Uplink benchmark (issue 7): the durable commit rate of the outbox (journal rows committed with
// synchronous=FULL, one transaction each, as scans do), and draining 100,000 queued check-ins to a
// real Mosquitto, counted by a subscriber (zero loss, zero duplicate ids). Run: npm run bench -- uplink

import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { connectAsync } from 'mqtt';
import { ulid } from 'ulid';
import { receiptCheckins } from '../firmware-sim/dist/index.js';
import { Controller, Journal, SimGpio, settingsFromText } from '../gateway/dist/index.js';
import { CHECKIN_SCHEMA_ID } from '../protocol/dist/index.js';
import { startMosquitto } from '../testkit/dist/index.js';

const N = Number(process.env.QRKIOSK_BENCH_CHECKINS ?? 100_000);
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-uplink-'));
/** @returns {import('../protocol/dist/index.js').CheckinMessage} */
const message = (i) => ({
  schema: CHECKIN_SCHEMA_ID,
  id: ulid(),
  kiosk: 'k-001',
  site: 's-001',
  direction: 'in',
  at: new Date(Date.now() + i).toISOString(),
  clockSynced: true,
  document: {
    kind: 'cccd',
    numberMasked: '********1234',
    nameMasked: 'NGUYỄN V** A*',
    idHash: 'ab'.repeat(16),
  },
  verdict: 'ALLOW',
  colour: 'green',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
});

// 1. Durable commit rate: one check-in per transaction, as the scan path commits them
// (Journal.append, synchronous=FULL), and the same inserts with synchronous=NORMAL for reference.
{
  const n = 3000;
  const j = new Journal(join(dir, 'commit-full'));
  j.open();
  let t0 = performance.now();
  for (let i = 0; i < n; i++) j.append(message(i));
  let s = (performance.now() - t0) / 1000;
  console.log(
    `journal append, synchronous=FULL (what the kiosk uses): ${Math.round(n / s)} commits/s (${((s / n) * 1e6).toFixed(0)} µs each)`,
  );
  j.close();
  const ref = new Journal(join(dir, 'commit-normal'));
  ref.open();
  ref.close();
  const db = new Database(ref.file);
  db.pragma('synchronous = NORMAL');
  const insert = db.prepare(
    'INSERT INTO checkins (id, at, id_hash, verdict, colour, message) VALUES (?, ?, ?, ?, ?, ?)',
  );
  t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const m = message(i);
    insert.run(m.id, m.at, m.document.idHash, m.verdict, m.colour, JSON.stringify(m));
  }
  s = (performance.now() - t0) / 1000;
  console.log(
    `same inserts, synchronous=NORMAL (reference, not used): ${Math.round(n / s)} commits/s (${((s / n) * 1e6).toFixed(0)} µs each)`,
  );
  db.close();
}

// 2. Drain 100k queued check-ins to Mosquitto.
const broker = await startMosquitto({ extraConfig: ['max_queued_messages 0', 'max_inflight_messages 0'] });
const dataDir = join(dir, 'kiosk');
{
  const j = new Journal(dataDir);
  j.open();
  const db = new Database(j.file);
  const insert = db.prepare(
    'INSERT INTO checkins (id, at, id_hash, verdict, colour, message) VALUES (?, ?, ?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let i = 0; i < N; i++) {
      const m = message(i);
      insert.run(m.id, m.at, m.document.idHash, m.verdict, m.colour, JSON.stringify(m));
    }
  })();
  db.close();
  j.close();
}
const sub = await connectAsync(broker.url, { protocolVersion: 5, clean: true });
const seen = new Set();
let received = 0;
sub.on('message', (_t, p) => {
  received++;
  seen.add(JSON.parse(p.toString()).id);
});
await sub.subscribeAsync('qrkiosk/v1/+/+/checkin', { qos: 1 });
// The subscriber stands in for the hub: a check-in is delivered once the hub's receipt names it.
receiptCheckins(sub);
const loaded = settingsFromText(
  `kiosk: { id: k-001, site: s-001 }\nmqtt: { url: "${broker.url}" }\ndata: { dir: "${dataDir}" }\nui: { port: 0 }\nlog: { level: silent }\n`,
  'bench',
  {},
);
const controller = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true });
const t0 = performance.now();
await controller.start();
while (seen.size < N || controller.journal.pendingCount() > 0) {
  await new Promise((r) => setTimeout(r, 50));
  if (performance.now() - t0 > 300_000) break;
}
const s = (performance.now() - t0) / 1000;
console.log(
  `drain ${N} check-ins → Mosquitto → subscriber: ${s.toFixed(1)} s = ${Math.round(N / s)} msg/s; received ${received}, unique ids ${seen.size}, lost ${N - seen.size}, still undelivered in the journal ${controller.journal.pendingCount()}`,
);
await controller.stop();
await sub.endAsync();
await broker.stop();
console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}`);
rmSync(dir, { recursive: true, force: true });
