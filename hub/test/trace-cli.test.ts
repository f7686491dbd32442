import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import type { TraceResult } from '../src/index.js';
import { openStore } from './engines.js';
import { A, F0, seedTrace, tracingKeys } from './trace-fixtures.js';

/** The built command, as an officer runs it (hub/dist/cli.js, `npm run build` first). */
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), 'trace', ...args], {
    encoding: 'utf8',
    env: { ...process.env, QRKIOSK_HUB_CONFIG: '' },
  });

describe('qrkiosk-hub trace', () => {
  const hashKey = randomBytes(32);
  const keys = tracingKeys();
  const dir = makeTempDir('trace-cli-');
  const keyFile = join(dir, 'deployment.key');
  let base: string[] = [];
  beforeAll(async () => {
    writeFileSync(keyFile, hashKey.toString('hex'), { mode: 0o600 });
    const { store, database } = await openStore('sqlite');
    await seedTrace(store, keys, hashKey);
    await store.close();
    base = ['--database', database, '--key-file', keyFile, '--from', '2021-10-30', '--to', '2021-10-30'];
  });
  const refusedCleanly = (r: ReturnType<typeof cli>, vi: RegExp, en: RegExp) => {
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(vi);
    expect(r.stderr).toMatch(en);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack
  };

  it('prints counts of people and check-ins, then people with overlap minutes and site names', () => {
    const r = cli(...base, '--type', 'bhyt', '--id', F0.bhyt, '--f2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('F1: 3 người / people (5 check-in) · F2: 2 người / people (2 check-in)');
    expect(r.stdout).toMatch(/^F1-002 .*22 phút\/min$/m);
    expect(r.stdout).toContain('Bệnh viện Quận 1');
  });

  it('--json --reveal prints the result object with each co-visitor’s number and name', () => {
    const r = cli(
      ...base,
      '--id',
      F0.cccd,
      '--json',
      '--case',
      'Ca 17',
      '--reveal',
      '--tracing-key',
      keys.otherFile,
      '--tracing-key',
      keys.privateFile,
      '--reason',
      'Ca 17 dương tính',
    );
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as TraceResult;
    expect(result).toMatchObject({ schema: 'qrkiosk.trace/1', case: 'Ca 17', revealed: true });
    expect(result.people.find((p) => p.ref === 'F1-002')?.identities).toEqual(
      expect.arrayContaining([{ kind: 'cccd', number: A.cccd, name: A.name }]),
    );
  });

  it('--html prints the A4 F1 list', () => {
    const r = cli(...base, '--id', F0.cccd, '--html', '--case', 'Ca 17');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('counter(pages)');
    expect(r.stdout).toContain('Ca 17');
  });

  it('refuses a reveal without key or reason, a missing or foreign key file, and a wrong key, in both languages', () => {
    refusedCleanly(
      cli(...base, '--id', F0.cccd, '--reveal', '--reason', 'Ca 17 F0'),
      /cần --tracing-key/,
      /needs --tracing-key/,
    );
    refusedCleanly(
      cli(...base, '--id', F0.cccd, '--reveal', '--tracing-key', keys.privateFile),
      /--reason/,
      /needs/,
    );
    refusedCleanly(
      cli(
        ...base,
        '--id',
        F0.cccd,
        '--reveal',
        '--tracing-key',
        join(dir, 'none.key'),
        '--reason',
        'Ca 17 F0',
      ),
      /Không đọc được tệp khóa truy vết/,
      /ENOENT/,
    );
    refusedCleanly(
      cli(...base, '--id', F0.cccd, '--reveal', '--tracing-key', keyFile, '--reason', 'Ca 17 F0'),
      /Khóa truy vết không đọc được/,
      /Tracing key unreadable/,
    );
    refusedCleanly(
      cli(...base, '--id', F0.cccd, '--reveal', '--tracing-key', keys.otherFile, '--reason', 'Ca 17 F0'),
      /Khóa truy vết không khớp/,
      /Wrong tracing key/,
    );
    refusedCleanly(
      cli(...base, '--id', F0.cccd, '--reveal', '--tracing-key', keys.privateFile, '--reason', 'abc'),
      /Lý do/,
      /reason/,
    );
  });
});
