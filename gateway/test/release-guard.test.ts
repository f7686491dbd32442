/**
 * The release guard (gateway/src/cli/release-guard.ts) checks the running Node against the bundle's node-abi.json,
 * which scripts/release.mjs writes at the bundle root. The oracle is the Node running this test:
 * process.versions.modules. The built guard is copied into a bundle-shaped folder (it imports only node:fs), so
 * the repository's own root is never touched.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const bundle = makeTempDir('release-guard-');
const guard = join(bundle, 'gateway/dist/cli/release-guard.js');
mkdirSync(join(bundle, 'gateway/dist/cli'), { recursive: true });
copyFileSync(join(REPO_ROOT, 'gateway/dist/cli/release-guard.js'), guard);
writeFileSync(join(bundle, 'gateway/package.json'), '{"type":"module"}\n');

function withAbi(text: string | null) {
  const file = join(bundle, 'node-abi.json');
  if (text === null) rmSync(file, { force: true });
  else writeFileSync(file, text);
  return spawnSync(process.execPath, [guard], { encoding: 'utf8' });
}

describe('release guard: the bundle’s node-abi.json against the running Node', () => {
  it('lets the Node the addons were built for through, silently', () => {
    const r = withAbi(JSON.stringify({ modules: process.versions.modules, node: process.versions.node }));
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });

  it('refuses another ABI with exit 2, naming both Nodes in Vietnamese then English', () => {
    const r = withAbi(JSON.stringify({ modules: '1', node: '7.0.0' }));
    expect(r.status).toBe(2);
    const [vi, en] = r.stderr.trim().split('\n');
    expect(vi).toContain('cần Node.js 7.x (ABI 1)');
    expect(vi).toContain(`ABI ${process.versions.modules}`);
    expect(en).toContain(`this release needs Node.js 7.x (ABI 1); running Node.js ${process.versions.node}`);
  });

  it('says the file is damaged (exit 2) when it is not JSON or has no ABI', () => {
    for (const text of ['{"modules":', '{"node":"20.0.0"}', 'null']) {
      const r = withAbi(text);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('node-abi.json hỏng');
      expect(r.stderr).toContain('reinstall the release');
    }
  });

  it('checks nothing in a source checkout (no node-abi.json)', () => {
    const r = withAbi(null);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
  });
});
