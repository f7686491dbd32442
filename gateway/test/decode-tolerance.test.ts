/**
 * Tolerant where the field is: starred birth dates on personal QR codes keep what is known and never
 * fail the code; a CCCD line with a number a digit short or long is an invalid CCCD, not an unknown code.
 */
import { describe, expect, it } from 'vitest';
import { decodePayload } from '../src/decode/index.js';

const personal = (birth: string, type = '0') =>
  `******001234|NGUYEN VAN AN|${birth}|${type}|162979388586171100|1`;

describe('personal QR (QĐ 1405) with a starred birth date', () => {
  it.each([
    ['1990-08-15', '1990-08-15', { year: 1990, month: 8, day: 15 }],
    ['1990-08-**', '1990-08', { year: 1990, month: 8, day: null }],
    ['1990-**-**', '1990', { year: 1990, month: null, day: null }],
    ['1990-**-15', '1990', { year: 1990, month: null, day: 15 }],
    ['****-**-15', null, { year: null, month: null, day: 15 }],
    ['****-08-15', null, { year: null, month: 8, day: 15 }],
    ['****-**-**', null, { year: null, month: null, day: null }],
    ['19**-08-15', null, { year: null, month: 8, day: 15 }],
    ['12/**/****', null, { year: null, month: null, day: 12 }],
    ['**/**/****', null, { year: null, month: null, day: null }],
    ['**/**/**', null, { year: null, month: null, day: null }],
    ['12/08/****', null, { year: null, month: 8, day: 12 }],
    ['12/08/1990', '1990-08-12', { year: 1990, month: 8, day: 12 }],
    ['**/08/1990', '1990-08', { year: 1990, month: 8, day: null }],
    ['1*/0*/19**', null, { year: null, month: null, day: null }],
    ['29/02/****', null, { year: null, month: 2, day: 29 }],
    ['12-**-****', null, { year: null, month: null, day: 12 }],
    ['12.08.1990', '1990-08-12', { year: 1990, month: 8, day: 12 }],
  ])('%s → dateOfBirth %j', (birth, dob, parts) => {
    const r = decodePayload(personal(birth));
    expect(r.error).toBeUndefined();
    expect(r).toMatchObject({
      kind: 'personal-qr',
      ok: true,
      identity: { documentNumber: '******001234', masked: true, dateOfBirth: dob },
      personal: { qid: '162979388586171100', birth: parts },
    });
  });
  it.each(['1990-13-01', '1990-02-30', '****-13-**', '31/02/****', '**/**/90', '32/**/****', '1700-01-01'])(
    'an impossible shown part is still a bad date: %s',
    (birth) => {
      expect(decodePayload(personal(birth))).toMatchObject({
        kind: 'personal-qr',
        ok: false,
        error: { code: 'personal-date' },
      });
    },
  );
  it('does not claim a birth field with mixed separators or the wrong part lengths', () => {
    for (const birth of ['12/08-1990', '1990/08/12', '123/08/1990', '1990-8-12'])
      expect(decodePayload(personal(birth)).kind, birth).toBe('unknown');
  });
  it('does not claim dd/MM/yyyy lines that are BHYT cards or app-rendered CCCDs', () => {
    // BHYT 2021 template: a 10-digit BHXH number, hex name, dd/MM/yyyy birth, sex 1/2, then digits.
    const bhyt =
      '7901234567|4e677579e1bb856e2056c4836e20416e|15/08/1990|1|3132|79 - 005|01/01/2021|31/12/2021|01/01/2021|7901234567|-|4|01/01/2026|4641c59ff02659c3-1202|-|3132|$';
    expect(decodePayload(bhyt).kind).toBe('bhyt');
    expect(decodePayload('079090001234|Nguyễn Văn An|15/08/1990|Nam|123 Lê Lợi|20/04/2021').kind).toBe(
      'cccd',
    );
  });
});

const CCCD = (number: string) => `${number}|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021`;

describe('CCCD line with a malformed number', () => {
  it.each([
    ['11 digits, 7 fields', CCCD('07909000123')],
    ['13 digits, 7 fields', CCCD('0790900012345')],
    ['11 digits, 2024 layout', '00130401234||Vũ Thị Mai|01012004|Nữ|Hà Nội|04102024||||'],
    ['11 digits, app layout', '07909000123|Nguyễn Văn An|15/08/1990|Nam|123 Lê Lợi|20/04/2021'],
  ])('%s is an invalid CCCD', (_label, line) => {
    const r = decodePayload(line);
    expect(r).toMatchObject({ kind: 'cccd', ok: false, error: { code: 'cccd-number' } });
    expect(r.error?.text.vi).toMatch(/12 chữ số/);
    expect(r.error?.text.en).toMatch(/12 digits/);
  });
  it.each([
    ['a number alone', '07909000123'],
    ['a number and text', '07909000123|hello|world'],
    ['14 digits', CCCD('07909000123456')],
    ['9 digits (an old CMND)', CCCD('079090001')],
    ['no sex field', '07909000123|272345678|Nguyễn Văn An|15081990|Male|123 Lê Lợi|20042021'],
    ['no dates', '07909000123|272345678|Nguyễn Văn An|x|Nam|123 Lê Lợi|y'],
    ['empty fields', '0790900012345||||||'],
    ['a phone list', '09123456789|09876543210|01234567890|01234567890|01234567890|01234567890|01234567890'],
  ])('does not claim %s', (_label, line) => {
    expect(decodePayload(line)).toMatchObject({
      kind: 'unknown',
      ok: false,
      error: { code: 'unknown-format' },
    });
  });
  it('leaves a 10-digit number to the BHYT decoder (the 2021 card starts with a 10-digit BHXH number)', () => {
    expect(decodePayload(CCCD('0790900012')).kind).toBe('bhyt');
  });
  it('keeps decoding valid 12-digit cards', () => {
    expect(decodePayload(CCCD('079090001234'))).toMatchObject({ kind: 'cccd', ok: true });
  });
});
