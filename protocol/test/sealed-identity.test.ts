/**
 * The sealed identity of a check-in. The format is checked against Python's `cryptography` (X25519, HKDF-SHA256,
 * AES-GCM: an implementation we did not write) both ways: Python opens what Node sealed, Node opens what
 * Python sealed — so the layout in docs/protocol.md is the one the code makes, not one it agrees with itself on.
 */
import { execFileSync } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CHECKIN_SCHEMA_ID,
  type CheckinMessage,
  generateTracingKeys,
  type IdentityClear,
  openIdentity,
  prepareSeal,
  readTracingPrivateKey,
  readTracingPublicKey,
  SealedIdentityError,
  sealIdentity,
  TracingKeyError,
  validateCheckin,
} from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const runPython = (script: string, input: unknown): string =>
  execFileSync(python, ['-c', script], { input: JSON.stringify(input), encoding: 'utf8' }).trim();

const OPEN_PY = `
import sys, json, base64
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
req = json.load(sys.stdin)
priv = serialization.load_pem_private_key(req['key'].encode(), None)
raw = priv.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
box = base64.b64decode(req['box'])
epk, iv, rest = box[:32], box[32:44], box[44:]
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PublicKey
shared = priv.exchange(X25519PublicKey.from_public_bytes(epk))
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + raw, info=b'qrkiosk identity seal v1').derive(shared)
pt = AESGCM(key).decrypt(iv, rest, ('qrkiosk.checkin/1|' + req['id']).encode())
print(json.dumps({'kid': __import__('hashlib').sha256(raw).digest()[:8].hex(), 'clear': json.loads(pt)}))
`;

const SEAL_PY = `
import sys, json, base64, os
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
req = json.load(sys.stdin)
pub = serialization.load_pem_public_key(req['pub'].encode())
raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
eph = X25519PrivateKey.generate()
epk = eph.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + raw, info=b'qrkiosk identity seal v1').derive(eph.exchange(pub))
iv = os.urandom(12)
ct = AESGCM(key).encrypt(iv, req['text'].encode(), ('qrkiosk.checkin/1|' + req['id']).encode())
print(json.dumps({'kid': __import__('hashlib').sha256(raw).digest()[:8].hex(), 'box': base64.b64encode(epk + iv + ct).decode()}))
`;

const ID = '01J9Z8Y7X6W5V4T3S2R1Q0P9N8';
const OTHER_ID = '01J9Z8Y7X6W5V4T3S2R1Q0P9N9';
const CCCD: IdentityClear = {
  v: 1,
  kind: 'cccd',
  number: '079201001234',
  former: '025123456',
  name: 'Nguyễn Văn An',
  dob: '1990-05-17',
};

function keyPair() {
  const dir = mkdtempSync(join(tmpdir(), 'qrk-tracing-'));
  const made = generateTracingKeys(dir);
  const privatePem = readFileSync(made.privateFile, 'utf8');
  const publicPem = readFileSync(made.publicFile, 'utf8');
  return {
    dir,
    made,
    privatePem,
    publicPem,
    pub: readTracingPublicKey(publicPem),
    priv: readTracingPrivateKey(privatePem),
  };
}

const codeOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
  } catch (err) {
    if (err instanceof SealedIdentityError) return err.code;
    throw err;
  }
  return undefined;
};

describe('tracing keys', () => {
  it('writes tracing.key (0600, PKCS8) and tracing.pub (SPKI); the kid is sha256 of the raw key, 8 bytes', () => {
    const k = keyPair();
    expect(k.made.privateFile).toBe(join(k.dir, 'tracing.key'));
    expect(k.made.publicFile).toBe(join(k.dir, 'tracing.pub'));
    expect(statSync(k.made.privateFile).mode & 0o777).toBe(0o600);
    expect(k.privatePem).toContain('-----BEGIN PRIVATE KEY-----');
    expect(k.publicPem).toContain('-----BEGIN PUBLIC KEY-----');
    expect(k.pub.raw).toHaveLength(32);
    expect(k.made.kid).toBe(createHash('sha256').update(k.pub.raw).digest().subarray(0, 8).toString('hex'));
    expect(k.pub.kid).toBe(k.made.kid);
    expect(k.priv.kid).toBe(k.made.kid);
  });
  it('never overwrites a key pair; an unwritable folder is its own refusal', () => {
    const k = keyPair();
    const before = readFileSync(k.made.privateFile, 'utf8');
    expect(() => generateTracingKeys(k.dir)).toThrow(TracingKeyError);
    try {
      generateTracingKeys(k.dir);
    } catch (err) {
      expect((err as TracingKeyError).problem).toBe('exists');
      expect((err as TracingKeyError).text.vi).toContain('tracing.key');
    }
    expect(readFileSync(k.made.privateFile, 'utf8')).toBe(before);
    // Only the .pub left from an earlier pair: still refused, and no lone private key is left behind.
    const half = mkdtempSync(join(tmpdir(), 'qrk-tracing-'));
    writeFileSync(join(half, 'tracing.pub'), k.publicPem);
    expect(() => generateTracingKeys(half)).toThrow(/exists already/);
    expect(existsSync(join(half, 'tracing.key'))).toBe(false);
    try {
      generateTracingKeys(join(half, 'no', 'such'));
      expect.unreachable();
    } catch (err) {
      expect((err as TracingKeyError).problem).toBe('unwritable');
    }
  });
  it('refuses a private key where the public one belongs (it must never sit on a kiosk), and the reverse', () => {
    const k = keyPair();
    expect(() => readTracingPublicKey(k.privatePem)).toThrow(/private key/);
    expect(() => readTracingPrivateKey(k.publicPem)).toThrow(/public key/);
  });
  it('refuses keys that are not X25519 and text that is not a key', () => {
    const ed = generateKeyPairSync('ed25519');
    expect(() => readTracingPublicKey(ed.publicKey.export({ type: 'spki', format: 'pem' }))).toThrow(
      /X25519.*ed25519/,
    );
    expect(() =>
      readTracingPrivateKey(ed.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()),
    ).toThrow(/X25519/);
    expect(() => readTracingPublicKey('hello')).toThrow(TracingKeyError);
    expect(() =>
      readTracingPublicKey('-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'),
    ).toThrow(/not a readable PEM/);
  });
});

