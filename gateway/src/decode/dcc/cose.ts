import { constants, verify } from 'node:crypto';
import { decodeCbor, isBytes, untag } from './cbor.js';

export const ALG_ES256 = -7;
export const ALG_PS256 = -37;
const HEADER_ALG = 1;
const HEADER_KID = 4;

export class CoseError extends Error {}

export interface Sign1 {
  protectedBytes: Uint8Array;
  payload: Uint8Array;
  signature: Uint8Array;
  alg: number | undefined;
  /** From the protected header when present there, else from the unprotected one. */
  kid: Uint8Array | undefined;
}

/**
 * COSE_Sign1 (RFC 9052): tag 18, optionally inside CWT tag 61, or untagged. The algorithm and KID
 * are read from the protected header first; an unprotected value is used only where the protected
 * header has none (several issuers put the KID there).
 */
export function parseSign1(bytes: Uint8Array): Sign1 {
  const [tags, value] = untag(decodeCbor(bytes));
  const allowed =
    tags.length === 0 ||
    (tags.length === 1 && tags[0] === 18) ||
    (tags.length === 2 && tags[0] === 61 && tags[1] === 18);
  if (!allowed) throw new CoseError(`unexpected CBOR tags ${tags.join(',')} (want 18, or 61 around 18)`);
  if (!Array.isArray(value) || value.length !== 4) throw new CoseError('COSE_Sign1 must be an array of 4');
  const [protectedBytes, unprotected, payload, signature] = value as [unknown, unknown, unknown, unknown];
  if (!isBytes(protectedBytes) || !isBytes(payload) || !isBytes(signature))
    throw new CoseError('COSE_Sign1 fields have wrong types');
  const protectedHeader = protectedBytes.length === 0 ? new Map() : decodeCbor(protectedBytes);
  if (!(protectedHeader instanceof Map)) throw new CoseError('protected header is not a map');
  if (!(unprotected instanceof Map)) throw new CoseError('unprotected header is not a map');
  const pick = (label: number): unknown =>
    protectedHeader.has(label) ? protectedHeader.get(label) : unprotected.get(label);
  const alg = pick(HEADER_ALG);
  const kid = pick(HEADER_KID);
  return {
    protectedBytes,
    payload,
    signature,
    alg: typeof alg === 'number' ? alg : undefined,
    kid: isBytes(kid) ? kid : undefined,
  };
}

/** Writes a CBOR byte-string head for `length` at `at`; returns the position after it. */
function writeBstrHead(out: Buffer, at: number, length: number): number {
  if (length < 24) {
    out[at] = 0x40 | length;
    return at + 1;
  }
  if (length < 0x100) {
    out[at] = 0x58;
    out[at + 1] = length;
    return at + 2;
  }
  if (length < 0x10000) {
    out[at] = 0x59;
    out.writeUInt16BE(length, at + 1);
    return at + 3;
  }
  out[at] = 0x5a;
  out.writeUInt32BE(length, at + 1);
  return at + 5;
}

const EC_SIGNATURE_BYTES: Record<string, number> = { prime256v1: 64, secp384r1: 96, secp521r1: 132 };

const SIG1_PREFIX = Buffer.from([0x84, 0x6a, ...Buffer.from('Signature1', 'ascii')]);

/**
 * Sig_structure = ["Signature1", protected, external_aad = h'', payload], CBOR-encoded by hand (exact bytes),
 * into one buffer sized up front: it is built for every scan, so no intermediate buffers.
 */
export function sigStructure(sign1: Sign1): Buffer {
  const p = sign1.protectedBytes;
  const m = sign1.payload;
  const out = Buffer.allocUnsafe(SIG1_PREFIX.length + 5 + p.length + 1 + 5 + m.length);
  let at = SIG1_PREFIX.copy(out, 0);
  at = writeBstrHead(out, at, p.length);
  out.set(p, at);
  at += p.length;
  out[at++] = 0x40;
  at = writeBstrHead(out, at, m.length);
  out.set(m, at);
  return out.subarray(0, at + m.length);
}

/**
 * ES256 (ECDSA P-256, raw r‖s) and PS256 (RSA-PSS, SHA-256) — the two the DCC specification allows.
 * The key type must fit the algorithm. PSS salt length is read from the signature (AUTO): the
 * specification says 32 bytes, and verifying any salt length costs no security.
 */
export function verifySign1(sign1: Sign1, key: import('node:crypto').KeyObject): boolean {
  const data = sigStructure(sign1);
  try {
    if (sign1.alg === ALG_ES256) {
      // ES256 names the hash, not the curve (RFC 9053 §2.1 only *suggests* P-256): some issuers
      // sign ES256 with P-384 keys. The raw signature is r‖s, each the size of the curve's field.
      const size =
        key.asymmetricKeyType === 'ec'
          ? EC_SIGNATURE_BYTES[key.asymmetricKeyDetails?.namedCurve ?? '']
          : undefined;
      if (!size || sign1.signature.length !== size) return false;
      return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, sign1.signature);
    }
    if (sign1.alg === ALG_PS256) {
      if (key.asymmetricKeyType !== 'rsa' && key.asymmetricKeyType !== 'rsa-pss') return false;
      return verify(
        'sha256',
        data,
        { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_AUTO },
        sign1.signature,
      );
    }
    return false;
  } catch {
    return false;
  }
}
