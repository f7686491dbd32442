/**
 * `qrkiosk check` and `qrkiosk decode` understand printed passes (issue #20): `check` reads the kiosk's
 * installed pass list and decides as the door would (the holder's facts by the keyed hash of their phone,
 * a card flagged revoked in the list refused); `decode` verifies a token with --hub-key, judges --site
 * and reads --passes (without it a pass is `pass-unlisted`, as at a kiosk with no list).
 */
import { spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodePassList,
  hashIdentity,
  KeyRing,
  keyId,
  newPassId,
  passKey,
  signPass,
} from '@qrkiosk/protocol';
import { kioskYaml, makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { monotonicNow } from '../src/clock.js';
import { readLedger, writeLedger } from '../src/freshness/ledger.js';
import { installPassList } from '../src/passes/index.js';

const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const run = (args: string[]) =>
  spawnSync(process.execPath, [cli, ...args], {
    encoding: 'utf8',
    env: { ...process.env, QRKIOSK_LANG: 'en' },
  });

describe('qrkiosk check / decode with a printed pass', () => {
  const dir = makeTempDir('cli-pass-');
  const data = join(dir, 'data');
  mkdirSync(data, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(join(data, 'identity.key'), key.toString('hex'));
  const hub = generateKeyPairSync('ed25519');
  const ring = new KeyRing();
  ring.add(hub.publicKey);
  const hubPem = join(dir, 'hub.pub.pem');
  writeFileSync(hubPem, hub.publicKey.export({ type: 'spki', format: 'pem' }));
  const config = join(dir, 'kiosk.yaml');
  writeFileSync(config, kioskYaml({ dataDir: data, lines: [`updates: { publicKeyFiles: ["${hubPem}"] }`] }));
  const csv = join(dir, 'facts.csv');
  writeFileSync(
    csv,
    [
      'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until',
      'phone,0912345678,2,1,2021-07-01,2021-08-01,,,,none,',
    ].join('\n'),
  );
  const token = (id: string, site = 's-001') =>
    signPass(
      { passId: id, scope: { kind: 'site', id: site }, validFrom: '2021-10-01', validUntil: '2022-09-30' },
      hub.privateKey,
      keyId(hub.publicKey),
    );
  const holderId = newPassId();
  const lostId = newPassId();
  const holder = hashIdentity(key, 'phone', '0912345678');
  const list = encodePassList(
    [
      { passKey: passKey(holderId), idHash: holder, validUntil: '2022-09-30', revoked: false },
      { passKey: passKey(lostId), idHash: holder, validUntil: '2022-09-30', revoked: true },
    ],
    { version: 2, areas: { 's-001': { ward: '26743', district: '760' } }, province: null },
    hub,
  );
  const listFile = join(dir, 'passes.qrkpl');
  writeFileSync(listFile, list);
  const at = '2021-10-31T10:00:00+07:00';

  it('check: the holder of a listed pass gets their own facts; a revoked card is REVIEW', () => {
    expect(run(['cache', 'import', csv, '--data-dir', data]).status).toBe(0);
    installPassList(data, list, ring, 0);
    const check = (payload: string) => {
      const r = run(['check', '--config', config, '--json', '--at', at, payload]);
      return { status: r.status, out: JSON.parse(r.stdout) };
    };
    // Put in place by hand, the list has no confirmed age: check holds a card as the door would (issue #19
    // fails closed) ...
    expect(check(token(holderId)).out).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'data-stale' },
      stale: ['passes'],
    });
    // ... until it is confirmed, as the daemon's install does (updates/index.ts confirm('passes')): the ledger
    // written here as the daemon writes it, on this machine's monotonic clock.
    const mono = monotonicNow();
    const state = readLedger(data, mono); // the facts import's confirmation stays
    state.kinds.passes = {
      marker: '2',
      wallAt: new Date().toISOString(),
      wallSynced: true,
      baseMs: 0,
      ref: mono,
    };
    writeLedger(data, state, { mono, wall: new Date(), synced: true });
    expect(check(token(holderId))).toEqual({
      status: 0,
      out: expect.objectContaining({ verdict: 'ALLOW', colour: 'green', kind: 'pass' }),
    });
    expect(check(token(lostId))).toEqual({
      status: 1,
      out: expect.objectContaining({
        verdict: 'REVIEW',
        kind: 'pass',
        reason: expect.objectContaining({ code: 'pass-revoked' }),
      }),
    });
    expect(check(token(holderId, 's-002')).out).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'pass-out-of-scope' },
    });
    expect(check(token(newPassId())).out).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'pass-unlisted' },
    });
  });

  it('decode: verified with --hub-key, scope judged with --site, holder and revocation from --passes', () => {
    const decode = (...args: string[]) => {
      const r = run(['decode', '--json', '--at', at, ...args]);
      return { status: r.status, out: r.stdout ? JSON.parse(r.stdout) : null, err: r.stderr };
    };
    expect(decode('--hub-key', hubPem, '--passes', listFile, token(holderId))).toMatchObject({
      status: 0,
      out: {
        kind: 'pass',
        ok: true,
        pass: { passId: holderId, holder: holder.toString('hex'), scope: { kind: 'site', id: 's-001' } },
      },
    });
    // Without --site the scope is shown, not judged; with it, another site's card is refused.
    const withList = ['--hub-key', hubPem, '--passes', listFile];
    expect(decode(...withList, token(holderId, 's-002')).out).toMatchObject({
      ok: true,
      pass: { holder: holder.toString('hex') },
    });
    expect(decode(...withList, '--site', 's-001', token(holderId, 's-002')).out).toMatchObject({
      ok: false,
      error: { code: 'pass-out-of-scope' },
    });
    expect(decode(...withList, token(lostId)).out).toMatchObject({
      ok: false,
      error: { code: 'pass-revoked' },
    });
    // No list: the token verifies but no holder is known.
    expect(decode('--hub-key', hubPem, token(holderId))).toMatchObject({
      status: 1,
      out: { ok: false, error: { code: 'pass-unlisted' } },
    });
    const other = join(dir, 'other.pub.pem');
    writeFileSync(other, generateKeyPairSync('ed25519').publicKey.export({ type: 'spki', format: 'pem' }));
    expect(decode('--hub-key', other, token(holderId)).out).toMatchObject({
      ok: false,
      error: { code: 'pass-invalid' },
    });
    const tampered = Buffer.from(list);
    tampered[tampered.length - 80]! ^= 1;
    writeFileSync(join(dir, 'bad.qrkpl'), tampered);
    const bad = decode('--hub-key', hubPem, '--passes', join(dir, 'bad.qrkpl'), token(holderId));
    expect(bad.status).toBe(2);
    // Said in both languages, the technician's code after.
    expect(bad.err).toMatch(/--passes .*chữ ký sai.* \/ bad signature.*bad-signature/);
    const missing = decode('--hub-key', hubPem, '--passes', join(dir, 'none.qrkpl'), token(holderId));
    expect(missing.status).toBe(2);
    expect(missing.err).toMatch(/không đọc được tệp \(ENOENT\) \/ cannot read the file \(ENOENT\)/);
  });
});