describe('seal and open', () => {
  it('round-trips every field, keys absent stay absent', () => {
    const k = keyPair();
    const s = sealIdentity(k.pub, ID, CCCD);
    expect(s.kid).toBe(k.pub.kid);
    expect(openIdentity([k.priv], ID, s)).toEqual(CCCD);
    const manual: IdentityClear = {
      v: 1,
      kind: 'manual',
      number: '0903123456',
      name: 'Trần Thị B',
      phone: '0903123456',
    };
    const opened = openIdentity([k.priv], ID, sealIdentity(k.pub, ID, manual));
    expect(opened).toEqual(manual);
    expect(Object.keys(opened)).toEqual(['v', 'kind', 'number', 'name', 'phone']);
  });
  it('a fresh ephemeral key and iv per seal: the same identity never gives the same box', () => {
    const k = keyPair();
    const a = sealIdentity(k.pub, ID, CCCD).box;
    const b = sealIdentity(k.pub, ID, CCCD).box;
    expect(a).not.toBe(b);
    expect(Buffer.from(a, 'base64').subarray(0, 32)).not.toEqual(Buffer.from(b, 'base64').subarray(0, 32));
  });
  it('picks the key by kid among rotated keys; none matching is other-key', () => {
    const old = keyPair();
    const now = keyPair();
    const s = sealIdentity(old.pub, ID, CCCD);
    expect(openIdentity([now.priv, old.priv], ID, s)).toEqual(CCCD);
    expect(codeOf(() => openIdentity([now.priv], ID, s))).toBe('other-key');
    expect(codeOf(() => openIdentity([], ID, s))).toBe('other-key');
  });
  it('a box moved onto another check-in, altered, truncated or under a lying kid is damaged', () => {
    const k = keyPair();
    const other = keyPair();
    const s = sealIdentity(k.pub, ID, CCCD);
    expect(codeOf(() => openIdentity([k.priv], OTHER_ID, s))).toBe('damaged');
    const bytes = Buffer.from(s.box, 'base64');
    for (const at of [0, 33, 50, bytes.length - 1]) {
      const flipped = Buffer.from(bytes);
      flipped[at] = (flipped[at] ?? 0) ^ 1;
      expect(
        codeOf(() => openIdentity([k.priv], ID, { ...s, box: flipped.toString('base64') })),
        String(at),
      ).toBe('damaged');
    }
    expect(
      codeOf(() => openIdentity([k.priv], ID, { ...s, box: bytes.subarray(0, 60).toString('base64') })),
    ).toBe('damaged');
    // A truncated tag: Node would accept 4 bytes unless the length is pinned.
    expect(
      codeOf(() =>
        openIdentity([k.priv], ID, { ...s, box: bytes.subarray(0, bytes.length - 12).toString('base64') }),
      ),
    ).toBe('damaged');
    expect(codeOf(() => openIdentity([other.priv], ID, { ...s, kid: other.priv.kid }))).toBe('damaged');
    expect(codeOf(() => openIdentity([k.priv], ID, { kid: k.priv.kid, box: '' }))).toBe('damaged');
  });
  it('a sealed plaintext that is not an identity is damaged, not returned', () => {
    const k = keyPair();
    const text = JSON.stringify({ v: 2, kind: 'cccd', number: '1', name: 'x' });
    const s = JSON.parse(runPython(SEAL_PY, { pub: k.publicPem, id: ID, text })) as {
      kid: string;
      box: string;
    };
    expect(codeOf(() => openIdentity([k.priv], ID, s))).toBe('damaged');
    const notJson = JSON.parse(runPython(SEAL_PY, { pub: k.publicPem, id: ID, text: 'not json' })) as {
      kid: string;
      box: string;
    };
    expect(codeOf(() => openIdentity([k.priv], ID, notJson))).toBe('damaged');
  });
  it('a preparation made ahead seals once, for its own key; Python opens what it sealed', () => {
    const k = keyPair();
    const other = keyPair();
    const prepared = prepareSeal(k.pub);
    const s = sealIdentity(k.pub, ID, CCCD, prepared);
    expect(Buffer.from(s.box, 'base64').subarray(0, 32)).toEqual(prepared.epk);
    expect(openIdentity([k.priv], ID, s)).toEqual(CCCD);
    expect(JSON.parse(runPython(OPEN_PY, { key: k.privatePem, box: s.box, id: ID })).clear).toEqual(CCCD);
    expect(() => sealIdentity(k.pub, OTHER_ID, CCCD, prepared)).toThrow(/used once/);
    expect(() => sealIdentity(other.pub, ID, CCCD, prepareSeal(k.pub))).toThrow(/used once, for the key/);
  });
  it('refuses to seal an identity longer than the schema’s box', () => {
    const k = keyPair();
    expect(() => sealIdentity(k.pub, ID, { ...CCCD, name: 'Ễ'.repeat(300) })).toThrow(RangeError);
  });
});

