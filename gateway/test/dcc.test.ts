import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { createDccSigner, type DccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { makeTempDir, sharedDir } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { runConformance } from '../src/conformance/index.js';
import { KNOWN_DEVIATIONS } from '../src/conformance/known-deviations.js';
import { base45Decode, base45Encode } from '../src/decode/dcc/base45.js';
import { DCC_SCHEMA_FILE } from '../src/decode/dcc/schema.js';
import { decodePayload, TrustStore } from '../src/decode/index.js';

describe('dgc-testdata conformance (../shared/testdata/dcc)', () => {
  const report = runConformance(join(sharedDir(), 'testdata/dcc'));

  it('runs every case', () => {
    expect(report.cases.length).toBeGreaterThanOrEqual(181);
    expect(report.skipped).toBe(0);
  });
  it('fails no case that is not a listed known deviation', () => {
    const failed = report.cases
      .filter((c) => c.status === 'failed')
      .map((c) => `${c.file}: ${c.mismatches.join('; ')}`);
    expect(failed).toEqual([]);
  });
  it('lists no known deviation that no longer deviates', () => {
    const deviating = report.cases.filter((c) => c.status === 'known-deviation').map((c) => c.file);
    expect(deviating.length).toBe(KNOWN_DEVIATIONS.length);
  });
  it('ships the DCC schema unchanged from the reference', () => {
    const reference = readFileSync(
      join(sharedDir(), 'reference/dcc-schema/DCC.combined-schema.json'),
      'utf8',
    );
    expect(readFileSync(DCC_SCHEMA_FILE, 'utf8')).toBe(reference);
  });
});

describe('conformance on any dgc-testdata folder', () => {
  it('runs one country (BG: its legacy-dated certificates now pass) or deeper, and one with a known deviation (IS)', () => {
    for (const sub of ['testdata/dcc/BG', 'testdata/dcc/BG/2DCode']) {
      const r = runConformance(join(sharedDir(), sub));
      expect(r).toMatchObject({ passed: 5, failed: 0, knownDeviations: 0, skipped: 0 });
    }
    expect(runConformance(join(sharedDir(), 'testdata/dcc/IS'))).toMatchObject({
      failed: 0,
      knownDeviations: 1,
    });
  });
  it('runs a country that is not in shared/ (a case written here in dgc-testdata layout, dt a date-time)', async () => {
    const signer = await createDccSigner({ alg: 'ES256', country: 'XX' });
    const hcert = sampleVaccination();
    const v = { ...(hcert.v as Array<Record<string, unknown>>)[0], dt: '2021-03-18T22:54:00+02:00' };
    const dir = makeTempDir('conformance-');
    mkdirSync(join(dir, 'XX/2DCode/raw'), { recursive: true });
    const testCase = {
      JSON: { ...hcert, v: [v] },
      PREFIX: signer.issue({
        hcert: { ...hcert, v: [v] },
        issuedAt: new Date('2021-10-01'),
        expiresAt: new Date('2022-10-01'),
      }),
      TESTCTX: {
        CERTIFICATE: signer.certificateDer.toString('base64'),
        VALIDATIONCLOCK: '2021-11-01T00:00:00',
      },
      EXPECTEDRESULTS: {
        EXPECTEDVERIFY: true,
        EXPECTEDSCHEMAVALIDATION: true,
        EXPECTEDVALIDJSON: true,
        EXPECTEDEXPIRATIONCHECK: true,
      },
    };
    writeFileSync(join(dir, 'XX/2DCode/raw/1.json'), JSON.stringify(testCase));
    expect(runConformance(dir)).toMatchObject({ passed: 1, failed: 0, knownDeviations: 0, skipped: 0 });
  });
});

describe('base45 (RFC 9285)', () => {
  it('matches the RFC examples', () => {
    expect(base45Encode(Buffer.from('AB'))).toBe('BB8');
    expect(base45Encode(Buffer.from('Hello!!'))).toBe('%69 VD92EX0');
    expect(base45Decode('QED8WEX0').toString()).toBe('ietf!');
  });
  it('refuses what is not base45', () => {
    expect(() => base45Decode('GGW')).toThrow(/exceeds 65535/);
    expect(() => base45Decode('A')).toThrow(/lone character/);
    expect(() => base45Decode('ab')).toThrow(/invalid base45 character/);
  });
});

describe('DCC verification with signers made here', () => {
  const at = new Date('2021-11-01T03:00:00Z');
  const iat = new Date('2021-10-01T00:00:00Z');
  const exp = new Date('2022-10-01T00:00:00Z');
  let ps: DccSigner;
  let es: DccSigner;
  let testOnly: DccSigner;
  let trust: TrustStore;
  beforeAll(async () => {
    [ps, es, testOnly] = await Promise.all([
      createDccSigner({ alg: 'PS256' }),
      createDccSigner({ alg: 'ES256', usages: ['vaccination', 'recovery'] }),
      createDccSigner({ alg: 'ES256', usages: ['test'] }),
    ]);
    trust = new TrustStore();
    trust.add(ps.certificatePem, 'ps.pem');
    trust.add(es.certificateDer, 'es.der');
    trust.add(testOnly.certificateDer.toString('base64'), 'test-only');
  });
  const issue = (signer: DccSigner, extra: Partial<Parameters<DccSigner['issue']>[0]> = {}) =>
    signer.issue({ hcert: sampleVaccination(), issuedAt: iat, expiresAt: exp, ...extra });

  it('accepts PS256 (as Vietnam signs) and ES256, and reports the facts', () => {
    for (const signer of [ps, es]) {
      const r = decodePayload(issue(signer), { at, trust });
      expect(r.error).toBeUndefined();
      expect(r).toMatchObject({
        kind: 'dcc',
        ok: true,
        identity: {
          name: 'Nguyễn Văn An',
          dateOfBirth: '1990-08-15',
          documentNumber: 'URN:UVCI:01:VN:QRKIOSKTEST0001#X',
        },
        dcc: {
          signature: 'valid',
          type: 'vaccination',
          issuer: 'VN',
          expired: false,
          schemaValid: true,
          kid: signer.kid.toString('base64'),
        },
      });
      expect(r.dcc?.entry).toMatchObject({ dn: 2, sd: 2, dt: '2021-09-01' });
    }
  });
  it('accepts tag 61 around tag 18, an untagged COSE_Sign1, and alg/KID in the unprotected header', () => {
    for (const extra of [
      { wrap: 'cwt' as const },
      { wrap: 'none' as const },
      { algIn: 'unprotected' as const, kidIn: 'unprotected' as const },
    ]) {
      expect(decodePayload(issue(es, extra), { at, trust }).ok).toBe(true);
    }
  });
  it('refuses a forged payload', () => {
    const r = decodePayload(issue(ps, { tamper: true }), { at, trust });
    expect(r).toMatchObject({ ok: false, error: { code: 'dcc-signature' }, dcc: { signature: 'invalid' } });
  });
  it('refuses a KID that does not belong to the signing certificate, even if another signer is trusted', () => {
    const r = decodePayload(issue(ps, { kid: es.kid }), { at, trust });
    expect(r).toMatchObject({ ok: false, dcc: { signature: 'invalid' } });
    const unknown = decodePayload(issue(ps, { kid: Buffer.from('0011223344556677', 'hex') }), { at, trust });
    expect(unknown).toMatchObject({
      ok: false,
      error: { code: 'dcc-unknown-signer' },
      dcc: { signature: 'unknown-signer' },
    });
    expect(decodePayload(issue(ps, { kidIn: 'none' }), { at, trust }).dcc?.signature).toBe('unknown-signer');
  });
  it('is an unknown signer without a trust store', () => {
    expect(decodePayload(issue(ps), { at }).error?.code).toBe('dcc-unknown-signer');
  });
  it('is valid exactly at exp, expired one second later, not yet valid before iat', () => {
    expect(decodePayload(issue(ps), { at: exp, trust }).ok).toBe(true);
    const later = decodePayload(issue(ps), { at: new Date(exp.getTime() + 1000), trust });
    expect(later).toMatchObject({ ok: false, error: { code: 'dcc-expired' }, dcc: { expired: true } });
    const early = decodePayload(issue(ps), { at: new Date(iat.getTime() - 1000), trust });
    expect(early).toMatchObject({
      ok: false,
      error: { code: 'dcc-not-yet-valid' },
      dcc: { notYetValid: true },
    });
  });
  it('respects the signer key usage', () => {
    const r = decodePayload(issue(testOnly), { at, trust });
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'dcc-key-usage' },
      dcc: { signature: 'valid', keyUsageOk: false },
    });
  });
  it('refuses schema violations and two certificates in one code', () => {
    const bad = decodePayload(issue(ps, { hcert: sampleVaccination({ dob: 'yesterday' }) }), { at, trust });
    expect(bad).toMatchObject({ ok: false, error: { code: 'dcc-schema' }, dcc: { schemaValid: false } });
    const two = sampleVaccination({
      r: [
        {
          tg: '840539006',
          fr: '2021-01-01',
          co: 'VN',
          is: 'MoH',
          df: '2021-01-20',
          du: '2021-06-30',
          ci: 'URN:UVCI:01:VN:X',
        },
      ],
    });
    expect(decodePayload(issue(ps, { hcert: two }), { at, trust }).dcc?.schemaValid).toBe(false);
  });
  it('refuses an uncompressed code', () => {
    expect(decodePayload(issue(ps, { uncompressed: true }), { at, trust }).error?.code).toBe(
      'dcc-compression',
    );
  });
  it('refuses a zip bomb without inflating it', () => {
    // 1 MiB of zeros deflates to about 1 KB: a short code that would inflate far past any real DCC.
    const bomb = `HC1:${base45Encode(deflateSync(Buffer.alloc(1024 * 1024)))}`;
    expect(bomb.length).toBeLessThan(8192);
    expect(decodePayload(bomb, { at, trust }).error?.code).toBe('dcc-compression');
  });
  it('refuses a "prototype pollution" key without touching Object.prototype', () => {
    const r = decodePayload(
      issue(ps, { hcert: { ...sampleVaccination(), ['__proto__']: { polluted: true } } }),
      { at, trust },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(r.kind).toBe('dcc');
  });
});
