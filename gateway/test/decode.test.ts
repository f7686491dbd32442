import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { decodePayload, repairMojibake } from '../src/decode/index.js';
import { mojibakeByPython } from './cp1252-oracle.js';

interface VnCase {
  id: string;
  payload: string;
  expect: Record<string, unknown>;
}

const cases: VnCase[] = readFileSync(join(sharedDir(), 'testdata/vn/cases.jsonl'), 'utf8')
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as VnCase);

const at = (obj: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined),
      obj,
    );

describe('shared VN cases', () => {
  it('has cases to run', () => expect(cases.length).toBeGreaterThan(0));
  it.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
    const result = decodePayload(c.payload);
    for (const [path, expected] of Object.entries(c.expect)) expect(at(result, path), path).toEqual(expected);
  });
});

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';

describe('CCCD', () => {
  it('accepts a BOM in front and CRLF behind', () => {
    const r = decodePayload(`\uFEFF${CCCD}\r\n`);
    expect(r.ok).toBe(true);
    expect(r.identity?.name).toBe('Nguyễn Văn An');
  });
  it('accepts the 11-field 2024 layout and ignores the extras', () => {
    const r = decodePayload('001304012345||Vũ Thị Mai|01012004|Nữ|Hà Nội|04102024||||');
    expect(r).toMatchObject({
      ok: true,
      identity: { sex: 'F', dateOfBirth: '2004-01-01' },
      cccd: { issueDate: '2024-10-04' },
    });
  });
  it('accepts the 6-field app re-rendering with dd/MM/yyyy dates', () => {
    const r = decodePayload('079090001234|Nguyễn Văn An|15/08/1990|Nam|123 Lê Lợi|20/04/2021');
    expect(r).toMatchObject({ ok: true, identity: { formerNumber: null, dateOfBirth: '1990-08-15' } });
  });
  it('repairs UTF-8 read as Windows-1252', () => {
    // Made by Python's cp1252 codec, not by the runtime's TextDecoder (C1 controls on Node 20).
    const [garbled = ''] = mojibakeByPython([CCCD]);
    expect(garbled).toContain('Nguyá»');
    expect(decodePayload(garbled).identity?.name).toBe('Nguyễn Văn An');
  });
  it('never "repairs" genuine Vietnamese text', () => {
    expect(repairMojibake('Nguyễn Văn An')).toBe('Nguyễn Văn An');
    expect(repairMojibake('Ông Ánh')).toBe('Ông Ánh');
  });
  it('rejects a number that disagrees with the birth year or sex', () => {
    expect(decodePayload(CCCD.replace('|Nam|', '|Nữ|')).error?.code).toBe('cccd-mismatch');
    expect(decodePayload(CCCD.replace('15081990', '15081991')).error?.code).toBe('cccd-mismatch');
  });
  it('rejects impossible dates and short layouts', () => {
    expect(decodePayload(CCCD.replace('15081990', '31021990')).error?.code).toBe('cccd-date');
    expect(decodePayload('079090001234|272345678|Nguyễn Văn An').error?.code).toBe('cccd-fields');
  });
});

const hex = (s: string, upper = false) => {
  const h = Buffer.from(s, 'utf8').toString('hex');
  return upper ? h.toUpperCase() : h;
};
const BHYT15 = [
  'GD4795612345678',
  hex('Nguyễn Văn An'),
  '15/08/1990',
  '1',
  hex('12 Lê Lợi, Huế'),
  '79 - 005',
  '01/01/2021',
  '31/12/2021',
  '01/01/2021',
  '7901234567',
  '-',
  '4',
  '01/01/2026',
  '4641c59ff02659c3-1202',
  '$',
];

