/**
 * Strict base45 (RFC 9285). Hand-written because the npm `base45` package maps invalid characters
 * to -1 and never range-checks, so corrupt codes "decode" to garbage instead of failing.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export class Base45Error extends Error {}

export function base45Decode(text: string): Buffer {
  const n = text.length;
  if (n % 3 === 1) throw new Base45Error(`base45 length ${n} leaves a lone character`);
  const out = Buffer.allocUnsafe(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  const at = (i: number): number => {
    const code = text.charCodeAt(i);
    const v = code < 128 ? (VALUE[code] ?? -1) : -1;
    if (v < 0) throw new Base45Error(`invalid base45 character at ${i}`);
    return v;
  };
  let i = 0;
  for (; i + 3 <= n; i += 3) {
    const x = at(i) + at(i + 1) * 45 + at(i + 2) * 2025;
    if (x > 0xffff) throw new Base45Error(`base45 triplet at ${i} exceeds 65535`);
    out[o++] = x >> 8;
    out[o++] = x & 0xff;
  }
  if (i < n) {
    const x = at(i) + at(i + 1) * 45;
    if (x > 0xff) throw new Base45Error(`base45 pair at ${i} exceeds 255`);
    out[o++] = x;
  }
  return out;
}

export function base45Encode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 2) {
    if (i + 1 < bytes.length) {
      const x = (bytes[i]! << 8) | bytes[i + 1]!;
      s += ALPHABET[x % 45]! + ALPHABET[Math.floor(x / 45) % 45]! + ALPHABET[Math.floor(x / 2025)]!;
    } else {
      const x = bytes[i]!;
      s += ALPHABET[x % 45]! + ALPHABET[Math.floor(x / 45)]!;
    }
  }
  return s;
}
