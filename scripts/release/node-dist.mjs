// The Node builds a release targets and runs its proof with: the npm registry's node-linux-<arch> packages
// (bin/node plus include/node, the headers node-gyp needs), fetched with `npm pack` — the registry checks its
// integrity hash — and kept beside scripts/test-node-versions.mjs's builds. Their headers let node-gyp build
// addons with no download from nodejs.org (not reachable from every build machine), and the arm64 bin/node is
// what the proof runs under qemu-user.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The Node a release is built for. Its major decides the addons' ABI (process.versions.modules): Raspberry Pi
 * OS trixie and Debian 13 ship nodejs 20.x, ABI 115, the same for every 20.x. Any 20.x build's headers serve.
 */
export const TARGET_NODE = '20.20.2';

export const nodeCache = () =>
  join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'qrkiosk', 'node-versions');

/** `{ dir, bin }` of node-linux-<arch>@version: dir is the package folder (`--nodedir`), bin its node. */
export function nodeDist(arch, version = TARGET_NODE, { offline = false } = {}) {
  const pkg = `node-linux-${arch}`;
  const root = join(nodeCache(), `${pkg}-${version}`);
  const dir = join(root, 'package');
  const bin = join(dir, 'bin', 'node');
  if (existsSync(bin) && existsSync(join(dir, 'include', 'node', 'common.gypi'))) return { dir, bin };
  if (offline) {
    throw new Error(
      `${pkg}@${version} is not fetched (${dir}). Run: bash scripts/install.sh --test (or node scripts/release.mjs --fetch-only)`,
    );
  }
  mkdirSync(root, { recursive: true });
  // A registry hiccup must not fail a build: three tries.
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync('npm', ['pack', `${pkg}@${version}`, '--silent', '--pack-destination', root], {
      stdio: 'inherit',
    });
    if (r.status === 0) break;
    if (attempt === 3) throw new Error(`npm pack ${pkg}@${version}: exit ${r.status ?? r.signal}`);
  }
  const tgz = readdirSync(root).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error(`npm pack ${pkg}@${version} left no tarball in ${root}`);
  const x = spawnSync('tar', ['xzf', join(root, tgz), '-C', root], { stdio: 'inherit' });
  if (x.status !== 0) throw new Error(`tar xzf ${tgz}: exit ${x.status}`);
  return { dir, bin };
}
