/**
 * Text clean-up shared by every decoder: BOM, line endings, and UTF-8 that a scanner set to a
 * Windows-1252 code page delivered byte-by-byte as Latin characters ("Nguyá»…n" for "Nguyễn").
 */

// Byte → character of Windows-1252 as WHATWG decodes it (undefined bytes map to C1 controls),
// and the reverse, so a mis-decoded string can be turned back into its original bytes.
const CP1252_DECODE = new TextDecoder('windows-1252').decode(Uint8Array.from({ length: 256 }, (_, i) => i));
const CP1252_ENCODE = new Map<string, number>([...CP1252_DECODE].map((ch, byte) => [ch, byte]));
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Lead bytes of 2–4 byte UTF-8 sequences read as Windows-1252: Ã Ä Å Æ Ç … and â (0xE2) … */
const MOJIBAKE_HINT =
  /[\u00c2-\u00ef][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]/;

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
