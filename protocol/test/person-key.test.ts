/**
 * The facts CSV's person key and phone rows (issue #18): hashPersonKey checked against Python's hmac
 * module (an implementation nobody here wrote), the `person` column read when present and refused when
 * malformed, and phone numbers keyed as reception's manual entry keys them.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CSV_COLUMNS,
  FactsCsvError,
  hashIdentity,
  hashPersonKey,
  parseFactsCsvHeader,
  parseFactsCsvRow,
} from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const KEY = Buffer.from('8f1c2e7a9b3d4f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8', 'hex');

/** HMAC-SHA-256 by Python's standard library, first 16 bytes, hex. */
const pythonHmac = (key: Buffer, message: string) =>
  execFileSync(
    python,
    [
      '-c',
      'import hmac,hashlib,sys; k=bytes.fromhex(sys.argv[1]); print(hmac.new(k, sys.argv[2].encode("utf-8"), hashlib.sha256).digest()[:16].hex())',
      key.toString('hex'),
      message,
    ],
    { encoding: 'utf8' },
  ).trim();

describe('person key', () => {
  it('is HMAC-SHA-256 of "person:<value>", first 16 bytes, hex — as Python computes it', () => {
    for (const value of ['HCM-000123', 'p.1_2-3', 'x'])
      expect(hashPersonKey(KEY, value)).toBe(pythonHmac(KEY, `person:${value}`));
  });
  it('is never the hash of a document with the same text', () => {
    expect(hashPersonKey(KEY, '079090001234')).not.toBe(
      hashIdentity(KEY, 'cccd', '079090001234').toString('hex'),
    );
  });
});

describe('facts CSV person column and phone rows', () => {
  const header = (extra: string[] = []) => parseFactsCsvHeader([...CSV_COLUMNS, ...extra]);
  const cells = (type: string, id: string, person?: string) => [
    type,
    id,
    ...Array(CSV_COLUMNS.length - 2).fill(''),
    ...(person === undefined ? [] : [person]),
  ];
  const today = '2021-10-31';

  it('reads an optional person key; a file without the column or an empty cell gives none', () => {
    const withPerson = header(['person']);
    expect(parseFactsCsvRow(cells('cccd', '079090001234', 'HCM-000123'), withPerson, today)).toMatchObject({
      type: 'cccd',
      id: '079090001234',
      person: 'HCM-000123',
    });
    expect(parseFactsCsvRow(cells('bhyt', 'DN4797912345678', '"HCM-000123"'), withPerson, today).person).toBe(
      'HCM-000123',
    );
    expect(parseFactsCsvRow(cells('cccd', '079090001234', ''), withPerson, today)).not.toHaveProperty(
      'person',
    );
    expect(parseFactsCsvRow(cells('cccd', '079090001234'), header(), today)).not.toHaveProperty('person');
  });

  it('refuses a malformed person key rather than leaving the document unlinked', () => {
    const at = header(['person']);
    for (const bad of ['HCM 000123', 'người-1', 'x'.repeat(65), 'a,b'])
      expect(() => parseFactsCsvRow(cells('cccd', '079090001234', bad), at, today)).toThrow(FactsCsvError);
  });

  it('takes phone rows as reception keys them: 0 and 9–10 digits, +84 read as 0, spaces and dots dropped', () => {
    const at = header();
    expect(parseFactsCsvRow(cells('phone', '0912 345 678'), at, today).id).toBe('0912345678');
    expect(parseFactsCsvRow(cells('PHONE', '+84912345678'), at, today).id).toBe('0912345678');
    expect(parseFactsCsvRow(cells('phone', '0912.345.6789'), at, today).id).toBe('09123456789');
    for (const bad of ['912345678', '09123', '091234567890', '0912abc678'])
      expect(() => parseFactsCsvRow(cells('phone', bad), at, today)).toThrow(/valid phone/);
    expect(() => parseFactsCsvRow(cells('uvci', 'URN:UVCI:01'), at, today)).toThrow(/is not one of/);
  });
});
