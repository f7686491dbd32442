/**
 * Date-times in the DCC schema's `format: date` fields, accepted as the EU reference verifiers accept
 * them (full-date prefix, offset ignored for the day); everything else in the schema still enforced.
 * Codes are signed by firmware-sim's issuer; the real-world shapes come from dgc-testdata (BG 1–2).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, type DccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { sharedDir } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { DCC_SCHEMA_FILE, validateHcert } from '../src/decode/dcc/schema.js';
import { type DecodeResult, decodePayload, TrustStore } from '../src/decode/index.js';
import { factsFromDcc } from '../src/lookup/index.js';

const at = new Date('2021-11-01T00:00:00Z');
const vaccination = (dt: string, more: Record<string, unknown> = {}) => {
  const h = sampleVaccination();
  return { ...h, v: [{ ...(h.v as Array<Record<string, unknown>>)[0], dt, ...more }] };
};
const recovery = (fr: string, df: string, du: string) => ({
  ver: '1.3.0',
  nam: { fn: 'Trần', fnt: 'TRAN', gn: 'Thị Mai', gnt: 'THI<MAI' },
  dob: '1985-03-02',
  r: [
    {
      tg: '840539006',
      fr,
      co: 'VN',
      is: 'Ministry of Health of Viet Nam',
      df,
      du,
      ci: 'URN:UVCI:01:VN:R1#Q',
    },
  ],
});
const test = (sc: string) => ({
  ver: '1.3.0',
  nam: { fnt: 'LE' },
  dob: '2003-11-30',
  t: [
    { tg: '840539006', tt: 'LP6464-4', sc, tr: '260415000', co: 'VN', is: 'MoH', ci: 'URN:UVCI:01:VN:T1#Z' },
  ],
});

describe('DCC date fields', () => {
  let signer: DccSigner;
  let trust: TrustStore;
  beforeAll(async () => {
    signer = await createDccSigner({ alg: 'ES256' });
    trust = new TrustStore();
    trust.add(signer.certificateDer, 'test signer');
  });
  const decode = (hcert: Record<string, unknown>): DecodeResult =>
    decodePayload(
      signer.issue({ hcert, issuedAt: new Date('2021-10-01'), expiresAt: new Date('2022-10-01') }),
      { at, trust },
    );

  it('the schema uses format "date" in exactly v[].dt, r[].fr, r[].df and r[].du', () => {
    const found: string[] = [];
    const walk = (node: unknown, path: string) => {
      if (!node || typeof node !== 'object') return;
      for (const [k, v] of Object.entries(node)) {
        if (k === 'format' && v === 'date') found.push(path);
        walk(v, `${path}/${k}`);
      }
    };
    walk(JSON.parse(readFileSync(DCC_SCHEMA_FILE, 'utf8')), '');
    expect(found.sort()).toEqual(
      [
        '/$defs/recovery_entry/properties/df',
        '/$defs/recovery_entry/properties/du',
        '/$defs/recovery_entry/properties/fr',
        '/$defs/vaccination_entry/properties/dt',
      ].sort(),
    );
  });

  it.each([
    '2021-03-18T22:54:00+02:00',
    '2021-03-09T00:00:00',
    '2021-03-18T22:54:00Z',
    '2021-03-18T22:54:00.123+02:00',
    '2021-03-18',
  ])('accepts a signed vaccination with dt %s', (dt) => {
    const r = decode(vaccination(dt));
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({ ok: true, dcc: { schemaValid: true, signature: 'valid' } });
  });

  it.each([
    '2021-02-30T10:00:00Z',
    '2021-03-18T25:00:00+02:00',
    '2021-03-18T22:54',
    '2021-03-18T',
    '2021-03-18 extra',
    '18/03/2021',
    '2021-3-18',
    '20210318',
    '',
  ])('still refuses dt %j', (dt) => {
    expect(decode(vaccination(dt))).toMatchObject({ ok: false, error: { code: 'dcc-schema' } });
  });

  it('accepts date-times in a recovery statement (fr, df, du)', () => {
    const r = decode(recovery('2021-05-01T00:00:00', '2021-05-11T00:00:00+03:00', '2021-10-28T23:59:59Z'));
    expect(r).toMatchObject({ ok: true, dcc: { type: 'recovery', schemaValid: true } });
  });

  it('keeps the rest of the schema: a dob that is no date, a test sample time without one, dose 0', () => {
    // dob as a date-time is the legacy form (BG 1–2): read as its date; anything else the pattern refuses.
    expect(decode({ ...vaccination('2021-03-18T22:54:00+02:00'), dob: '1990-08-15T00:00:00' })).toMatchObject(
      {
        ok: true,
        identity: { dateOfBirth: '1990-08-15' },
      },
    );
    expect(decode({ ...vaccination('2021-03-18T22:54:00+02:00'), dob: '1990-08-15 00:00' }).error?.code).toBe(
      'dcc-schema',
    );
    expect(decode(test('2021-10-30')).error?.code).toBe('dcc-schema');
    expect(decode(test('2021-10-30T08:00:00+07:00'))).toMatchObject({ ok: true, dcc: { type: 'test' } });
    expect(decode(vaccination('2021-03-18T22:54:00+02:00', { dn: 0 })).error?.code).toBe('dcc-schema');
    expect(decode(vaccination('2021-03-18T22:54:00+02:00', { co: 'vn' })).error?.code).toBe('dcc-schema');
  });

  it('facts use the day as written, not the day in UTC', () => {
    // 01:30 at +02:00 is 23:30 the day before in UTC.
    const v = decode(vaccination('2021-03-18T01:30:00+02:00'));
    expect(v.ok).toBe(true);
    expect(factsFromDcc(v.dcc!, '2021-11-01')).toMatchObject({
      firstDoseDate: '2021-03-18',
      lastDoseDate: '2021-03-18',
    });
    const r = decode(recovery('2021-05-01T00:30:00+03:00', '2021-05-11', '2021-10-28'));
    expect(factsFromDcc(r.dcc!, '2021-11-01')).toMatchObject({ recoveredDate: '2021-05-01' });
  });
});

describe('dgc-testdata BG 1–2 (an issuer that wrote date-times in every date field)', () => {
  const bg = [1, 2].map(
    (n) =>
      JSON.parse(readFileSync(join(sharedDir(), `testdata/dcc/BG/2DCode/raw/${n}.json`), 'utf8')) as {
        JSON: Record<string, unknown>;
      },
  );
  it('their dt / fr / df / du date-times pass the schema', () => {
    for (const { JSON: hcert } of bg) {
      const cleaned = Object.fromEntries(Object.entries(hcert).filter(([, v]) => v !== null));
      expect(JSON.stringify(cleaned)).toMatch(/"(dt|fr)":"\d{4}-\d{2}-\d{2}T00:00:00"/);
      expect(validateHcert({ ...cleaned, dob: '1978-01-26' })).toEqual([]);
    }
  });
  it('pass whole, as their files expect: dob as a date-time and null groups are read as what they mean', () => {
    for (const { JSON: hcert } of bg) {
      expect(validateHcert(hcert)).toEqual([]);
      expect(Object.values(hcert).filter((v) => v === null).length).toBeGreaterThan(0);
      expect(hcert.dob).toBe('1978-01-26T00:00:00');
    }
  });
  it('nothing else is relaxed: a dob that is not a date-time, or a group that is not an array, still fails', () => {
    const { JSON: hcert } = bg[0]!;
    expect(validateHcert({ ...hcert, dob: '1978-01-26 00:00' })).toEqual([
      expect.stringMatching(/^\/dob must match pattern/),
    ]);
    expect(validateHcert({ ...hcert, dob: '1978-13-26T00:00:00' })).not.toEqual([]);
    expect(validateHcert({ ...hcert, t: 'none' })).not.toEqual([]);
  });
});
