import * as crypto from 'node:crypto';
import { ALG_ES256, type Sign1 } from './cose.js';

/**
 * The three EU DCC revocation hashes of one certificate: the first 128 bits (16 bytes) of SHA-256 over
 *   UCI             the UTF-8 bytes of the certificate identifier `ci`;
 *   COUNTRYCODEUCI  the UTF-8 bytes of the issuing country, followed by `ci`. The EU text says the
 *                   issuer: the CWT claim `iss` as written (Corona-Warn-App iOS and Android,
 *                   dgca-app-core-ios). dgca-verifier-app-android builds it from the entry's `co`,
 *                   upper-cased; where that differs (dgc-testdata ES 1001–1003: iss US, co ES) both are
 *                   looked up, so a list built either way is honoured;
 *   SIGNATURE       the COSE signature: for ECDSA (ES256) its first half, the r value; for RSA (PS256)
 *                   the whole signature.
 * Computed only when a revocation list is in force, and only for a verified certificate.
 */
export interface DccRevocationHashes {
  uci: Buffer | null;
  /** `iss` + `ci` first; `co` (upper-cased) + `ci` too when it differs. Empty without `ci`. */
  countrycodeuci: Buffer[];
  signature: Buffer;
}

/** What the decoder asks: is any of this certificate's hashes revoked for its signer's KID? */
export interface RevocationCheck {
  /** Whether any list could name this KID; false lets the decoder skip hashing (most signers have none). */
  covers?(kid: Uint8Array): boolean;
  revoked(kid: Uint8Array, hashes: DccRevocationHashes): boolean;
}

// One-shot crypto.hash (Node ≥ 20.12): createHash().update().digest() cost ~9 µs a hash on the benchmark
// machine, three times less this way. Looked up, not imported by name, so Node 20.0–20.11 still load.
const oneShot = (crypto as { hash?: (alg: string, data: Uint8Array, out: 'buffer') => Buffer }).hash;
const sha128 = (data: Uint8Array): Buffer =>
  (oneShot ? oneShot('sha256', data, 'buffer') : crypto.createHash('sha256').update(data).digest()).subarray(
    0,
    16,
  );

export function dccRevocationHashes(
  sign1: Sign1,
  entry: Record<string, unknown> | null,
  iss: string | null,
): DccRevocationHashes {
  const ci = entry && typeof entry.ci === 'string' ? entry.ci : null;
  const co = entry && typeof entry.co === 'string' ? entry.co.toUpperCase() : null;
  const countries = ci ? [...new Set([iss, co].filter((c): c is string => !!c))] : [];
  const sig = sign1.signature;
  return {
    uci: ci ? sha128(Buffer.from(ci, 'utf8')) : null,
    countrycodeuci: countries.map((c) => sha128(Buffer.from(c + ci, 'utf8'))),
    signature: sha128(sign1.alg === ALG_ES256 ? sig.subarray(0, sig.length >> 1) : sig),
  };
}