describe('BHYT', () => {
  it('decodes the 15-field card, hex in either case', () => {
    for (const upper of [false, true]) {
      const fields = [...BHYT15];
      fields[1] = hex('Nguyễn Văn An', upper);
      expect(decodePayload(fields.join('|'))).toMatchObject({
        kind: 'bhyt',
        ok: true,
        identity: { documentNumber: 'GD4795612345678', name: 'Nguyễn Văn An', sex: 'M' },
        bhyt: { validFrom: '2021-01-01', validTo: '2021-12-31', clinic: '79 - 005' },
      });
    }
  });
  it('reads "-" as an open-ended validity and a bare year of birth', () => {
    const fields = [...BHYT15];
    fields[7] = '-';
    fields[2] = '1950';
    fields[3] = '2';
    expect(decodePayload(fields.join('|'))).toMatchObject({
      ok: true,
      identity: { dateOfBirth: '1950', sex: 'F' },
      bhyt: { validTo: null },
    });
  });
  it('decodes the 17-field 2021 template (10-digit BHXH number, address "-", leading space in field 12)', () => {
    const fields = [...BHYT15.slice(0, 14), '0', hex('BHXH Thừa Thiên Huế'), '$'];
    fields[0] = '4601234567';
    fields[4] = '-';
    fields[12] = ' 01/01/2026';
    expect(fields).toHaveLength(17);
    expect(decodePayload(fields.join('|'))).toMatchObject({
      kind: 'bhyt',
      ok: true,
      identity: { documentNumber: '4601234567' },
    });
  });
  it('calls a cut-off card truncated, not unknown', () => {
    const full = BHYT15.join('|');
    for (const cut of [full.slice(0, 60), full.slice(0, -2), BHYT15.slice(0, 10).join('|')]) {
      expect(decodePayload(cut)).toMatchObject({ kind: 'bhyt', ok: false, error: { code: 'bhyt-fields' } });
    }
  });
  it('refuses broken hex and impossible dates', () => {
    const badHex = [...BHYT15];
    badHex[1] = 'zz12';
    expect(decodePayload(badHex.join('|')).ok).toBe(false);
    const badDate = [...BHYT15];
    badDate[6] = '31/02/2021';
    expect(decodePayload(badDate.join('|')).error?.code).toBe('bhyt-date');
  });
});

describe('personal QR (QĐ 1405)', () => {
  it('keeps an unmasked number and tells it apart from a CCCD', () => {
    const r = decodePayload('079090001234|NGUYEN VAN AN|1990-08-15|1|162979388586171100|');
    expect(r).toMatchObject({
      kind: 'personal-qr',
      ok: true,
      identity: { documentNumber: '079090001234', masked: false },
    });
  });
  it('keeps the known part of a starred birth date', () => {
    const dob = (d: string) =>
      decodePayload(`******001234|TRAN THI B|${d}|0|162979388586171100`).identity?.dateOfBirth;
    expect(dob('1990-08-**')).toBe('1990-08');
    expect(dob('1990-**-**')).toBe('1990');
    expect(dob('1990-02-30')).toBeUndefined();
  });
  it('never fails on EXT, whatever its order or content', () => {
    for (const ext of ['', 'Nữ<GD47<0912******', '<<<', 'x|y|z', '0912******<Nam']) {
      expect(decodePayload(`******001234|TRAN THI B|1990-08-15|0|162979388586171100|${ext}`).ok).toBe(true);
    }
    expect(
      decodePayload('******001234|TRAN THI B|1990-08-15|0|162979388586171100|Nữ<GD47').identity?.sex,
    ).toBe('F');
  });
});

describe('classification', () => {
  it.each([
    ['', 'unknown', 'empty'],
    ['   ', 'unknown', 'empty'],
    ['https://example.com/x', 'unknown', 'web-link'],
    ['https://qr.pccovid.gov.vn/abc', 'location', 'location-code'],
    ['HC1:NCFOXN%TS3DH', 'dcc', 'dcc-compression'],
    ['HC1:A', 'dcc', 'dcc-base45'],
    ['HC2:6BFOXN', 'dcc', 'dcc-prefix'],
    ['abc\u0001def', 'unknown', 'not-text'],
    ['x'.repeat(10_000), 'unknown', 'too-long'],
  ])('%j → %s / %s', (payload, kind, code) => {
    const r = decodePayload(payload);
    expect(r).toMatchObject({ kind, ok: false, error: { code } });
    expect(r.error?.message).toContain(' / ');
  });
});
