/**
 * The framing the signed binary lists share (QRKR1 revocation lists, QRKPL1 pass lists):
 * magic | u32 LE header length | header (UTF-8 JSON) | body … | signature. One reader, so a
 * bound or a check added here holds for every list.
 */

/** Thousands of sites' areas or revocation sections stay far below this. */
export const MAX_FRAMED_HEADER_BYTES = 4 * 1024 * 1024;

/**
 * The parsed (unchecked) JSON header, its bytes (the signature covers them as sent) and where the
 * body starts. `fail` makes the list's own error with code 'format'.
 */
export function readFramedHeader(
  file: Buffer,
  magic: Buffer,
  what: string,
  fail: (message: string) => Error,
): { json: unknown; headerBytes: Buffer; bodyStart: number } {
  if (file.length < magic.length + 4 || !file.subarray(0, magic.length).equals(magic))
    throw fail(`not a qrkiosk ${what} (bad magic)`);
  const headerLength = file.readUInt32LE(magic.length);
  const start = magic.length + 4;
  if (headerLength > MAX_FRAMED_HEADER_BYTES || start + headerLength > file.length)
    throw fail('header length out of range');
  const headerBytes = file.subarray(start, start + headerLength);
  let json: unknown;
  try {
    json = JSON.parse(headerBytes.toString('utf8'));
  } catch {
    throw fail('header is not JSON');
  }
  return { json, headerBytes, bodyStart: start + headerLength };
}

/** magic | u32 LE header length | header: the front of a list, as readFramedHeader reads it. */
export function framedHead(magic: Buffer, headerBytes: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  return Buffer.concat([magic, length, headerBytes]);
}
