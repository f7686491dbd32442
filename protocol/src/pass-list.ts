import { createHash, type KeyObject } from 'node:crypto';
import { framedHead, readFramedHeader } from './framed-list.js';
import { passDayFromNumber, passDayNumber } from './pass.js';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';

/**
 * The signed list of pass records the hub publishes retained on `fleet/passes` (docs/protocol.md,
 * "Pass list"): who holds each pass, without a name or a number.
 *
 *   "QRKPL1\n" | u32 LE header length | header (JSON) | count × 35-byte entries | linkCount × 32-byte links
 *   | 64-byte Ed25519 signature
 *
 * An entry is passKey(16) ‖ the holder's keyed identity hash (16) ‖ validUntil u16 BE (days since
 * 2020-01-01) ‖ flags u8 (bit 0: revoked; the other bits must be 0), sorted ascending by passKey without
 * duplicates, so a kiosk finds one by binary search in place (35 bytes per pass, nothing built at load —
 * the revocation list's design). A revoked pass (a lost card) travels in this list, not in the DCC
 * revocation list, because the hub owns every pass and can always sign the whole list again; its idHash
 * is 16 zero bytes, so the holder of a lost card is not sent to every kiosk. The header's `areas` is the
 * hub's site register (site → ward, district): how a kiosk learns which ward it is in, to judge a
 * ward-scoped pass; `province` is the hub's province code (one hub key per province), which a
 * province-scoped pass must name. A link is passKey(16) ‖ another keyed hash of the holder (16): the keys a
 * document scan is also looked up by (a CCCD's former CMND number, a BHYT card's BHXH number), so facts
 * filed under any of them reach the card as they reach the document (review 2, finding 1). Links sort
 * ascending by (passKey, hash) without duplicates; a revoked entry has none. The signature covers
 * "qrkiosk-pass-list/1" ‖ header ‖ SHA-256(entries ‖ links).
 * A list replaces the previous one whole; a kiosk installs one only if its version is newer.
 */
export const PASS_LIST_MAGIC = Buffer.from('QRKPL1\n', 'ascii');
export const PASS_LIST_ENTRY_BYTES = 35;
export const PASS_LIST_LINK_BYTES = 32;
/** Flags bit 0: the pass is revoked (a lost card). */
export const PASS_FLAG_REVOKED = 1;
const ZERO_HASH = Buffer.alloc(16);
const CONTEXT = Buffer.from('qrkiosk-pass-list/1', 'ascii');
/** The hub's site register allows these ids (hub/src/routes/schemas.ts), so the list must too. */
const AREA_ID_RE = /^[A-Za-z0-9_-]{1,64}$/;

export interface PassArea {
  ward: string | null;
  district: string | null;
}

export interface PassListHeader {
  /** Grows with every list; a kiosk refuses one not newer than its own. */
  version: number;
  createdAt: string;
  keyId: string;
  count: number;
  /** How many 32-byte links follow the entries. */
  linkCount: number;
  /** Site id → its ward and district (ids, as the hub's site register has them). */
  areas: Record<string, PassArea>;
  /** The hub's province code (a `province:<id>` pass must name it); null: the hub has none configured. */
  province: string | null;
}

export interface PassList {
  header: PassListHeader;
  /** count × 35 bytes, ascending by passKey (a view into the verified file). */
  entries: Buffer;
  /** linkCount × 32 bytes, ascending by (passKey, hash) (a view into the verified file). */
  links: Buffer;
}

export interface PassListEntry {
  passKey: Buffer;
  /** The holder's keyed identity hash (identity-hash.ts), 16 bytes; 16 zero bytes when revoked. */
  idHash: Buffer;
  /** `yyyy-MM-dd`. */
  validUntil: string;
  /** A lost or withdrawn card: every kiosk refuses it (REVIEW `pass-revoked`). */
  revoked: boolean;
  /**
   * The holder's other keyed hashes (16 bytes each), the check-in's `document.links`, in any order: the
   * encoder sorts them ascending and drops repeats (PassRecord.links is ascending).
   */
  links?: readonly Buffer[];
}

/** What a kiosk learns of one pass from the list. */
export interface PassRecord {
  /** 32 hex; all zeros for a revoked pass. */
  idHash: string;
  validUntil: string;
  revoked: boolean;
  /** The holder's other keyed hashes (32 hex each), ascending; none for a revoked pass. */
  links: string[];
}

export class PassListError extends Error {
  constructor(
    readonly code: 'format' | 'unsigned' | 'unknown-key' | 'bad-signature' | 'stale' | 'same-version',
    message: string,
  ) {
    super(message);
  }
}

const signedMessage = (header: Buffer, digest: Buffer) => Buffer.concat([CONTEXT, header, digest]);

