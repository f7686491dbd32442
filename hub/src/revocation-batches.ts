import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  REVOCATION_HASH_BYTES,
  REVOCATION_HASH_TYPES,
  type RevocationHashType,
  RevocationListError,
} from '@qrkiosk/protocol';

/**
 * Revocation batches as the EU DCC gateway distributes them (one JSON object per batch, or an array
 * of them in one file):
 *
 *   {"country": "AT", "expires": "2022-12-31T00:00:00Z", "kid": "<base64 KID>",
 *    "hashType": "UCI" | "COUNTRYCODEUCI" | "SIGNATURE", "entries": [{"hash": "<base64, 16 bytes>"}, …]}
 *
 * Every field is checked here, so the hub refuses to sign what a kiosk would refuse or misread; a
 * batch past `expires` (its certificates have all expired) is left out.
 */
export interface RevocationBatchSection {
  kid: Buffer;
  type: RevocationHashType;
  hashes: Buffer[];
  source: string;
  country: string | null;
}

const B64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function batchesFromFiles(
  files: readonly string[],
  now = new Date(),
): { sections: RevocationBatchSection[]; expired: number } {
  const sections: RevocationBatchSection[] = [];
  let expired = 0;
  for (const file of files) {
    let json: unknown;
    try {
      json = JSON.parse(readFileSync(file, 'utf8'));
    } catch (err) {
      throw new RevocationListError('format', `${file}: not JSON (${(err as Error).message})`);
    }
    const batches = Array.isArray(json) ? json : [json];
    for (const [i, b] of batches.entries()) {
      const where = batches.length > 1 || Array.isArray(json) ? `${file}[${i}]` : file;
      const batch = parseBatch(b, where);
      if (batch.expires !== null && batch.expires < now.getTime()) {
        expired++;
        continue;
      }
      sections.push(batch.section);
    }
  }
  return { sections, expired };
}

function parseBatch(
  value: unknown,
  where: string,
): { section: RevocationBatchSection; expires: number | null } {
  const fail = (what: string) => new RevocationListError('format', `${where}: ${what}`);
  if (typeof value !== 'object' || value === null) throw fail('a batch must be a JSON object');
  const b = value as Record<string, unknown>;
  if (typeof b.kid !== 'string' || !B64.test(b.kid)) throw fail('"kid" must be base64');
  const kid = Buffer.from(b.kid, 'base64');
  if (kid.length < 1 || kid.length > 64) throw fail('"kid" must be 1–64 bytes');
  if (!REVOCATION_HASH_TYPES.includes(b.hashType as RevocationHashType))
    throw fail(`"hashType" must be one of ${REVOCATION_HASH_TYPES.join(', ')}`);
  if (!Array.isArray(b.entries)) throw fail('"entries" must be an array of {"hash": "<base64>"}');
  let expires: number | null = null;
  if (b.expires !== undefined) {
    expires = typeof b.expires === 'string' ? Date.parse(b.expires) : Number.NaN;
    if (Number.isNaN(expires)) throw fail('"expires" must be an ISO-8601 time');
  }
  const hashes = b.entries.map((e, j) => {
    const h = typeof e === 'object' && e !== null ? (e as { hash?: unknown }).hash : undefined;
    if (typeof h !== 'string' || !B64.test(h)) throw fail(`entries[${j}].hash must be base64`);
    const bytes = Buffer.from(h, 'base64');
    if (bytes.length !== REVOCATION_HASH_BYTES)
      throw fail(`entries[${j}].hash has ${bytes.length} bytes; a revocation hash has 16`);
    return bytes;
  });
  return {
    section: {
      kid,
      type: b.hashType as RevocationHashType,
      hashes,
      source: where,
      country: typeof b.country === 'string' ? b.country : null,
    },
    expires,
  };
}

/** The batch files in a folder (.json), sorted by name. */
export function batchFilesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => /\.json$/i.test(f))
    .sort()
    .map((f) => join(dir, f));
}
