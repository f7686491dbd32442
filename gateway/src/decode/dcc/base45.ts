/**
 * Strict base45 (RFC 9285). Hand-written because the npm `base45` package maps invalid characters
 * to -1 and never range-checks, so corrupt codes "decode" to garbage instead of failing.
 */
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

export class Base45Error extends Error {}

/**
 * Decodes `text` from index `from` (so `HC1:` need not be sliced off). Runs on every scan: the loop
 * reads three characters at a time with no per-character call, and a character outside the alphabet
 * (any code above 127 included) fails with its position.
 */
export function base45Decode(text: string, from = 0): Buffer {
  const n = text.length - from;
  if (n % 3 === 1) throw new Base45Error(`base45 length ${n} leaves a lone character`);
  const out = Buffer.allocUnsafe(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  let i = from;
  for (const last = text.length - 3; i <= last; i += 3) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const v0 = c0 < 128 ? VALUE[c0]! : -1;
    const v1 = c1 < 128 ? VALUE[c1]! : -1;
    const v2 = c2 < 128 ? VALUE[c2]! : -1;
    if ((v0 | v1 | v2) < 0) throw new Base45Error(`invalid base45 character at ${badAt(text, i, from)}`);
    const x = v0 + v1 * 45 + v2 * 2025;
    if (x > 0xffff) throw new Base45Error(`base45 triplet at ${i - from} exceeds 65535`);
    out[o++] = x >> 8;
    out[o++] = x & 0xff;
  }
  if (i < text.length) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const v0 = c0 < 128 ? VALUE[c0]! : -1;
    const v1 = c1 < 128 ? VALUE[c1]! : -1;
    if ((v0 | v1) < 0) throw new Base45Error(`invalid base45 character at ${badAt(text, i, from)}`);
    const x = v0 + v1 * 45;
    if (x > 0xff) throw new Base45Error(`base45 pair at ${i - from} exceeds 255`);
    out[o++] = x;
  }
  return out;
}

/** Position (relative to `from`) of the first character outside the alphabet at or after `i`. */
function badAt(text: string, i: number, from: number): number {
  for (let j = i; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c >= 128 || VALUE[c]! < 0) return j - from;
  }
  return i - from;
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
