import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  DATA_KINDS,
  DEFAULT_MAX_AGE_HOURS,
  FLEET_KINDS,
  FRESHNESS_SCHEMA_ID,
  FreshnessError,
  type FreshnessStatement,
  KeyRing,
  keyId,
  parseFleetTopic,
  signFreshness,
  validateTelemetry,
  verifyFreshness,
} from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const { publicKey, privateKey } = generateKeyPairSync('ed25519');
const id = keyId(publicKey);
const ring = new KeyRing();
ring.add(publicKey);

const statement: FreshnessStatement = {
  schema: FRESHNESS_SCHEMA_ID,
  issuedAt: '2026-11-27T03:00:00.000Z',
  cache: { version: 17 },
  rules: { version: '2026.11.3' },
  trust: null,
  revocation: { version: 4 },
};

const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err instanceof FreshnessError ? err.code : `other: ${String(err)}`;
  }
  return 'none';
};

describe('the signed freshness statement (fleet/fresh)', () => {
  it('round-trips, and the signature verifies with Python cryptography over the context prefix', () => {
    const payload = signFreshness(statement, privateKey, id);
    expect(verifyFreshness(payload, ring)).toEqual(statement);
    // Independent oracle: Python's cryptography checks Ed25519 over "qrkiosk-freshness/1\n" + text.
    const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
    const script = `
import json, sys, base64
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
env = json.loads(sys.stdin.read())
key = Ed25519PublicKey.from_public_bytes(bytes.fromhex("${raw}"))
key.verify(base64.b64decode(env["signature"]["signature"]), b"qrkiosk-freshness/1\\n" + env["statement"].encode())
print(json.loads(env["statement"])["cache"]["version"])`;
    expect(execFileSync(python, ['-c', script], { input: payload, encoding: 'utf8' }).trim()).toBe('17');
  });

  it('refuses an altered statement, a foreign key, garbage and an oversized envelope, each with its code', () => {
    const payload = JSON.parse(signFreshness(statement, privateKey, id).toString()) as {
      statement: string;
      signature: { keyId: string; signature: string };
    };
    const altered = { ...payload, statement: payload.statement.replace('"version":17', '"version":18') };
    expect(code(() => verifyFreshness(Buffer.from(JSON.stringify(altered)), ring))).toBe('bad-signature');
    const other = generateKeyPairSync('ed25519');
    expect(
      code(() => verifyFreshness(signFreshness(statement, other.privateKey, keyId(other.publicKey)), ring)),
    ).toBe('unknown-key');
    expect(code(() => verifyFreshness(Buffer.from('{'), ring))).toBe('format');
    expect(code(() => verifyFreshness(Buffer.from('null'), ring))).toBe('format');
    expect(code(() => verifyFreshness(Buffer.alloc(5000, 32), ring))).toBe('format');
    // Well signed, badly shaped: the schema refuses it after the signature.
    const extra = signFreshness({ ...statement, extra: 1 } as unknown as FreshnessStatement, privateKey, id);
    expect(code(() => verifyFreshness(extra, ring))).toBe('format');
    const badPasses = { ...statement, passes: { version: -1 } };
    expect(code(() => verifyFreshness(signFreshness(badPasses, privateKey, id), ring))).toBe('format');
  });

  it('names the pass list version (issue #20), and a statement without it (a hub before passes) still verifies', () => {
    for (const passes of [{ version: 1795748400 }, null]) {
      const withPasses = { ...statement, passes };
      expect(verifyFreshness(signFreshness(withPasses, privateKey, id), ring)).toEqual(withPasses);
    }
    expect(verifyFreshness(signFreshness(statement, privateKey, id), ring).passes).toBeUndefined();
  });

  it('is a fleet kind of its own, and telemetry may carry the freshness block', () => {
    expect(FLEET_KINDS).toContain('fresh');
    expect(parseFleetTopic('qrkiosk/v1/fleet/fresh')).toBe('fresh');
    expect(Object.keys(DEFAULT_MAX_AGE_HOURS).sort()).toEqual([...DATA_KINDS].sort());
    const base = {
      schema: 'qrkiosk.telemetry/1',
      kiosk: 'k-1',
      site: 's-1',
      at: '2026-11-27T03:00:00.000Z',
      software: '0.1.0',
      uptimeSeconds: 5,
      clockSynced: true,
      boot: { id: 'b', uptimeMs: 5000 },
      scannerConnected: true,
      outboxDepth: 0,
      cache: { version: 1, updatedAt: null, ageSeconds: null },
      rules: { version: 'built-in', source: 'built-in' },
    };
    const fresh = { facts: { ageSeconds: 10, maxSeconds: 172800, stale: false } };
    expect(validateTelemetry({ ...base, freshness: fresh }).ok).toBe(true);
    expect(
      validateTelemetry({ ...base, freshness: { facts: { ageSeconds: -1, maxSeconds: 1, stale: true } } }).ok,
    ).toBe(false);
    expect(validateTelemetry({ ...base, freshness: { weather: fresh.facts } }).ok).toBe(false);
  });
});

describe('the limits vocabulary, one place for kiosk and hub (review #13)', () => {
  it('LimitsSchema and maxAgeHoursOf: the defaults fill what the office left out; null is no limit', async () => {
    const { LimitsSchema, maxAgeHoursOf, DEFAULT_MAX_AGE_HOURS } = await import('../src/index.js');
    expect(LimitsSchema.type).toBe('object');
    expect(maxAgeHoursOf(undefined)).toEqual(DEFAULT_MAX_AGE_HOURS);
    expect(maxAgeHoursOf({ maxAgeHours: { facts: 24, trust: null } })).toEqual({
      facts: 24,
      rules: 48,
      trust: null,
      revocation: 48,
      passes: 48,
    });
    expect(maxAgeHoursOf({ maxAgeHours: { passes: 12 } }).passes).toBe(12);
    expect(DEFAULT_MAX_AGE_HOURS.passes).toBe(48);
  });
});
