/**
 * Mojibake repair against independent encoders: the garbled input is made by Python's cp1252 codec
 * (and cross-checked with glibc iconv), never by the code under test or the runtime's TextDecoder.
 * Runs on Node 20, 22 and 24 (no native modules): see docs/architecture.md, "decode".
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodePayload, repairMojibake, WINDOWS_1252 } from '../src/decode/index.js';
import { cp1252TableByPython, mojibakeByIconv, mojibakeByPython, UNDEFINED_BYTES } from './cp1252-oracle.js';

/** The twelve Vietnamese vowels, each bare and with the five tone marks; and đ. Upper and lower case. */
const VOWELS = ['a', 'ă', 'â', 'e', 'ê', 'i', 'o', 'ô', 'ơ', 'u', 'ư', 'y'];
const TONES = ['', '\u0300', '\u0301', '\u0309', '\u0303', '\u0323']; // ngang, huyền, sắc, hỏi, ngã, nặng
const LOWER = [...VOWELS.flatMap((v) => TONES.map((t) => (v + t).normalize('NFC'))), 'đ'];
const LETTERS = [...LOWER, ...LOWER.map((l) => l.toUpperCase())];

/** CCCD 079090001234 is a man born in 1990: the line decodes when name and address come back whole. */
const cccdLine = (name: string, address: string) =>
  `079090001234|272345678|${name}|15081990|Nam|${address}|20042021`;
const nameWith = (l: string) => `Nguyễn ${l}${l.toLowerCase()}n Thị ${l}`;
const addressWith = (l: string) => `Số 12 đường ${l}ng ${l.toLowerCase()}, Phường Bến Nghé, Quận 1`;

describe('Windows-1252 table', () => {
  it('equals Python cp1252 on all 251 defined bytes; the 5 undefined ones are U+0081 … U+009D', () => {
    const python = cp1252TableByPython();
    const defined = python.flatMap((ch, byte) => (ch === null ? [] : [byte]));
    expect(defined).toHaveLength(251);
    for (const byte of defined) expect(WINDOWS_1252[byte], `byte 0x${byte.toString(16)}`).toBe(python[byte]);
    expect(python.flatMap((ch, byte) => (ch === null ? [byte] : []))).toEqual(UNDEFINED_BYTES);
    for (const byte of UNDEFINED_BYTES) expect(WINDOWS_1252[byte]).toBe(String.fromCharCode(byte));
  });
});

describe('mojibake repair, every Vietnamese letter with every tone mark', () => {
  let lines: string[];
  let garbled: string[];
  beforeAll(() => {
    lines = LETTERS.map((l) => cccdLine(nameWith(l), addressWith(l)));
    garbled = mojibakeByPython(lines);
  });

  it('has 146 precomposed letters (12 vowels × 6 tones × 2 cases, đ and Đ)', () => {
    expect(new Set(LETTERS).size).toBe(146);
    for (const l of LETTERS) expect([...l], l).toHaveLength(1);
  });
  it('iconv agrees with Python wherever glibc accepts the bytes, and refuses only undefined bytes', () => {
    const samples = LETTERS.flatMap((l) => [l, nameWith(l), addressWith(l)]);
    const viaPython = mojibakeByPython(samples);
    const hasUndefined = (t: string) => [...Buffer.from(t, 'utf8')].some((b) => UNDEFINED_BYTES.includes(b));
    let agreed = 0;
    for (const [i, text] of samples.entries()) {
      const viaIconv = mojibakeByIconv(text);
      expect(viaIconv === null, text).toBe(hasUndefined(text));
      if (viaIconv !== null) {
        expect(viaIconv, text).toBe(viaPython[i]);
        agreed++;
      }
    }
    // Á Í Ý Đ ề ọ ỏ Ố ờ hold an undefined byte (C3 81, C3 8D, C3 9D, C4 90, E1 BB 81 …): iconv cannot check them.
    expect(agreed).toBe(samples.filter((t) => !hasUndefined(t)).length);
    expect(LETTERS.filter(hasUndefined).sort()).toEqual(['Á', 'Í', 'Ý', 'Đ', 'ề', 'ọ', 'ỏ', 'Ố', 'ờ'].sort());
  });
  it('repairs names and addresses in CCCD lines back to the original text', () => {
    for (const [i, line] of lines.entries()) {
      const bad = garbled[i] as string;
      expect(bad).not.toBe(line);
      const r = decodePayload(bad);
      const letter = LETTERS[i] as string;
      expect(r.ok, `${letter}: ${bad}`).toBe(true);
      expect(r.identity?.name).toBe(nameWith(letter));
      expect(r.cccd?.address).toBe(addressWith(letter));
    }
  });
  it('repairs one name holding all 146 letters', () => {
    const all = LETTERS.join('');
    const [bad] = mojibakeByPython([all]);
    expect(repairMojibake(bad as string)).toBe(all);
  });
  it('repairs the vn-formats.md example "Nguyá»…n"', () => {
    expect(mojibakeByPython(['Nguyễn'])).toEqual(['Nguyá»…n']);
    expect(repairMojibake('Nguyá»…n')).toBe('Nguyễn');
    const [line] = mojibakeByPython([cccdLine('Nguyễn Văn An', 'Hà Nội')]);
    expect(line).toContain('Nguyá»…n');
    expect(decodePayload(line as string)).toMatchObject({
      ok: true,
      identity: { name: 'Nguyễn Văn An' },
    });
  });
});

describe('mojibake repair on random Vietnamese text', () => {
  const alphabet = fc.constantFrom(
    ...LETTERS,
    ...'bcdghklmnpqrstvx BCDGHKLMNPQRSTVX0123456789,./-'.split(''),
  );
  const texts = fc.sample(fc.string({ unit: alphabet, minLength: 1, maxLength: 60 }), {
    numRuns: 400,
    seed: 1414,
  });

  it('repairs every Python-garbled text exactly', () => {
    const garbled = mojibakeByPython(texts);
    for (const [i, text] of texts.entries()) expect(repairMojibake(garbled[i] as string), text).toBe(text);
  });
  it('never changes genuine Vietnamese text', () => {
    for (const text of texts) expect(repairMojibake(text)).toBe(text);
  });
});
