/**
 * The appliance recipe (hardware/cloud-init/user-data) as the tests read it: the parsed cloud-config,
 * the files it writes, and Debian's own tools run on it (`cloud-init schema`, `systemd-analyze verify`).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { parse, stringify } from 'yaml';

export const USER_DATA = join(REPO_ROOT, 'hardware/cloud-init/user-data');
export const HARDWARE = join(REPO_ROOT, 'hardware');

export interface WrittenFile {
  path: string;
  content: string;
  permissions?: string;
  owner?: string;
  defer?: boolean;
}

export interface CloudConfig {
  users: Array<{ name: string; system?: boolean; groups?: string[]; lock_passwd?: boolean }>;
  packages: string[];
  write_files: WrittenFile[];
  runcmd: unknown[];
  [key: string]: unknown;
}

export const userDataText = () => readFileSync(USER_DATA, 'utf8');
export const cloudConfig = () => parse(userDataText()) as CloudConfig;

export function writtenFile(config: CloudConfig, path: string): WrittenFile {
  const file = config.write_files.find((f) => f.path === path);
  if (!file) throw new Error(`user-data writes no ${path}`);
  return file;
}

/** Text in a file of its own, in a fresh temp folder. */
export function textFile(text: string, name: string): string {
  const file = join(makeTempDir('appliance-'), name);
  writeFileSync(file, text);
  return file;
}

/** A cloud-config written back as a file cloud-init reads (the `#cloud-config` header first). */
export function cloudConfigFile(config: unknown, name: string): string {
  const file = join(makeTempDir('user-data-'), name);
  writeFileSync(file, `#cloud-config\n${stringify(config)}`);
  return file;
}

/** Debian's `cloud-init schema` (scripts/install.sh --test installs it): its exit code and output. */
export function cloudInitSchema(file: string): { status: number | null; output: string } {
  const r = spawnSync('cloud-init', ['schema', '--config-file', file], { encoding: 'utf8' });
  if (r.error)
    throw new Error(`cloud-init is not installed (bash scripts/install.sh --test): ${r.error.message}`);
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

/**
 * `systemd-analyze verify` on units as they will be installed (/etc/systemd/system), in a root of their
 * own: the host's unit library underneath, and for every absolute Exec*= program a stand-in executable.
 * The programs come from the packages the user-data installs (cage, chromium, nodejs), which this
 * machine need not have; the unit's syntax, keys and dependencies are what is checked here.
 * `files` maps a path under /etc/systemd/system to its content. Returns what systemd printed: it exits
 * 0 even on unknown keys, so any output is a finding.
 */
export function verifyUnits(files: Record<string, string>, units: string[]): string {
  const root = makeTempDir('units-');
  mkdirSync(join(root, 'usr/lib/systemd'), { recursive: true });
  symlinkSync('/lib/systemd/system', join(root, 'usr/lib/systemd/system'));
  for (const [path, content] of Object.entries(files)) {
    const to = join(root, 'etc/systemd/system', path);
    mkdirSync(dirname(to), { recursive: true });
    writeFileSync(to, content);
    for (const m of content.matchAll(/^Exec\w+=[-@:+!]*(\/\S+)/gm)) {
      const program = join(root, m[1] as string);
      mkdirSync(dirname(program), { recursive: true });
      writeFileSync(program, '#!/bin/sh\n');
      chmodSync(program, 0o755);
    }
  }
  const r = spawnSync(
    'systemd-analyze',
    ['verify', `--root=${root}`, ...units.map((u) => `/etc/systemd/system/${u}`)],
    { encoding: 'utf8' },
  );
  if (r.error)
    throw new Error(`systemd-analyze is not installed (bash scripts/install.sh --test): ${r.error.message}`);
  return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stdout}${r.stderr}`.trim();
}

/** A script the user-data writes, saved as an executable file (for `bash -n` and for running it). */
export function scriptFile(config: CloudConfig, path: string): string {
  const file = join(makeTempDir('script-'), path.split('/').at(-1) as string);
  writeFileSync(file, writtenFile(config, path).content);
  chmodSync(file, 0o755);
  return file;
}
