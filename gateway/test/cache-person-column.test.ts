/**
 * The kiosk's `qrkiosk cache import` with the hub's newer facts CSV (issue #18): a `person` column is
 * not read (the kiosk has no use for it, it never reaches the cache file, a malformed one costs no row), and a phone row imports
 * under the key reception's manual entry computes for that visitor.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { FactsCache, hashIdentity } from '../src/lookup/index.js';
import { checkManualEntry } from '../src/manual-entry.js';

const hashKey = randomBytes(32);
const header =
  'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until,person';

describe('cache import of a facts CSV with person keys and phone rows', () => {
  it('imports every good row, ignores the person key, and keys a phone as manual entry does', async () => {
    const dir = makeTempDir('csv-person-');
    const csv = join(dir, 'facts.csv');
    writeFileSync(
      csv,
      [
        header,
        'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
        'bhyt,DN4797912345678,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
        'phone,0912 345 678,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
        'cccd,001088000001,,,,,,,,f1,2021-11-05,',
        'cccd,001088000002,,,,,,,,none,,bad key',
      ].join('\n'),
    );
    const cache = new FactsCache(join(dir, 'data'));
    cache.open();
    const report = await cache.importCsv(csv, hashKey, new Date('2021-10-31T00:00:00Z'));
    // Not even a malformed person key costs the kiosk a row (the hub refuses that file itself).
    expect(report).toMatchObject({ imported: 5, skipped: 0, problems: [] });
    const visitor = checkManualEntry('Nguyễn Văn An', '+84 912 345 678', {
      hashKey,
      recent: () => false,
      maxInside: undefined,
      direction: 'in',
      occupancy: () => ({ inside: 0, scope: 'kiosk' as const }),
    });
    expect(cache.lookup([{ type: 'phone', hash: Buffer.from(visitor.idHash, 'hex') }])).toMatchObject({
      dosesReceived: 2,
      primarySeriesComplete: true,
    });
    expect(
      cache.lookup([{ type: 'cccd', hash: hashIdentity(hashKey, 'cccd', '001088000001') }]),
    ).toMatchObject({
      caseStatus: 'f1',
    });
    cache.close();
    const bytes = readFileSync(join(dir, 'data', 'cache.db'));
    for (const clear of ['HCM-000123', '0912345678', '079090001234'])
      expect(bytes.includes(Buffer.from(clear))).toBe(false);
  });
});
