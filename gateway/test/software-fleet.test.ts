/**
 * The daemon's half of a software update (gateway/src/software/fleet.ts) against a real HTTP server: it takes only
 * hub-signed announcements that name this kiosk, downloads the bundle for its CPU, refuses one whose release
 * signature or sha256 is wrong, tries again later when the download failed, and leaves one apply request per
 * bundle. Bundles are made by the release's own code and signed by openssl (integration/release-bundles.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KeyRing, signSoftwareAnnouncement } from '@qrkiosk/protocol';
import { makeTempDir, waitFor } from '@qrkiosk/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from '../../integration/release-bundles.js';
import { createLogger } from '../src/log.js';
import { loadReleaseKeys, requestFile, SoftwareFleet, sha256Hex } from '../src/software/index.js';

const ARCH = process.arch;
const hub = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
let server: Server;
let base: string;
let files: Map<string, Buffer>;
let failNext = 0;
let bundle: { tarball: string; sig: string; name: string };
let release: { key: string; pub: string };

beforeAll(async () => {
  const dir = makeTempDir('sw-fleet-');
  release = opensslKey(dir);
  bundle = buildBundle({ out: dir, version: '7.0.0', key: release.key, fill: () => undefined });
  files = new Map([
    [`/releases/${bundle.name}`, readFileSync(bundle.tarball)],
    [`/releases/${bundle.name}.sig`, readFileSync(bundle.sig)],
  ]);
  server = createServer((req, res) => {
    const body = files.get(req.url ?? '');
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

const announce = (over: { sha256?: string; sites?: string[]; kiosks?: string[]; signer?: typeof hub } = {}) =>
  Buffer.from(
    signSoftwareAnnouncement(
      {
        rollout: 'r-test',
        version: '7.0.0',
        bundles: {
          [ARCH]: {
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
});
