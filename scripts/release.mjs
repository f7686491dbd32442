#!/usr/bin/env node
// Builds the kiosk's release bundles: release/qrkiosk-<version>-linux-<arch>.tar.gz and .tar.gz.sig, for
// linux-arm64 (Raspberry Pi 3/4/5/Zero 2 W on a 64-bit OS) and linux-x64. Each holds one folder, what goes to
// /opt/qrkiosk: bin/qrkiosk, gateway/, protocol/, node_modules/ (production only, native addons for that CPU and
// Node ABI), hardware/, VERSION, node-abi.json and manifest.json. How to verify: hardware/README.md.
// Usage: node scripts/release.mjs [--arch arm64|x64]… [--signing-key KEY.pem] [--out DIR] [--offline] [--fetch-only]
//   --offline     fail rather than fetch a Node build from the npm registry (the tests run offline)
//   --fetch-only  fetch the Node builds and stop (scripts/install.sh --test)
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  buildAddon,
  ELF_MACHINE,
  elfMachine,
  keepMatchingPrebuilds,
  nativePackages,
} from './release/addons.mjs';
import { nodeDist, TARGET_NODE } from './release/node-dist.mjs';
import { signFile, signingKey, tarball, writeManifest } from './release/pack.mjs';
import { listFiles, productionPackages, stageApp, stageDependencies } from './release/stage.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    arch: { type: 'string', multiple: true },
    'signing-key': { type: 'string' },
    out: { type: 'string' },
    offline: { type: 'boolean' },
    'fetch-only': { type: 'boolean' },
    // A bundle kiosks may install over a newer version (manifest `downgrade: true`, covered by the signature):
    // without it their installer refuses anything older than what runs (replay protection).
    downgrade: { type: 'boolean' },
  },
});
const archs = values.arch ?? ['arm64', 'x64'];
for (const arch of archs) {
  if (!(arch in ELF_MACHINE)) {
    console.error(`--arch: want arm64 or x64, not ${arch}`);
    process.exit(2);
  }
}
const log = (line) => console.error(`release: ${line}`);
// Paths as the user typed them would read: relative under the working folder, absolute elsewhere.
const shown = (path) => (path.startsWith(`${process.cwd()}/`) ? relative(process.cwd(), path) : path);

if (values['fetch-only']) {
  for (const arch of archs) console.log(`node-linux-${arch}@${TARGET_NODE}: ${nodeDist(arch).bin}`);
  process.exit(0);
}

const main = join(root, 'gateway', 'dist', 'cli', 'main.js');
if (!existsSync(main)) {
  console.error('gateway is not built: run `npm run build` first (npm run release does).');
  process.exit(2);
}
const version = JSON.parse(readFileSync(join(root, 'gateway', 'package.json'), 'utf8')).version;
// protocol's SOFTWARE_VERSION_PATTERN: a longer name would be refused by the hub and could never report healthy.
if (!/^[0-9A-Za-z][0-9A-Za-z.+_-]{0,31}$/.test(version)) {
  console.error(`version ${version}: at most 32 characters of 0-9 A-Z a-z . + _ -`);
  process.exit(2);
}
const git = (...args) => spawnSync('git', args, { cwd: root, encoding: 'utf8' }).stdout.trim();
const commit = git('rev-parse', 'HEAD') || null;
const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
// The commit's time, not now: the same commit gives the same tarball bytes.
const epoch = Number(git('log', '-1', '--format=%ct')) || Math.floor(Date.now() / 1000);
const out = resolve(values.out ?? join(root, 'release'));
mkdirSync(out, { recursive: true });

let signer;
try {
  signer = signingKey(values['signing-key'], out);
} catch (err) {
  console.error(`--signing-key: ${err.code === 'ENOENT' ? `no such file ${err.path}` : err.message}`);
  process.exit(2);
}
writeFileSync(join(out, 'release-public.pem'), signer.publicPem);
const packages = productionPackages(root);

