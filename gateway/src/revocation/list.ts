import { REVOCATION_HASH_BYTES, type RevocationHashType, type RevocationSection } from '@qrkiosk/protocol';
import type { DccRevocationHashes, RevocationCheck } from '../decode/index.js';

/** Section key for hashes that apply to every KID (`qrkiosk decode --jsonl` requests). */
const ANY_KID = '*';
const FIELD: Record<RevocationHashType, keyof DccRevocationHashes> = {
  UCI: 'uci',
  COUNTRYCODEUCI: 'countrycodeuci',
  SIGNATURE: 'signature',
};

/** Binary search over sorted 16-byte entries, in place: O(log n), no allocation. */
export function containsHash(sorted: Buffer, hash: Uint8Array): boolean {
  let lo = 0;
  let hi = sorted.length / REVOCATION_HASH_BYTES - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const o = mid * REVOCATION_HASH_BYTES;
    // The entry (source range of `sorted`) against the hash: < 0 when the entry sorts before it.
    const c = sorted.compare(hash, 0, REVOCATION_HASH_BYTES, o, o + REVOCATION_HASH_BYTES);
    if (c === 0) return true;
    if (c < 0) lo = mid + 1;
    else hi = mid - 1;
  }
  return false;
}

/**
 * Revocation lists as the kiosk holds them: per (KID, hash type), the sorted hashes of a verified list
 * (views into the file's bytes: 16 bytes per entry, nothing rebuilt at load), looked up by binary search.
 */
export class RevocationList implements RevocationCheck {
  private readonly sections = new Map<string, Buffer[]>();
  private entryCount = 0;

  constructor(
    sections: ReadonlyArray<Pick<RevocationSection, 'type' | 'hashes'> & { kid: Buffer | null }>,
    /** The list's version (0: not a hub list). */
    readonly version = 0,
  ) {
    for (const s of sections) {
      const key = `${s.kid ? s.kid.toString('base64') : ANY_KID} ${s.type}`;
      this.sections.set(key, [...(this.sections.get(key) ?? []), s.hashes]);
      this.entryCount += s.hashes.length / REVOCATION_HASH_BYTES;
    }
  }

  get size(): number {
    return this.entryCount;
  }

  revoked(kid: Uint8Array, hashes: DccRevocationHashes): boolean {
    const kid64 = Buffer.from(kid).toString('base64');
    for (const type of Object.keys(FIELD) as RevocationHashType[]) {
      const hash = hashes[FIELD[type]];
      if (!hash) continue;
      for (const k of [kid64, ANY_KID])
        for (const sorted of this.sections.get(`${k} ${type}`) ?? [])
          if (containsHash(sorted, hash)) return true;
    }
    return false;
  }
}
