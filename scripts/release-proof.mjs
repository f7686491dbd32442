#!/usr/bin/env node
// Proves the release bundles without a Pi: builds both (cached addons, a key made by openssl), checks each
// tarball's signature with openssl, unpacks it, checks its manifest and binaries, then runs the kiosk CLI of the
// x64 bundle natively and of the arm64 bundle under qemu-user (Debian's qemu-aarch64; the arm64 glibc and
// libstdc++ of the cross packages as sysroot, Debian's arm64 libusb and libudev for node-hid, as on a Pi) and
// requires the same JSON from both: --version, a DCC decode
// (dgc-testdata AT/1, its own signer certificate), a cache import/status and a check of the imported person.
// Prints one PASS/FAIL line per check; exits 1 when any fails. Needs `bash scripts/install.sh --test` (the
// Node builds, qemu-user, the cross toolchain); never reaches for the network.
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { ELF_MACHINE, elfMachine } from './release/addons.mjs';
import { arm64Libs } from './release/arm64-libs.mjs';
import { nodeCache, nodeDist, TARGET_NODE } from './release/node-dist.mjs';
import { listFiles } from './release/stage.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = process.env.QRKIOSK_SHARED ?? join(root, '..', 'shared');
const SYSROOT = '/usr/aarch64-linux-gnu';
const started = Date.now();
let passed = 0;
let failed = 0;

function check(name, fn) {
  const t = Date.now();
  try {
    const note = fn();
    passed++;
    // Checks of commands run beforehand, all at once, take no time here: their times are on the timings line.
    const s = (Date.now() - t) / 1000;
    console.log(`PASS  ${name}${note ? ` — ${note}` : ''}${s >= 0.05 ? ` (${s.toFixed(1)} s)` : ''}`);
  } catch (err) {
    failed++;
    console.log(`FAIL  ${name}: ${err.message}`);
  }
}
function assert(ok, message) {
  if (!ok) throw new Error(message);
}
function sh(cmd, args, options = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...options });
}
function ok(cmd, args, options) {
  const r = sh(cmd, args, options);
  assert(r.status === 0, `${cmd} ${args.join(' ')}: exit ${r.status ?? r.signal}\n${r.stderr}`);
  return r.stdout;
}

// What the proof needs, installed by scripts/install.sh --test.
for (const tool of ['openssl', 'tar', 'qemu-aarch64', 'aarch64-linux-gnu-g++']) {
  if (sh('sh', ['-c', `command -v ${tool}`]).status !== 0) {
    console.log(`FAIL  ${tool} not installed: run bash scripts/install.sh --test`);
    process.exit(1);
  }
}
if (!existsSync(join(root, 'gateway/dist/cli/main.js'))) {
  console.log('FAIL  gateway not built: run npm run build');
  process.exit(1);
}
// `--fetch-only` (scripts/install.sh --test): fetch what the proof runs with, then stop.
const fetchOnly = process.argv.includes('--fetch-only');
let nodes;
let guestLibs;
try {
  nodes = {
    x64: nodeDist('x64', TARGET_NODE, { offline: !fetchOnly }),
    arm64: nodeDist('arm64', TARGET_NODE, { offline: !fetchOnly }),
  };
  guestLibs = arm64Libs({ offline: !fetchOnly });
} catch (err) {
  console.log(`FAIL  ${err.message}`);
  process.exit(1);
}
if (fetchOnly) {
  console.log(`release proof: node ${TARGET_NODE} x64 and arm64, arm64 libusb/libudev in ${guestLibs}`);
  process.exit(0);
}

const work = ok('mktemp', ['-d', '-t', 'qrkiosk-release-proof-XXXXXX']).trim();
const out = join(work, 'release');
// The key is openssl's, and openssl checks the signature: our signing code meets a verifier we did not write.
ok('openssl', [
  'genpkey',
  '-algorithm',
  'EC',
  '-pkeyopt',
  'ec_paramgen_curve:P-256',
  '-out',
  join(work, 'key.pem'),
]);
ok('openssl', ['pkey', '-in', join(work, 'key.pem'), '-pubout', '-out', join(work, 'public.pem')]);

let built = false;
check('release builds both bundles (scripts/release.mjs --offline)', () => {
  const r = sh(process.execPath, [
    join(root, 'scripts/release.mjs'),
    '--offline',
    '--signing-key',
    join(work, 'key.pem'),
    '--out',
    out,
  ]);
  // The compiler's output only when it failed; the release's own lines (what was compiled, how long) always.
  assert(r.status === 0, `exit ${r.status ?? r.signal}\n${r.stdout}${r.stderr}`);
  for (const line of r.stderr.split('\n')) if (line.startsWith('release: ')) console.log(`      ${line}`);
  built = true;
});
if (!built) finish();

