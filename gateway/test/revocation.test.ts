/**
 * EU DCC revocation on real third-party certificates (dgc-testdata): the expected hashes come from
 * Python's hashlib over each case's own JSON and COSE bytes (test/oracles/dcc_revocation_hashes.py),
 * not from our decoder. Revoking a vector by each hash type refuses it, and only it.
 */
import { spawnSync } from 'node:child_process';
import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import {
  KeyRing,
  keyId,
  openRevocationList,
  REVOCATION_HASH_BYTES,
  type RevocationHashType,
  RevocationListError,
  signBytes,
  signRevocationList,
} from '@qrkiosk/protocol';
import { makeTempDir, sharedDir } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { decideUndecoded } from '../src/decide/index.js';
import { type DecodeResult, decodePayload, TrustStore } from '../src/decode/index.js';
import {
  containsHash,
  installRevocationList,
  loadRevocationList,
  RevocationList,
  revocationFile,
} from '../src/revocation/index.js';

interface Vector {
  file: string;
  payload: string;
  trust: TrustStore;
  at: Date;
  kid: Buffer;
  oracle: {
    uci: string;
    countrycodeuci: string;
    countrycodeuci_co: string;
    signature: string;
    kind: 'ec' | 'rsa';
    iss: string;
    co: string;
  };
}

function caseFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => {
    const p = join(dir, f);
    return statSync(p).isDirectory() ? caseFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}

/** Every dgc-testdata vector that verifies with its own certificate, with the Python oracle's hashes. */
function realVectors(): Vector[] {
  const files = caseFiles(join(sharedDir(), 'testdata/dcc'));
  // Debian's python3 (with python3-cbor2, scripts/install.sh --test), not a pyenv shim ahead of it on PATH.
  const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
  const py = spawnSync(python, [join(import.meta.dirname, 'oracles/dcc_revocation_hashes.py')], {
    input: JSON.stringify(files),
    encoding: 'utf8',
  });
  if (py.status !== 0) throw new Error(`oracle failed: ${py.stderr}`);
  const oracle = JSON.parse(py.stdout) as Record<string, Vector['oracle']>;
  const vectors: Vector[] = [];
  for (const file of files) {
    const c = JSON.parse(readFileSync(file, 'utf8')) as {
      PREFIX?: string;
      TESTCTX?: { CERTIFICATE?: string; VALIDATIONCLOCK?: string };
    };
    if (!c.PREFIX || !c.TESTCTX?.CERTIFICATE || !oracle[file]) continue;
    const trust = new TrustStore();
    try {
      trust.add(c.TESTCTX.CERTIFICATE, file);
    } catch {
      continue;
    }
    const at = new Date(c.TESTCTX.VALIDATIONCLOCK ?? Date.now());
    const r = decodePayload(c.PREFIX, { at, trust });
    if (!r.ok || !r.dcc?.kid) continue;
    vectors.push({
      file,
      payload: c.PREFIX,
      trust,
      at,
      kid: Buffer.from(r.dcc.kid, 'base64'),
      oracle: oracle[file]!,
    });
  }
  return vectors;
}

const FIELD: Record<RevocationHashType, keyof Vector['oracle']> = {
  UCI: 'uci',
  COUNTRYCODEUCI: 'countrycodeuci',
  SIGNATURE: 'signature',
};

