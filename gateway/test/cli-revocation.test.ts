/**
 * The `qrkiosk decode` revocation contract (other tools depend on it): a `--jsonl` request may carry
 * `"revocation": {"uci": [...], "countrycodeuci": [...], "signature": [...]}` (16-byte hashes, base64,
 * for any KID); the DCC result carries `revoked`; a revoked DCC is `ok: false`, `dcc-revoked`. Bad
 * revocation input is a bad-request line for that request only. `--revocation FILE` reads a signed list.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, type DccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { signRevocationList } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';

const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const run = (args: string[], input?: string) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    // No kiosk config may leak in: --hub-key is the only source of hub keys here.
    env: { ...process.env, QRKIOSK_LANG: 'en' },
    ...(input !== undefined ? { input } : {}),
  });
const h16 = (s: string) => createHash('sha256').update(s, 'utf8').digest().subarray(0, 16).toString('base64');
const CI = 'URN:UVCI:01:VN:QRKIOSKTEST0001#X';
const at = '2021-11-01T00:00:00Z';

describe('qrkiosk decode with revocation', () => {
  let signer: DccSigner;
  let code = '';
  let trust = '';
  beforeAll(async () => {
    signer = await createDccSigner({ alg: 'ES256' });
    trust = signer.certificateDer.toString('base64');
    code = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
  });

  it('--jsonl: revocation hashes per request; bad ones are a bad-request line, the stream goes on', () => {
    const req = (revocation?: unknown) =>
      JSON.stringify({
        payload: code,
        at,
        trust: [trust],
        ...(revocation !== undefined ? { revocation } : {}),
      });
    const lines = [
      req(),
      req({ uci: [h16(CI)] }),
      req({ countrycodeuci: [h16(`VN${CI}`)] }),
      req({ uci: [h16('someone else')], signature: [] }),
      req({ uci: ['not base64!'] }),
      req({ uci: [Buffer.alloc(15).toString('base64')] }),
      req({ uci: h16(CI) }),
      req({ uci: [42] }),
      req({ serial: [h16(CI)] }),
      req([h16(CI)]),
      req(),
    ];
    const r = run(['decode', '--jsonl'], `${lines.join('\n')}\n`);
    expect(r.status).toBe(0);
    const out = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { error: { message: string } });
    expect(out).toHaveLength(lines.length);
    expect(out[0]).toMatchObject({ kind: 'dcc', ok: true, dcc: { revoked: false } });
    expect(out[1]).toMatchObject({
      kind: 'dcc',
      ok: false,
      error: { code: 'dcc-revoked' },
      dcc: { revoked: true },
    });
    expect(out[1]!.error.message).toMatch(/thu hồi.* \/ .*revoked/);
    expect(out[2]).toMatchObject({ ok: false, error: { code: 'dcc-revoked' }, dcc: { revoked: true } });
    expect(out[3]).toMatchObject({ ok: true, dcc: { revoked: false } });
    for (const [i, why] of [
      [4, /not base64/],
      [5, /16-byte/],
      [6, /array/],
      [7, /base64 string/],
      [8, /unknown hash type/],
      [9, /must be an object/],
    ] as const)
      expect(out[i], `line ${i}`).toEqual({
        kind: 'unknown',
        ok: false,
        error: { code: 'bad-request', message: expect.stringMatching(why) },
      });
    expect(out[10]).toMatchObject({ ok: true, dcc: { revoked: false } });
  });

  it('--revocation FILE: a signed list, checked with --hub-key; tampered or unverifiable is a usage error', () => {
    const dir = makeTempDir('cli-revocation-');
    const hub = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'hub.pub'), hub.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(join(dir, 'dsc.pem'), signer.certificatePem);
    const list = signRevocationList(
      [{ kid: signer.kid, type: 'UCI', hashes: [Buffer.from(h16(CI), 'base64')] }],
      3,
      hub,
    );
    writeFileSync(join(dir, 'list.qrkr'), list);
    const args = [
      'decode',
      '--json',
      '--at',
      at,
      '--trust',
      join(dir, 'dsc.pem'),
      '--revocation',
      join(dir, 'list.qrkr'),
    ];
    const revoked = run([...args, '--hub-key', join(dir, 'hub.pub'), code]);
    expect(revoked.status).toBe(1);
    expect(JSON.parse(revoked.stdout)).toMatchObject({
      ok: false,
      error: { code: 'dcc-revoked' },
      dcc: { revoked: true },
    });

    const jsonl = run(
      ['decode', '--jsonl', '--revocation', join(dir, 'list.qrkr'), '--hub-key', join(dir, 'hub.pub')],
      `${JSON.stringify({ payload: code, at, trust: [trust] })}\n`,
    );
    expect(JSON.parse(jsonl.stdout)).toMatchObject({ error: { code: 'dcc-revoked' } });

    const tampered = Buffer.from(list);
    tampered[tampered.length - 70]! ^= 1;
    writeFileSync(join(dir, 'tampered.qrkr'), tampered);
    const bad = run([
      ...args.slice(0, -1),
      join(dir, 'tampered.qrkr'),
      '--hub-key',
      join(dir, 'hub.pub'),
      code,
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/bad-signature/);
    const other = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'other.pub'), other.publicKey.export({ type: 'spki', format: 'pem' }));
    const foreign = run([...args, '--hub-key', join(dir, 'other.pub'), code]);
    expect(foreign.status).toBe(2);
    expect(foreign.stderr).toMatch(/unknown-key/);
    writeFileSync(join(dir, 'junk.qrkr'), '{"uci": []}');
    const junk = run([...args.slice(0, -1), join(dir, 'junk.qrkr'), '--hub-key', join(dir, 'hub.pub'), code]);
    expect(junk.status).toBe(2);
    expect(junk.stderr).toMatch(/format/);
  });

  it('qrkiosk revocation apply: installs a signed file with the kiosk config keys; refuses a tampered or older one', () => {
    const dir = makeTempDir('cli-revocation-apply-');
    const hub = generateKeyPairSync('ed25519');
    writeFileSync(join(dir, 'hub.pub'), hub.publicKey.export({ type: 'spki', format: 'pem' }));
    writeFileSync(
      join(dir, 'kiosk.yaml'),
      `kiosk: { id: k-1, site: s-1 }\ndata: { dir: "${join(dir, 'data')}" }\nupdates: { publicKeyFiles: ["${join(dir, 'hub.pub')}"] }\n`,
    );
    const list = (version: number) =>
      signRevocationList(
        [{ kid: signer.kid, type: 'UCI', hashes: [Buffer.from(h16(CI), 'base64')] }],
        version,
        hub,
      );
    writeFileSync(join(dir, 'v9.qrkr'), list(9));
    writeFileSync(join(dir, 'v4.qrkr'), list(4));
    const tampered = list(12);
    tampered[tampered.length - 70]! ^= 1;
    writeFileSync(join(dir, 'bad.qrkr'), tampered);
    const apply = (f: string) => run(['revocation', 'apply', join(dir, f), '-c', join(dir, 'kiosk.yaml')]);
    const ok = apply('v9.qrkr');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toMatch(/Installed revocation list 9 \(1 hashes\)/);
    expect(apply('v9.qrkr').stdout).toMatch(/already installed/);
    const old = apply('v4.qrkr');
    expect(old.status).toBe(2);
    expect(old.stderr).toMatch(/\(stale\)/);
    const bad = apply('bad.qrkr');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/\(bad-signature\)/);
  });
});
