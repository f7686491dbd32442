// Cache benchmark (issue 4): a generated 10M-identity cache — bytes per identity, CSV import rate,
// signed snapshot apply rate, lookup latency through the full pipeline (decode → hash → SQLite →
// CertLogic rules), and applying a 100k-change delta. Run: npm run bench -- cache
// QRKIOSK_BENCH_IDENTITIES overrides the size (default 10,000,000).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { admit } from '../gateway/dist/admission/index.js';
import { builtinRules, policyFor } from '../gateway/dist/decide/index.js';
import { Controller, hashIdentity, settingsFromText } from '../gateway/dist/index.js';
import { FactsCache } from '../gateway/dist/lookup/index.js';
import {
  buildUpdate,
  encodeFacts,
  KeyRing,
  NO_FACTS,
  OP_PUT,
  RECORD_BYTES,
  sealUpdate,
} from '../protocol/dist/index.js';

const N = Number(process.env.QRKIOSK_BENCH_IDENTITIES ?? 10_000_000);
const LOOKUPS = 200_000;
const DELTA = 100_000;
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-cache-'));
const hashKey = randomBytes(32);
const hub = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
const results = {};
const log = (...a) => console.log(...a);
const now = () => performance.now();

// Identity i → a CCCD number whose digits agree with a 1988-born man (province = i / 1e6).
const cccd = (i) =>
  `${String(1 + Math.floor(i / 1_000_000)).padStart(3, '0')}088${String(i % 1_000_000).padStart(6, '0')}`;
/** @returns {import('../protocol/dist/index.js').Facts} */
const factsOf = (i) => ({
  ...NO_FACTS,
  dosesReceived: i % 3,
  primarySeriesComplete: i % 3 === 2,
  firstDoseDate: i % 3 ? '2021-07-01' : null,
  lastDoseDate: i % 3 === 2 ? '2021-08-01' : i % 3 ? '2021-07-01' : null,
  caseStatus: i % 1000 === 0 ? 'f1' : 'none',
  caseUntil: i % 1000 === 0 ? '2021-11-05' : null,
  source: 'hub',
  updatedOn: '2021-10-20',
});

