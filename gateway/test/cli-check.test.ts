import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021';
const MASKED = '******001234|NGUYEN VAN AN|1990-08-15|0|162979388586171100|';

describe('qrkiosk cache import / status / check (offline, no hardware)', () => {
  const dir = makeTempDir('cli-check-');
  const csv = join(dir, 'facts.csv');
  writeFileSync(
    csv,
    [
      'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until',
      'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,',
      'qid,162979388586171100,,,,,,2021-10-30T08:00:00+07:00,pcr,,',
      'cccd,bad,,,,,,,,,',
    ].join('\n'),
  );
  const data = join(dir, 'data');

  it('imports, skipping the bad row with its line number (exit 1)', () => {
    const r = run(['cache', 'import', csv, '--data-dir', data]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${csv}:4: id is not a valid cccd number`);
    expect(r.stdout).toContain('Đã nhập 2 dòng');
  });

  it('reports status as JSON, QRKIOSK_DATA_DIR selecting the folder', () => {
    const r = run(['cache', 'status', '--json'], { QRKIOSK_DATA_DIR: data });
    expect(JSON.parse(r.stdout)).toMatchObject({ version: 0, identities: 2, signer: 'local' });
  });

  it('decides with the JSON contract; a masked personal QR resolves through its QID', () => {
    const check = (payload: string, ...extra: string[]) => {
      const r = run(['check', '--data-dir', data, '--json', ...extra, payload]);
      return { status: r.status, out: JSON.parse(r.stdout) };
    };
    expect(check(CCCD, '--at', '2021-10-31T10:00:00+07:00')).toEqual({
      status: 0,
      out: {
        verdict: 'ALLOW',
        colour: 'green',
        reason: { code: 'admitted-green', message: 'Thẻ xanh — được vào' },
        kind: 'cccd',
      },
    });
    expect(check(MASKED, '--at', '2021-11-02T08:00:00+07:00').out).toMatchObject({
      verdict: 'ALLOW',
      colour: 'yellow',
      kind: 'personal-qr',
    });
    expect(check(MASKED, '--at', '2021-11-02T08:00:01+07:00').out).toMatchObject({
      verdict: 'REFUSE',
      colour: 'red',
    });
    expect(check(MASKED, '--at', '2021-11-01T08:00:00+07:00', '--level', '4').out).toMatchObject({
      verdict: 'REFUSE',
      colour: 'yellow',
    });
    const unknown = check('001185012345||Trần Thị Bích Ngọc|02031985|Nữ|Hà Nội|10072021');
    expect(unknown).toEqual({
      status: 1,
      out: expect.objectContaining({ verdict: 'REVIEW', colour: null, kind: 'cccd' }),
    });
    expect(check('https://qr.tokhaiyte.vn/dd/1').out).toMatchObject({
      verdict: 'REVIEW',
      colour: null,
      kind: 'location',
      reason: { code: 'location-code' },
    });
  });

  it('reads the cache only: no folder or file made, a corrupt cache left where it is (the daemon decides)', () => {
    const empty = join(dir, 'not-there');
    const unknown = run(['check', '--data-dir', empty, '--json', CCCD]);
    expect(JSON.parse(unknown.stdout)).toMatchObject({ verdict: 'REVIEW' });
    expect(existsSync(empty)).toBe(false);
    const broken = join(dir, 'broken');
    mkdirSync(broken);
    writeFileSync(join(broken, 'cache.db'), 'not a database at all, just bytes');
    expect(JSON.parse(run(['check', '--data-dir', broken, '--json', CCCD]).stdout)).toMatchObject({
      verdict: 'REVIEW',
    });
    expect(readdirSync(broken)).toEqual(['cache.db']);
  });

  it('refuses bad --level and --at with exit 2', () => {
    expect(run(['check', '--data-dir', data, '--level', '5', CCCD]).status).toBe(2);
    expect(run(['check', '--data-dir', data, '--at', 'noon', CCCD]).status).toBe(2);
  });
});
