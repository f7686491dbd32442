/**
 * The pass list's publishing (issue #20, review finding 3) through a real Mosquitto, on both engines: publishes
 * that overlap — in one process, from two processes (two connections to one database), with one clock second —
 * sign distinct versions, and every list a kiosk receives verifies (protocol's verifyPassList, as a kiosk reads
 * it); the daemon's publisher serialises and coalesces requests; the daemon publishes at start and its
 * freshness statement names the pass list's version.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  type FreshnessStatement,
  fleetTopic,
  KeyRing,
  keyId,
  verifyFreshness,
  verifyPassList,
} from '@qrkiosk/protocol';
import { type RunningMosquitto, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Hub, HubStore } from '../src/index.js';
import { PassListPublisher } from '../src/passes/publisher.js';
import { publishFleet } from '../src/publish.js';
import { recordPublished } from '../src/published-versions.js';
import { brokerRetained } from '../src/retained-versions.js';
import { issuePass, publishPassList } from '../src/use-cases/passes.js';
import { ENGINES, openStore } from './engines.js';

const signing = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(signing.publicKey);
const SITE = { site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' };
// Every publish in one clock second: without reserved versions they would all sign one version.
const NOW = new Date('2026-11-27T03:00:00.000Z');
const silent = pino({ level: 'silent' });

let broker: RunningMosquitto;
beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(() => broker?.stop());

/** A kiosk's view of fleet/passes: every list received, verified. */
async function kiosk(): Promise<{ client: MqttClient; versions: number[]; counts: number[] }> {
  const client = await connectAsync(broker.url);
  // The previous test's list is retained (one broker for the file): cleared, so only this test's count.
  await client.publishAsync(fleetTopic('passes'), Buffer.alloc(0), { qos: 1, retain: true });
  const seen = { client, versions: [] as number[], counts: [] as number[] };
  client.on('message', (topic, payload) => {
    if (topic !== fleetTopic('passes') || payload.length === 0) return;
    const list = verifyPassList(payload, ring);
    seen.versions.push(list.header.version);
    seen.counts.push(list.header.count);
  });
  await client.subscribeAsync(fleetTopic('passes'), { qos: 1 });
  return seen;
}

const issue = (store: HubStore, n: number) =>
  issuePass(
    { store, signing, now: () => NOW },
    {
      idHash: n.toString(16).padStart(32, '0'),
      nameMasked: `N*** ${n}`,
      scope: { kind: 'site', id: 's-001' },
      issuedBy: 'test',
    },
  );

