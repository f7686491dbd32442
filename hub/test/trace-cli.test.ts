import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TALLY_SCHEMA_ID } from '@qrkiosk/protocol';
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
    expect(r.stdout).toContain('F1: 3 người / people (5 check-in) · F2: 1 người / people (1 check-in)');
    expect(r.stdout).toMatch(/^F1-002 .*22 phút\/min$/m);
    expect(r.stdout).toContain('Bệnh viện Quận 1');
  });

  it('says first that tracing is impossible at the period’s verify-only sites, by name (vi/en)', async () => {
    const { store, database } = await openStore('sqlite');
    await seedTrace(store, keys, hashKey);
    await store.addTally(
      {
        schema: TALLY_SCHEMA_ID,
        id: '01KAPW2B7Q3M0X5D2R8S6T4V99',
        kiosk: 'k-003',
        site: 's-003',
        direction: 'in',
        at: '2021-10-30T04:00:00.000Z',
        clockSynced: true,
        kind: 'cccd',
        verdict: 'ALLOW',
        colour: 'green',
        reason: 'admitted-green',
        versions: { software: '0.1.0', rules: 'r1', cache: 1 },
      },
      new Date('2021-10-30T05:00:00Z'),
    );
    await store.close();
    const args = ['--database', database, ...base.slice(2), '--type', 'bhyt', '--id', F0.bhyt];
    const r = cli(...args);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe(
      'Địa điểm chỉ kiểm tra, không lưu danh sách — không thể truy vết tại đó: / Verify-only sites keep no register — tracing is impossible there: Siêu thị Quận 3 (s-003)',
    );
    const csv = cli(...args, '--csv');
    expect(csv.status, csv.stderr).toBe(0);
    expect(csv.stdout).toContain('tracing is impossible there:",,,,,,,s-003,Siêu thị Quận 3,');
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
      expect.arrayContaining([{ kind: 'cccd', number: A.cccd, name: A.name, dob: A.dob }]),
    );
  });

  it('--html prints the A4 F1 list: case, period, who ran it, the people with their overlap minutes', () => {
    const r = cli(...base, '--id', F0.cccd, '--html', '--case', 'Ca 17');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('counter(pages)');
    expect(r.stdout).toContain('<dd id="case-label">Ca 17</dd>');
    expect(r.stdout).toContain('30/10/2021 – 30/10/2021');
    expect(r.stdout).toMatch(/<dd id="ran">[^<]+@cli · \d\d\/\d\d\/\d{4}/);
    const f1 = /<table id="f1">([\s\S]*?)<\/table>/.exec(r.stdout)?.[1] ?? '';
    expect([...f1.matchAll(/<td class="ref">(F1-\d+)<\/td>/g)].map((m) => m[1])).toEqual([
      'F1-001',
      'F1-002',
      'F1-003',
    ]);
    expect(f1).toMatch(/F1-002[\s\S]*Chợ Bến Thành[\s\S]*<td class="n">22<\/td>/);
    expect(r.stdout).toContain('mã liên kết');
  });

  it('the letterhead names the health office set in hub.yaml (privacy.tracingOffice)', () => {
    const config = join(dir, 'hub.yaml');
    writeFileSync(config, 'privacy:\n  tracingOffice: TP. HỒ CHÍ MINH\n');
    const r = cli('--config', config, ...base, '--id', F0.cccd, '--html');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('<p class="org">SỞ Y TẾ TP. HỒ CHÍ MINH</p>');
  });

  it('an unknown flag or a flag without its value is refused in both languages, with the usage', () => {
    const r = cli(...base, '--id', F0.cccd, '--bogus');
    refusedCleanly(r, /Tùy chọn không hợp lệ/, /unknown option|bad option/i);
    expect(r.stderr).toContain('qrkiosk-hub trace --key-file');
    refusedCleanly(cli(...base, '--id'), /Tùy chọn không hợp lệ/, /--id/);
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
