#!/usr/bin/env node
/**
 * Benchmark runner: `npm run bench` (builds first, see package.json), `npm run bench -- decode` for one.
 *
 * Runs every bench/*.mjs in name order, or only the ones named as arguments (with or without `.mjs`).
 * Installs the peer implementations the benchmarks compare against into bench/peers (a separate npm
 * project, never part of the workspaces) when bench/peers/node_modules is missing.
 * Extra environment (BENCH_RUNS, BENCH_RUN_MS, …) is passed through to each benchmark.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const benchDir = join(repo, 'bench');
const peersDir = join(benchDir, 'peers');

const available = readdirSync(benchDir)
  .filter((f) => f.endsWith('.mjs'))
  .sort();
const wanted = process.argv.slice(2).map((a) => (a.endsWith('.mjs') ? a : `${a}.mjs`));
const unknown = wanted.filter((w) => !available.includes(w));
if (unknown.length) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}
const selected = wanted.length ? wanted : available;

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
if (existsSync(join(peersDir, 'package.json')) && !existsSync(join(peersDir, 'node_modules'))) {
  console.log('installing benchmark peers into bench/peers …');
  const r = spawnSync(npm, ['install', '--prefix', peersDir, '--no-audit', '--no-fund'], {
    cwd: repo,
    stdio: 'inherit',
  });
  if (r.status !== 0) {
    console.error('npm install --prefix bench/peers failed; benchmarks will report the peers as unavailable');
  }
}

let failed = 0;
for (const file of selected) {
  console.log(`\n▶ bench/${file}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(benchDir, file)], { cwd: repo, stdio: 'inherit' });
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (r.status !== 0) {
    failed++;
    console.error(`✗ bench/${file} failed (exit ${r.status ?? r.signal}) after ${secs} s`);
  } else console.log(`✓ bench/${file} done in ${secs} s`);
}
process.exit(failed ? 1 : 0);
