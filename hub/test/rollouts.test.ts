/**
 * Releases and the rollout engine on both storage engines: `release add` against openssl-signed bundles, the
 * stage-by-stage announcements (checked with the kiosk's own verifier, protocol's verifySoftwareAnnouncement),
 * advance on healthy telemetry, halt on a roll-back, compare-and-set between two writers. The engine's publish is
 * its injected seam: here it keeps the payloads (the e2e test, integration/software-rollout.test.ts, publishes
 * through a real Mosquitto to real kiosks).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  KeyRing,
  TELEMETRY_SCHEMA_ID,
  type TelemetryMessage,
  verifySoftwareAnnouncement,
} from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from '../../integration/release-bundles.js';
import { generateSigningKey, type HubStore, RolloutEngine, Rollouts, readSigningKey } from '../src/index.js';
import { UpdatesError } from '../src/updates/errors.js';
import { addRelease, readReleaseKeys } from '../src/updates/releases.js';
import { ENGINES, openStore } from './engines.js';

let dir: string;
let release: { key: string; pub: string };
let bundles: Record<string, { tarball: string; sig: string }>;
const hubKey = () => readSigningKey(generateSigningKey(makeTempDir('hub-key-')).privateFile);

beforeAll(() => {
  dir = makeTempDir('rollouts-');
  release = opensslKey(dir);
  const out = join(dir, 'bundles');
  mkdirSync(out);
  const fill = (d: string) => mkdirSync(join(d, 'bin'));
  bundles = {
    '1.1.0': buildBundle({ out, version: '1.1.0', key: release.key, fill, arch: 'arm64' }),
    '1.2.0': buildBundle({ out, version: '1.2.0', key: release.key, fill, arch: 'arm64' }),
    forged: buildBundle({ out: join(dir, 'f'), version: '1.3.0', key: opensslKey(dir, 'other').key, fill }),
  };
});

function telemetry(kiosk: string, site: string, software: string, update?: TelemetryMessage['update']) {
  const t: TelemetryMessage = {
    schema: TELEMETRY_SCHEMA_ID,
    kiosk,
    site,
    at: new Date().toISOString(),
    software,
    uptimeSeconds: 1,
    clockSynced: true,
    scannerConnected: true,
    outboxDepth: 0,
    cache: { version: 0, updatedAt: null, ageSeconds: null },
    rules: { version: 'r', source: 'builtin' },
    ...(update ? { update } : {}),
  };
  return t;
}

describe.each(ENGINES)('releases and rollouts on %s', (engine) => {
  let store: HubStore;
  let dataDir: string;
  beforeAll(async () => {
    ({ store, dataDir } = await openStore(engine));
    await store.registerSites([
      { site: 's-2', name: 'Trạm 2', district: '760', ward: '1' },
      { site: 's-3', name: 'Trạm 3', district: '761', ward: '2' },
    ]);
  });
  afterAll(() => store?.close());

  it('takes a bundle only when the release key signed it, and records version, arch and sha256', async () => {
    const keys = readReleaseKeys([release.pub]);
    const add = (b: { tarball: string }) =>
      addRelease(store, { bundle: b.tarball, keys, dataDir, actor: 'test' });
    await expect(add(bundles.forged as { tarball: string })).rejects.toMatchObject({ code: 'signature' });
    const row = await add(bundles['1.1.0'] as { tarball: string });
    expect(row).toMatchObject({ file: 'qrkiosk-1.1.0-linux-arm64.tar.gz', version: '1.1.0', arch: 'arm64' });
    expect(row.sha256).toMatch(/^[0-9a-f]{64}$/);
    await add(bundles['1.1.0'] as { tarball: string }); // the same bytes again: no second row
    await add(bundles['1.2.0'] as { tarball: string });
    expect((await store.repo.releases.list()).map((r) => r.version).sort()).toEqual(['1.1.0', '1.2.0']);
  });

  it('publishes the canary, widens to the next stage once it is healthy, and finishes', async () => {
    const signing = hubKey();
    const ring = new KeyRing();
    ring.add(signing.publicKey);
    const published: string[] = [];
    const rollouts = new Rollouts(store);
    const engineOf = () =>
      new RolloutEngine(store, rollouts, {
        publish: async (p) => {
          published.push(p);
        },
        signing,
        baseUrl: 'https://hub.example.vn/',
        onError: (err) => {
          throw err;
        },
      });
    const engine = engineOf();
    await expect(rollouts.start({ version: '9.9.9', canary: ['k-1'] }, 'admin')).rejects.toMatchObject({
      code: 'no-release',
    });
    await expect(
      rollouts.start({ version: '1.1.0', canary: ['k-1'], after: ['region:north'] }, 'admin'),
    ).rejects.toMatchObject({ code: 'stage', text: { vi: expect.stringContaining('không hiểu') } });
    const r = await rollouts.start({ version: '1.1.0', canary: ['k-1'], after: ['district:760'] }, 'admin');
    await expect(rollouts.start({ version: '1.2.0', canary: ['k-1'] }, 'admin')).rejects.toMatchObject({
      code: 'active',
      status: 409,
    });
    await store.setKioskTelemetry(telemetry('k-1', 's-1', '1.0.0'), new Date());
    await store.setKioskTelemetry(telemetry('k-2', 's-2', '1.0.0'), new Date());
    await store.setKioskTelemetry(telemetry('k-3', 's-3', '1.0.0'), new Date());

    await engine.tick();
    const first = verifySoftwareAnnouncement(published.at(-1) as string, ring);
    expect(first).toMatchObject({
      rollout: r.id,
      version: '1.1.0',
      targets: { all: false, kiosks: ['k-1'], sites: [] },
      bundles: { arm64: { url: 'https://hub.example.vn/releases/qrkiosk-1.1.0-linux-arm64.tar.gz' } },
    });
    // Installed but still being checked: not yet healthy, nothing moves.
    await store.setKioskTelemetry(
      telemetry('k-1', 's-1', '1.1.0', { state: 'checking', version: '1.1.0', previous: '1.0.0' }),
      new Date(),
    );
    await engine.tick();
    expect(published).toHaveLength(1);
    await store.setKioskTelemetry(
      telemetry('k-1', 's-1', '1.1.0', { state: 'healthy', version: '1.1.0', previous: '1.0.0' }),
      new Date(),
    );
    await engine.tick(); // canary done
    await engine.tick(); // district 760 (site s-2) published
    expect(verifySoftwareAnnouncement(published.at(-1) as string, ring).targets).toEqual({
      all: false,
      kiosks: ['k-1'],
      sites: ['s-2'],
    });
    const [view] = (await rollouts.list()).filter((v) => v.id === r.id);
    expect(view?.stages.map((s) => [s.name, s.progress.members, s.progress.healthy])).toEqual([
      ['canary', ['k-1'], ['k-1']],
      ['district:760', ['k-2'], []],
    ]);
    await store.setKioskTelemetry(telemetry('k-2', 's-2', '1.1.0'), new Date());
    await engine.tick();
    expect((await rollouts.one(r.id)).state).toBe('done');
    const audit = (await store.repo.auditLog(20)).map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['rollout-start', 'rollout-stage-done', 'rollout-done']));
  });

  it('halts at the first roll-back and clears the announcement; a stale writer loses the compare-and-set', async () => {
    const published: string[] = [];
    const rollouts = new Rollouts(store);
    const engine = new RolloutEngine(store, rollouts, {
      publish: async (p) => {
        published.push(p);
      },
      signing: hubKey(),
      baseUrl: 'http://127.0.0.1:8090',
      onError: (err) => {
        throw err;
      },
    });
    const r = await rollouts.start(
      { version: '1.2.0', canary: ['k-1'], after: ['all'], minHealthy: 1 },
      'admin',
    );
    await engine.tick();
    expect(published).toHaveLength(1);
    const stale = await rollouts.one(r.id);
    await store.setKioskTelemetry(
      telemetry('k-1', 's-1', '1.1.0', {
        state: 'rolled-back',
        version: '1.2.0',
        previous: '1.1.0',
        detail: 'restart: daemon exited with code 1 before READY',
      }),
      new Date(),
    );
    await engine.tick();
    const halted = await rollouts.one(r.id);
    expect(halted.state).toBe('halted');
    expect(halted.detail).toBe(
      'k-1 rolled back 1.2.0: rolled-back: restart: daemon exited with code 1 before READY',
    );
    expect(published.at(-1)).toBe('');
    await expect(rollouts.set(stale, { state: 'running' })).rejects.toBeInstanceOf(UpdatesError);
    await expect(rollouts.pause(r.id, 'admin')).rejects.toMatchObject({ code: 'state', status: 409 });
    // Resumed: the failure is accepted (k-1 stays on 1.1.0 and no longer holds the canary back), the rollout
    // goes on to its next stage.
    await rollouts.resume(r.id, 'admin');
    await engine.tick();
    const resumed = await rollouts.one(r.id);
    expect(resumed.state).toBe('running');
    expect(JSON.parse(resumed.stages)[0].accepted).toEqual(['k-1']);
    await engine.tick();
    expect(published.at(-1)).not.toBe('');
    expect((await rollouts.one(r.id)).stage).toBe(1);
  });

  it('a new rollout of a version is not halted by an old rollout’s roll-back; the last stage needs every kiosk; a kiosk without a bundle for its CPU is named', async () => {
    const published: string[] = [];
    const rollouts = new Rollouts(store);
    const engine = new RolloutEngine(store, rollouts, {
      publish: async (p) => {
        published.push(p);
      },
      signing: hubKey(),
      baseUrl: 'http://127.0.0.1:8090',
      onError: (err) => {
        throw err;
      },
    });
    // The rollout left running by the test before gives the topic up.
    for (const r of await store.repo.releases.rollouts())
      if (r.state === 'running') await rollouts.set(r, { state: 'cancelled' });
    const old = (await store.repo.releases.rollouts()).find((r) => r.version === '1.2.0') as { id: string };
    await store.setKioskTelemetry(
      telemetry('k-1', 's-1', '1.1.0', {
        state: 'rolled-back',
        version: '1.2.0',
        previous: '1.1.0',
        rollout: old.id,
        detail: 'restart: exit 1',
      }),
      new Date(),
    );
    const r = await rollouts.start(
      { version: '1.2.0', canary: ['k-1'], after: ['all'], minHealthy: 1 },
      'admin',
    );
    await engine.tick();
    expect((await rollouts.one(r.id)).state).toBe('running');
    await store.setKioskTelemetry(
      telemetry('k-1', 's-1', '1.2.0', {
        state: 'healthy',
        version: '1.2.0',
        previous: '1.1.0',
        rollout: r.id,
      }),
      new Date(),
    );
    await engine.tick(); // canary done
    await engine.tick(); // "all" published
    expect((await rollouts.one(r.id)).stage).toBe(1);
    await store.setKioskTelemetry(telemetry('k-2', 's-2', '1.2.0'), new Date());
    await engine.tick();
    // Two of three healthy ≥ minHealthy 1, but the last stage is done only with every kiosk: still watched.
    expect((await rollouts.one(r.id)).state).toBe('running');
    await store.setKioskTelemetry(
      telemetry('k-3', 's-3', '1.1.0', {
        state: 'no-bundle',
        version: '1.2.0',
        rollout: r.id,
        detail: 'no-bundle: the release has no bundle for linux-x64',
      }),
      new Date(),
    );
    await engine.tick();
    const done = await rollouts.one(r.id);
    expect(done.state).toBe('done');
    expect(done.detail).toContain('k-3');
    const [view] = (await rollouts.list()).filter((v) => v.id === r.id);
    expect(view?.stages[1]?.progress).toMatchObject({
      healthy: ['k-1', 'k-2'],
      unsupported: [{ kiosk: 'k-3' }],
      need: 2,
    });
  });

  it('takes no release whose version is longer than 32 characters', async () => {
    const long = `1.4.0-${'a'.repeat(27)}`;
    const b = buildBundle({
      out: makeTempDir('long-'),
      version: long,
      key: release.key,
      fill: (d) => mkdirSync(join(d, 'bin')),
      arch: 'arm64',
    });
    await expect(
      addRelease(store, { bundle: b.tarball, keys: readReleaseKeys([release.pub]), dataDir, actor: 'test' }),
    ).rejects.toMatchObject({ code: 'bundle-name' });
    await expect(
      new Rollouts(store).start({ version: long, canary: ['k-1'] }, 'admin'),
    ).rejects.toMatchObject({ code: 'version', text: { vi: expect.stringContaining('32') } });
  });
});