describe('independent oracle: Python cryptography', () => {
  it('opens what Node sealed (same kid, same identity)', () => {
    const k = keyPair();
    const s = sealIdentity(k.pub, ID, CCCD);
    expect(JSON.parse(runPython(OPEN_PY, { key: k.privatePem, box: s.box, id: ID }))).toEqual({
      kid: s.kid,
      clear: CCCD,
    });
  });
  it('seals what Node opens; Python’s box under another check-in id is damaged', () => {
    const k = keyPair();
    const clear = { v: 1, kind: 'personal-qr', number: '001099012345', name: 'Lê Thị Hồng', qid: 'QID-123' };
    const s = JSON.parse(runPython(SEAL_PY, { pub: k.publicPem, id: ID, text: JSON.stringify(clear) })) as {
      kid: string;
      box: string;
    };
    expect(s.kid).toBe(k.pub.kid);
    expect(openIdentity([k.priv], ID, s)).toEqual(clear);
    expect(codeOf(() => openIdentity([k.priv], OTHER_ID, s))).toBe('damaged');
  });
});

const checkin = (document: Record<string, unknown> = {}): CheckinMessage =>
  ({
    schema: CHECKIN_SCHEMA_ID,
    id: ID,
    kiosk: 'k-001',
    site: 's-001',
    direction: 'in',
    at: '2021-10-07T02:15:00.000Z',
    clockSynced: true,
    document: {
      kind: 'cccd',
      numberMasked: '********1234',
      nameMasked: 'NGUYỄN V** A*',
      idHash: 'a'.repeat(32),
      ...document,
    },
    verdict: 'ALLOW',
    colour: 'green',
    reason: 'admitted-green',
    versions: { software: '0.1.0', rules: 'builtin-1', cache: 3 },
  }) as CheckinMessage;

describe('check-in schema: document.sealed and document.links', () => {
  it('an old check-in without them is still valid; a real box and links are valid', () => {
    expect(validateCheckin(checkin()).ok).toBe(true);
    const k = keyPair();
    const sealed = sealIdentity(k.pub, ID, CCCD);
    expect(validateCheckin(checkin({ sealed, links: ['b'.repeat(32), 'c'.repeat(32)] })).ok).toBe(true);
    expect(validateCheckin(checkin({ links: [] })).ok).toBe(true);
  });
  it('the longest identity the sealer accepts fits the schema', () => {
    const k = keyPair();
    const long: IdentityClear = { ...CCCD, name: 'Ễ'.repeat(170), phone: '0903123456', qid: 'Q'.repeat(40) };
    expect(validateCheckin(checkin({ sealed: sealIdentity(k.pub, ID, long) })).ok).toBe(true);
  });
  it('refuses a bad kid, box or extra field in sealed', () => {
    const box = Buffer.alloc(100, 7).toString('base64');
    for (const sealed of [
      { kid: 'ABCDEF0123456789', box },
      { kid: '0123456789abcde', box },
      { kid: '0123456789abcdef', box: 'not base64!' },
      { kid: '0123456789abcdef', box: 'A'.repeat(1028) },
      { kid: '0123456789abcdef', box: '' },
      { kid: '0123456789abcdef' },
      { kid: '0123456789abcdef', box, alg: 'x' },
      'a box',
    ]) {
      const r = validateCheckin(checkin({ sealed }));
      expect(r.ok, JSON.stringify(sealed)).toBe(false);
      if (!r.ok) expect(r.errors[0]).toContain('/document/sealed');
    }
  });
  it('refuses links that are not hashes, repeated, or more than four', () => {
    const h = (c: string) => c.repeat(32);
    for (const links of [
      ['079201001234'],
      [h('A')],
      [h('a').slice(1)],
      [h('b'), h('b')],
      [h('1'), h('2'), h('3'), h('4'), h('5')],
      h('b'),
    ]) {
      const r = validateCheckin(checkin({ links }));
      expect(r.ok, JSON.stringify(links)).toBe(false);
      if (!r.ok) expect(r.errors[0]).toContain('/document/links');
    }
  });
});