/** Hub side: signs the records (sorted here; two records for one pass are refused). */
export function encodePassList(
  records: readonly PassListEntry[],
  options: { version: number; areas: Record<string, PassArea>; province: string | null },
  signing: { privateKey: KeyObject; publicKey: KeyObject },
  createdAt = new Date(),
): Buffer {
  if (!Number.isSafeInteger(options.version) || options.version < 1)
    throw new PassListError('format', 'version must be ≥ 1');
  checkAreas(options.areas);
  checkProvince(options.province);
  const sorted = [...records].sort((a, b) => Buffer.compare(a.passKey, b.passKey));
  const entries = Buffer.alloc(sorted.length * PASS_LIST_ENTRY_BYTES);
  for (const [i, r] of sorted.entries()) {
    if (r.passKey.length !== 16 || r.idHash.length !== 16)
      throw new PassListError('format', 'passKey and idHash are 16 bytes each');
    const until = passDayNumber(r.validUntil);
    if (until === null)
      throw new PassListError(
        'format',
        `validUntil ${r.validUntil} is not a day from 2020-01-01 to 2199-06-06`,
      );
    if (i > 0 && sorted[i - 1]!.passKey.equals(r.passKey))
      throw new PassListError('format', 'two records for one pass');
    const o = i * PASS_LIST_ENTRY_BYTES;
    r.passKey.copy(entries, o);
    // A revoked card names nobody: whoever lost it need not travel to every kiosk.
    (r.revoked ? ZERO_HASH : r.idHash).copy(entries, o + 16);
    entries.writeUInt16BE(until, o + 32);
    entries.writeUInt8(r.revoked ? PASS_FLAG_REVOKED : 0, o + 34);
  }
  const links = encodeLinks(sorted);
  const header: PassListHeader = {
    version: options.version,
    createdAt: createdAt.toISOString(),
    keyId: keyId(signing.publicKey),
    count: sorted.length,
    linkCount: links.length / PASS_LIST_LINK_BYTES,
    areas: options.areas,
    province: options.province,
  };
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const digest = createHash('sha256').update(entries).update(links).digest();
  const signature = signBytes(signing.privateKey, signedMessage(headerBytes, digest));
  return Buffer.concat([framedHead(PASS_LIST_MAGIC, headerBytes), entries, links, signature]);
}

/** The links section: each unrevoked record's other hashes, sorted by (passKey, hash), duplicates dropped. */
function encodeLinks(sorted: readonly PassListEntry[]): Buffer {
  const out: Buffer[] = [];
  for (const r of sorted) {
    if (r.revoked || !r.links?.length) continue;
    const hashes = [...r.links].sort(Buffer.compare);
    for (const [i, h] of hashes.entries()) {
      if (h.length !== 16) throw new PassListError('format', 'a link hash is 16 bytes');
      if (i > 0 && hashes[i - 1]!.equals(h)) continue;
      out.push(r.passKey, h);
    }
  }
  return Buffer.concat(out);
}

function checkAreas(areas: unknown): asserts areas is Record<string, PassArea> {
  const idOrNull = (v: unknown) =>
    v === null || v === undefined || (typeof v === 'string' && AREA_ID_RE.test(v));
  if (
    typeof areas !== 'object' ||
    areas === null ||
    Array.isArray(areas) ||
    !Object.entries(areas).every(
      ([site, a]) =>
        AREA_ID_RE.test(site) &&
        typeof a === 'object' &&
        a !== null &&
        idOrNull((a as PassArea).ward) &&
        idOrNull((a as PassArea).district),
    )
  )
    throw new PassListError('format', 'areas must map site ids to {ward, district} ids');
}

function checkProvince(province: unknown): asserts province is string | null {
  if (province !== null && !(typeof province === 'string' && AREA_ID_RE.test(province)))
    throw new PassListError('format', 'province must be an id or null');
}

function readHeader(file: Buffer): { header: PassListHeader; headerBytes: Buffer; bodyStart: number } {
  const { json, headerBytes, bodyStart } = readFramedHeader(
    file,
    PASS_LIST_MAGIC,
    'pass list',
    (message) => new PassListError('format', message),
  );
  const header = json as PassListHeader;
  if (
    typeof header !== 'object' ||
    header === null ||
    !Number.isSafeInteger(header.version) ||
    header.version < 1 ||
    typeof header.createdAt !== 'string' ||
    typeof header.keyId !== 'string' ||
    !Number.isSafeInteger(header.count) ||
    header.count < 0 ||
    !Number.isSafeInteger(header.linkCount) ||
    header.linkCount < 0
  )
    throw new PassListError(
      'format',
      'version, createdAt, keyId, count or linkCount missing or out of range',
    );
  checkAreas(header.areas);
  checkProvince(header.province);
  return { header, headerBytes, bodyStart };
}

/** The header alone, unverified (to skip a list already installed); null if malformed. */
export function peekPassListHeader(file: Buffer): PassListHeader | null {
  try {
    return readHeader(file).header;
  } catch {
    return null;
  }
}

