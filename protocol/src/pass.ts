import { createHash, type KeyObject, randomBytes } from 'node:crypto';
import { type KeyRing, signBytes, verifyBytes } from './signing.js';
import { ID_PATTERN } from './vocabulary.js';

/**
 * A printed pass (issue #20): a QR for a person without a phone or a chip card, signed by the hub's
 * (or a kiosk's) Ed25519 key and verified offline (docs/protocol.md, "Passes"). The token is
 *
 *   "QRKP1:" + base32(body ‖ signature)        RFC 4648 alphabet A–Z 2–7, no padding
 *
 * so the whole text stays in the QR alphanumeric mode (5.5 bits a character instead of 8 in byte
 * mode: a smaller code, bigger modules on a cheap printer). The body carries no name and no number:
 *
 *   version u8 = 1 | passId 10 bytes | scope kind u8 (1 site, 2 ward, 3 province) |
 *   scope id length u8 | scope id ASCII | validFrom u16 BE | validUntil u16 BE | signer key id 8 bytes
 *
 * Days count from 2020-01-01 (Vietnam calendar days; u16 reaches 2199). The signature covers
 * "qrkiosk-pass/1\n" ‖ body, so a signature over some other qrkiosk message never passes as a pass.
 * Who the holder is travels in the signed pass list (pass-list.ts), keyed by passKey(passId).
 */
export const PASS_PREFIX = 'QRKP1:';
export const PASS_VERSION = 1;
export const PASS_ID_BYTES = 10;
/**
 * Scope ids are site, ward or province ids, of the kiosk id shape (ID_PATTERN: a kiosk's site id may be 64
 * characters). Measured with the `qrcode` library at level Q: a 6-character id makes a version 8 symbol
 * (49 modules), 32 characters version 10 (57), 64 characters version 11 (61) — 0.85 mm modules at 52 mm.
 */
export const PASS_SCOPE_ID_MAX = 64;
const SCOPE_ID_RE = new RegExp(ID_PATTERN);
/** A site, ward or province id a pass can be scoped to (the hub checks before it signs). */
export const isPassScopeId = (id: string): boolean => SCOPE_ID_RE.test(id);
const CONTEXT = Buffer.from('qrkiosk-pass/1\n', 'ascii');
const SIGNATURE_BYTES = 64;
const KEY_ID_BYTES = 8;
/** version, passId, scope kind, scope length, validFrom, validUntil, keyId. */
const FIXED_BODY_BYTES = 1 + PASS_ID_BYTES + 1 + 1 + 2 + 2 + KEY_ID_BYTES;
/** Longer text is refused before decoding: the longest legal token (a 64-character scope id, 153 bytes) is 6 + ceil(153·8/5) = 251 characters. */
const MAX_TOKEN_CHARS = 512;
const EPOCH_MS = Date.UTC(2020, 0, 1);
const DAY_MS = 86_400_000;

export const PASS_SCOPE_KINDS = ['site', 'ward', 'province'] as const;
export type PassScopeKind = (typeof PASS_SCOPE_KINDS)[number];
export type PassScope = { kind: PassScopeKind; id: string };

export interface Pass {
  /** 20 hex characters (10 random bytes). */
  passId: string;
  scope: PassScope;
  /** First and last valid Vietnam calendar day, `yyyy-MM-dd`, inclusive. */
  validFrom: string;
  validUntil: string;
  /** The signer's key id (signing.ts keyId), 16 hex characters. */
  keyId: string;
}

