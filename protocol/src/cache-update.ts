import { createHash, type KeyObject } from 'node:crypto';
import { FACTS_BYTES } from './facts.js';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';

/**
 * A signed cache update, as the hub publishes it and a kiosk applies it:
 *
 *   "QRKC1\n" | u32 LE header length | header (JSON) | records | 64-byte Ed25519 signature
 *
 * Records are fixed width: op (1: put, 2: delete) | 16-byte identity hash | 16-byte facts.
 * The signature covers  "qrkiosk-cache-update/1" ‖ header ‖ SHA-256(records), so a kiosk can check a
 * large snapshot while streaming it, without holding it all in memory.
 *
 * A snapshot replaces the whole cache and must be newer than what the kiosk has; a delta applies
 * only on top of exactly `baseSeq`. Sequence numbers increase monotonically per deployment.
 */
export const UPDATE_MAGIC = Buffer.from('QRKC1\n', 'ascii');
export const KEY_BYTES = 16;
export const RECORD_BYTES = 1 + KEY_BYTES + FACTS_BYTES;
const CONTEXT = Buffer.from('qrkiosk-cache-update/1', 'ascii');

export const OP_PUT = 1;
export const OP_DELETE = 2;

export interface UpdateHeader {
  kind: 'snapshot' | 'delta';
  seq: number;
  /** Delta only: the version it applies on top of. */
  baseSeq?: number;
  records: number;
  createdAt: string;
  /** Id of the hub key that signed it. */
  keyId: string;
}

export interface UpdateRecord {
  op: typeof OP_PUT | typeof OP_DELETE;
  key: Buffer;
  facts: Buffer;
}

function signedMessage(header: Buffer, recordsDigest: Buffer): Buffer {
  return Buffer.concat([CONTEXT, header, recordsDigest]);
}

/** Builds a signed update (hub side, tests, benchmarks). Records are written in the order given. */
export function buildUpdate(
  header: Omit<UpdateHeader, 'records' | 'keyId'>,
  records: readonly UpdateRecord[],
  privateKey: KeyObject,
  publicKey: KeyObject,
): Buffer {
  const body = Buffer.allocUnsafe(records.length * RECORD_BYTES);
  let o = 0;
  for (const r of records) {
    if (r.key.length !== KEY_BYTES || r.facts.length !== FACTS_BYTES)
      throw new Error('record of the wrong size');
    body[o] = r.op;
    r.key.copy(body, o + 1);
    r.facts.copy(body, o + 1 + KEY_BYTES);
    o += RECORD_BYTES;
  }
  return sealUpdate(header, body, privateKey, publicKey);
}

/** Signs records already laid out back to back (RECORD_BYTES each): the hub's path for big snapshots. */
export function sealUpdate(
  header: Omit<UpdateHeader, 'records' | 'keyId'>,
  records: Buffer,
  privateKey: KeyObject,
  publicKey: KeyObject,
): Buffer {
  if (records.length % RECORD_BYTES !== 0) throw new Error('records are not a whole number of RECORD_BYTES');
  const headerBytes = Buffer.from(
    JSON.stringify({ ...header, records: records.length / RECORD_BYTES, keyId: keyId(publicKey) }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(headerBytes.length);
  const digest = createHash('sha256').update(records).digest();
  const signature = signBytes(privateKey, signedMessage(headerBytes, digest));
  return Buffer.concat([UPDATE_MAGIC, length, headerBytes, records, signature]);
}

export class UpdateError extends Error {
  constructor(
    readonly code: 'format' | 'unsigned' | 'unknown-key' | 'bad-signature',
    message: string,
  ) {
    super(message);
  }
}

/** The header alone, unverified (to skip what is already applied before verifying a large file); null if malformed. */
export function peekUpdateHeader(file: Buffer): UpdateHeader | null {
  if (file.length < UPDATE_MAGIC.length + 4 || !file.subarray(0, UPDATE_MAGIC.length).equals(UPDATE_MAGIC))
    return null;
  const length = file.readUInt32LE(UPDATE_MAGIC.length);
  if (length > 4096 || UPDATE_MAGIC.length + 4 + length > file.length) return null;
  try {
    const h = JSON.parse(
      file.subarray(UPDATE_MAGIC.length + 4, UPDATE_MAGIC.length + 4 + length).toString('utf8'),
    ) as UpdateHeader;
    return (h.kind === 'snapshot' || h.kind === 'delta') && Number.isSafeInteger(h.seq) ? h : null;
  } catch {
    return null;
  }
}

/** Parses and verifies an update held in memory. Throws UpdateError saying why it is refused. */
export function openUpdate(file: Buffer, keys: KeyRing): { header: UpdateHeader; records: Buffer } {
  if (file.length < UPDATE_MAGIC.length + 4 || !file.subarray(0, UPDATE_MAGIC.length).equals(UPDATE_MAGIC))
    throw new UpdateError('format', 'not a qrkiosk cache update (bad magic)');
  const headerLength = file.readUInt32LE(UPDATE_MAGIC.length);
  const headerStart = UPDATE_MAGIC.length + 4;
  if (headerLength > 4096 || headerStart + headerLength > file.length)
    throw new UpdateError('format', 'header length out of range');
  const headerBytes = file.subarray(headerStart, headerStart + headerLength);
  let header: UpdateHeader;
  try {
    header = JSON.parse(headerBytes.toString('utf8')) as UpdateHeader;
  } catch {
    throw new UpdateError('format', 'header is not JSON');
  }
  if (
    (header.kind !== 'snapshot' && header.kind !== 'delta') ||
    !Number.isSafeInteger(header.seq) ||
    header.seq < 1 ||
    !Number.isSafeInteger(header.records) ||
    header.records < 0 ||
    (header.kind === 'delta' && (!Number.isSafeInteger(header.baseSeq) || (header.baseSeq ?? -1) < 0)) ||
    typeof header.keyId !== 'string'
  )
    throw new UpdateError('format', 'header fields missing or out of range');
  const recordsStart = headerStart + headerLength;
  const recordsEnd = recordsStart + header.records * RECORD_BYTES;
  if (recordsEnd === file.length) throw new UpdateError('unsigned', 'the update carries no signature');
  if (recordsEnd + 64 !== file.length)
    throw new UpdateError('format', 'length does not match the record count');
  const key = keys.get(header.keyId);
  if (!key)
    throw new UpdateError('unknown-key', `signed by key ${header.keyId}, which this kiosk does not trust`);
  const records = file.subarray(recordsStart, recordsEnd);
  const digest = createHash('sha256').update(records).digest();
  if (!verifyBytes(key, signedMessage(headerBytes, digest), file.subarray(recordsEnd)))
    throw new UpdateError(
      'bad-signature',
      'the signature does not match: the file was altered or not made by the hub',
    );
  return { header, records };
}
