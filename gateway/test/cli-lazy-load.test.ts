/**
 * The CLI loads only the command that runs (issue #16): `--version`, `--help` and `config check` must not pull in
 * the decoders, the DCC stack, the daemon (fastify, mqtt) or the scanner drivers. Evidence is what Node itself
 * resolves, seen through a module resolve hook (node:module register) that logs every URL it is asked for — no
 * timing. The `decode` case shows the hook does see the commands' dynamic imports, so an empty list means
 * "not loaded", not "not seen".
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const dir = makeTempDir('cli-lazy-');
writeFileSync(
  join(dir, 'hooks.mjs'),
  `import { appendFileSync } from 'node:fs';
let log;
export function initialize(data) { log = data.log; }
export async function resolve(specifier, context, next) {
  const r = await next(specifier, context);
  appendFileSync(log, r.url + '\\n');
  return r;
}
`,
);
writeFileSync(
  join(dir, 'register.mjs'),
  `import { register } from 'node:module';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)}, { data: { log: process.env.LAZY_LOG } });
`,
);

let runs = 0;
/** Runs the CLI; returns its result and every module URL resolved, repository-relative. */
function traced(args: string[]) {
  const log = join(dir, `resolved-${++runs}.txt`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', join(dir, 'register.mjs'), cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, LAZY_LOG: log },
  });
  const root = pathToFileURL(REPO_ROOT).href;
  const urls = [...new Set(readFileSync(log, 'utf8').split('\n').filter(Boolean))];
  return { r, modules: urls.filter((u) => u.startsWith(root)).map((u) => u.slice(root.length + 1)) };
}

// What the CLI needs before it knows the command: commander and its own small modules.
const STARTUP = new Set([
  'gateway/dist/cli/main.js',
  'gateway/dist/cli/release-guard.js',
  'gateway/dist/cli/default-config.js',
  'gateway/dist/version.js',
  'gateway/dist/i18n.js',
]);
const outsideStartup = (modules: string[]) =>
  modules.filter((m) => !STARTUP.has(m) && !m.startsWith('node_modules/commander/'));

describe('qrkiosk loads only the command it runs', () => {
  it('--version resolves nothing beyond commander and the CLI’s own start-up modules', () => {
    const { r, modules } = traced(['--version']);
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(modules).toContain('gateway/dist/cli/main.js');
    expect(outsideStartup(modules)).toEqual([]);
  });

  it('--help and a command’s --help load no command either', () => {
    for (const args of [['--help'], ['doctor', '--help'], ['decode', '--help']]) {
      const { r, modules } = traced(args);
      expect(r.status).toBe(0);
      expect(r.stdout).toContain('Usage: qrkiosk');
      expect(outsideStartup(modules)).toEqual([]);
    }
  });

  it('config check loads the settings, not the decoders, the daemon or the scanner drivers', () => {
    const { r, modules } = traced(['config', 'check', join(REPO_ROOT, 'gateway/kiosk.example.yaml')]);
    expect(r.status).toBe(0);
    expect(modules).toContain('gateway/dist/cli/config-check.js');
    const heavy = modules.filter((m) =>
      /^gateway\/dist\/(decode|dcc-trust|revocation|uplink|input)\b|^gateway\/dist\/cli\/(run|decode|check|doctor)\.js$|^node_modules\/(fastify|mqtt|serialport|@serialport|node-hid|better-sqlite3|cbor-x)\//.test(
        m,
      ),
    );
    expect(heavy).toEqual([]);
  });

  it('decode loads its own module: the hook sees what a command imports when it runs', () => {
    const { r, modules } = traced(['decode', '--json', 'not a code']);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.code).toBe('unknown-format');
    expect(modules).toContain('gateway/dist/cli/decode.js');
    expect(modules.some((m) => m.startsWith('gateway/dist/decode/'))).toBe(true);
  });
});