const version = JSON.parse(readFileSync(join(root, 'gateway/package.json'), 'utf8')).version;
const names = { x64: `qrkiosk-${version}-linux-x64`, arm64: `qrkiosk-${version}-linux-arm64` };
const bundles = {};

// `node` for each bundle's launcher: the pinned x64 build natively, the arm64 build through qemu-user.
const shims = {};
for (const arch of ['x64', 'arm64']) {
  const dir = join(work, `path-${arch}`);
  mkdirSync(dir);
  // -E sets the guest's environment only: the Pi OS libraries node-hid links, for the arm64 loader.
  const exec =
    arch === 'arm64'
      ? `qemu-aarch64 -L ${SYSROOT} -E LD_LIBRARY_PATH=${guestLibs} ${nodes.arm64.bin}`
      : nodes.x64.bin;
  writeFileSync(join(dir, 'node'), `#!/bin/sh\nexec ${exec} "$@"\n`);
  chmodSync(join(dir, 'node'), 0o755);
  shims[arch] = dir;
}
const env = (arch) => ({ ...process.env, PATH: `${shims[arch]}:${process.env.PATH}`, QRKIOSK_LANG: 'vi' });
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

for (const arch of ['x64', 'arm64']) {
  const tgz = join(out, `${names[arch]}.tar.gz`);
  check(`${arch}: openssl verifies ${names[arch]}.tar.gz.sig; a changed byte fails`, () => {
    const verify = (file) =>
      sh('openssl', [
        'dgst',
        '-sha256',
        '-verify',
        join(work, 'public.pem'),
        '-signature',
        `${tgz}.sig`,
        file,
      ]);
    const good = verify(tgz);
    assert(
      good.status === 0 && good.stdout.includes('Verified OK'),
      `not verified: ${good.stdout}${good.stderr}`,
    );
    const bytes = readFileSync(tgz);
    bytes[bytes.length >> 1] ^= 1;
    writeFileSync(join(work, 'tampered.tar.gz'), bytes);
    assert(verify(join(work, 'tampered.tar.gz')).status !== 0, 'a tampered tarball verified');
    return `${(bytes.length / 1e6).toFixed(1)} MB`;
  });
  check(`${arch}: one folder ${names[arch]}/ with the /opt/qrkiosk layout, production packages only`, () => {
    const dest = join(work, arch);
    mkdirSync(dest);
    ok('tar', ['xzf', tgz, '-C', dest]);
    assert(isDeepStrictEqual(readdirSync(dest), [names[arch]]), `top level: ${readdirSync(dest).join(', ')}`);
    const b = join(dest, names[arch]);
    bundles[arch] = b;
    for (const p of [
      'bin/qrkiosk',
      'gateway/dist/cli/main.js',
      'gateway/public',
      'gateway/package.json',
      'protocol/dist/index.js',
      'protocol/package.json',
      'node_modules/@qrkiosk/protocol/dist/index.js',
      'hardware/qrkiosk.service',
      'hardware/99-qrkiosk-scanner.rules',
      'VERSION',
      'node-abi.json',
      'manifest.json',
    ]) {
      assert(existsSync(join(b, p)), `missing ${p}`);
    }
    assert((lstatSync(join(b, 'bin/qrkiosk')).mode & 0o111) !== 0, 'bin/qrkiosk is not executable');
    assert(
      lstatSync(join(b, 'node_modules/@qrkiosk/protocol')).isDirectory(),
      '@qrkiosk/protocol is no folder',
    );
    for (const dev of ['vitest', 'typescript', '@biomejs', 'fast-check', 'playwright-core']) {
      assert(!existsSync(join(b, 'node_modules', dev)), `dev dependency ${dev} shipped`);
    }
    assert(readFileSync(join(b, 'VERSION'), 'utf8').trim() === version, 'VERSION');
  });
  if (!bundles[arch]) continue;
  const b = bundles[arch];
  const manifest = JSON.parse(readFileSync(join(b, 'manifest.json'), 'utf8'));
  check(`${arch}: manifest lists every file with its sha256, arch and Node ABI`, () => {
    const files = listFiles(b).filter((f) => f !== 'manifest.json');
    assert(isDeepStrictEqual(files, Object.keys(manifest.files).sort()), 'files on disk ≠ files in manifest');
    for (const f of files) assert(sha256(join(b, f)) === manifest.files[f], `sha256 of ${f}`);
    for (const f of files) assert(!lstatSync(join(b, f)).isSymbolicLink(), `symlink ${f}`);
    assert(manifest.arch === arch && manifest.version === version, 'arch/version');
    const abi = ok(join(shims[arch], 'node'), ['-p', 'process.versions.modules']).trim();
    assert(
      manifest.node.modules === abi,
      `manifest ABI ${manifest.node.modules}, node ${TARGET_NODE} says ${abi}`,
    );
    // What the CLI's release guard reads on every start must say what the manifest says.
    const small = JSON.parse(readFileSync(join(b, 'node-abi.json'), 'utf8'));
    assert(
      isDeepStrictEqual(small, { modules: manifest.node.modules, node: manifest.node.version }),
      `node-abi.json ${JSON.stringify(small)} ≠ manifest node ${JSON.stringify(manifest.node)}`,
    );
    return `${files.length} files, ABI ${abi}`;
  });
  check(`${arch}: every native addon is an ELF for ${arch} and loads in node ${TARGET_NODE}`, () => {
    const addons = listFiles(b).filter((f) => f.endsWith('.node'));
    assert(addons.length > 0, 'no native addon');
    for (const f of addons) assert(elfMachine(join(b, f)) === ELF_MACHINE[arch], `${f} is not ${arch}`);
    // process.dlopen runs each addon's init, as require would.
    const script = `const r={};for(const f of ${JSON.stringify(addons)}){try{process.dlopen({exports:{}},${JSON.stringify(b)}+'/'+f);r[f]='ok'}catch(e){r[f]=e.message}}console.log(JSON.stringify(r))`;
    const results = JSON.parse(ok(join(shims[arch], 'node'), ['-e', script]));
    const failedLoads = Object.entries(results).filter(([, result]) => result !== 'ok');
    assert(failedLoads.length === 0, failedLoads.map(([f, result]) => `${f}: ${result}`).join('; '));
    return `${addons.length}/${addons.length} loaded`;
  });
}