describe('revocation of real dgc-testdata certificates (hashes from Python hashlib)', () => {
  let vectors: Vector[] = [];
  beforeAll(() => {
    vectors = realVectors();
  });
  const decode = (v: Vector, list?: RevocationList): DecodeResult =>
    decodePayload(v.payload, { at: v.at, trust: v.trust, ...(list ? { revocation: list } : {}) });

  it('has enough real vectors of both signature kinds', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(100);
    expect(vectors.some((v) => v.oracle.kind === 'ec')).toBe(true);
    expect(vectors.some((v) => v.oracle.kind === 'rsa')).toBe(true);
  });

  const cases: Array<[RevocationHashType, 'ec' | 'rsa']> = [
    ['UCI', 'ec'],
    ['COUNTRYCODEUCI', 'ec'],
    ['SIGNATURE', 'ec'],
    ['SIGNATURE', 'rsa'],
    ['UCI', 'rsa'],
  ];
  it.each(cases)(
    'a %s hash (%s signer) on the list for its KID refuses that certificate and no other',
    (type, kind) => {
      const pick = vectors.filter((v) => v.oracle.kind === kind);
      const target = pick[(type.length * 7) % pick.length]!;
      const list = new RevocationList([
        { kid: target.kid, type, hashes: Buffer.from(target.oracle[FIELD[type]], 'base64') },
      ]);
      const r = decode(target, list);
      expect(r).toMatchObject({
        kind: 'dcc',
        ok: false,
        error: { code: 'dcc-revoked' },
        dcc: { revoked: true },
      });
      expect(r.identity?.documentNumber).not.toBe('');
      for (const v of vectors) {
        if (v.file === target.file || v.payload === target.payload) continue;
        const other = decode(v, list);
        expect(other.ok, v.file).toBe(true);
        expect(other.dcc?.revoked).toBe(false);
      }
    },
  );

  it('COUNTRYCODEUCI is the issuer (iss) + ci; a list built from co + ci (one EU app) is honoured too', () => {
    // dgc-testdata ES 1001–1003: iss "US", co "ES" — the two ways of building the hash differ there.
    const differ = vectors.filter((v) => v.oracle.iss !== v.oracle.co.toUpperCase());
    expect(differ.length).toBeGreaterThan(0);
    for (const target of differ)
      for (const hash of [target.oracle.countrycodeuci, target.oracle.countrycodeuci_co]) {
        const list = new RevocationList([
          { kid: target.kid, type: 'COUNTRYCODEUCI', hashes: Buffer.from(hash, 'base64') },
        ]);
        expect(decode(target, list), target.file).toMatchObject({
          ok: false,
          error: { code: 'dcc-revoked' },
        });
      }
  });

  it('the kiosk refuses a revoked certificate; other decode failures stay REVIEW', () => {
    const target = vectors[3]!;
    const list = new RevocationList([
      { kid: target.kid, type: 'UCI', hashes: Buffer.from(target.oracle.uci, 'base64') },
    ]);
    expect(decideUndecoded(decode(target, list))).toMatchObject({
      verdict: 'REFUSE',
      reason: {
        code: 'dcc-revoked',
        text: { vi: expect.stringMatching(/thu hồi/), en: expect.stringMatching(/revoked/) },
      },
    });
    expect(decideUndecoded(decodePayload(target.payload, { at: target.at })).verdict).toBe('REVIEW');
  });

  it('a hash listed under another KID does not revoke (lists are grouped by KID)', () => {
    const target = vectors[0]!;
    const list = new RevocationList([
      {
        kid: Buffer.from('AAAAAAAAAAA=', 'base64'),
        type: 'UCI',
        hashes: Buffer.from(target.oracle.uci, 'base64'),
      },
    ]);
    expect(decode(target, list)).toMatchObject({ ok: true, dcc: { revoked: false } });
  });

  it('a signed list (hub side) opened by the kiosk revokes the same way', () => {
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const keys = new KeyRing();
    keys.add(publicKey);
    const [a, b] = [vectors[1]!, vectors[2]!];
    const file = signRevocationList(
      [
        { kid: a.kid, type: 'UCI', hashes: [Buffer.from(a.oracle.uci, 'base64'), randomBytes(16)] },
        { kid: b.kid, type: 'SIGNATURE', hashes: [Buffer.from(b.oracle.signature, 'base64')] },
      ],
      7,
      { publicKey, privateKey },
    );
    const { header, sections } = openRevocationList(file, keys);
    const list = new RevocationList(sections, header.version);
    expect(list.size).toBe(3);
    expect(decode(a, list).error?.code).toBe('dcc-revoked');
    if (a.payload !== b.payload) expect(decode(b, list).error?.code).toBe('dcc-revoked');
  });
});

