#!/usr/bin/env node
// Runs the decoding tests that need no native module on Node 22 and 24 as well as the Node running npm
// (20 on the kiosk image). Why: the runtime's own Windows-1252 decoder differs between Node builds (Node
// 20 reads 0x80–0x9F as C1 controls, 22 and 24 as WHATWG), and the kiosk must not depend on it.
// The binaries are the npm registry's node-linux-<arch> packages, fetched with `npm pack` once and kept
// under the OS temp directory. `scripts/install.sh --test` fetches them (`--fetch-only`), so the network is
// needed when installing, not while the tests run.
// Usage: node scripts/test-node-versions.mjs [--fetch-only] [major…]   (default: 22 24)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const TESTS = [
  'gateway/test/mojibake.test.ts',
  'gateway/test/decode.test.ts',
  'gateway/test/decode-tolerance.test.ts',
  'gateway/test/dcc-dates.test.ts',
  'gateway/test/dcc.test.ts',
  'gateway/test/hostile-input.test.ts',
];
const args = process.argv.slice(2);
const fetchOnly = args.includes('--fetch-only');
const wanted = args.filter((a) => a !== '--fetch-only');
// Exact builds, so every machine tests the same Node (npm pack checks the registry's integrity hash).
const PINNED = { 22: '22.23.3', 24: '24.21.0' };
const majors = wanted.length ? wanted : Object.keys(PINNED);
const cache = join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'qrkiosk', 'node-versions');
mkdirSync(cache, { recursive: true });

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', ...options });
  if (r.status !== 0) {
    console.error(`${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}`);
    process.exit(1);
  }
}

function nodeBinary(major) {
  const version = PINNED[major];
  if (!version) {
    console.error(`no pinned Node ${major} (pinned: ${Object.keys(PINNED).join(', ')})`);
    process.exit(2);
  }
  const pkg = `node-linux-${process.arch}`;
  const dir = join(cache, `${pkg}-${version}`);
  const bin = join(dir, 'package', 'bin', 'node');
  if (existsSync(bin)) return bin;
  // The test run never reaches for the network: install.sh --test fetches them once.
  if (!fetchOnly) {
    console.error(
      `Node ${version} is not fetched (${bin}). Run: bash scripts/install.sh --test (or node scripts/test-node-versions.mjs --fetch-only)`,
    );
    process.exit(2);
  }
  mkdirSync(dir, { recursive: true });
  // A registry hiccup must not fail an install: three tries.
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', dir], {
      stdio: 'inherit',
    });
    if (r.status === 0) break;
    if (attempt === 3) run('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', dir]);
  }
  const tgz = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg}@${major} left no tarball in ${dir}`);
  run('tar', ['xzf', join(dir, tgz), '-C', dir]);
  return bin;
}

for (const major of majors) {
  const bin = nodeBinary(major);
  if (fetchOnly) {
    console.log(`node ${major}: ${bin}`);
    continue;
  }
  const version = spawnSync(bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  console.log(`\n== ${version}: ${TESTS.length} test files`);
  run(bin, ['node_modules/vitest/vitest.mjs', 'run', ...TESTS]);
}