for (const arch of archs) {
  const started = Date.now();
  const node = nodeDist(arch, TARGET_NODE, { offline: values.offline === true });
  const name = `qrkiosk-${version}-linux-${arch}`;
  const stage = join(out, `.stage-${arch}`);
  const bundle = join(stage, name);
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(bundle, { recursive: true });
  stageApp(root, bundle);
  stageDependencies(root, bundle, packages);

  const addons = [];
  for (const pkg of nativePackages(bundle, packages)) {
    const dir = join(bundle, pkg);
    const { name: pkgName, version: pkgVersion } = JSON.parse(
      readFileSync(join(dir, 'package.json'), 'utf8'),
    );
    if (keepMatchingPrebuilds(dir, arch)) {
      addons.push({ package: `${pkgName}@${pkgVersion}`, binary: 'prebuilt' });
      continue;
    }
    const took = buildAddon(dir, { arch, nodeDir: node.dir, nodeVersion: TARGET_NODE, log });
    if (took !== 'cached') log(`${pkgName}: compiled in ${took} s`);
    addons.push({ package: `${pkgName}@${pkgVersion}`, binary: 'compiled' });
  }
  // A binary for another CPU (a stray local build, a prebuild for the wrong arch) would fail on the kiosk.
  const wrong = listFiles(bundle).filter(
    (f) => f.endsWith('.node') && elfMachine(join(bundle, f)) !== ELF_MACHINE[arch],
  );
  if (wrong.length) throw new Error(`not linux-${arch} binaries in the bundle: ${wrong.join(', ')}`);

  writeFileSync(join(bundle, 'VERSION'), `${version}\n`);
  // The ABI of the Node the addons were compiled against, read from its headers (the arm64 node cannot run here).
  const modules = nodeModuleVersion(node.dir);
  // The CLI's release guard checks the running Node against this on every start: a few bytes, where the
  // manifest (sha256 of every file) is ~750 KB of JSON. Written before the manifest, so the manifest covers it.
  writeFileSync(join(bundle, 'node-abi.json'), `${JSON.stringify({ modules, node: TARGET_NODE })}\n`);
  const manifest = writeManifest(bundle, {
    name: 'qrkiosk',
    version,
    platform: 'linux',
    arch,
    node: { version: TARGET_NODE, modules },
    commit,
    dirty,
    builtAt: new Date(epoch * 1000).toISOString(),
    addons,
    ...(values.downgrade ? { downgrade: true } : {}),
  });
  const file = join(out, `${name}.tar.gz`);
  tarball(bundle, file, epoch);
  const digest = signFile(file, signer.key);
  rmSync(stage, { recursive: true, force: true });
  log(
    `${shown(file)}  ${Object.keys(manifest.files).length} files, node ABI ${modules}, sha256 ${digest} (${Math.round((Date.now() - started) / 1000)} s)`,
  );
}

if (signer.dev) {
  log(
    `CẢNH BÁO: ký bằng khóa thử nghiệm ${shown(signer.path)} — không dùng để triển khai; hãy dùng --signing-key.`,
  );
  log(
    `WARNING: signed with a local development key ${shown(signer.path)} — not for deployment; pass --signing-key.`,
  );
}
log(
  `verify: openssl dgst -sha256 -verify ${shown(join(out, 'release-public.pem'))} -signature FILE.sig FILE`,
);

/** NODE_MODULE_VERSION from a Node's include/node/node_version.h (what process.versions.modules reports). */
function nodeModuleVersion(nodeDir) {
  const header = readFileSync(join(nodeDir, 'include', 'node', 'node_version.h'), 'utf8');
  const m = /#define NODE_MODULE_VERSION (\d+)/.exec(header);
  if (!m) throw new Error(`no NODE_MODULE_VERSION in ${nodeDir}/include/node/node_version.h`);
  return m[1];
}
