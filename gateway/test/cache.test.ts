import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  buildUpdate,
  decodeFacts,
  encodeFacts,
  type Facts,
  KeyRing,
  keyId,
  NO_FACTS,
  OP_DELETE,
  OP_PUT,
  type UpdateRecord,
} from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FactsCache, hashIdentity, UpdateRefused } from '../src/lookup/index.js';
import { loadSettings } from '../src/settings/index.js';

const hub = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
const stranger = generateKeyPairSync('ed25519');
const hashKey = randomBytes(32);
const key = (type: 'cccd' | 'qid', id: string) => hashIdentity(hashKey, type, id);
const green: Facts = {
  ...NO_FACTS,
  dosesReceived: 2,
  primarySeriesComplete: true,
  firstDoseDate: '2021-07-01',
  lastDoseDate: '2021-08-01',
  source: 'hub',
  updatedOn: '2021-10-01',
};

const put = (k: Buffer, f: Facts): UpdateRecord => ({ op: OP_PUT, key: k, facts: encodeFacts(f) });
const del = (k: Buffer): UpdateRecord => ({ op: OP_DELETE, key: k, facts: Buffer.alloc(16) });
const snapshot = (seq: number, records: UpdateRecord[], signer = hub) =>
  buildUpdate(
    { kind: 'snapshot', seq, createdAt: '2021-10-01T00:00:00Z' },
    records,
    signer.privateKey,
    signer.publicKey,
  );
const delta = (baseSeq: number, seq: number, records: UpdateRecord[]) =>
  buildUpdate(
    { kind: 'delta', seq, baseSeq, createdAt: '2021-10-01T00:00:00Z' },
    records,
    hub.privateKey,
    hub.publicKey,
  );

function openCache() {
  const cache = new FactsCache(makeTempDir('cache-'));
  cache.open();
  return cache;
}
const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    if (err instanceof UpdateRefused) return err.code;
    throw err;
  }
  return 'accepted';
};

describe('facts codec (16 bytes)', () => {
  it('round-trips every field, unknowns included', () => {
    const fact = fc.record({
      dosesReceived: fc.option(fc.integer({ min: 0, max: 254 })),
      primarySeriesComplete: fc.option(fc.boolean()),
      firstDoseDate: fc.option(
        fc
          .date({ min: new Date('2019-12-01'), max: new Date('2150-01-01'), noInvalidDate: true })
          .map((d) => d.toISOString().slice(0, 10)),
      ),
      negativeTestAt: fc.option(
        fc
          .date({ min: new Date('2019-12-01T00:00:00Z'), max: new Date('2130-01-01'), noInvalidDate: true })
          .map((d) => new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString()),
      ),
      negativeTestType: fc.constantFrom(null, 'pcr', 'rat'),
      caseStatus: fc.constantFrom('none', 'f0', 'f1'),
      source: fc.constantFrom('import', 'hub', 'dcc'),
    });
    fc.assert(
      fc.property(fact, (partial) => {
        const f = { ...NO_FACTS, ...partial } as Facts;
        const bytes = encodeFacts(f);
        expect(bytes).toHaveLength(16);
        expect(decodeFacts(bytes)).toEqual(f);
      }),
      { numRuns: 500, seed: 4401 },
    );
  });
  it('refuses values it cannot store', () => {
    expect(() => encodeFacts({ ...NO_FACTS, dosesReceived: 300 })).toThrow(/0–254/);
    expect(() => encodeFacts({ ...NO_FACTS, firstDoseDate: '2021-02-30' })).toThrow(/firstDoseDate/);
    expect(() => encodeFacts({ ...NO_FACTS, lastDoseDate: '2019-01-01' })).toThrow(/lastDoseDate/);
  });
});

