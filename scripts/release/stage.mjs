// Lays out what goes to /opt/qrkiosk: the kiosk's built code, its production dependencies as real folders,
// the hardware files and the launcher. Native addons are left to addons.mjs.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';

// Type declarations, source maps (their sources are not shipped) and tsc's build state serve no kiosk.
const notShipped = (path) => /\.(d\.ts|d\.ts\.map|js\.map|tsbuildinfo)$/.test(path);

const LAUNCHER = `#!/bin/sh
# qrkiosk — launcher of a release bundle (/opt/qrkiosk/bin/qrkiosk; a symlink to it works too).
# Runs the kiosk CLI with the Node on PATH. The CLI refuses, with exit 2, a Node whose ABI is not the
# one the bundle's native addons were built for (node-abi.json, modules).
here=$(dirname -- "$(readlink -f -- "$0")")
exec node "$here/../gateway/dist/cli/main.js" "$@"
`;

/**
 * The gateway's production dependency tree, as npm itself resolved it (optional ones included when
 * installed): folders relative to the repository root, nested node_modules as their own entries.
 * The workspace packages come out as symlinks in node_modules; the caller copies them as folders.
 */
export function productionPackages(root) {
  const r = spawnSync('npm', ['ls', '--omit=dev', '--all', '--parseable', '-w', '@qrkiosk/gateway'], {
    cwd: root,
    encoding: 'utf8',
  });
  // npm ls exits 1 on an extraneous or invalid tree: that tree is not one to ship.
  if (r.status !== 0) throw new Error(`npm ls --omit=dev: exit ${r.status}\n${r.stderr}`);
  return r.stdout
    .split('\n')
    .filter(Boolean)
    .map((p) => relative(root, p))
    .filter((p) => p.startsWith(`node_modules${sep}`) && !p.startsWith(join('node_modules', '@qrkiosk')));
}

/** @param {string} from @param {string} to @param {(src: string) => boolean} [filter] */
function copy(from, to, filter = () => true) {
  // Dereference: a bundle holds no symlink (a tarball's link into a build machine's tree would dangle).
  cpSync(from, to, { recursive: true, dereference: true, filter: (src) => filter(src) });
}

/** Copies the kiosk's own files into `dest` (the bundle's root folder). */
export function stageApp(root, dest) {
  const code = (src) => !notShipped(src);
  for (const part of ['dist', 'public', 'assets'])
    copy(join(root, 'gateway', part), join(dest, 'gateway', part), code);
  for (const file of ['package.json', 'kiosk.example.yaml'])
    copy(join(root, 'gateway', file), join(dest, 'gateway', file));
  copy(join(root, 'protocol', 'dist'), join(dest, 'protocol', 'dist'), code);
  copy(join(root, 'protocol', 'package.json'), join(dest, 'protocol', 'package.json'));
  // The kiosk's unit and udev rule; the hub's unit, env file and broker config belong to the health office's server.
  copy(
    join(root, 'hardware'),
    join(dest, 'hardware'),
    (src) => !/^(qrkiosk-hub|mosquitto)/.test(basename(src)),
  );
  mkdirSync(join(dest, 'bin'), { recursive: true });
  writeFileSync(join(dest, 'bin', 'qrkiosk'), LAUNCHER);
  chmodSync(join(dest, 'bin', 'qrkiosk'), 0o755);
}

/**
 * Copies the production dependencies into `dest`/node_modules (same relative places as in the repository,
 * so nested versions resolve as they did) and @qrkiosk/protocol as a real folder. A native package's
 * local build/ is left behind: it was made for this machine's Node and CPU.
 */
export function stageDependencies(root, dest, packages) {
  for (const pkg of packages) {
    const from = join(root, pkg);
    const gyp = existsSync(join(from, 'binding.gyp'));
    copy(from, join(dest, pkg), (src) => {
      const rel = relative(from, src);
      if (rel === 'node_modules' || rel.startsWith(`node_modules${sep}`)) return false; // listed on their own
      if (gyp && (rel === 'build' || rel.startsWith(`build${sep}`))) return false;
      return true;
    });
  }
  const protocol = join(dest, 'node_modules', '@qrkiosk', 'protocol');
  copy(join(root, 'protocol', 'dist'), join(protocol, 'dist'), (src) => !notShipped(src));
  copy(join(root, 'protocol', 'package.json'), join(protocol, 'package.json'));
}

/** Every regular file under `dir`, as sorted paths relative to it (forward slashes). */
export function listFiles(dir, prefix = '') {
  const out = [];
  for (const entry of readdirSync(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out.sort();
}