describe('signed revocation list files', () => {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const keys = new KeyRing();
  keys.add(publicKey);
  const signing = { publicKey, privateKey };
  const kid = randomBytes(8);
  const make = (version: number, n = 50) =>
    signRevocationList(
      [{ kid, type: 'UCI', hashes: Array.from({ length: n }, () => randomBytes(16)) }],
      version,
      signing,
    );
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      if (err instanceof RevocationListError) return err.code;
      throw err;
    }
    return 'accepted';
  };

  it('refuses a tampered, unsigned, foreign-key, truncated or unsorted list', () => {
    const good = make(1);
    expect(code(() => openRevocationList(good, keys))).toBe('accepted');
    const tampered = Buffer.from(good);
    tampered[tampered.length - 100]! ^= 1;
    expect(code(() => openRevocationList(tampered, keys))).toBe('bad-signature');
    expect(code(() => openRevocationList(good.subarray(0, good.length - 64), keys))).toBe('unsigned');
    expect(code(() => openRevocationList(good.subarray(0, good.length - 10), keys))).toBe('format');
    expect(code(() => openRevocationList(Buffer.from('{"list":"x"}'), keys))).toBe('format');
    const other = generateKeyPairSync('ed25519');
    const foreign = signRevocationList([{ kid, type: 'UCI', hashes: [randomBytes(16)] }], 2, other);
    expect(code(() => openRevocationList(foreign, keys))).toBe('unknown-key');
  });

  it('refuses a properly signed list whose section is out of order or has a duplicate (binary search would miss)', () => {
    const hashSorted = (body: Buffer) => {
      const header = Buffer.from(
        JSON.stringify({
          version: 3,
          createdAt: new Date().toISOString(),
          keyId: keyId(publicKey),
          sections: [{ kid: kid.toString('base64'), type: 'UCI', count: body.length / 16 }],
        }),
      );
      const length = Buffer.alloc(4);
      length.writeUInt32LE(header.length);
      const digest = createHash('sha256').update(body).digest();
      const signature = signBytes(
        privateKey,
        Buffer.concat([Buffer.from('qrkiosk-revocation/1'), header, digest]),
      );
      return Buffer.concat([Buffer.from('QRKR1\n'), length, header, body, signature]);
    };
    const low = Buffer.alloc(16, 0x11);
    const high = Buffer.alloc(16, 0x11);
    high[15] = 0x12;
    expect(code(() => openRevocationList(hashSorted(Buffer.concat([low, high])), keys))).toBe('accepted');
    expect(code(() => openRevocationList(hashSorted(Buffer.concat([high, low])), keys))).toBe('format');
    expect(code(() => openRevocationList(hashSorted(Buffer.concat([low, low])), keys))).toBe('format');
  });

  it('installs newer lists only, keeps the file, and verifies it again at load', () => {
    const dir = makeTempDir('revocation-');
    expect(loadRevocationList(dir, keys)).toBeNull();
    const ten = make(10);
    const first = installRevocationList(dir, ten, keys, 0);
    expect(first).toMatchObject({ installed: true, entries: 50 });
    // The retained list again after a reconnect: the same bytes, nothing to do.
    expect(installRevocationList(dir, ten, keys, 10)).toEqual({ installed: false, version: 10 });
    // Other revocations under the same version would never take effect: refused, not "already installed".
    expect(code(() => installRevocationList(dir, make(10), keys, 10))).toBe('same-version');
    expect(code(() => installRevocationList(dir, make(9), keys, 10))).toBe('stale');
    // A daemon still holding an older list (or none) must not replace a newer one applied from a file.
    expect(code(() => installRevocationList(dir, make(9), keys, 0))).toBe('stale');
    expect(loadRevocationList(dir, keys)?.version).toBe(10);
    const onDisk = readFileSync(revocationFile(dir));
    onDisk[onDisk.length - 70]! ^= 1;
    writeFileSync(revocationFile(dir), onDisk);
    expect(code(() => loadRevocationList(dir, keys))).toBe('bad-signature');
  });
});

describe('lookup', () => {
  it('binary search agrees with a Set on random lists (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 300 }),
        fc.array(fc.uint8Array({ minLength: 16, maxLength: 16 }), { maxLength: 20 }),
        (entries, probes) => {
          const set = new Set(entries.map((e) => Buffer.from(e).toString('hex')));
          const sorted = Buffer.concat([...set].sort().map((h) => Buffer.from(h, 'hex')));
          for (const p of [...entries.slice(0, 20), ...probes])
            expect(containsHash(sorted, p)).toBe(set.has(Buffer.from(p).toString('hex')));
        },
      ),
      { seed: 14, numRuns: 300 },
    );
    expect(REVOCATION_HASH_BYTES).toBe(16);
  });
});

describe('signer certificate validity (DSC notBefore/notAfter vs iat)', () => {
  const exp = new Date('2023-01-01T00:00:00Z');
  it('refuses a DCC issued before its signer certificate was valid, or after it ended', async () => {
    const signer = await createDccSigner({
      alg: 'ES256',
      notBefore: new Date('2021-06-01T00:00:00Z'),
      notAfter: new Date('2021-12-31T00:00:00Z'),
    });
    const trust = new TrustStore();
    trust.add(signer.certificatePem, 'dsc.pem');
    const at = new Date('2022-03-01T00:00:00Z');
    const at_ = (iat: string) =>
      decodePayload(signer.issue({ hcert: sampleVaccination(), issuedAt: new Date(iat), expiresAt: exp }), {
        at,
        trust,
      });
    expect(at_('2021-09-01T00:00:00Z')).toMatchObject({ ok: true, dcc: { signerValid: true } });
    expect(at_('2021-05-01T00:00:00Z')).toMatchObject({
      ok: false,
      error: { code: 'dcc-signer-validity' },
      dcc: { signerValid: false, signature: 'valid' },
    });
    expect(at_('2022-01-15T00:00:00Z').error?.code).toBe('dcc-signer-validity');
  });
});