export class PassError extends Error {
  constructor(
    readonly code: 'format' | 'unknown-key' | 'bad-signature',
    message: string,
  ) {
    super(message);
  }
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** RFC 4648 base32, no padding. */
export function base32Encode(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = ((value << 8) | b) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  return out;
}

/** RFC 4648 base32 without padding; null for a character outside A–Z 2–7, an impossible length or non-zero tail bits. */
export function base32Decode(text: string): Buffer | null {
  // Lengths 1, 3 and 6 (mod 8) cannot come from whole bytes.
  if ([1, 3, 6].includes(text.length % 8)) return null;
  const out = Buffer.alloc(Math.floor((text.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let o = 0;
  for (let i = 0; i < text.length; i++) {
    const v = B32.indexOf(text[i]!);
    if (v < 0) return null;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[o++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
    }
  }
  // Leftover bits must be zero, so one byte string has exactly one token (no malleable twins).
  if ((value & ((1 << bits) - 1)) !== 0) return null;
  return out;
}

/** Days since 2020-01-01 for a `yyyy-MM-dd` day; null if not a real day in range. */
export function passDayNumber(day: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(day)) return null;
  const ms = Date.parse(`${day}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== day) return null;
  const n = (ms - EPOCH_MS) / DAY_MS;
  return n >= 0 && n <= 0xffff ? n : null;
}

export const passDayFromNumber = (n: number): string =>
  new Date(EPOCH_MS + n * DAY_MS).toISOString().slice(0, 10);

/** A fresh random pass id, 20 hex characters. */
export const newPassId = (): string => randomBytes(PASS_ID_BYTES).toString('hex');

/** sha256(passId bytes)[:16]: the pass's key in the pass list and its revocation hash. */
export function passKey(passId: string): Buffer {
  if (!/^[0-9a-f]{20}$/.test(passId))
    throw new PassError('format', 'a pass id is 20 lowercase hex characters');
  return createHash('sha256').update(Buffer.from(passId, 'hex')).digest().subarray(0, 16);
}

function encodeBody(pass: Omit<Pass, 'keyId'>, keyId: string): Buffer {
  if (!/^[0-9a-f]{20}$/.test(pass.passId))
    throw new PassError('format', 'a pass id is 20 lowercase hex characters');
  const kind = PASS_SCOPE_KINDS.indexOf(pass.scope.kind);
  if (kind < 0) throw new PassError('format', `scope kind must be one of ${PASS_SCOPE_KINDS.join(', ')}`);
  if (!SCOPE_ID_RE.test(pass.scope.id))
    throw new PassError(
      'format',
      `scope id must match ${SCOPE_ID_RE.source} (≤ ${PASS_SCOPE_ID_MAX} characters)`,
    );
  const from = passDayNumber(pass.validFrom);
  const until = passDayNumber(pass.validUntil);
  if (from === null || until === null)
    throw new PassError(
      'format',
      'validFrom and validUntil must be real days from 2020-01-01 to 2199-06-06 (u16 days)',
    );
  if (until < from) throw new PassError('format', 'validUntil is before validFrom');
  if (!/^[0-9a-f]{16}$/.test(keyId)) throw new PassError('format', 'a key id is 16 lowercase hex characters');
  const id = Buffer.from(pass.scope.id, 'ascii');
  const body = Buffer.alloc(FIXED_BODY_BYTES + id.length);
  let o = body.writeUInt8(PASS_VERSION, 0);
  o += Buffer.from(pass.passId, 'hex').copy(body, o);
  o = body.writeUInt8(kind + 1, o);
  o = body.writeUInt8(id.length, o);
  o += id.copy(body, o);
  o = body.writeUInt16BE(from, o);
  o = body.writeUInt16BE(until, o);
  Buffer.from(keyId, 'hex').copy(body, o);
  return body;
}

/** Hub (or kiosk) side: the token text to print as a QR. `keyId` names `privateKey`'s public half. */
export function signPass(pass: Omit<Pass, 'keyId'>, privateKey: KeyObject, keyId: string): string {
  const body = encodeBody(pass, keyId);
  const signature = signBytes(privateKey, Buffer.concat([CONTEXT, body]));
  return PASS_PREFIX + base32Encode(Buffer.concat([body, signature]));
}

/**
 * Reads a token without checking its signature (for `qrkiosk decode` and the verifier). Throws
 * PassError 'format' for anything that is not a well-formed version-1 pass; never anything else.
 */
export function parsePass(text: string): { pass: Pass; signed: Buffer; signature: Buffer } {
  if (typeof text !== 'string' || !text.startsWith(PASS_PREFIX))
    throw new PassError('format', `a pass starts with ${PASS_PREFIX}`);
  if (text.length > MAX_TOKEN_CHARS) throw new PassError('format', 'too long for a pass');
  const bytes = base32Decode(text.slice(PASS_PREFIX.length));
  if (!bytes) throw new PassError('format', 'not base32 (A–Z, 2–7, no padding)');
  if (bytes.length < FIXED_BODY_BYTES + 1 + SIGNATURE_BYTES)
    throw new PassError('format', 'too short for a pass');
  const version = bytes.readUInt8(0);
  if (version !== PASS_VERSION) throw new PassError('format', `pass version ${version} is not supported`);
  const passId = bytes.subarray(1, 1 + PASS_ID_BYTES).toString('hex');
  let o = 1 + PASS_ID_BYTES;
  const kind = PASS_SCOPE_KINDS[bytes.readUInt8(o) - 1];
  if (!kind) throw new PassError('format', 'unknown scope kind');
  const idLength = bytes.readUInt8(o + 1);
  o += 2;
  if (bytes.length !== FIXED_BODY_BYTES + idLength + SIGNATURE_BYTES)
    throw new PassError('format', 'length does not match the scope id length');
  const id = bytes.subarray(o, o + idLength).toString('latin1');
  if (!SCOPE_ID_RE.test(id)) throw new PassError('format', 'scope id is not a valid id');
  o += idLength;
  const from = bytes.readUInt16BE(o);
  const until = bytes.readUInt16BE(o + 2);
  if (until < from) throw new PassError('format', 'validUntil is before validFrom');
  o += 4;
  const keyId = bytes.subarray(o, o + KEY_ID_BYTES).toString('hex');
  o += KEY_ID_BYTES;
  return {
    pass: {
      passId,
      scope: { kind, id },
      validFrom: passDayFromNumber(from),
      validUntil: passDayFromNumber(until),
      keyId,
    },
    signed: Buffer.concat([CONTEXT, bytes.subarray(0, o)]),
    signature: bytes.subarray(o),
  };
}

/** Kiosk side: the pass if its signature is good under a trusted key. Dates and scope are the caller's to judge. */
export function verifyPass(text: string, keys: KeyRing): Pass {
  const { pass, signed, signature } = parsePass(text);
  const key = keys.get(pass.keyId);
  if (!key)
    throw new PassError('unknown-key', `signed by key ${pass.keyId}, which this kiosk does not trust`);
  if (!verifyBytes(key, signed, signature))
    throw new PassError(
      'bad-signature',
      'the signature does not match: the pass was altered or not made by the hub',
    );
  return pass;
}

/** Where a Vietnam day `yyyy-MM-dd` falls against the pass's validity (days compare as text). */
export function passValidity(
  pass: Pick<Pass, 'validFrom' | 'validUntil'>,
  day: string,
): 'valid' | 'expired' | 'not-yet-valid' {
  if (day < pass.validFrom) return 'not-yet-valid';
  if (day > pass.validUntil) return 'expired';
  return 'valid';
}
