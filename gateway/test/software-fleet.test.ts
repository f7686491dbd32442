/**
 * The daemon's half of a software update (gateway/src/software/fleet.ts) against a real HTTP server: it takes only
 * hub-signed announcements that name this kiosk, downloads the bundle for its CPU, refuses one whose release
 * signature or sha256 is wrong, tries again later when the download failed, and leaves one apply request per
 * bundle. Bundles are made by the release's own code and signed by openssl (integration/release-bundles.ts).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { KeyRing, signSoftwareAnnouncement } from '@qrkiosk/protocol';
import { makeTempDir, waitFor } from '@qrkiosk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from '../../integration/release-bundles.js';
import { createLogger } from '../src/log.js';
import { updateTelemetry } from '../src/software/daemon.js';
import { loadReleaseKeys, requestFile, SoftwareFleet, sha256Hex, spoolDir } from '../src/software/index.js';

const ARCH = process.arch;
const hub = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
let server: Server;
let base: string;
let files: Map<string, Buffer>;
let failNext = 0;
/** While set, the server answers nothing until it is called (a slow hub link, held open by the test). */
let hold: Promise<void> | null = null;
/** While set, the bundle is sent half, then the rest only once this file exists (the kiosk's partial download). */
let halfUntil: string | null = null;
let bundle: { tarball: string; sig: string; name: string };
let release: { key: string; pub: string };