/**
 * Kiosk side: checks the signature with the trusted hub keys, then that the entries are sorted without
 * duplicates (binary search depends on it). Throws PassListError saying why it is refused.
 */
export function verifyPassList(file: Buffer, keys: KeyRing): PassList {
  const { header, headerBytes, bodyStart } = readHeader(file);
  const entriesEnd = bodyStart + header.count * PASS_LIST_ENTRY_BYTES;
  const bodyEnd = entriesEnd + header.linkCount * PASS_LIST_LINK_BYTES;
  if (bodyEnd === file.length) throw new PassListError('unsigned', 'the list carries no signature');
  if (bodyEnd + 64 !== file.length) throw new PassListError('format', 'length does not match the count');
  const key = keys.get(header.keyId);
  if (!key)
    throw new PassListError('unknown-key', `signed by key ${header.keyId}, which this kiosk does not trust`);
  const entries = file.subarray(bodyStart, entriesEnd);
  const links = file.subarray(entriesEnd, bodyEnd);
  const digest = createHash('sha256').update(entries).update(links).digest();
  if (!verifyBytes(key, signedMessage(headerBytes, digest), file.subarray(bodyEnd)))
    throw new PassListError(
      'bad-signature',
      'the signature does not match: the list was altered or not made by the hub',
    );
  for (let p = 0; p < entries.length; p += PASS_LIST_ENTRY_BYTES) {
    // A flag this kiosk does not know could mean "refuse": better to refuse the list than to ignore it.
    if ((entries[p + 34]! & ~PASS_FLAG_REVOKED) !== 0)
      throw new PassListError('format', 'an entry has unknown flag bits set');
    // The previous entry (source) against this one (target): it must sort strictly before.
    if (
      p > 0 &&
      entries.compare(entries, p, p + 16, p - PASS_LIST_ENTRY_BYTES, p - PASS_LIST_ENTRY_BYTES + 16) >= 0
    )
      throw new PassListError('format', 'entries are not sorted ascending without duplicates');
  }
  checkLinks({ header, entries, links });
  return { header, entries, links };
}

/**
 * Links sorted strictly ascending by all 32 bytes (so by passKey, then hash; no duplicates), each naming
 * a pass the entries hold unrevoked: findPass walks them in place.
 */
function checkLinks(list: PassList): void {
  const { links } = list;
  const n = PASS_LIST_LINK_BYTES;
  for (let p = 0; p < links.length; p += n) {
    if (p > 0 && links.compare(links, p, p + n, p - n, p) >= 0)
      throw new PassListError('format', 'links are not sorted ascending without duplicates');
    // One lookup per distinct passKey (they are sorted, so a run shares it).
    if (p > 0 && links.compare(links, p, p + 16, p - n, p - n + 16) === 0) continue;
    const o = entryOffset(list.entries, links.subarray(p, p + 16));
    if (o === undefined) throw new PassListError('format', 'a link names a pass the list does not hold');
    if ((list.entries[o + 34]! & PASS_FLAG_REVOKED) !== 0)
      throw new PassListError('format', 'a revoked pass carries links');
  }
}

/** The byte offset of a pass's entry by binary search in place; undefined if the list does not hold it. */
function entryOffset(entries: Buffer, key: Buffer): number | undefined {
  let lo = 0;
  let hi = entries.length / PASS_LIST_ENTRY_BYTES - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const o = mid * PASS_LIST_ENTRY_BYTES;
    const c = entries.compare(key, 0, 16, o, o + 16);
    if (c === 0) return o;
    // Buffer#compare(target…) compares the entry against key: > 0 means the entry sorts after it.
    if (c > 0) hi = mid - 1;
    else lo = mid + 1;
  }
  return undefined;
}

/** The first link of a pass (binary search on the passKey), then the run of its links. */
function linksOf(links: Buffer, key: Buffer): string[] {
  const n = PASS_LIST_LINK_BYTES;
  let lo = 0;
  let hi = links.length / n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (links.compare(key, 0, 16, mid * n, mid * n + 16) < 0) lo = mid + 1;
    else hi = mid;
  }
  const out: string[] = [];
  for (let o = lo * n; o < links.length && links.compare(key, 0, 16, o, o + 16) === 0; o += n)
    out.push(links.subarray(o + 16, o + n).toString('hex'));
  return out;
}

/** The record of one pass by binary search in place, with its links; undefined if the list does not hold it. */
export function findPass(list: PassList, key: Buffer): PassRecord | undefined {
  const { entries } = list;
  const o = entryOffset(entries, key);
  if (o === undefined) return undefined;
  const revoked = (entries[o + 34]! & PASS_FLAG_REVOKED) !== 0;
  return {
    idHash: entries.subarray(o + 16, o + 32).toString('hex'),
    validUntil: passDayFromNumber(entries.readUInt16BE(o + 32)),
    revoked,
    links: revoked ? [] : linksOf(list.links, key),
  };
}
