/**
 * The facts import links a person's documents (issue #18): the built `qrkiosk-hub publish-cache` with a
 * `person` column records document → person links in the hub database (both engines, opened with
 * --database as the other commands do), audited; a person traced by their BHYT card then reaches the
 * visit made with their CCCD. A file without the column opens no database at all.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashIdentity, hashPersonKey } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, sampleCheckin } from '@qrkiosk/testkit';
import { beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const HEADER =
  'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until';
const keys = makeTempDir('hub-links-keys-');
const hashKeyFile = join(keys, 'identity.key');
const hashKey = randomBytes(32);
const h = (type: 'cccd' | 'bhyt' | 'phone', id: string) => hashIdentity(hashKey, type, id).toString('hex');

const publishCache = (csv: string, extra: string[]) =>
  spawnSync(
    process.execPath,
    [
      HUB_CLI,
      'publish-cache',
      '--csv',
      csv,
      '--key-file',
      hashKeyFile,
      '--signing-key',
      join(keys, 'signing/hub-signing.key'),
      '--no-publish',
      '--out',
      `${csv}.snapshot`,
      ...extra,
    ],
    { encoding: 'utf8' },
  );

beforeAll(() => {
  writeFileSync(hashKeyFile, hashKey.toString('hex'));
  expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(keys, 'signing')]).status).toBe(0);
});

describe.each(ENGINES)('publish-cache person links (%s)', (engine) => {
  it('links each person’s documents, once, audited; a trace by BHYT reaches the CCCD visit', async () => {
    const { database, dataDir } = await newDatabase(engine);
    const csv = join(dataDir, 'facts.csv');
    writeFileSync(
      csv,
      [
        `${HEADER},person`,
        'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
        'bhyt,DN4797912345678,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
        'phone,0912345678,,,,,,,,none,,HCM-000123',
        'cccd,001088000001,1,0,2021-07-01,2021-07-01,,,,none,,HCM-000999',
        'cccd,001088000002,,,,,,,,none,,',
      ].join('\n'),
    );
    const args = ['--database', database, '--data-dir', dataDir];
    const first = publishCache(csv, args);
    expect(first.stderr).toBe('');
    expect(first.status).toBe(0);
    expect(first.stdout).toContain('person links: 4 rows with a person key, 4 new links, 0 removed');
    const again = publishCache(csv, args);
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('person links: 4 rows with a person key, 0 new links, 0 removed');

    const store = await HubStore.open(database, dataDir);
    try {
      const cccd = h('cccd', '079090001234');
      const bhyt = h('bhyt', 'DN4797912345678');
      const phone = h('phone', '0912345678');
      const other = h('cccd', '001088000001');
      const found = await store.personHashes(bhyt);
      expect(found[0]).toBe(bhyt);
      expect(found.slice(1).sort()).toEqual([cccd, phone, hashPersonKey(hashKey, 'HCM-000123')].sort());
      const groups = await store.groupPeople([cccd, bhyt, phone, other]);
      expect(new Set([groups.get(cccd), groups.get(bhyt), groups.get(phone)]).size).toBe(1);
      expect(groups.get(other)).not.toBe(groups.get(cccd));

      // Visits made with any linked document: the CCCD check-in is found from the BHYT number.
      const visit = sampleCheckin({ at: '2021-10-30T01:00:00.000Z', document: { idHash: cccd } });
      await store.addCheckin(visit, new Date());
      const from = new Date('2021-10-29T00:00:00Z');
      const to = new Date('2021-10-31T00:00:00Z');
      const visits = (await Promise.all(found.map((x) => store.repo.visits(x, from, to)))).flat();
      expect(visits.map((v) => v.id)).toEqual([visit.id]);

      const audit = (await store.auditLog(10)).filter((a) => a.action === 'links-import');
      expect(audit.map((a) => JSON.parse(a.detail))).toEqual([
        { rows: 4, added: 0, removed: 0 },
        { rows: 4, added: 4, removed: 0 },
      ]);
    } finally {
      await store.close();
    }

    // The phone was keyed to the wrong person: corrected in the file, it leaves HCM-000123 and joins
    // HCM-000999. A scan link of the same document is not an import's to remove.
    const corrected = [
      `${HEADER},person`,
      'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
      'bhyt,DN4797912345678,2,1,2021-07-01,2021-08-01,,,,none,,HCM-000123',
      'phone,0912345678,,,,,,,,none,,HCM-000999',
      'cccd,001088000001,1,0,2021-07-01,2021-07-01,,,,none,,HCM-000999',
    ];
    const reopened = await HubStore.open(database, dataDir);
    const scanned = h('cccd', '001088000002');
    await reopened.repo.links.add([[h('phone', '0912345678'), scanned]], 'scan', new Date());
    await reopened.close();
    writeFileSync(csv, corrected.join('\n'));
    const third = publishCache(csv, args);
    expect(third.status).toBe(0);
    expect(third.stdout).toContain('person links: 4 rows with a person key, 1 new links, 1 removed');
    const after = await HubStore.open(database, dataDir);
    try {
      const phone = h('phone', '0912345678');
      expect((await after.personHashes(h('bhyt', 'DN4797912345678'))).sort()).toEqual(
        [
          h('bhyt', 'DN4797912345678'),
          hashPersonKey(hashKey, 'HCM-000123'),
          h('cccd', '079090001234'),
        ].sort(),
      );
      expect((await after.personHashes(phone)).sort()).toEqual(
        [phone, scanned, hashPersonKey(hashKey, 'HCM-000999'), h('cccd', '001088000001')].sort(),
      );
    } finally {
      await after.close();
    }
  });
});

describe('publish-cache without a person column', () => {
  it('opens no hub database; a malformed person key is a bad row and nothing is linked or written', async () => {
    const dataDir = makeTempDir('hub-links-');
    const csv = join(dataDir, 'facts.csv');
    writeFileSync(csv, [HEADER, 'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,'].join('\n'));
    expect(publishCache(csv, ['--data-dir', dataDir]).status).toBe(0);
    expect(existsSync(join(dataDir, 'hub.db'))).toBe(false);

    writeFileSync(
      csv,
      [`${HEADER},person`, 'cccd,079090001234,2,1,2021-07-01,2021-08-01,,,,none,,HCM 000123'].join('\n'),
    );
    const bad = publishCache(csv, ['--data-dir', dataDir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('facts.csv:2: person "HCM 000123" must be 1–64 of A–Z a–z 0–9 . _ -');
    expect(existsSync(join(dataDir, 'hub.db'))).toBe(false);
  });
});
