/**
 * The fleet/software envelope: what the hub signs is what a kiosk accepts, and nothing else — another key, a
 * changed byte, a missing field or a non-http(s) URL is refused with a reason. Keys are Node's Ed25519 (the same
 * primitive every fleet update uses; protocol/src/signing.ts).
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compareSoftwareVersions,
  KeyRing,
  type SoftwareAnnouncement,
  SoftwareAnnouncementError,
  signSoftwareAnnouncement,
  softwareTargets,
  verifySoftwareAnnouncement,
} from '../src/index.js';

const hub = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const ring = new KeyRing();
ring.add(hub.publicKey);
const announcement: SoftwareAnnouncement = {
  rollout: 'r-20261126-abcd1234',
  version: '0.2.0',
  bundles: {
    arm64: {
      url: 'https://hub.example.vn/releases/qrkiosk-0.2.0-linux-arm64.tar.gz',
      sha256: 'a'.repeat(64),
    },
  },
  targets: { all: false, kiosks: ['k-001'], sites: ['s-002'] },
  createdAt: '2026-11-26T20:00:00.000Z',
};
const refused = (payload: string) => {
  try {
    verifySoftwareAnnouncement(payload, ring);
  } catch (err) {
    expect(err).toBeInstanceOf(SoftwareAnnouncementError);
    return (err as Error).message;
  }
  throw new Error('accepted');
};

describe('fleet/software announcements', () => {
  it('a hub-signed announcement verifies, and names who installs', () => {
    const a = verifySoftwareAnnouncement(signSoftwareAnnouncement(announcement, hub), ring);
    expect(a).toEqual(announcement);
    expect(softwareTargets(a, { id: 'k-001', site: 's-001' })).toBe(true);
    expect(softwareTargets(a, { id: 'k-009', site: 's-002' })).toBe(true);
    expect(softwareTargets(a, { id: 'k-009', site: 's-009' })).toBe(false);
  });

  it('refuses another key, a changed announcement, a bad URL or digest, and what is not an envelope', () => {
    expect(refused(signSoftwareAnnouncement(announcement, other))).toMatch(/^unknown signing key/);
    const env = JSON.parse(signSoftwareAnnouncement(announcement, hub));
    const changed = { ...env, software: env.software.replace('"k-001"', '"k-666"') };
    expect(refused(JSON.stringify(changed))).toBe('bad signature');
    const fileUrl = {
      ...announcement,
      bundles: { arm64: { url: 'file:///etc/shadow', sha256: 'a'.repeat(64) } },
    };
    expect(refused(signSoftwareAnnouncement(fileUrl, hub))).toBe('malformed announcement');
    const shortSha = { ...announcement, bundles: { x64: { url: 'http://h/x', sha256: 'abc' } } };
    expect(refused(signSoftwareAnnouncement(shortSha, hub))).toBe('malformed announcement');
    expect(refused('not json')).toBe('not JSON');
    expect(refused('{"rules":"x"}')).toBe('not a signed software envelope');
  });

  it('refuses a version name longer than 32 characters (telemetry reports at most 32)', () => {
    const long = { ...announcement, version: `0.2.0-${'a'.repeat(27)}` };
    expect(refused(signSoftwareAnnouncement(long, hub))).toBe('malformed announcement');
    const at32 = { ...announcement, version: `0.2.0-${'a'.repeat(26)}` };
    expect(verifySoftwareAnnouncement(signSoftwareAnnouncement(at32, hub), ring).version).toBe(at32.version);
  });
});

describe('compareSoftwareVersions', () => {
  it('orders versions by the precedence examples of the Semantic Versioning 2.0.0 spec (§11)', () => {
    // semver.org §11, verbatim: each is lower than the next.
    const chain = [
      ['1.0.0', '2.0.0', '2.1.0', '2.1.1'],
      [
        '1.0.0-alpha',
        '1.0.0-alpha.1',
        '1.0.0-alpha.beta',
        '1.0.0-beta',
        '1.0.0-beta.2',
        '1.0.0-beta.11',
        '1.0.0-rc.1',
        '1.0.0',
      ],
    ];
    for (const list of chain)
      for (let i = 0; i + 1 < list.length; i++) {
        expect(compareSoftwareVersions(list[i] as string, list[i + 1] as string), list[i]).toBeLessThan(0);
        expect(compareSoftwareVersions(list[i + 1] as string, list[i] as string), list[i]).toBeGreaterThan(0);
      }
    // §10: build metadata is ignored in precedence.
    expect(compareSoftwareVersions('1.0.0+20130313144700', '1.0.0')).toBe(0);
    expect(compareSoftwareVersions('nightly', '1.0.0')).toBeNull();
  });
});
