import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { makeTempDir, REPO_ROOT, sharedDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    ...(input !== undefined ? { input } : {}),
  });

describe('qrkiosk decode (the contract other tools depend on)', () => {
  it('prints one JSON result and exits 0 when ok, 1 when not', () => {
    const ok = run(['decode', '--json', '079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021']);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({
      kind: 'cccd',
      ok: true,
      identity: { name: 'Nguyễn Văn An', formerNumber: '272345678' },
    });
    const bad = run(['decode', '--json', 'https://qr.tokhaiyte.vn/dd/1']);
    expect(bad.status).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      kind: 'location',
      ok: false,
      error: { code: 'location-code', message: expect.stringContaining('mã QR cá nhân') },
    });
  });

  it('prints a hidden birth year as starred and a short CCCD number as an invalid CCCD', () => {
    const starred = run([
      'decode',
      '--lang',
      'en',
      '******001234|NGUYEN VAN AN|12/**/****|0|162979388586171100|1',
    ]);
    expect(starred.status).toBe(0);
    expect(starred.stdout).toContain('Date of birth: 12/**/****');
    const json = run(['decode', '--json', '******001234|NGUYEN VAN AN|****-**-**|0|162979388586171100']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      kind: 'personal-qr',
      ok: true,
      identity: { dateOfBirth: null },
      personal: { birth: { year: null, month: null, day: null } },
    });
    const short = run(['decode', '--json', '07909000123|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021']);
    expect(short.status).toBe(1);
    expect(JSON.parse(short.stdout)).toMatchObject({
      kind: 'cccd',
      ok: false,
      error: { code: 'cccd-number' },
    });
  });

  it('verifies a DCC against --trust files at --at', async () => {
    const signer = await createDccSigner({ alg: 'PS256' });
    const dir = makeTempDir('cli-');
    writeFileSync(join(dir, 'dsc.pem'), signer.certificatePem);
    const code = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
    const valid = run([
      'decode',
      '--json',
      '--at',
      '2021-12-01T00:00:00Z',
      '--trust',
      join(dir, 'dsc.pem'),
      code,
    ]);
    expect(JSON.parse(valid.stdout)).toMatchObject({
      kind: 'dcc',
      ok: true,
      dcc: { signature: 'valid', type: 'vaccination' },
    });
    const late = run([
      'decode',
      '--json',
      '--at',
      '2023-01-01T00:00:00Z',
      '--trust',
      join(dir, 'dsc.pem'),
      code,
    ]);
    expect(JSON.parse(late.stdout)).toMatchObject({ ok: false, dcc: { expired: true } });
    const missing = run(['decode', '--trust', join(dir, 'nope.pem'), code]);
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('ENOENT');
    expect(run(['decode', '--at', 'tomorrow', code]).status).toBe(2);
  });

  it('--jsonl answers every line in order, malformed ones with an error result', async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    const code = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
    const lines = [
      JSON.stringify({
        payload: code,
        at: '2021-12-01T00:00:00Z',
        trust: [signer.certificateDer.toString('base64')],
      }),
      'not json',
      JSON.stringify({ payload: 42 }),
      JSON.stringify({ payload: code, at: '2021-12-01T00:00:00Z' }),
      JSON.stringify({ payload: code, trust: 'x' }),
      JSON.stringify({ payload: code, at: 'soon', trust: [signer.certificatePem] }),
      JSON.stringify({ payload: '******001234|A B|1990-**-**|0|1629793885861711' }),
    ];
    const r = run(['decode', '--jsonl'], `${lines.join('\n')}\n`);
    expect(r.status).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(out).toHaveLength(lines.length);
    expect(out[0]).toMatchObject({ kind: 'dcc', ok: true });
    expect(out[1]).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(out[3]).toMatchObject({ kind: 'dcc', ok: false, dcc: { signature: 'unknown-signer' } });
    expect(out[4]).toMatchObject({ error: { code: 'bad-request' } });
    expect(out[5]).toMatchObject({ error: { code: 'bad-request' } });
    expect(out[6]).toMatchObject({ kind: 'personal-qr', ok: true, identity: { dateOfBirth: '1990' } });
  });
});

describe('qrkiosk conformance', () => {
  it('runs the shared dgc-testdata and ends with "N passed, M failed"', () => {
    const r = run(['conformance', join(sharedDir(), 'testdata/dcc')]);
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').pop()).toMatch(/^\d+ passed, 0 failed$/);
  });

  it('runs any folder in that layout, and fails on a case we get wrong', async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    const dir = makeTempDir('conformance-');
    mkdirSync(join(dir, 'VN/2DCode/raw'), { recursive: true });
    const code = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
    const ctx = {
      CERTIFICATE: signer.certificateDer.toString('base64'),
      VALIDATIONCLOCK: '2021-12-01T00:00:00',
    };
    writeFileSync(
      join(dir, 'VN/2DCode/raw/1.json'),
      JSON.stringify({
        PREFIX: code,
        JSON: sampleVaccination(),
        TESTCTX: ctx,
        EXPECTEDRESULTS: { EXPECTEDVERIFY: true, EXPECTEDVALIDJSON: true, EXPECTEDEXPIRATIONCHECK: true },
      }),
    );
    const passing = run(['conformance', dir]);
    expect(passing.stdout.trim().split('\n').pop()).toBe('1 passed, 0 failed');
    // A vector that claims the valid code should fail verification: we must report it, not hide it.
    writeFileSync(
      join(dir, 'VN/2DCode/raw/2.json'),
      JSON.stringify({ PREFIX: code, TESTCTX: ctx, EXPECTEDRESULTS: { EXPECTEDVERIFY: false } }),
    );
    const failing = run(['conformance', dir]);
    expect(failing.status).toBe(1);
    expect(failing.stdout).toContain('FAILED          VN/2DCode/raw/2.json');
    expect(failing.stdout.trim().split('\n').pop()).toBe('1 passed, 1 failed');
  });
});
