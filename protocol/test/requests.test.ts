import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  compareRulesVersions,
  KeyRing,
  MAX_KIOSK_MESSAGE_BYTES,
  openRequest,
  parseCheckin,
  requestBody,
  signRequest,
} from '../src/index.js';

const signing = generateKeyPairSync('ed25519');
const forger = generateKeyPairSync('ed25519');
const keys = new KeyRing();
keys.add(signing.publicKey);
const where = { site: 's-001', kiosk: 'k-001' };
const now = new Date('2026-01-01T00:00:00Z');
const expect1 = { ...where, command: 'config', now };

describe('signed hub → kiosk requests', () => {
  it('opens a request signed by a trusted key for this kiosk and command, before it expires', () => {
    const payload = signRequest(
      requestBody(where, 'config', { tid: 'tid-00001', action: 'get' }, now),
      signing,
    );
    expect(openRequest(Buffer.from(payload), keys, expect1)).toMatchObject({
      ok: true,
      request: { tid: 'tid-00001', action: 'get' },
    });
  });

  it('refuses unsigned, forged, altered, misdirected, expired and over-long requests', () => {
    const body = requestBody(where, 'config', { tid: 'tid-00002', action: 'get' }, now);
    const open = (p: string, at = now, command = 'config') =>
      openRequest(Buffer.from(p), keys, { ...where, command, now: at });
    expect(open(JSON.stringify({ tid: 'tid-00002', action: 'get' }))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not signed/),
    });
    expect(open(signRequest(body, forger))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/not trust/),
    });
    const altered = JSON.parse(signRequest(body, signing)) as { request: string };
    altered.request = altered.request.replace('"get"', '"set"');
    expect(open(JSON.stringify(altered))).toMatchObject({
      ok: false,
      reason: 'request signature does not match',
    });
    expect(open(signRequest(body, signing), now, 'purge')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/another kiosk or command/),
    });
    expect(open(signRequest({ ...body, kiosk: 'k-002' }, signing))).toMatchObject({ ok: false });
    expect(open(signRequest(body, signing), new Date(now.getTime() + 60_000))).toMatchObject({
      ok: false,
      reason: 'request expired',
    });
    const long = { ...body, expiresAt: new Date(now.getTime() + 3_600_000).toISOString() };
    expect(open(signRequest(long, signing))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/5 minutes/),
    });
    expect(open('not json')).toMatchObject({ ok: false, reason: 'request is not JSON' });
  });
});

describe('rules versions', () => {
  it('compare in natural order', () => {
    expect(compareRulesVersions('province-2021-12-01', 'province-2021-11-30')).toBeGreaterThan(0);
    expect(compareRulesVersions('v10', 'v9')).toBeGreaterThan(0);
    expect(compareRulesVersions('v9', 'v9')).toBe(0);
    expect(compareRulesVersions('v9', 'v9.1')).toBeLessThan(0);
    expect(compareRulesVersions('builtin-1', 'province-1')).toBeLessThan(0);
  });
});

describe('kiosk payload limits', () => {
  it('refuses a payload over the limit before parsing it', () => {
    const big = Buffer.from(`{"a":"${'x'.repeat(MAX_KIOSK_MESSAGE_BYTES)}"}`);
    expect(parseCheckin(big)).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/over the limit of 16384/)],
    });
  });
  it('reports one error for a payload with thousands of wrong properties (no allErrors)', () => {
    const many = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`p${i}`, i]));
    const r = parseCheckin(Buffer.from(JSON.stringify(many)));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.length).toBe(1);
  });
});
