import { createHash, type KeyObject } from 'node:crypto';
import { framedHead, readFramedHeader } from './framed-list.js';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';

/**
 * A signed EU DCC revocation list, as the hub publishes it on `fleet/revocation` (retained) or hands it
 * over as a file (docs/protocol.md, "Revocation lists"):
 *
 *   "QRKR1\n" | u32 LE header length | header (JSON) | hashes | 64-byte Ed25519 signature
 *
 * The header names the sections in order, `{kid, type, count}`: the EU design groups revocations by the
 * document signer's KID and by hash type (UCI, COUNTRYCODEUCI, SIGNATURE). The hashes are 16 bytes each
 * (the first 128 bits of SHA-256), section after section, each section sorted ascending without
 * duplicates, so a kiosk looks one up by binary search in place: 16 bytes per entry on disk and in
 * memory, nothing to build at load. The signature covers "qrkiosk-revocation/1" ‖ header ‖
 * SHA-256(hashes), like cache updates. A list replaces the previous one whole.
 */
export const REVOCATION_MAGIC = Buffer.from('QRKR1\n', 'ascii');
export const REVOCATION_HASH_BYTES = 16;
export const REVOCATION_HASH_TYPES = ['UCI', 'COUNTRYCODEUCI', 'SIGNATURE'] as const;
export type RevocationHashType = (typeof REVOCATION_HASH_TYPES)[number];
const CONTEXT = Buffer.from('qrkiosk-revocation/1', 'ascii');

export interface RevocationSectionHeader {
  /** The DSC's KID, base64 (8 bytes, as in the COSE header). */
  kid: string;
  type: RevocationHashType;
  count: number;
}

export interface RevocationHeader {
  /** Grows with every list (seconds since the epoch by default); a kiosk refuses one not newer than its own. */
  version: number;
  createdAt: string;
  keyId: string;
  sections: RevocationSectionHeader[];
}

export interface RevocationSection {
  kid: Buffer;
  type: RevocationHashType;
  /** count × 16 bytes, ascending. */
  hashes: Buffer;
}

export class RevocationListError extends Error {
  constructor(
    readonly code: 'format' | 'unsigned' | 'unknown-key' | 'bad-signature' | 'stale' | 'same-version',
    message: string,
  ) {
    super(message);
  }
}

const signedMessage = (header: Buffer, digest: Buffer) => Buffer.concat([CONTEXT, header, digest]);

/**
 * Sorts and deduplicates 16-byte hashes given back to back (or as a list). Tens of millions must sort
 * on the hub without a Buffer object each: each entry becomes one 64-bit word (its first 4 bytes
 * above its index) sorted natively, and the few runs that share a 4-byte prefix are ordered by full
 * comparison afterwards.
 */
export function sortedHashes(hashes: Buffer | readonly Buffer[]): Buffer {
  if (!Buffer.isBuffer(hashes)) {
    for (const h of hashes)
      if (h.length !== REVOCATION_HASH_BYTES)
        throw new RevocationListError('format', `a hash has ${h.length} bytes, not 16`);
    return sortedHashes(Buffer.concat([...hashes]));
  }
  if (hashes.length % REVOCATION_HASH_BYTES !== 0)
    throw new RevocationListError('format', 'hashes are not a whole number of 16-byte entries');
  const n = hashes.length / REVOCATION_HASH_BYTES;
  if (n > 0xffffffff) throw new RevocationListError('format', 'too many hashes in one section');
  const words = new BigUint64Array(n);
  const view = new DataView(words.buffer);
  for (let i = 0; i < n; i++) {
    // Little-endian word: index in the low half, the hash's first 4 bytes (big-endian) in the high half.
    view.setUint32(i * 8, i, true);
    view.setUint32(i * 8 + 4, hashes.readUInt32BE(i * REVOCATION_HASH_BYTES), true);
  }
  words.sort();
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = view.getUint32(i * 8, true);
  const entry = (i: number) => hashes.subarray(order[i]! * 16, order[i]! * 16 + 16);
  for (let i = 0; i < n; ) {
    let j = i + 1;
    const prefix = view.getUint32(i * 8 + 4, true);
    while (j < n && view.getUint32(j * 8 + 4, true) === prefix) j++;
    if (j - i > 1) {
      const run = Array.from(order.subarray(i, j)).sort((a, b) =>
        hashes.compare(hashes, b * 16, b * 16 + 16, a * 16, a * 16 + 16),
      );
      order.set(run, i);
    }
    i = j;
  }
  const out = Buffer.allocUnsafe(hashes.length);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    const h = entry(i);
    if (kept > 0 && h.equals(out.subarray((kept - 1) * 16, kept * 16))) continue;
    h.copy(out, kept * REVOCATION_HASH_BYTES);
    kept++;
  }
  return out.subarray(0, kept * REVOCATION_HASH_BYTES);
}

