/** Longest payload considered (a DCC is ~600 characters; the largest QR holds ~7,000). */
export const MAX_PAYLOAD_CHARS = 8192;
/**
 * Text clean-up shared by every decoder: BOM, line endings, and UTF-8 that a scanner set to a
 * Windows-1252 code page delivered byte-by-byte as Latin characters ("Nguyá»…n" for "Nguyễn").
 */

/**
 * Windows-1252 bytes 0x80–0x9F as WHATWG's index-windows-1252 maps them; every other byte is the
 * code point of the same number. Written out, not taken from `new TextDecoder('windows-1252')`: on
 * Node 20 builds that decoder gives the Latin-1 C1 controls for 0x80–0x9F, so "ễ" (E1 BB 85) never
 * came back from "á»…". The five bytes Windows-1252 leaves undefined (0x81 0x8D 0x8F 0x90 0x9D) map
 * to U+0081 … U+009D, as in WHATWG and Windows: they matter, "Đ" is C4 90 and "ờ" E1 BB 9D.
 * gateway/test/mojibake.test.ts proves the table against Python's cp1252 codec.
 */
const HIGH_C1 = [
  0x20ac, 0x0081, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021, 0x02c6, 0x2030, 0x0160, 0x2039, 0x0152,
  0x008d, 0x017d, 0x008f, 0x0090, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x02dc, 0x2122,
  0x0161, 0x203a, 0x0153, 0x009d, 0x017e, 0x0178,
];

/** Byte → character (256 entries). */
export const WINDOWS_1252: readonly string[] = Array.from({ length: 256 }, (_, byte) =>
  String.fromCharCode(byte >= 0x80 && byte < 0xa0 ? (HIGH_C1[byte - 0x80] as number) : byte),
);
const CP1252_ENCODE = new Map<string, number>(WINDOWS_1252.map((ch, byte) => [ch, byte]));
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

const hex4 = (ch: string) => `\\u${(ch.codePointAt(0) as number).toString(16).padStart(4, '0')}`;
/**
 * A lead byte of a 2–4 byte UTF-8 sequence (0xC2–0xF4, read as Ã Ä … ô) followed by a continuation byte
 * (0x80–0xBF) as the table reads it. Built from the table so the two cannot disagree.
 */
const MOJIBAKE_HINT = new RegExp(`[\\u00c2-\\u00f4][${WINDOWS_1252.slice(0x80, 0xc0).map(hex4).join('')}]`);

/**
 * Repairs only when unambiguous: every character maps back to a byte, the bytes are valid UTF-8,
 * and the result differs. Genuine Vietnamese (ễ, ơ, …) has characters outside Windows-1252, so it
 * is never "repaired".
 */
export function repairMojibake(text: string): string {
  if (!MOJIBAKE_HINT.test(text)) return text;
  const bytes = new Uint8Array(text.length);
  let i = 0;
  for (const ch of text) {
    const byte = CP1252_ENCODE.get(ch);
    if (byte === undefined) return text;
    bytes[i++] = byte;
  }
  try {
    const repaired = STRICT_UTF8.decode(bytes.subarray(0, i));
    return repaired === text ? text : repaired;
  } catch {
    return text;
  }
}

/** Drops leading and trailing CR, LF and NUL. A loop, not /[\r\n\0]+$/: that regex is quadratic on long runs. */
export function trimLineEnds(text: string): string {
  const isEnd = (c: number) => c === 10 || c === 13 || c === 0;
  let start = 0;
  let end = text.length;
  while (start < end && isEnd(text.charCodeAt(start))) start++;
  while (end > start && isEnd(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** BOM in front, CR/LF and NULs around; then mojibake repair and NFC. */
export function cleanPayload(raw: string): string {
  const text = repairMojibake(trimLineEnds(raw.replace(/^\uFEFF/, '')));
  return text.normalize('NFC');
}
