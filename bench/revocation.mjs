#!/usr/bin/env node
/**
 * DCC revocation benchmark (`npm run bench -- revocation`, issue 14): a signed QRKR1 list of 10 million
 * revoked hashes — bytes per entry on the wire, on disk and in the kiosk's memory; the hub's sort and
 * sign; the kiosk's verify-and-install and load at start; one lookup (binary search over the file's
 * bytes); and what a list in force adds to `decodePayload` of a real-shaped DCC (interleaved runs).
 *
 * Imports the BUILT code. QRKIOSK_BENCH_REVOCATIONS overrides the size (default 10,000,000).
 */
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { inflateSync } from 'node:zlib';
import { createDccSigner, sampleVaccination } from '../firmware-sim/dist/index.js';
import { base45Decode } from '../gateway/dist/decode/dcc/base45.js';
import { parseSign1 } from '../gateway/dist/decode/dcc/cose.js';
import { dccRevocationHashes, decodePayload, TrustStore } from '../gateway/dist/decode/index.js';
import {
  containsHash,
  installRevocationList,
  loadRevocationList,
  revocationFile,
} from '../gateway/dist/revocation/index.js';
import { KeyRing, signRevocationList } from '../protocol/dist/index.js';

const N = Number(process.env.QRKIOSK_BENCH_REVOCATIONS ?? 10_000_000);
const LOOKUPS = 1_000_000;
const DECODES = 20_000;
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-revocation-'));
const hub = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
const ms = (t) => performance.now() - t;
const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
const gc = globalThis.gc ?? (() => {});

console.log(
  `machine: ${cpus()[0]?.model} ×${cpus().length}, ${mib(totalmem())} RAM, Node ${process.version}`,
);
console.log(`entries: ${N.toLocaleString('en')}`);

// A real-shaped DCC and its UCI hash, revoked among N random ones (SHA-256 output is uniform).
const signer = await createDccSigner({ alg: 'ES256' });
const trust = new TrustStore();
trust.add(signer.certificateDer, 'dsc');
const at = new Date('2021-11-01T00:00:00Z');
const issue = (ci) => {
  const hcert = sampleVaccination();
  hcert.v[0].ci = ci;
  return signer.issue({ hcert, issuedAt: new Date('2021-10-01'), expiresAt: new Date('2022-10-01') });
};
const revokedDcc = issue('URN:UVCI:01:VN:BENCH#R');
const keptDcc = issue('URN:UVCI:01:VN:BENCH#K');
const hashes = randomBytes(N * 16);
createHash('sha256').update('URN:UVCI:01:VN:BENCH#R').digest().copy(hashes, 0, 0, 16);

let t = performance.now();
const file = signRevocationList([{ kid: signer.kid, type: 'UCI', hashes }], 1, hub);
const signMs = ms(t);
console.log(
  `hub: sort + sign ${N.toLocaleString('en')} hashes: ${(signMs / 1000).toFixed(1)} s; file ${mib(file.length)} = ${(file.length / N).toFixed(2)} bytes/entry`,
);

gc();
t = performance.now();
installRevocationList(dir, file, ring, 0);
const installMs = ms(t);
const onDisk = statSync(revocationFile(dir)).size;
console.log(
  `kiosk: verify + check order + write (fsync): ${(installMs / 1000).toFixed(2)} s; on disk ${(onDisk / N).toFixed(2)} bytes/entry`,
);

gc();
const rssBefore = process.memoryUsage();
t = performance.now();
const list = loadRevocationList(dir, ring);
const loadMs = ms(t);
gc();
const rssAfter = process.memoryUsage();
const held = rssAfter.arrayBuffers - rssBefore.arrayBuffers;
console.log(
  `kiosk: load at start (read + verify): ${(loadMs / 1000).toFixed(2)} s; memory held ${mib(held)} = ${(held / N).toFixed(2)} bytes/entry (external buffers; RSS +${mib(rssAfter.rss - rssBefore.rss)})`,
);

// Lookups straight on the sorted section: half present, half absent.
const section = file.subarray(10 + file.readUInt32LE(6), file.length - 64);
const probes = [];
for (let i = 0; i < LOOKUPS; i++)
  probes.push(i % 2 ? randomBytes(16) : section.subarray(((i * 7919) % N) * 16, ((i * 7919) % N) * 16 + 16));
let found = 0;
for (let i = 0; i < 100_000; i++) found += containsHash(section, probes[i]) ? 1 : 0;
t = performance.now();
found = 0;
for (const p of probes) found += containsHash(section, p) ? 1 : 0;
const lookupNs = (ms(t) * 1e6) / LOOKUPS;
console.log(
  `lookup (binary search, ${Math.ceil(Math.log2(N))} steps): ${lookupNs.toFixed(0)} ns each (${found} of ${LOOKUPS} found)`,
);

// The decoder's hook alone: three hashes of a parsed DCC, then three searches.
{
  const sign1 = parseSign1(inflateSync(base45Decode(keptDcc.slice(4))));
  const entry = { ci: 'URN:UVCI:01:VN:BENCH#K', co: 'VN' };
  const H = 200_000;
  let t0 = performance.now();
  let hs;
  for (let i = 0; i < H; i++) hs = dccRevocationHashes(sign1, entry, 'XX');
  const hashNs = (ms(t0) * 1e6) / H;
  t0 = performance.now();
  for (let i = 0; i < H; i++) list.revoked(signer.kid, hs);
  const checkNs = (ms(t0) * 1e6) / H;
  console.log(
    `hook: the 3 hashes ${hashNs.toFixed(0)} ns, RevocationList.revoked (UCI section only: 1 search, 2 map misses) ${checkNs.toFixed(0)} ns`,
  );
}

// decodePayload with and without the list in force, interleaved so drift hits both alike.
const check = decodePayload(revokedDcc, { at, trust, revocation: list });
if (check.error?.code !== 'dcc-revoked') throw new Error(`revoked DCC not refused: ${check.error?.code}`);
if (!decodePayload(keptDcc, { at, trust, revocation: list }).ok) throw new Error('kept DCC refused');
const timeDecodes = (ctx) => {
  const t0 = performance.now();
  for (let i = 0; i < DECODES; i++) decodePayload(keptDcc, ctx);
  return (ms(t0) * 1000) / DECODES;
};
const without = [];
const withList = [];
timeDecodes({ at, trust });
timeDecodes({ at, trust, revocation: list });
for (let r = 0; r < 5; r++) {
  without.push(timeDecodes({ at, trust }));
  withList.push(timeDecodes({ at, trust, revocation: list }));
}
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const a = median(without);
const b = median(withList);
console.log(
  `decodePayload (ES256 DCC, verified): ${a.toFixed(1)} µs without a list, ${b.toFixed(1)} µs with ${N.toLocaleString('en')} entries in force (+${(b - a).toFixed(1)} µs, ×${(b / a).toFixed(3)}; its KID has a UCI section: 3 hashes, 1 search)`,
);

rmSync(dir, { recursive: true, force: true });