/** Hub side: signs sections (hashes sorted and deduplicated here; sections of one KID and type merged). */
export function signRevocationList(
  sections: ReadonlyArray<{ kid: Buffer; type: RevocationHashType; hashes: Buffer | readonly Buffer[] }>,
  version: number,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
  createdAt = new Date(),
): Buffer {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new RevocationListError('format', 'version must be ≥ 1');
  const merged = new Map<string, { kid: Buffer; type: RevocationHashType; parts: Buffer[] }>();
  for (const s of sections) {
    if (!REVOCATION_HASH_TYPES.includes(s.type))
      throw new RevocationListError('format', `unknown hash type ${String(s.type)}`);
    if (s.kid.length < 1 || s.kid.length > 64)
      throw new RevocationListError('format', 'a KID must be 1–64 bytes');
    const key = `${s.kid.toString('base64')} ${s.type}`;
    const m = merged.get(key) ?? { kid: s.kid, type: s.type, parts: [] };
    m.parts.push(Buffer.isBuffer(s.hashes) ? s.hashes : Buffer.concat([...s.hashes]));
    merged.set(key, m);
  }
  const bodies: Buffer[] = [];
  const headers: RevocationSectionHeader[] = [];
  for (const m of merged.values()) {
    const hashes = sortedHashes(Buffer.concat(m.parts));
    if (hashes.length === 0) continue;
    headers.push({ kid: m.kid.toString('base64'), type: m.type, count: hashes.length / 16 });
    bodies.push(hashes);
  }
  const header: RevocationHeader = {
    version,
    createdAt: createdAt.toISOString(),
    keyId: keyId(signing.publicKey),
    sections: headers,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const body = Buffer.concat(bodies);
  const digest = createHash('sha256').update(body).digest();
  const signature = signBytes(signing.privateKey, signedMessage(headerBytes, digest));
  return Buffer.concat([framedHead(REVOCATION_MAGIC, headerBytes), body, signature]);
}

function readHeader(file: Buffer): { header: RevocationHeader; headerBytes: Buffer; bodyStart: number } {
  const { json, headerBytes, bodyStart } = readFramedHeader(
    file,
    REVOCATION_MAGIC,
    'revocation list',
    (message) => new RevocationListError('format', message),
  );
  const header = json as RevocationHeader;
  if (
    typeof header !== 'object' ||
    header === null ||
    !Number.isSafeInteger(header.version) ||
    header.version < 1 ||
    typeof header.createdAt !== 'string' ||
    typeof header.keyId !== 'string' ||
    !Array.isArray(header.sections) ||
    !header.sections.every(
      (s) =>
        typeof s === 'object' &&
        s !== null &&
        typeof s.kid === 'string' &&
        /^[A-Za-z0-9+/]+={0,2}$/.test(s.kid) &&
        REVOCATION_HASH_TYPES.includes(s.type) &&
        Number.isSafeInteger(s.count) &&
        s.count >= 1,
    )
  )
    throw new RevocationListError('format', 'version, createdAt, keyId or sections missing or out of range');
  return { header, headerBytes, bodyStart };
}

/** The header alone, unverified (to skip a list already installed before hashing a large file); null if malformed. */
export function peekRevocationHeader(file: Buffer): RevocationHeader | null {
  try {
    return readHeader(file).header;
  } catch {
    return null;
  }
}

/**
 * Kiosk side: checks the signature with the trusted hub keys, then that every section is sorted and
 * free of duplicates (binary search depends on it: a list out of order would miss revoked entries).
 * Throws RevocationListError saying why it is refused. The sections are views into `file`.
 */
export function openRevocationList(
  file: Buffer,
  keys: KeyRing,
): { header: RevocationHeader; sections: RevocationSection[] } {
  const { header, headerBytes, bodyStart } = readHeader(file);
  const entries = header.sections.reduce((n, s) => n + s.count, 0);
  const bodyEnd = bodyStart + entries * REVOCATION_HASH_BYTES;
  if (bodyEnd === file.length) throw new RevocationListError('unsigned', 'the list carries no signature');
  if (bodyEnd + 64 !== file.length)
    throw new RevocationListError('format', 'length does not match the section counts');
  const key = keys.get(header.keyId);
  if (!key)
    throw new RevocationListError(
      'unknown-key',
      `signed by key ${header.keyId}, which this kiosk does not trust`,
    );
  const body = file.subarray(bodyStart, bodyEnd);
  const digest = createHash('sha256').update(body).digest();
  if (!verifyBytes(key, signedMessage(headerBytes, digest), file.subarray(bodyEnd)))
    throw new RevocationListError(
      'bad-signature',
      'the signature does not match: the list was altered or not made by the hub',
    );
  const sections: RevocationSection[] = [];
  let o = 0;
  for (const [i, s] of header.sections.entries()) {
    const hashes = body.subarray(o, o + s.count * REVOCATION_HASH_BYTES);
    o += hashes.length;
    // Read as integers first, no view per entry: a subarray per step made loading take 4 s at 10 million.
    for (let p = REVOCATION_HASH_BYTES; p < hashes.length; p += REVOCATION_HASH_BYTES) {
      const a = hashes.readUInt32BE(p - 16);
      const b = hashes.readUInt32BE(p);
      if (a < b) continue;
      if (a > b || hashes.compare(hashes, p + 4, p + 16, p - 12, p) >= 0)
        throw new RevocationListError(
          'format',
          `section ${i + 1} is not sorted ascending without duplicates`,
        );
    }
    sections.push({ kid: Buffer.from(s.kid, 'base64'), type: s.type, hashes });
  }
  return { header, sections };
}
