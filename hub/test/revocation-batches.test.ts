/**
 * `publish-revocation` input: EU gateway revocation batches. Every field is checked before signing,
 * so the hub never signs what a kiosk would refuse or misread; expired batches are left out.
 */
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RevocationListError } from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { batchesFromFiles } from '../src/revocation-batches.js';

const dir = makeTempDir('revocation-batches-');
let n = 0;
const file = (content: unknown) => {
  const f = join(dir, `b${n++}.json`);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};
const hash = () => randomBytes(16).toString('base64');
const batch = (over: Record<string, unknown> = {}) => ({
  country: 'AT',
  expires: '2099-01-01T00:00:00Z',
  kid: randomBytes(8).toString('base64'),
  hashType: 'SIGNATURE',
  entries: [{ hash: hash() }, { hash: hash() }],
  ...over,
});
const refusal = (content: unknown) => {
  try {
    batchesFromFiles([file(content)]);
  } catch (err) {
    expect(err).toBeInstanceOf(RevocationListError);
    return (err as Error).message;
  }
  return 'accepted';
};

describe('revocation batches (publish-revocation input)', () => {
  it('reads one batch or an array of them; leaves expired batches out', () => {
    const r = batchesFromFiles(
      [file(batch()), file([batch({ hashType: 'UCI' }), batch({ expires: '2020-01-01T00:00:00Z' })])],
      new Date('2026-01-01T00:00:00Z'),
    );
    expect(r.sections.map((s) => s.type)).toEqual(['SIGNATURE', 'UCI']);
    expect(r.sections[0]!.hashes).toHaveLength(2);
    expect(r.expired).toBe(1);
  });

  it('refuses bad input with the file and field named', () => {
    expect(refusal('{not json')).toMatch(/not JSON/);
    expect(refusal(batch({ hashType: 'uci' }))).toMatch(/hashType.*UCI, COUNTRYCODEUCI, SIGNATURE/);
    expect(refusal(batch({ kid: 'not base64!' }))).toMatch(/"kid" must be base64/);
    expect(refusal(batch({ kid: undefined }))).toMatch(/"kid"/);
    expect(refusal(batch({ entries: [{ hash: randomBytes(32).toString('base64') }] }))).toMatch(
      /entries\[0\]\.hash has 32 bytes; a revocation hash has 16/,
    );
    expect(refusal(batch({ entries: [{ hash: '%%%' }] }))).toMatch(/entries\[0\]\.hash must be base64/);
    expect(refusal(batch({ entries: [hash()] }))).toMatch(/entries\[0\]\.hash/);
    expect(refusal(batch({ entries: 'x' }))).toMatch(/"entries" must be an array/);
    expect(refusal(batch({ expires: 'soon' }))).toMatch(/"expires"/);
    expect(refusal([batch(), 42])).toMatch(/\[1\]: a batch must be a JSON object/);
  });
});
