#!/usr/bin/env node
// The sealed identity's cost per check-in (issue #18): what document.sealed and document.links add.
//  1. Bytes: the same scans (shared VN cases: CCCD with its old CMND, BHYT card, masked personal QR) and a
//     manual entry recorded by a real Controller without a tracing key, then with one; the JSON message as
//     journaled and published, with and without `links` and `sealed`.
//  2. CPU per seal: sealIdentity on a CCCD identity (fresh X25519 pair, X25519, HKDF, AES-GCM, base64) —
//     wall time and the process's own CPU time (process.cpuUsage: less sensitive to other jobs on a shared
//     machine), and the ephemeral key pair alone. openIdentity, the hub's cost per revealed identity, beside it.
//  3. The scan path (decode → lookup → journal commit), without and with sealing, in alternating blocks: on the
//     disk (fsync per commit, as a kiosk runs) and on tmpfs (/dev/shm: fsync costs nothing, so what is left is
//     the kiosk's CPU per check-in, and with − without is what sealing adds to it, cold caches and a longer row
//     included — a seal inside the scan path costs about twice what it does in a tight loop).
// Run: npm run bench -- seal (BENCH_SEALS, default 3000; BENCH_SCANS, default 600). Imports the BUILT code.

import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setImmediate as turn } from 'node:timers/promises';
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

/** Data folders in RAM, removed at the end (testkit's temp folders are on the disk). */
const inMemoryDirs = [];
const inMemory = () => {
  const dir = mkdtempSync('/dev/shm/bench-seal-');
  inMemoryDirs.push(dir);
  return dir;
};

async function kiosk(sealed, onTmpfs = false) {
  const loaded = settingsFromText(
    kioskYaml({
      dataDir: onTmpfs ? inMemory() : makeTempDir('bench-seal-'),
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

// ── 3. scan path, without and with sealing (alternating blocks, same payload) ──
const CCCD = cases.get('cccd-7field');
/** @param {Controller} plain @param {Controller} sealed */
async function scanPath(plain, sealed) {
  /** @type {{ plain: number[], sealed: number[] }} */
  const times = { plain: [], sealed: [] };
  /** @type {Array<['plain' | 'sealed', Controller]>} */
  const sides = [
    ['plain', plain],
    ['sealed', sealed],
  ];
  for (const [, c] of sides) for (let i = 0; i < 50; i++) c.scan(CCCD); // warm-up
  for (let block = 0; block < 10; block++)
    for (const [which, c] of sides)
      for (let i = 0; i < SCANS / 10; i++) {
        const t = performance.now();
        c.scan(CCCD);
        times[which].push((performance.now() - t) * 1000);
        // Frames arrive from the scanner's I/O, one event-loop turn each: what the kiosk does after a scan
        // (the next seal's preparation among it) runs between them, untimed, as in the daemon.
        await turn();
      }
  return { plain: median(times.plain), sealed: median(times.sealed), n: times.plain.length };
}
const onDisk = await scanPath(plainKiosk, sealKiosk);
await plainKiosk.stop();
await sealKiosk.stop();
let onTmpfs;
if (existsSync('/dev/shm')) {
  const plain = await kiosk(false, true);
  const sealed = await kiosk(true, true);
  onTmpfs = await scanPath(plain, sealed);
  await plain.stop();
  await sealed.stop();
  for (const dir of inMemoryDirs) rmSync(dir, { recursive: true, force: true });
}

// ── 2. CPU per seal ──
/** @type {import('../protocol/dist/index.js').IdentityClear} */
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
/** @type {Array<[string, { plain: number, sealed: number, n: number } | undefined]>} */
const paths = [
  ['disk, fsync per commit', onDisk],
  ['tmpfs, no fsync: the CPU', onTmpfs],
];
for (const [where, r] of paths) {
  if (!r) continue;
  console.log(`\nscan path on ${where}, median of ${r.n} each:`);
  console.log(
    `  without tracing key ${r.plain.toFixed(0)} µs, with ${r.sealed.toFixed(0)} µs: sealing adds ${(r.sealed - r.plain).toFixed(0)} µs (ratio ${(r.sealed / r.plain).toFixed(2)})`,
  );
}
