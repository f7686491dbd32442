/**
 * Fresh-clone truth (issue #15): `npx qrkiosk` and `npx qrkiosk-hub` work right after `npm ci`. npm
 * links bins before the root `prepare` script builds dist/, so each bin must be a committed file, not
 * a path into dist/ (that was "could not determine executable"). The full check — a real clone,
 * `npm ci`, both `--help` — takes minutes of native builds and is in CONTRIBUTING.md; this keeps its
 * parts true: the bins are committed shims, they run the built CLIs, and without dist/ they say how
 * to build.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const BINS = [
  { pkg: 'gateway', name: 'qrkiosk', usage: 'Usage: qrkiosk' },
  { pkg: 'hub', name: 'qrkiosk-hub', usage: 'qrkiosk-hub trace' },
] as const;

describe.each(BINS)('the $name bin', ({ pkg, name, usage }) => {
  const manifest = JSON.parse(readFileSync(join(REPO_ROOT, pkg, 'package.json'), 'utf8')) as {
    bin: Record<string, string>;
    files: string[];
  };
  const bin = manifest.bin[name] ?? '';

  it('is a committed file outside dist/, shipped with the package', () => {
    expect(bin).not.toMatch(/dist\//);
    expect(existsSync(join(REPO_ROOT, pkg, bin))).toBe(true);
    expect(manifest.files).toContain(bin.replace(/^\.\//, '').split('/')[0]);
    const tracked = spawnSync('git', ['ls-files', '--error-unmatch', join(pkg, bin)], { cwd: REPO_ROOT });
    expect(tracked.status).toBe(0);
  });

  it('runs the built CLI: --help prints its usage', () => {
    const r = spawnSync(process.execPath, [join(REPO_ROOT, pkg, bin), '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toContain(usage);
  });

  it('without dist/ says in Vietnamese and English how to build, and exits 1', () => {
    const root = makeTempDir('bin-');
    writeFileSync(join(root, 'package.json'), '{ "type": "module" }');
    const dir = join(root, 'bin');
    mkdirSync(dir);
    const shim = join(dir, `${name}.js`);
    copyFileSync(join(REPO_ROOT, pkg, bin), shim);
    const r = spawnSync(process.execPath, [shim, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('chưa được build');
    expect(r.stderr).toContain('npm run build');
  });
});