describe('signed cache updates', () => {
  it('applies a snapshot, then deltas in order; lookups see each version whole', () => {
    const cache = openCache();
    const a = key('cccd', '079090001234');
    const b = key('qid', '162979388586171100');
    cache.applyUpdate(snapshot(3, [put(a, green), put(b, { ...NO_FACTS, caseStatus: 'f0' })]), ring);
    expect(cache.version()).toBe(3);
    expect(cache.lookup([{ type: 'cccd', hash: a }])).toEqual(green);
    cache.applyUpdate(delta(3, 4, [del(b), put(a, { ...green, dosesReceived: 3 })]), ring);
    expect(cache.lookup([{ type: 'qid', hash: b }])).toBeNull();
    expect(cache.lookup([{ type: 'cccd', hash: a }])?.dosesReceived).toBe(3);
    expect(cache.status()).toMatchObject({
      version: 4,
      identities: 1,
      signer: expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    cache.close();
  });
  it('a snapshot replaces everything (a kiosk at any version catches up)', () => {
    const cache = openCache();
    cache.applyUpdate(snapshot(1, [put(key('cccd', '1'.repeat(12)), green)]), ring);
    cache.applyUpdate(snapshot(9, [put(key('cccd', '2'.repeat(12)), green)]), ring);
    expect(cache.status()).toMatchObject({ version: 9, identities: 1 });
    expect(cache.lookup([{ type: 'cccd', hash: key('cccd', '1'.repeat(12)) }])).toBeNull();
    cache.close();
  });
  it('builds the same cache from a snapshot in any record order; a later duplicate wins', () => {
    const keys = ['1', '2', '3', '4'].map((d) => key('cccd', d.repeat(12)));
    const sortedCache = openCache();
    const ordered = [...keys].sort(Buffer.compare).map((k) => put(k, green));
    sortedCache.applyUpdate(snapshot(1, ordered), ring);
    const shuffled = openCache();
    const mixed = [
      put(keys[2]!, green),
      put(keys[0]!, { ...NO_FACTS, caseStatus: 'f0' }),
      put(keys[1]!, green),
      put(keys[3]!, green),
      put(keys[0]!, green),
    ];
    shuffled.applyUpdate(snapshot(1, mixed), ring);
    for (const k of keys)
      expect(shuffled.lookup([{ type: 'cccd', hash: k }])).toEqual(
        sortedCache.lookup([{ type: 'cccd', hash: k }]),
      );
    expect(shuffled.status().identities).toBe(4);
    sortedCache.close();
    shuffled.close();
  });
  it('refuses unsigned, tampered, foreign, stale and out-of-order updates, and says why', () => {
    const cache = openCache();
    const good = snapshot(5, [put(key('cccd', '079090001234'), green)]);
    expect(refusal(() => cache.applyUpdate(good.subarray(0, good.length - 64), ring))).toBe('unsigned');
    const tampered = Buffer.from(good);
    // readUInt8 throws past the end, so the flip cannot silently land nowhere.
    tampered.writeUInt8(tampered.readUInt8(tampered.length - 70) ^ 0xff, tampered.length - 70);
    expect(refusal(() => cache.applyUpdate(tampered, ring))).toBe('bad-signature');
    expect(refusal(() => cache.applyUpdate(snapshot(5, [], stranger), ring))).toBe('unknown-key');
    expect(refusal(() => cache.applyUpdate(Buffer.from('hello'), ring))).toBe('format');
    expect(refusal(() => cache.applyUpdate(good, ring))).toBe('accepted');
    expect(refusal(() => cache.applyUpdate(good, ring))).toBe('stale');
    expect(refusal(() => cache.applyUpdate(snapshot(4, []), ring))).toBe('stale');
    expect(refusal(() => cache.applyUpdate(delta(6, 7, []), ring))).toBe('out-of-order');
    expect(refusal(() => cache.applyUpdate(delta(4, 5, []), ring))).toBe('out-of-order');
    expect(refusal(() => cache.applyUpdate(delta(5, 6, []), ring))).toBe('accepted');
    expect(cache.version()).toBe(6);
    cache.close();
  });
  it('during a key rotation accepts updates signed by either key in updates.publicKeyFiles, and refuses a key not listed', () => {
    // The kiosk's ring as settings build it: the old hub key and the new one, side by side.
    const dir = makeTempDir('rotation-');
    const next = generateKeyPairSync('ed25519');
    const pem = (k: typeof hub) => k.publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(join(dir, 'hub-old.pub'), pem(hub));
    writeFileSync(join(dir, 'hub-new.pub'), pem(next));
    writeFileSync(
      join(dir, 'kiosk.yaml'),
      [
        'kiosk: { id: k-001, site: s-001 }',
        `data: { dir: "${join(dir, 'data')}" }`,
        `updates: { publicKeyFiles: ["${join(dir, 'hub-old.pub')}", "${join(dir, 'hub-new.pub')}"] }`,
      ].join('\n'),
    );
    const keys = loadSettings(join(dir, 'kiosk.yaml'), {}).secrets.hubKeys;
    expect(keys.size).toBe(2);
    const cache = openCache();
    const a = key('cccd', '079090001234');
    expect(refusal(() => cache.applyUpdate(snapshot(1, [put(a, green)], hub), keys))).toBe('accepted');
    expect(refusal(() => cache.applyUpdate(snapshot(2, [], next), keys))).toBe('accepted');
    expect(cache.status()).toMatchObject({ version: 2, identities: 0, signer: keyId(next.publicKey) });
    // A third key, not on the ring: refused, and the cache stays as the second key left it.
    expect(refusal(() => cache.applyUpdate(snapshot(3, [put(a, green)], stranger), keys))).toBe(
      'unknown-key',
    );
    expect(cache.status()).toMatchObject({ version: 2, identities: 0 });
    // Once the old key is removed from the kiosk, what it signs is refused too.
    writeFileSync(
      join(dir, 'kiosk.yaml'),
      [
        'kiosk: { id: k-001, site: s-001 }',
        `data: { dir: "${join(dir, 'data')}" }`,
        `updates: { publicKeyFiles: ["${join(dir, 'hub-new.pub')}"] }`,
      ].join('\n'),
    );
    const retired = loadSettings(join(dir, 'kiosk.yaml'), {}).secrets.hubKeys;
    expect(refusal(() => cache.applyUpdate(snapshot(4, [], hub), retired))).toBe('unknown-key');
    expect(refusal(() => cache.applyUpdate(snapshot(4, [], next), retired))).toBe('accepted');
    cache.close();
  });
  it('is atomic: an update that fails half-way leaves the previous version intact', () => {
    const cache = openCache();
    const a = key('cccd', '079090001234');
    cache.applyUpdate(snapshot(1, [put(a, green)]), ring);
    const broken = [
      put(a, { ...NO_FACTS, caseStatus: 'f0' }),
      { op: 7 as 1, key: a, facts: Buffer.alloc(16) },
    ];
    expect(refusal(() => cache.applyUpdate(delta(1, 2, broken), ring))).toBe('format');
    expect(refusal(() => cache.applyUpdate(snapshot(2, broken), ring))).toBe('format');
    expect(cache.version()).toBe(1);
    expect(cache.lookup([{ type: 'cccd', hash: a }])).toEqual(green);
    cache.close();
  });
});

describe('CSV import and privacy', () => {
  const header =
    'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until';

  it('imports good rows, reports bad ones by line, and stores no number in clear', async () => {
    const dir = makeTempDir('csv-');
    const csv = join(dir, 'facts.csv');
    writeFileSync(
      csv,
      [
        `\uFEFF${header}`,
        'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,',
        'qid,"162979388586171100",,,,,,2021-10-30T08:00:00+07:00,PCR,,',
        'cmnd,12345,,,,,,,,,',
        'cccd,001185012345,x,,,,,,,,',
        'cccd,001185012346,,,,,,2021-10-30 08:00,,,',
        'passport,C1234567,1,0,2021-10-01,2021-10-01,,,,f1,2021-11-05',
        '',
      ].join('\r\n'),
    );
    const cache = new FactsCache(join(dir, 'data'));
    cache.open();
    const report = await cache.importCsv(csv, hashKey, new Date('2021-10-31T00:00:00Z'));
    expect(report.imported).toBe(3);
    expect(report.problems.map((p) => p.line)).toEqual([4, 5, 6]);
    expect(report.problems[2]?.message).toMatch(/ISO-8601 with an offset/);
    expect(cache.lookup([{ type: 'qid', hash: key('qid', '162979388586171100') }])).toMatchObject({
      negativeTestType: 'pcr',
      negativeTestAt: '2021-10-30T01:00:00.000Z',
      source: 'import',
      updatedOn: '2021-10-31',
    });
    cache.close();
    const bytes = readFileSync(join(dir, 'data', 'cache.db'));
    for (const clear of ['079090001234', '162979388586171100', 'C1234567'])
      expect(bytes.includes(Buffer.from(clear))).toBe(false);
  });
  it('lets a later row for the same person win, as an upsert would', async () => {
    const dir = makeTempDir('csv-');
    const rows = [header];
    for (let d = 1; d <= 5; d++) rows.push(`cccd,079090001234,${d},,,,,,,none,`);
    writeFileSync(join(dir, 'f.csv'), rows.join('\n'));
    const cache = new FactsCache(join(dir, 'data'));
    cache.open();
    await cache.importCsv(join(dir, 'f.csv'), hashKey);
    expect(cache.lookup([{ type: 'cccd', hash: key('cccd', '079090001234') }])?.dosesReceived).toBe(5);
    expect(cache.status().identities).toBe(1);
    cache.close();
  });
  it('refuses a file without the header row', async () => {
    const dir = makeTempDir('csv-');
    writeFileSync(join(dir, 'f.csv'), 'cccd,079090001234,2\n');
    const cache = new FactsCache(join(dir, 'data'));
    cache.open();
    await expect(cache.importCsv(join(dir, 'f.csv'), hashKey)).rejects.toThrow(/header row lacks/);
    cache.close();
  });
});