// The software installer (gateway/src/software/) on the real x64 tarball: the bundle's own CLI verifies the signature
// made with openssl's key, checks every file against the manifest, installs beside a previous version and switches
// the link; the restart stand-in runs the installed launcher, as `systemctl restart` would start it.
// (integration/software-*.test.ts prove roll-back and rollouts on small bundles, fast enough for the suite.)
check('x64: qrkiosk update apply installs the signed tarball side by side and runs it', () => {
  assert(bundles.x64, 'no x64 bundle');
  const root = join(work, 'update-root');
  mkdirSync(join(root, 'qrkiosk-0.0.0-previous'), { recursive: true });
  writeFileSync(join(root, 'qrkiosk-0.0.0-previous', 'VERSION'), '0.0.0-previous\n');
  symlinkSync(join(root, 'qrkiosk-0.0.0-previous'), join(root, 'qrkiosk'));
  const tgz = join(out, `${names.x64}.tar.gz`);
  const r = sh(
    join(bundles.x64, 'bin/qrkiosk'),
    [
      'update',
      'apply',
      '--root',
      root,
      '--bundle',
      tgz,
      '--sig',
      `${tgz}.sig`,
      '--release-key',
      join(work, 'public.pem'),
      '--sha256',
      sha256(tgz),
      '--restart',
      '"$QRKIOSK_BIN" --version | grep -qx "$QRKIOSK_VERSION"',
      '--check',
      '"$QRKIOSK_BIN" update status --root "$QRKIOSK_ROOT" --json | grep -q "$QRKIOSK_VERSION"',
      '--ready-seconds',
      '120',
      '--json',
    ],
    { env: env('x64') },
  );
  assert(r.status === 0, `exit ${r.status}: ${r.stdout}${r.stderr}`);
  const state = JSON.parse(r.stdout);
  assert(
    state.state === 'healthy' && state.version === version && state.previous === '0.0.0-previous',
    `state ${r.stdout}`,
  );
  assert(readlinkSync(join(root, 'qrkiosk')) === join(root, `qrkiosk-${version}`), 'link not switched');
  return `${Object.keys(JSON.parse(readFileSync(join(root, 'qrkiosk', 'manifest.json'), 'utf8')).files).length} files checked`;
});