describe.each(ENGINES)('pass list publishing (%s)', (engine) => {
  it('overlapping publishes from two processes sign distinct versions, each list verified', async () => {
    const { store, database, dataDir } = await openStore(engine);
    const other = await HubStore.open(database, dataDir);
    const seen = await kiosk();
    try {
      await store.registerSites([SITE]);
      await issue(store, 1);
      const send = (file: Buffer) => publishFleet({ url: broker.url }, [{ kind: 'passes', payload: file }]);
      // The review's failing case: overlapping publishes with one clock, here 6 at once over two connections.
      const results = await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          publishPassList({ store: i % 2 ? other : store, signing, now: () => NOW, send }),
        ),
      );
      const versions = results.map((r) => r.version);
      expect(new Set(versions).size).toBe(6);
      expect(Math.min(...versions)).toBe(NOW.getTime() / 1000);
      await waitFor(() => (seen.versions.length >= 6 ? true : undefined), 10_000, 'six lists');
      expect(new Set(seen.versions).size).toBe(seen.versions.length);
      expect(await store.repo.passes.publishedListVersion()).toBe(Math.max(...versions));
    } finally {
      await seen.client.endAsync();
      await other.close();
      await store.close();
    }
  });

  it('the publisher runs one at a time and serves requests made meanwhile with one later list', async () => {
    const { store } = await openStore(engine);
    const seen = await kiosk();
    try {
      await store.registerSites([SITE]);
      await issue(store, 1);
      let release: () => void = () => undefined;
      const gate = new Promise<void>((r) => {
        release = r;
      });
      let sends = 0;
      const publisher = new PassListPublisher({
        deps: { store, signing, now: () => NOW },
        send: async (file) => {
          sends++;
          // The first send waits until the requests below were made.
          if (sends === 1) await gate;
          await publishFleet({ url: broker.url }, [{ kind: 'passes', payload: file }]);
        },
        everyMs: 0,
        log: silent,
      });
      const first = publisher.request();
      await waitFor(() => (sends === 1 ? true : undefined), 5000, 'first send');
      // Issued while the first list is on its way: the next list must carry it.
      await issue(store, 2);
      const later = [publisher.request(), publisher.request(), publisher.request()];
      release();
      const [a, ...rest] = await Promise.all([first, ...later]);
      expect(a?.count).toBe(1);
      expect(new Set(rest.map((r) => r.version)).size).toBe(1);
      expect(rest[0]?.count).toBe(2);
      expect(rest[0]?.version).toBeGreaterThan(a?.version ?? 0);
      expect(sends).toBe(2);
      await waitFor(() => (seen.versions.length >= 2 ? true : undefined), 10_000, 'two lists');
      expect(seen.counts.slice(-2)).toEqual([1, 2]);
      await publisher.stop();
    } finally {
      await seen.client.endAsync();
      await store.close();
    }
  });

  it('the periodic check sends a list only when it changed or the broker lost it', async () => {
    const { store } = await openStore(engine);
    const seen = await kiosk();
    try {
      await store.registerSites([SITE]);
      const first = await issue(store, 1);
      const login = { url: broker.url };
      const publisher = new PassListPublisher({
        deps: { store, signing, now: () => NOW },
        send: (file) => publishFleet(login, [{ kind: 'passes', payload: file }]),
        retained: brokerRetained(login),
        everyMs: 0,
        log: silent,
      });
      const sent = await publisher.refresh();
      expect(sent?.count).toBe(1);
      // Nothing changed and the broker retains it: nothing sent (the freshness statement confirms it).
      expect(await publisher.refresh()).toBeNull();
      // A revoke changes the list.
      await store.repo.passes.revoke(first.passId, NOW, 'test', 'lost');
      const revoked = await publisher.refresh();
      expect(revoked?.revoked).toBe(1);
      expect(await publisher.refresh()).toBeNull();
      // The retained copy lost (a broker restarted without persistence): sent again, a new version.
      await seen.client.publishAsync(fleetTopic('passes'), Buffer.alloc(0), { qos: 1, retain: true });
      const healed = await publisher.refresh();
      expect(healed?.version).toBeGreaterThan(revoked?.version ?? 0);
      await waitFor(() => (seen.versions.length >= 3 ? true : undefined), 10_000, 'three lists');
      expect(seen.versions).toEqual([sent?.version, revoked?.version, healed?.version]);
    } finally {
      await seen.client.endAsync();
      await store.close();
    }
  });

  it('two hub processes on one database: their periodic checks send nothing while nothing changes (review 2 finding 3)', async () => {
    const { store, database, dataDir } = await openStore(engine);
    const other = await HubStore.open(database, dataDir);
    const seen = await kiosk();
    try {
      await store.registerSites([SITE]);
      await issue(store, 1);
      const login = { url: broker.url };
      const make = (s: HubStore) =>
        new PassListPublisher({
          deps: { store: s, signing, now: () => NOW },
          send: (file) => publishFleet(login, [{ kind: 'passes', payload: file }]),
          retained: brokerRetained(login),
          everyMs: 0,
          retryMs: 0,
          log: silent,
        });
      const [a, b] = [make(store), make(other)];
      const first = await a.refresh();
      expect(first?.count).toBe(1);
      // The review's run: four rounds of A then B gave eight lists. Now none: B reads A's list in the database.
      const rounds: Array<unknown> = [];
      for (let i = 0; i < 4; i++) rounds.push(await b.refresh(), await a.refresh());
      expect(rounds).toEqual(Array(8).fill(null));
      // A change made through B's process: one of them sends it once, then both are quiet again.
      await issue(other, 2);
      const changed = await a.refresh();
      expect(changed?.count).toBe(2);
      expect(await b.refresh()).toBeNull();
      expect(await a.refresh()).toBeNull();
      await waitFor(() => (seen.versions.length >= 2 ? true : undefined), 10_000, 'two lists');
      expect(seen.versions).toEqual([first?.version, changed?.version]);
      expect(await store.repo.passes.publishedList()).toMatchObject({
        version: changed?.version,
        digest: changed?.digest,
      });
    } finally {
      await seen.client.endAsync();
      await other.close();
      await store.close();
    }
  });

  it('a hub restarted with a rotated key re-signs an unchanged list (review 3 finding 1)', async () => {
    const { store, database, dataDir } = await openStore(engine);
    const restarted = await HubStore.open(database, dataDir);
    const login = { url: broker.url };
    const clear = await connectAsync(broker.url);
    try {
      await clear.publishAsync(fleetTopic('passes'), Buffer.alloc(0), { qos: 1, retain: true });
      await store.registerSites([SITE]);
      await issue(store, 1);
      const rotated = generateKeyPairSync('ed25519');
      const make = (s: HubStore, key: typeof signing) =>
        new PassListPublisher({
          deps: { store: s, signing: key, now: () => NOW },
          send: (file) => publishFleet(login, [{ kind: 'passes', payload: file }]),
          retained: brokerRetained(login),
          everyMs: 0,
          retryMs: 0,
          log: silent,
        });
      const before = await make(store, signing).refresh();
      expect(before?.count).toBe(1);
      // Rotation step 4: the same database, the new key. Nothing in the list changed but its signer.
      const after = await make(restarted, rotated).refresh();
      expect(after?.version).toBeGreaterThan(before?.version ?? 0);
      // A kiosk that trusts only the new key (rotation step 5) reads the retained list.
      const onlyNew = new KeyRing();
      onlyNew.add(rotated.publicKey);
      const retained = (await brokerRetained(login)(['passes'])).passes;
      expect(verifyPassList(retained as Buffer, onlyNew).header).toMatchObject({
        version: after?.version,
        keyId: keyId(rotated.publicKey),
        count: 1,
      });
      // And the new key's hub is quiet again while nothing changes.
      expect(await make(restarted, rotated).refresh()).toBeNull();
    } finally {
      await clear.endAsync();
      await restarted.close();
      await store.close();
    }
  });

  it('a publish that failed is asked again by itself (review 2 finding 5)', async () => {
    const { store } = await openStore(engine);
    const seen = await kiosk();
    try {
      await store.registerSites([SITE]);
      await issue(store, 1);
      let down = true;
      let tries = 0;
      const publisher = new PassListPublisher({
        deps: { store, signing, now: () => NOW },
        send: async (file) => {
          tries++;
          // The broker is down for the first try only (a blip at revoke time).
          if (down) {
            down = false;
            throw new Error('connect ECONNREFUSED');
          }
          await publishFleet({ url: broker.url }, [{ kind: 'passes', payload: file }]);
        },
        everyMs: 0,
        retryMs: 50,
        log: silent,
      });
      await expect(publisher.request()).rejects.toThrow(/ECONNREFUSED/);
      // Nobody asks again: the publisher's own retry sends it.
      await waitFor(() => (seen.versions.length >= 1 ? true : undefined), 10_000, 'the retried list');
      expect(tries).toBe(2);
      expect(seen.counts).toEqual([1]);
      await publisher.stop();
    } finally {
      await seen.client.endAsync();
      await store.close();
    }
  });
});

