// Native addons for the bundle's CPU. A package with a binding.gyp either ships a prebuilt binary for
// linux-<arch> in its prebuilds/ folder (serialport's bindings-cpp, node-hid), which the bundle keeps, or
// is compiled here with node-gyp against the target Node's headers — cross-compiled for arm64 with
// Debian's aarch64-linux-gnu toolchain. No list of names: whatever native package the gateway gains is found
// the same way. Builds are cached by package version, arch and Node version, so only the first run compiles.
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

/** ELF e_machine of each target (what `file` calls "ARM aarch64" / "x86-64"). */
export const ELF_MACHINE = { arm64: 183, x64: 62 };

const CROSS = {
  arm64: {
    CC: 'aarch64-linux-gnu-gcc',
    CXX: 'aarch64-linux-gnu-g++',
    LINK: 'aarch64-linux-gnu-g++',
    AR: 'aarch64-linux-gnu-ar',
  },
};

const addonCache = () =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'qrkiosk', 'release-addons');

// A prebuilds/ subfolder for glibc Linux on this CPU: `linux-arm64` (prebuildify), `HID-linux-arm64` or
// `HID_hidraw-linux-arm64` (pkg-prebuilds). musl ones do not load on Raspberry Pi OS or Debian.
const prebuildDir = (arch) => new RegExp(`(^|[-_])linux-${arch}$`);

function hasNodeFile(dir) {
  return readdirSync(dir, { withFileTypes: true }).some((e) =>
    e.isDirectory() ? hasNodeFile(join(dir, e.name)) : e.name.endsWith('.node'),
  );
}

/** Folders (relative to the stage) of the staged packages that have a binding.gyp. */
export function nativePackages(stage, packages) {
  return packages.filter((p) => existsSync(join(stage, p, 'binding.gyp')));
}

/**
 * Keeps only the prebuilt binaries for glibc linux-<arch>; true when one remains (nothing to compile).
 */
export function keepMatchingPrebuilds(pkgDir, arch) {
  const prebuilds = join(pkgDir, 'prebuilds');
  if (!existsSync(prebuilds)) return false;
  let found = false;
  for (const entry of readdirSync(prebuilds, { withFileTypes: true })) {
    const path = join(prebuilds, entry.name);
    if (!entry.isDirectory() || !prebuildDir(arch).test(entry.name)) {
      rmSync(path, { recursive: true, force: true });
      continue;
    }
    for (const file of readdirSync(path))
      if (file.includes('musl')) rmSync(join(path, file), { force: true });
    if (hasNodeFile(path)) found = true;
    else rmSync(path, { recursive: true, force: true });
  }
  if (readdirSync(prebuilds).length === 0) rmSync(prebuilds, { recursive: true });
  return found;
}

function nodeGyp() {
  // npm carries node-gyp (it runs install scripts with it): the one beside the npm on PATH.
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) {
    return process.env.npm_config_node_gyp;
  }
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8' }).stdout.trim();
  const gyp = join(dirname(dirname(realpathSync(npm))), 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
  if (!existsSync(gyp)) throw new Error(`node-gyp not found beside npm (${gyp})`);
  return gyp;
}

/**
 * Compiles the package at `pkgDir` (inside the stage, so `require('nan')` in its binding.gyp resolves to the
 * bundle's own copy) for `arch` against the Node at `nodeDir`, or takes the cached result. Leaves only
 * build/Release/*.node. Returns 'cached' or the seconds the compile took.
 */
export function buildAddon(pkgDir, { arch, nodeDir, nodeVersion, log }) {
  const { name, version } = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
  const key = `${name.replace('/', '+')}@${version}-linux-${arch}-node${nodeVersion}`;
  const cached = join(addonCache(), key, 'Release');
  const release = join(pkgDir, 'build', 'Release');
  if (existsSync(cached) && hasNodeFile(cached)) {
    cpSync(cached, release, { recursive: true });
    return 'cached';
  }
  log(`compiling ${name}@${version} for linux-${arch} (node ${nodeVersion})…`);
  const started = Date.now();
  const r = spawnSync(
    process.execPath,
    [nodeGyp(), 'rebuild', `--arch=${arch}`, `--nodedir=${nodeDir}`, '--release', '-j', '2'],
    { cwd: pkgDir, stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, ...(CROSS[arch] ?? {}) } },
  );
  if (r.status !== 0)
    throw new Error(`node-gyp rebuild of ${name} for ${arch}: exit ${r.status ?? r.signal}`);
  // Objects, Makefiles and the config node-gyp wrote (with this machine's paths) do not ship.
  for (const entry of readdirSync(join(pkgDir, 'build'))) {
    if (entry !== 'Release') rmSync(join(pkgDir, 'build', entry), { recursive: true, force: true });
  }
  // Test fixtures built beside the addon (better-sqlite3's test_extension, a SQLite extension, not a Node addon)
  // are no part of a kiosk.
  for (const entry of readdirSync(release, { withFileTypes: true })) {
    const addon = entry.isFile() && entry.name.endsWith('.node') && !/^test[_-]/.test(entry.name);
    if (!addon) rmSync(join(release, entry.name), { recursive: true });
  }
  if (!hasNodeFile(release)) throw new Error(`node-gyp rebuild of ${name} made no .node file`);
  rmSync(cached, { recursive: true, force: true });
  mkdirSync(dirname(cached), { recursive: true });
  cpSync(release, cached, { recursive: true });
  return Math.round((Date.now() - started) / 1000);
}

/** The ELF machine number of a file, or null when it is no ELF file. */
export function elfMachine(file) {
  const fd = openSync(file, 'r');
  try {
    const head = Buffer.alloc(20);
    if (readSync(fd, head, 0, 20, 0) < 20 || head.readUInt32BE(0) !== 0x7f454c46) return null;
    return head[5] === 1 ? head.readUInt16LE(18) : head.readUInt16BE(18);
  } finally {
    closeSync(fd);
  }
}