beforeAll(async () => {
  const dir = makeTempDir('sw-fleet-');
  release = opensslKey(dir);
  // ~1 MB of incompressible bytes: more than one chunk on the wire.
  bundle = buildBundle({
    out: dir,
    version: '7.0.0',
    key: release.key,
    fill: (d) => writeFileSync(join(d, 'blob'), randomBytes(1 << 20)),
  });
  files = new Map([
    [`/releases/${bundle.name}`, readFileSync(bundle.tarball)],
    [`/releases/${bundle.name}.sig`, readFileSync(bundle.sig)],
  ]);
  server = createServer(async (req, res) => {
    const body = files.get(req.url ?? '');
    if (hold) await hold;
    if (body && halfUntil && !req.url?.endsWith('.sig')) {
      const part = halfUntil;
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1));
      await waitFor(
        () => (existsSync(part) && statSync(part).size > 0 ? true : undefined),
        10_000,
        'the partial download on disk',
      );
      res.end(body.subarray(body.length >> 1));
      return;
    }
    if (failNext > 0) {
      failNext--;
      res.writeHead(503).end();
    } else if (body) res.writeHead(200).end(body);
    else res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const announce = (
  over: {
    sha256?: string;
    sites?: string[];
    kiosks?: string[];
    signer?: typeof hub;
    rollout?: string;
    arch?: string;
  } = {},
) =>
  Buffer.from(
    signSoftwareAnnouncement(
      {
        rollout: over.rollout ?? 'r-test',
        version: '7.0.0',
        bundles: {
          [over.arch ?? ARCH]: {
            url: `${base}/releases/${bundle.name}`,
            sha256: over.sha256 ?? sha256Hex(readFileSync(bundle.tarball)),
          },
        },
        targets: { all: false, kiosks: over.kiosks ?? ['k-001'], sites: over.sites ?? [] },
        createdAt: new Date().toISOString(),
      },
      over.signer ?? hub,
    ),
  );

function fleet(dataDir: string) {
  return new SoftwareFleet({
    kiosk: { id: 'k-001', site: 's-001' },
    dataDir,
    hubKeys: ring,
    releaseKeys: loadReleaseKeys([release.pub]),
    applyCommand: [],
    log: createLogger('silent'),
    retryMs: 200,
  });
}

describe('SoftwareFleet (fleet/software on the kiosk)', () => {
  it('ignores what is not for it or not the hub’s, refuses a wrong sha256, and requests a good bundle', async () => {
    const dataDir = makeTempDir('sw-fleet-data-');
    const f = fleet(dataDir);
    await f.receive(announce({ kiosks: ['k-002'], sites: ['s-002'] }));
    await f.receive(announce({ signer: generateKeyPairSync('ed25519') }));
    expect(existsSync(requestFile(dataDir))).toBe(false);
    await f.receive(announce({ sha256: 'f'.repeat(64) }));
    expect(f.lastFailure()).toMatchObject({ version: '7.0.0', detail: expect.stringMatching(/^sha256:/) });
    await f.receive(announce({ sites: ['s-001'], kiosks: [] }));
    f.stop();
    expect(f.lastFailure()).toBeNull();
    const request = JSON.parse(readFileSync(requestFile(dataDir), 'utf8'));
    expect(request).toMatchObject({ rollout: 'r-test', version: '7.0.0' });
    expect(readFileSync(request.bundle).equals(readFileSync(bundle.tarball))).toBe(true);
  });

  it('tries again by itself after a failed download', async () => {
    const dataDir = makeTempDir('sw-fleet-data-');
    const f = fleet(dataDir);
    failNext = 2;
    await f.receive(announce());
    expect(f.lastFailure()?.detail).toMatch(/^download: .* HTTP 503/);
    await waitFor(
      () => (existsSync(requestFile(dataDir)) ? true : undefined),
      10_000,
      'request after the retry',
    );
    f.stop();
    expect(f.lastFailure()).toBeNull();
  });

  it('leaves no request for a release withdrawn while it downloaded, nor retries it later', async () => {
    for (const outcome of ['fails', 'succeeds'] as const) {
      const dataDir = makeTempDir('sw-fleet-data-');
      const f = fleet(dataDir);
      let release!: () => void;
      hold = new Promise<void>((r) => {
        release = r;
      });
      failNext = outcome === 'fails' ? 2 : 0;
      const first = f.receive(announce());
      await f.receive(Buffer.alloc(0)); // the hub paused the rollout: retained announcement cleared
      hold = null;
      release();
      await first;
      // Several retry periods (retryMs 200): a retry of the withdrawn release would have written the request.
      await sleep(1000);
      f.stop();
      expect(existsSync(requestFile(dataDir)), outcome).toBe(false);
    }
  });

  it('takes the newest announcement that came while it was busy, and a new rollout of the same bundle', async () => {
    const dataDir = makeTempDir('sw-fleet-data-');
    const f = fleet(dataDir);
    let release!: () => void;
    hold = new Promise<void>((r) => {
      release = r;
    });
    const first = f.receive(announce({ rollout: 'r-a' }));
    await f.receive(announce({ rollout: 'r-b' }));
    hold = null;
    release();
    await first;
    await waitFor(
      () => (existsSync(requestFile(dataDir)) ? true : undefined),
      10_000,
      'the request for the newer announcement',
    );
    expect(JSON.parse(readFileSync(requestFile(dataDir), 'utf8')).rollout).toBe('r-b');
    // The same bytes again in a rollout started anew (after a halt): asked for again.
    await f.receive(announce({ rollout: 'r-c' }));
    f.stop();
    expect(JSON.parse(readFileSync(requestFile(dataDir), 'utf8')).rollout).toBe('r-c');
  });

  it('says in telemetry when the release has no bundle for its CPU', async () => {
    const dataDir = makeTempDir('sw-fleet-data-');
    const f = fleet(dataDir);
    await f.receive(announce({ rollout: 'r-cpu', arch: ARCH === 'arm64' ? 'x64' : 'arm64' }));
    f.stop();
    expect(updateTelemetry(makeTempDir('sw-root-'), f.lastFailure())).toMatchObject({
      state: 'no-bundle',
      version: '7.0.0',
      rollout: 'r-cpu',
      detail: expect.stringContaining(`linux-${ARCH}`),
    });
  });

  it('writes the bundle to disk as it arrives instead of holding it whole in memory', async () => {
    const dataDir = makeTempDir('sw-fleet-data-');
    const f = fleet(dataDir);
    // The server sends the second half only once the first is on the kiosk's disk.
    halfUntil = join(spoolDir(dataDir), 'bundle.tar.gz.part');
    try {
      await f.receive(announce());
    } finally {
      halfUntil = null;
      f.stop();
    }
    expect(f.lastFailure()).toBeNull();
    const request = JSON.parse(readFileSync(requestFile(dataDir), 'utf8'));
    expect(readFileSync(request.bundle).equals(readFileSync(bundle.tarball))).toBe(true);
    expect(existsSync(halfUntil ?? `${request.bundle}.part`)).toBe(false);
  });
});
