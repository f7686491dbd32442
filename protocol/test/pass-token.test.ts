/**
 * Pass tokens (issue #20): QRKP1 tokens checked against an independent reading written from
 * docs/protocol.md with Python's base64 (RFC 4648 base32) and the `cryptography` package's Ed25519
 * (test/oracles/qrkiosk_pass.py), in both directions; malformed, altered and foreign input refused with a
 * code. The pass list is in pass.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  FLEET_KINDS,
  keyId,
  newPassId,
  PASS_PREFIX,
  type Pass,
  PassError,
  parsePass,
  passKey,
  passValidity,
  signPass,
  verifyPass,
} from '../src/index.js';
import { hub, hubId, pair, py, rawPublic, ring, seed } from './pass-oracle.js';

const sample = (over: Partial<Omit<Pass, 'keyId'>> = {}): Omit<Pass, 'keyId'> => ({
  passId: '0123456789abcdef0123',
  scope: { kind: 'ward', id: '26881' },
  validFrom: '2021-10-01',
  validUntil: '2022-09-30',
  ...over,
});

describe('pass token', () => {
  it('is QRKP1: + base32 that Python reads, with a signature that cryptography accepts', () => {
    for (const p of [
      sample(),
      sample({
        scope: { kind: 'site', id: 'cho-ben-thanh_cong-2' },
        validFrom: '2020-01-01',
        validUntil: '2020-01-01',
      }),
      sample({
        passId: newPassId(),
        scope: { kind: 'province', id: 'a'.repeat(64) },
        validUntil: '2199-06-06',
      }),
    ]) {
      const token = signPass(p, hub.privateKey, hubId);
      expect(token.startsWith(PASS_PREFIX)).toBe(true);
      // QR alphanumeric mode: upper-case letters, digits and ':' only.
      expect(token).toMatch(/^[A-Z0-9:]+$/);
      const read = JSON.parse(py('read', token, rawPublic(hub.publicKey)));
      expect(read).toEqual({ version: 1, ...p, keyId: hubId, passKey: passKey(p.passId).toString('hex') });
      expect(verifyPass(token, ring)).toEqual({ ...p, keyId: hubId });
    }
  });

  it('verifies a token Python built and signed', () => {
    const p = { ...sample({ scope: { kind: 'site', id: 'ubnd-phuong-7' } }), keyId: hubId };
    const token = py('make', JSON.stringify(p), seed(hub.privateKey));
    expect(verifyPass(token, ring)).toEqual(p);
  });

  it('is short enough for a small QR: ≤ 180 characters with a 10-character scope id', () => {
    expect(
      signPass(sample({ scope: { kind: 'ward', id: 'phuong-5-q' } }), hub.privateKey, hubId).length,
    ).toBeLessThanOrEqual(180);
  });

  it('refuses an altered token, a foreign key and an unknown signer with their codes', () => {
    const token = signPass(sample(), hub.privateKey, hubId);
    const body = base32Decode(token.slice(PASS_PREFIX.length))!;
    body[body.length - 73]! ^= 1; // the validUntil day (the body ends with it and the 8-byte key id)
    const altered = PASS_PREFIX + base32Encode(body);
    expect(() => verifyPass(altered, ring)).toThrow(expect.objectContaining({ code: 'bad-signature' }));
    const other = pair();
    // Signed by another key but naming the hub's: bad signature; naming its own: unknown key.
    expect(() => verifyPass(signPass(sample(), other.privateKey, hubId), ring)).toThrow(
      expect.objectContaining({ code: 'bad-signature' }),
    );
    expect(() => verifyPass(signPass(sample(), other.privateKey, keyId(other.publicKey)), ring)).toThrow(
      expect.objectContaining({ code: 'unknown-key' }),
    );
  });

  it('refuses malformed text with code format, never another error', () => {
    const token = signPass(sample(), hub.privateKey, hubId);
    const bad = [
      '',
      'QRKP1:',
      'QRKP1:A',
      `qrkp1:${token.slice(6)}`,
      `${token.slice(0, 6)}${token.slice(6).toLowerCase()}`,
      `${token}=`,
      `${token}A`,
      token.slice(0, -1),
      `QRKP1:${'A'.repeat(600)}`,
      `QRKP1:${base32Encode(Buffer.from([2, ...base32Decode(token.slice(6))!.subarray(1)]))}`,
      `QRKP1:${base32Encode(Buffer.alloc(120))}`,
      `QRKP1:${base32Encode(Buffer.alloc(120, 0xff))}`,
    ];
    for (const text of bad) {
      let error: unknown;
      try {
        parsePass(text);
      } catch (err) {
        error = err;
      }
      expect(error, text).toBeInstanceOf(PassError);
      expect((error as PassError).code).toBe('format');
    }
  });

  it('refuses to sign what it could not print', () => {
    expect(() => signPass(sample({ passId: 'xyz' }), hub.privateKey, hubId)).toThrow(PassError);
    expect(() =>
      signPass(sample({ scope: { kind: 'ward', id: 'Phường 5' } }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() =>
      signPass(sample({ scope: { kind: 'ward', id: 'a'.repeat(65) } }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() =>
      signPass(sample({ validFrom: '2022-01-02', validUntil: '2022-01-01' }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() => signPass(sample({ validFrom: '2019-12-31' }), hub.privateKey, hubId)).toThrow(PassError);
    expect(() => signPass(sample({ validUntil: '2022-02-30' }), hub.privateKey, hubId)).toThrow(PassError);
  });

  it('judges the Vietnam day against validity, both ends inclusive', () => {
    const p = sample();
    expect(passValidity(p, '2021-09-30')).toBe('not-yet-valid');
    expect(passValidity(p, '2021-10-01')).toBe('valid');
    expect(passValidity(p, '2022-09-30')).toBe('valid');
    expect(passValidity(p, '2022-10-01')).toBe('expired');
  });

  it('is a fleet kind (its revocations travel in the pass list, not the DCC revocation list)', () => {
    expect(FLEET_KINDS).toContain('passes');
  });
});
