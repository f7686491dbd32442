/**
 * One person across documents (migration 15, storage/links.ts, person-links.ts) on both engines: links
 * stored both ways and counted once, the walk bounded at 3 hops and at its limit, people grouped by
 * their smallest hash, a scan's links written in the check-in's own transaction (a trigger the engine
 * runs makes the link insert fail: then the check-in is not kept either), retention, and the site
 * address kept when a register does not give it.
 */
import { type CheckinMessage, hashIdentity } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStore } from '../src/index.js';
import { ENGINES, type Engine, openStore } from './engines.js';

const KEY = Buffer.alloc(32, 7);
const h = (type: 'cccd' | 'cmnd' | 'bhyt' | 'bhxh' | 'qid' | 'phone', value: string) =>
  hashIdentity(KEY, type, value).toString('hex');
// A person node stands in for hashPersonKey here (protocol, tested there): any 32-hex hash.
const node = (n: number) => n.toString(16).padStart(32, 'f');

const CCCD = h('cccd', '079090001234');
const CMND = h('cmnd', '272345678');
const BHYT = h('bhyt', 'DN4797912345678');
const PERSON = node(1);
const FAR = h('phone', '0912345678');

/** A check-in whose scan carried `links` (the field H1 adds to the schema; read defensively here). */
const withLinks = (idHash: string, links: unknown, over: Partial<CheckinMessage> = {}) => {
  const c = sampleCheckin({ ...over, document: { idHash } });
  return { ...c, document: { ...c.document, links } } as CheckinMessage;
};

