#!/usr/bin/env node
// The sealed identity's cost per check-in (issue #18): what document.sealed and document.links add.
//  1. Bytes: the same scans (shared VN cases: CCCD with its old CMND, BHYT card, masked personal QR) and a
//     manual entry recorded by a real Controller without a tracing key, then with one; the JSON message as
//     journaled and published, with and without `links` and `sealed`.
//  2. CPU per seal: sealIdentity on a CCCD identity (fresh X25519 pair, X25519, HKDF, AES-GCM, base64) —
//     wall time and the process's own CPU time (process.cpuUsage: less sensitive to other jobs on a shared
//     machine), and the ephemeral key pair alone. openIdentity, the hub's cost per revealed identity, beside it.
//  3. The scan path (decode → lookup → journal commit with fsync), without and with sealing, for scale.
// Run: npm run bench -- seal (BENCH_SEALS, default 3000; BENCH_SCANS, default 600). Imports the BUILT code.

import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { Controller, SimGpio, settingsFromText } from '../gateway/dist/index.js';
import {
  generateTracingKeys,
  openIdentity,
  readTracingPrivateKey,
  readTracingPublicKey,
  sealIdentity,
} from '../protocol/dist/index.js';
import { kioskYaml, makeTempDir } from '../testkit/dist/index.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const SHARED = join(HERE, '..', '..', 'shared');
const SEALS = Number(process.env.BENCH_SEALS ?? 3000);
const SCANS = Number(process.env.BENCH_SCANS ?? 600);

const cases = new Map(
  readFileSync(join(SHARED, 'testdata/vn/cases.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l))
    .map((c) => [c.id, c.payload]),
);
const SCANNED = [
  ['CCCD (with old CMND)', cases.get('cccd-7field')],
  ['CCCD (no CMND)', cases.get('cccd-no-cmnd')],
  ['BHYT card', cases.get('bhyt-15field')],
  ['personal QR (masked)', cases.get('personal-masked')],
];

const keys = generateTracingKeys(makeTempDir('bench-seal-keys-'));
const pub = readTracingPublicKey(readFileSync(keys.publicFile));
const priv = readTracingPrivateKey(readFileSync(keys.privateFile));

async function kiosk(sealed) {
  const loaded = settingsFromText(
    kioskYaml({
      dataDir: makeTempDir('bench-seal-'),
      lines: [
        'rules: { duplicateWindowSeconds: 0 }',
        ...(sealed ? [`privacy: { tracingPublicKeyFile: "${keys.publicFile}" }`] : []),
      ],
    }),
    'bench kiosk.yaml',
    {},
  );
  const c = new Controller(loaded, {
    gpio: new SimGpio(),
    withoutScanner: true,
    withoutUplink: true,
    withoutScreens: true,
  });
  await c.start();
  return c;
}

const bytes = (m) => Buffer.byteLength(JSON.stringify(m));
const strip = (m, ...fields) => {
  const document = { ...m.document };
  for (const f of fields) delete document[f];
  return { ...m, document };
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// ── 1. bytes ──
const plainKiosk = await kiosk(false);
const sealKiosk = await kiosk(true);
const rows = [];
for (const [name, payload] of SCANNED) {
  const plain = plainKiosk.scan(payload)?.checkin;
  const sealed = sealKiosk.scan(payload)?.checkin;
  if (!plain || !sealed?.document.sealed) throw new Error(`${name}: not recorded`);
  rows.push([
    name,
    bytes(strip(plain, 'links')),
    bytes(plain),
    bytes(sealed),
    sealed.document.sealed.box.length,
  ]);
}
{
  const plain = plainKiosk.manualCheckin('Hoàng Thị Mai', '0912345678');
  const sealed = sealKiosk.manualCheckin('Hoàng Thị Mai', '0912345678');
  rows.push(['manual entry', bytes(plain), bytes(plain), bytes(sealed), sealed.document.sealed.box.length]);
}

// ── 3. scan path, without and with sealing (alternating blocks, same payload, fsync per commit) ──
const CCCD = cases.get('cccd-7field');
const path = { plain: [], sealed: [] };
for (const c of [plainKiosk, sealKiosk]) for (let i = 0; i < 50; i++) c.scan(CCCD); // warm-up
for (let block = 0; block < 6; block++)
  for (const [which, c] of [
    ['plain', plainKiosk],
    ['sealed', sealKiosk],
  ])
    for (let i = 0; i < SCANS / 6; i++) {
      const s = performance.now();
      c.scan(CCCD);
      path[which].push((performance.now() - s) * 1000);
    }
await plainKiosk.stop();
await sealKiosk.stop();

// ── 2. CPU per seal ──
const clear = {
  v: 1,
  kind: 'cccd',
  number: '079090001234',
  former: '272345678',
  name: 'Nguyễn Văn An',
  dob: '1990-08-15',
};
const ID = '01J9Z8Y7X6W5V4T3S2R1Q0P9N8';
function measure(fn, n) {
  for (let i = 0; i < 200; i++) fn(); // warm-up
  const wall = [];
  const cpu = [];
  for (let run = 0; run < 5; run++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) fn();
    const t1 = performance.now();
    const c1 = process.cpuUsage(c0);
    wall.push(((t1 - t0) * 1000) / n);
    cpu.push((c1.user + c1.system) / n);
  }
  return { wall: median(wall), cpu: median(cpu) };
}
const box = sealIdentity(pub, ID, clear);
const seal = measure(() => sealIdentity(pub, ID, clear), SEALS);
const keygen = measure(() => generateKeyPairSync('x25519'), SEALS);
const open = measure(() => openIdentity([priv], ID, box), SEALS);

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}`);
console.log(
  `load average at the end: ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log('\nJSON check-in message, bytes (as journaled and published):');
console.log(
  '| Check-in | masked only | + links | + links + sealed | added by links | added by sealed | box (base64 chars) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const [name, base, linked, sealed, boxChars] of rows)
  console.log(
    `| ${name} | ${base} | ${linked} | ${sealed} | ${linked - base} | ${sealed - linked} | ${boxChars} |`,
  );
console.log(`\nper seal (median of 5 runs × ${SEALS}):`);
console.log(`  sealIdentity            wall ${seal.wall.toFixed(1)} µs   CPU ${seal.cpu.toFixed(1)} µs`);
console.log(`  of which X25519 keygen  wall ${keygen.wall.toFixed(1)} µs   CPU ${keygen.cpu.toFixed(1)} µs`);
console.log(`  openIdentity (hub)      wall ${open.wall.toFixed(1)} µs   CPU ${open.cpu.toFixed(1)} µs`);
const p = median(path.plain);
const s = median(path.sealed);
console.log(`\nscan path (decode → lookup → commit with fsync), median of ${path.plain.length} each:`);
console.log(
  `  without tracing key ${p.toFixed(0)} µs, with ${s.toFixed(0)} µs (ratio ${(s / p).toFixed(3)})`,
);
console.log(`  one seal / scan path without: ${((seal.wall / p) * 100).toFixed(1)} %`);
