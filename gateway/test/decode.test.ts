import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { decodePayload, repairMojibake } from '../src/decode/index.js';

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
    const garbled = new TextDecoder('windows-1252').decode(Buffer.from(CCCD, 'utf8'));
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

describe('classification', () => {
  it.each([
    ['', 'unknown', 'empty'],
    ['   ', 'unknown', 'empty'],
    ['https://example.com/x', 'unknown', 'web-link'],
    ['https://qr.pccovid.gov.vn/abc', 'location', 'location-code'],
    ['HC1:NCFOXN%TS3DH', 'dcc', 'dcc-not-supported'],
    ['abc\u0001def', 'unknown', 'not-text'],
    ['x'.repeat(10_000), 'unknown', 'too-long'],
  ])('%j → %s / %s', (payload, kind, code) => {
    const r = decodePayload(payload);
    expect(r).toMatchObject({ kind, ok: false, error: { code } });
    expect(r.error?.message).toContain(' / ');
  });
});