describe('the hub daemon and the pass list', () => {
  it('publishes it at start with its province, and the freshness statement names its version', async () => {
    const { store, database, dataDir } = await openStore('sqlite');
    await store.registerSites([SITE]);
    await issue(store, 7);
    await store.close();
    // The state folder names the rules (a daemon whose folder is empty states nothing at all).
    recordPublished(`${dataDir}/fleet`, 'rules', 'r-2026-11-27');
    const statements: FreshnessStatement[] = [];
    // The daemon's lists (the broker still retains the engines' tests' last one, with no province).
    const lists: number[] = [];
    let areas: Record<string, unknown> = {};
    const watcher = await connectAsync(broker.url);
    watcher.on('message', (topic, payload) => {
      if (payload.length === 0) return;
      if (topic === fleetTopic('fresh')) statements.push(verifyFreshness(payload, ring));
      if (topic === fleetTopic('passes')) {
        const list = verifyPassList(payload, ring);
        if (list.header.province !== '79') return;
        lists.push(list.header.version);
        areas = list.header.areas;
      }
    });
    await watcher.subscribeAsync([fleetTopic('fresh'), fleetTopic('passes')], { qos: 1 });
    const daemon = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: silent,
      freshness: { stateDir: `${dataDir}/fleet`, everyMs: 60_000, signing },
      passes: { province: '79', validDays: 30 },
    });
    try {
      await daemon.start();
      const version = await waitFor(() => lists.at(-1), 10_000, 'the pass list');
      const stated = await waitFor(
        () => statements.find((s) => s.passes?.version === version),
        10_000,
        'a statement naming the pass list',
      );
      expect(stated).toMatchObject({ rules: { version: 'r-2026-11-27' }, passes: { version } });
      // A site registered later: its area goes out without waiting for an issue (review finding 6).
      await daemon.store?.registerSites([{ ...SITE, site: 'S-NEW-02', name: 'Chợ mới' }]);
      const next = await waitFor(() => (lists.length >= 2 ? lists.at(-1) : undefined), 10_000, 'republished');
      expect(next).toBeGreaterThan(version);
      expect(areas['S-NEW-02']).toEqual({ ward: 'w-09556', district: 'd-268' });
      expect((await daemon.passes?.request())?.count).toBe(1);
    } finally {
      await watcher.endAsync();
      await daemon.stop();
    }
  });
});