/** SQL run beside the hub on the same database: a second connection, as an operator would open one. */
async function sideSql(engine: Engine, database: string, sql: string): Promise<void> {
  if (engine === 'sqlite') {
    const db = new Database(database);
    try {
      db.exec(sql);
    } finally {
      db.close();
    }
    return;
  }
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

describe.each(ENGINES)('identity links (%s)', (engine) => {
  let store: HubStore;
  let database: string;
  beforeAll(async () => {
    ({ store, database } = await openStore(engine));
  });
  afterAll(() => store?.close());

  it('stores a link both ways, counts each new pair once, and leaves out what is not two hashes', async () => {
    const at = new Date('2026-11-20T01:00:00Z');
    const n = await store.repo.links.add(
      [
        [CCCD, CMND],
        [CMND, CCCD],
        [CCCD, PERSON],
        [BHYT, PERSON],
        [BHYT, BHYT],
        ['not-a-hash', CCCD],
        [CCCD.toUpperCase(), BHYT],
      ],
      'import',
      at,
    );
    expect(n).toBe(3);
    expect(await store.repo.links.add([[PERSON, CCCD]], 'import', at)).toBe(0);
    expect(await store.repo.links.neighbours([PERSON, 'a'.repeat(32)])).toEqual(
      [
        [PERSON, BHYT],
        [PERSON, CCCD],
      ].sort(),
    );
    expect(await store.repo.links.neighbours([])).toEqual([]);
  });

  it('finds a person’s hashes within 3 hops, the asked one first, and no further', async () => {
    // BHYT → person → CCCD → CMND is 3 hops; CMND → FAR would be the 4th.
    await store.repo.links.add([[CMND, FAR]], 'scan', new Date('2026-11-20T02:00:00Z'));
    const found = await store.personHashes(BHYT);
    expect(found[0]).toBe(BHYT);
    expect(found[1]).toBe(PERSON);
    expect(found.slice(2).sort()).toEqual([CCCD, CMND].sort());
    expect(found).not.toContain(FAR);
    expect(await store.personHashes(CMND)).toEqual(expect.arrayContaining([CMND, CCCD, FAR, PERSON, BHYT]));
    expect(await store.personHashes(BHYT, 2)).toEqual([BHYT, PERSON]);
    const alone = 'b'.repeat(32);
    expect(await store.personHashes(alone)).toEqual([alone]);
  });

  it('groups hashes by person, each under the smallest hash of its group', async () => {
    const other = 'c'.repeat(32);
    const groups = await store.groupPeople([BHYT, CMND, other, CCCD]);
    const smallest = [BHYT, PERSON, CCCD, CMND, FAR].sort()[0];
    expect(groups.get(BHYT)).toBe(smallest);
    expect(groups.get(CMND)).toBe(smallest);
    expect(groups.get(CCCD)).toBe(smallest);
    expect(groups.get(other)).toBe(other);
    expect([...groups.keys()]).toEqual([BHYT, CMND, other, CCCD]);
  });

  it('adds a scan’s links with its check-in, a redelivery too, and ignores a links field of another shape', async () => {
    const id = h('cccd', '001088000001');
    const former = h('cmnd', '012345678');
    const qid = h('qid', '1234567890');
    const c = withLinks(id, [former, id, 'XYZ', qid]);
    expect(await store.addCheckin(c, new Date())).toBe(true);
    expect(await store.repo.links.neighbours([id])).toEqual(
      [
        [id, former],
        [id, qid],
      ].sort(),
    );
    expect(await store.repo.links.neighbours([former])).toEqual([[former, id]]);
    // A kiosk before links, or a field of another shape: the check-in is stored, nothing linked.
    const plain = h('cccd', '001088000002');
    expect(await store.addCheckin(withLinks(plain, 'not-a-list'), new Date())).toBe(true);
    expect(await store.addCheckin(sampleCheckin({ document: { idHash: plain } }), new Date())).toBe(true);
    expect(await store.repo.links.neighbours([plain])).toEqual([]);
    // A redelivered duplicate whose first delivery's links are gone gets them back, and is still a duplicate.
    await sideSql(engine, database, `DELETE FROM identity_links WHERE a = '${id}' OR b = '${id}'`);
    expect(await store.addCheckin(c, new Date())).toBe(false);
    expect(await store.repo.links.neighbours([id])).toHaveLength(2);
  });

  it('keeps neither the check-in nor its links when the links cannot be written', async () => {
    const id = h('cccd', '001088000003');
    const other = h('bhxh', '0123456789');
    const trigger =
      engine === 'sqlite'
        ? `CREATE TRIGGER no_links BEFORE INSERT ON identity_links BEGIN SELECT RAISE(ABORT, 'links refused'); END;`
        : `CREATE FUNCTION no_links() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'links refused'; END $$;
           CREATE TRIGGER no_links BEFORE INSERT ON identity_links FOR EACH ROW EXECUTE FUNCTION no_links();`;
    await sideSql(engine, database, trigger);
    const before = await store.checkinCount();
    try {
      await expect(store.addCheckin(withLinks(id, [other]), new Date())).rejects.toThrow(/links refused/);
      expect(await store.checkinCount()).toBe(before);
      // A check-in without links is not touched by the trigger.
      expect(await store.addCheckin(sampleCheckin({ document: { idHash: id } }), new Date())).toBe(true);
    } finally {
      await sideSql(
        engine,
        database,
        engine === 'sqlite' ? 'DROP TRIGGER no_links' : 'DROP TRIGGER no_links ON identity_links',
      );
    }
    const again = withLinks(id, [other]);
    expect(await store.addCheckin(again, new Date())).toBe(true);
    expect(await store.repo.links.neighbours([other])).toEqual([[other, id]]);
  });

  it('stops at its bounds when one person key joins a hundred documents (a wrong import)', async () => {
    const hub = node(500);
    const docs = Array.from({ length: 100 }, (_, i) => node(1000 + i));
    expect(
      await store.repo.links.add(
        docs.map((d) => [d, hub] as const),
        'import',
        new Date(),
      ),
    ).toBe(100);
    const found = await store.personHashes(docs[0] as string);
    expect(found).toHaveLength(64);
    expect(found.slice(0, 2)).toEqual([docs[0], hub]);
    // Two given hashes: a budget of 128 hashes, enough to meet at the person node.
    const groups = await store.groupPeople([docs[0] as string, docs[99] as string]);
    expect(groups.get(docs[0] as string)).toBe(groups.get(docs[99] as string));
  });

  it('purges scan links with the check-ins and keeps imported ones', async () => {
    const old = new Date('2020-01-01T00:00:00Z');
    const [x, y, z] = [node(10), node(11), node(12)];
    await store.repo.links.add([[x, y]], 'scan', old);
    await store.repo.links.add([[x, z]], 'import', old);
    await store.purge(new Date('2021-01-01T00:00:00Z'));
    expect(await store.repo.links.neighbours([x])).toEqual([[x, z]]);
  });

  it('keeps a site’s address unless the register gives one; an empty one clears it', async () => {
    const site = { site: 's-addr', name: 'Chợ Bến Thành', district: '760', ward: '26743' };
    await store.registerSites([{ ...site, address: '36 Lê Lợi, Phường Bến Thành, Quận 1' }]);
    await store.registerSites([{ ...site, name: 'Chợ Bến Thành (mới)' }]);
    const one = async () => (await store.repo.sites()).find((s) => s.site === 's-addr');
    expect(await one()).toEqual({
      ...site,
      name: 'Chợ Bến Thành (mới)',
      address: '36 Lê Lợi, Phường Bến Thành, Quận 1',
    });
    await store.registerSites([{ ...site, address: '' }]);
    expect((await one())?.address).toBe('');
    await store.registerSites([{ site: 's-new', name: 'Mới', district: '760', ward: '1' }]);
    expect((await store.repo.sites()).find((s) => s.site === 's-new')?.address).toBe('');
  });
});
