import { readFileSync } from 'node:fs';
import {
  KeyRing,
  loadPublicKey,
  REVOCATION_HASH_BYTES,
  type RevocationHashType,
  RevocationListError,
  sortedHashes,
} from '@qrkiosk/protocol';
import type { DccRevocationHashes, RevocationCheck } from '../decode/index.js';
import { listFromFile, RevocationList } from '../revocation/index.js';

/**
 * Revocation for `qrkiosk decode`: a signed list file (`--revocation FILE`, checked with the hub keys
 * of `--hub-key` or of the kiosk's settings) and, per `--jsonl` request,
 * `"revocation": {"uci": [base64…], "countrycodeuci": [base64…], "signature": [base64…]}` — 16-byte
 * hashes that apply to every KID (a request names no signer).
 */
const REQUEST_TYPES: Record<string, RevocationHashType> = {
  uci: 'UCI',
  countrycodeuci: 'COUNTRYCODEUCI',
  signature: 'SIGNATURE',
};

export class RevocationInputError extends Error {}

/** One request's `revocation` member; throws RevocationInputError saying what is wrong with it. */
export function requestRevocation(value: unknown): RevocationList {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new RevocationInputError(
      '"revocation" must be an object {"uci": [...], "countrycodeuci": [...], "signature": [...]}',
    );
  const sections: Array<{ kid: null; type: RevocationHashType; hashes: Buffer }> = [];
  for (const [name, list] of Object.entries(value)) {
    const type = REQUEST_TYPES[name];
    if (!type)
      throw new RevocationInputError(
        `"revocation.${name.slice(0, 40)}": unknown hash type (use uci, countrycodeuci, signature)`,
      );
    if (!Array.isArray(list))
      throw new RevocationInputError(`"revocation.${name}" must be an array of base64 strings`);
    const hashes = list.map((h, i) => {
      const where = `"revocation.${name}[${i}]"`;
      if (typeof h !== 'string') throw new RevocationInputError(`${where} must be a base64 string`);
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(h)) throw new RevocationInputError(`${where} is not base64`);
      const bytes = Buffer.from(h, 'base64');
      if (
        bytes.length !== REVOCATION_HASH_BYTES ||
        bytes.toString('base64').replace(/=+$/, '') !== h.replace(/=+$/, '')
      )
        throw new RevocationInputError(
          `${where} must be a 16-byte hash (24 base64 characters), got ${bytes.length} bytes`,
        );
      return bytes;
    });
    if (hashes.length > 0) sections.push({ kid: null, type, hashes: sortedHashes(hashes) });
  }
  return new RevocationList(sections);
}

/** Reads and verifies a signed list file; throws RevocationInputError naming the file and the reason. */
export function revocationFromFile(file: string, hubKeys: KeyRing): RevocationList {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (err) {
    throw new RevocationInputError(
      `--revocation ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  if (hubKeys.size === 0)
    throw new RevocationInputError(
      `--revocation ${file}: cần khóa công khai của trung tâm (--hub-key FILE hoặc updates.publicKeyFiles trong kiosk.yaml) / needs the hub's public key (--hub-key FILE, or updates.publicKeyFiles in kiosk.yaml)`,
    );
  try {
    return listFromFile(bytes, hubKeys);
  } catch (err) {
    if (err instanceof RevocationListError)
      throw new RevocationInputError(`--revocation ${file}: ${err.code}: ${err.message}`);
    throw err;
  }
}

/** Hub public keys from PEM files; throws RevocationInputError for one that is not an Ed25519 key. */
export function hubKeysFromFiles(files: readonly string[]): KeyRing {
  const ring = new KeyRing();
  for (const file of files) {
    try {
      ring.add(loadPublicKey(readFileSync(file)));
    } catch (err) {
      throw new RevocationInputError(`--hub-key ${file}: ${(err as Error).message}`);
    }
  }
  return ring;
}

/** Several lists as one check: revoked if any of them says so. */
export function anyOf(checks: ReadonlyArray<RevocationCheck | undefined>): RevocationCheck | undefined {
  const present = checks.filter((c): c is RevocationCheck => !!c);
  if (present.length <= 1) return present[0];
  return {
    covers: (kid: Uint8Array) => present.some((c) => c.covers?.(kid) !== false),
    revoked: (kid: Uint8Array, hashes: DccRevocationHashes) => present.some((c) => c.revoked(kid, hashes)),
  };
}