// The same commands on both bundles; the JSON must match.
const dccCase = JSON.parse(readFileSync(join(shared, 'testdata/dcc/AT/2DCode/raw/1.json'), 'utf8'));
writeFileSync(join(work, 'at-signer.der'), Buffer.from(dccCase.TESTCTX.CERTIFICATE, 'base64'));
writeFileSync(
  join(work, 'facts.csv'),
  'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until\ncccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,\n',
);
const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021';
const COMMANDS = [
  { name: '--version', args: ['--version'], expect: (r) => r.status === 0 && r.stdout.trim() === version },
  {
    name: 'decode --json (DCC dgc-testdata AT/1)',
    args: [
      'decode',
      '--json',
      '--at',
      dccCase.TESTCTX.VALIDATIONCLOCK,
      '--trust',
      join(work, 'at-signer.der'),
      dccCase.PREFIX,
    ],
    json: true,
    expect: (r, j) =>
      r.status === 0 &&
      j.ok === true &&
      j.dcc.signature === 'valid' &&
      j.identity.dateOfBirth === dccCase.JSON.dob,
  },
  {
    name: 'cache import --json',
    args: (arch) => [
      'cache',
      'import',
      join(work, 'facts.csv'),
      '--data-dir',
      join(work, `data-${arch}`),
      '--json',
    ],
    json: true,
    expect: (r, j) => r.status === 0 && j.imported === 1,
  },
  {
    name: 'cache status --json',
    args: (arch) => ['cache', 'status', '--data-dir', join(work, `data-${arch}`), '--json'],
    json: true,
    // When the import ran differs between the two runs; the rest must not.
    normalise: (j) => ({ ...j, updatedAt: typeof j.updatedAt }),
    expect: (r, j) => r.status === 0 && j.identities === 1,
  },
  {
    name: 'check --json (the imported person)',
    args: (arch) => [
      'check',
      '--data-dir',
      join(work, `data-${arch}`),
      '--json',
      '--at',
      '2021-10-31T10:00:00+07:00',
      CCCD,
    ],
    json: true,
    expect: (r, j) => r.status === 0 && j.verdict === 'ALLOW' && j.colour === 'green',
  },
];
// Under qemu each start takes seconds: commands that do not depend on each other run at once, x64 beside arm64.
const WAVES = [COMMANDS.slice(0, 3), COMMANDS.slice(3)];
const timings = [];
function runCli(arch, args) {
  return new Promise((done) => {
    const t = Date.now();
    const child = spawn(join(bundles[arch], 'bin/qrkiosk'), args, { env: env(arch) });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d) => {
      stderr += d;
    });
    child.on('close', (status) => done({ status, stdout, stderr, seconds: (Date.now() - t) / 1000 }));
  });
}
for (const wave of WAVES) {
  const runs = await Promise.all(
    wave.map((c) =>
      Promise.all(
        ['x64', 'arm64'].map((arch) =>
          bundles[arch] ? runCli(arch, typeof c.args === 'function' ? c.args(arch) : c.args) : null,
        ),
      ),
    ),
  );
  wave.forEach((c, i) => {
    check(`x64 = arm64 (qemu): qrkiosk ${c.name}`, () => {
      const results = {};
      ['x64', 'arm64'].forEach((arch, k) => {
        const r = runs[i][k];
        assert(r, `no ${arch} bundle`);
        timings.push(`${arch} ${c.name.split(' (')[0]} ${r.seconds.toFixed(1)} s`);
        let j = null;
        if (c.json) {
          try {
            j = JSON.parse(r.stdout);
          } catch {
            throw new Error(`${arch}: not JSON (exit ${r.status}): ${r.stdout}${r.stderr}`);
          }
        }
        assert(c.expect(r, j), `${arch}: exit ${r.status}: ${r.stdout}${r.stderr}`);
        results[arch] = c.normalise ? c.normalise(j) : (j ?? r.stdout);
      });
      assert(
        isDeepStrictEqual(results.x64, results.arm64),
        `differ:\nx64   ${JSON.stringify(results.x64)}\narm64 ${JSON.stringify(results.arm64)}`,
      );
    });
  });
}

check('x64: the CLI refuses a Node of another ABI (exit 2, says which)', () => {
  assert(bundles.x64, 'no x64 bundle');
  // Any fetched Node whose ABI is not the bundle's: test-node-versions' 22/24 builds (install.sh --test).
  const other = readdirSync(nodeCache())
    .filter((d) => d.startsWith(`node-linux-${process.arch}-`) && !d.endsWith(`-${TARGET_NODE}`))
    .map((d) => join(nodeCache(), d, 'package/bin/node'))
    .find((bin) => existsSync(bin));
  assert(other, `no other Node build under ${nodeCache()}: run bash scripts/install.sh --test`);
  const r = sh(other, [join(bundles.x64, 'gateway/dist/cli/main.js'), '--version']);
  const abi = sh(other, ['-p', 'process.versions.modules']).stdout.trim();
  assert(
    r.status === 2 && r.stderr.includes('ABI 115') && r.stderr.includes(`ABI ${abi}`),
    `exit ${r.status}: ${r.stdout}${r.stderr}`,
  );
  return `node ABI ${abi}`;
});

finish();

function finish() {
  if (timings.length) console.log(`timings: ${timings.join(', ')}`);
  const s = Math.round((Date.now() - started) / 1000);
  console.log(`release proof: ${passed} passed, ${failed} failed (${s} s)`);
  if (failed === 0) spawnSync('rm', ['-rf', work]);
  else console.log(`kept for inspection: ${work}`);
  process.exit(failed ? 1 : 0);
}