// 1. CSV import (the technician's path), from a generated file.
{
  const csv = join(dir, 'facts.csv');
  const out = createWriteStream(csv);
  out.write(
    'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until\n',
  );
  let chunk = '';
  for (let i = 0; i < N; i++) {
    const f = factsOf(i);
    chunk += `cccd,${cccd(i)},${f.dosesReceived},${f.primarySeriesComplete ? 1 : 0},${f.firstDoseDate ?? ''},${f.lastDoseDate ?? ''},,,,${f.caseStatus},${f.caseUntil ?? ''}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  const cache = new FactsCache(join(dir, 'csv'));
  cache.open();
  const t0 = now();
  const report = await cache.importCsv(csv, hashKey);
  const s = (now() - t0) / 1000;
  const status = cache.status();
  cache.close();
  results.csvImport = {
    rows: report.imported,
    seconds: s,
    perSecond: report.imported / s,
    bytesPerIdentity: status.bytes / status.identities,
  };
  log(
    `CSV import: ${report.imported} rows in ${s.toFixed(1)} s = ${Math.round(report.imported / s)} rows/s; ${(status.bytes / status.identities).toFixed(1)} B/identity (random insert order)`,
  );
  rmSync(csv);
  rmSync(join(dir, 'csv'), { recursive: true });
}

// 2. Signed snapshot (the hub's path): records laid out in one buffer (10M objects would not fit
// the default heap), signed, then applied by the kiosk (verify + stage + sorted build + swap).
let snapshotBytes;
{
  const t0 = now();
  const records = Buffer.allocUnsafe(N * RECORD_BYTES);
  for (let i = 0; i < N; i++) {
    const o = i * RECORD_BYTES;
    records[o] = OP_PUT;
    hashIdentity(hashKey, 'cccd', cccd(i)).copy(records, o + 1);
    encodeFacts(factsOf(i), records, o + 17);
  }
  // The hub sends snapshots in key order. Sort by a 40-bit key prefix packed with the 24-bit record
  // index into one 64-bit integer (a native typed-array sort), then fix the rare equal prefixes.
  const order = new BigUint64Array(N);
  for (let i = 0; i < N; i++) {
    const o = i * RECORD_BYTES + 1;
    const prefix = (BigInt(records.readUInt32BE(o)) << 8n) | BigInt(records[o + 4]);
    order[i] = (prefix << 24n) | BigInt(i);
  }
  order.sort();
  const sorted = Buffer.allocUnsafe(N * RECORD_BYTES);
  for (let j = 0; j < N; j++) {
    const i = Number(order[j] & 0xffffffn);
    records.copy(sorted, j * RECORD_BYTES, i * RECORD_BYTES, (i + 1) * RECORD_BYTES);
  }
  const keyAt = (j) => sorted.subarray(j * RECORD_BYTES + 1, j * RECORD_BYTES + 17);
  for (let j = 1; j < N; j++) {
    for (let k = j; k > 0 && Buffer.compare(keyAt(k - 1), keyAt(k)) > 0; k--) {
      const tmp = Buffer.from(sorted.subarray((k - 1) * RECORD_BYTES, k * RECORD_BYTES));
      sorted.copy(sorted, (k - 1) * RECORD_BYTES, k * RECORD_BYTES, (k + 1) * RECORD_BYTES);
      tmp.copy(sorted, k * RECORD_BYTES);
    }
  }
  snapshotBytes = sealUpdate(
    { kind: 'snapshot', seq: 1, createdAt: new Date().toISOString() },
    sorted,
    hub.privateKey,
    hub.publicKey,
  );
  log(
    `snapshot built: ${(snapshotBytes.length / 1e6).toFixed(0)} MB in ${((now() - t0) / 1000).toFixed(1)} s (hub side, sorted by key)`,
  );
}
const dataDir = join(dir, 'kiosk');
{
  const cache = new FactsCache(dataDir);
  cache.open();
  const t0 = now();
  cache.applyUpdate(snapshotBytes, ring);
  const s = (now() - t0) / 1000;
  const status = cache.status();
  cache.close();
  results.snapshot = {
    identities: status.identities,
    seconds: s,
    perSecond: N / s,
    bytes: status.bytes,
    bytesPerIdentity: status.bytes / status.identities,
  };
  log(
    `snapshot apply: ${N} identities in ${s.toFixed(1)} s = ${Math.round(N / s)} identities/s; cache ${(status.bytes / 1e6).toFixed(0)} MB = ${(status.bytes / status.identities).toFixed(1)} B/identity`,
  );
  snapshotBytes = undefined;
}

// 3. Lookup latency through the full pipeline: decode → keyed hash → SQLite → CertLogic → verdict.
{
  const loaded = settingsFromText(
    `kiosk: { id: bench, site: bench }\ndata: { dir: "${dataDir}" }\nlog: { level: silent }\n`,
    'bench',
    {},
  );
  loaded.secrets.hashKey = hashKey;
  const controller = new Controller(loaded, {
    withoutScanner: true,
    withoutUplink: true,
    withoutScreens: true,
    gpio: { name: 'none', open: async () => {}, write: () => {}, close: async () => {} },
  });
  await controller.start();
  const at = new Date('2021-11-01T03:00:00Z');
  const payloads = Array.from({ length: LOOKUPS }, () => {
    const i = Math.floor(Math.random() * N);
    return `${cccd(i)}||Nguyễn Văn An|01011988|Nam|Huế|01012021`;
  });
  // The admission the scan path runs (decode → hash → cache → decide), on this kiosk's cache and the built-in
  // rules; no duplicate window, nothing recorded (as `qrkiosk check` admits).
  const policy = policyFor(builtinRules(), loaded.settings.kiosk.site, loaded.settings.rules);
  /** @type {import('../gateway/dist/admission/index.js').AdmissionContext} */
  const ctx = {
    at,
    synced: true,
    decode: { at },
    hashKey,
    policy: () => policy,
    lookup: (keys) => controller.cache.lookup(keys),
  };
  const evaluate = (payload) => admit(payload, ctx);
  for (let i = 0; i < 20_000; i++) evaluate(payloads[i % payloads.length]);
  const times = new Float64Array(LOOKUPS);
  let allowed = 0;
  for (let i = 0; i < LOOKUPS; i++) {
    const t = process.hrtime.bigint();
    const { decision } = evaluate(payloads[i]);
    times[i] = Number(process.hrtime.bigint() - t) / 1000;
    if (decision.verdict === 'ALLOW') allowed++;
  }
  times.sort();
  const p = (q) => times[Math.min(times.length - 1, Math.floor(q * times.length))];
  results.lookup = { samples: LOOKUPS, p50us: p(0.5), p99us: p(0.99), p999us: p(0.999), allowed };
  log(
    `pipeline lookup (${LOOKUPS} random identities): p50 ${p(0.5).toFixed(1)} µs, p99 ${p(0.99).toFixed(1)} µs, p99.9 ${p(0.999).toFixed(1)} µs (${allowed} ALLOW)`,
  );
  // The same, SQLite lookup alone.
  /** @type {import('../gateway/dist/lookup/index.js').IdentityKey[][]} */
  const keys = payloads.map((_, k) => [
    { type: 'cccd', hash: hashIdentity(hashKey, 'cccd', cccd(Math.floor((k * 7919) % N))) },
  ]);
  for (let i = 0; i < LOOKUPS; i++) {
    const t = process.hrtime.bigint();
    controller.cache.lookup(keys[i]);
    times[i] = Number(process.hrtime.bigint() - t) / 1000;
  }
  times.sort();
  results.sqliteLookup = { p50us: p(0.5), p99us: p(0.99) };
  log(`SQLite lookup alone: p50 ${p(0.5).toFixed(1)} µs, p99 ${p(0.99).toFixed(1)} µs`);
  await controller.stop();
}

// 4. A 100k-change delta on top of the 10M snapshot.
{
  /** @type {import('../protocol/dist/index.js').UpdateRecord[]} */
  const records = [];
  for (let k = 0; k < DELTA; k++) {
    const i = Math.floor(Math.random() * N);
    records.push({
      op: OP_PUT,
      key: hashIdentity(hashKey, 'cccd', cccd(i)),
      facts: encodeFacts({ ...factsOf(i), dosesReceived: 3 }),
    });
  }
  const delta = buildUpdate(
    { kind: 'delta', seq: 2, baseSeq: 1, createdAt: new Date().toISOString() },
    records,
    hub.privateKey,
    hub.publicKey,
  );
  const cache = new FactsCache(dataDir);
  cache.open();
  const t0 = now();
  cache.applyUpdate(delta, ring);
  const s = (now() - t0) / 1000;
  cache.close();
  results.delta = { changes: DELTA, seconds: s, perSecond: DELTA / s };
  log(`delta apply: ${DELTA} changes in ${s.toFixed(2)} s = ${Math.round(DELTA / s)} changes/s`);
}

results.machine = { cpu: cpus()[0]?.model, cores: cpus().length, node: process.version, identities: N };
console.log(JSON.stringify(results));
rmSync(dir, { recursive: true, force: true });
