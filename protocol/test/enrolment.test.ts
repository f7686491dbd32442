/**
 * Enrolment codes and the sealed part of a grant. The seal is checked against Python's `cryptography`
 * (an implementation we did not write: X25519, HKDF-SHA256, AES-GCM), both ways.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  type EnrolmentGrant,
  exportKioskKey,
  formatEnrolmentCode,
  keyId,
  newEnrolmentToken,
  newKioskKeyPair,
  openGrant,
  openSealed,
  parseEnrolmentCode,
  type Sealed,
  sealTo,
  signGrant,
} from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const runPython = (script: string, input: string): string =>
  execFileSync(python, ['-c', script], { input, encoding: 'utf8' }).trim();

const OPEN_PY = `
import sys, json, base64
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
req = json.load(sys.stdin)
priv = serialization.load_pem_private_key(req['key'].encode(), None)
s = req['sealed']
epk = base64.b64decode(s['epk'])
kpk = priv.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
shared = priv.exchange(serialization.load_der_public_key(epk))
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + kpk, info=b'qrkiosk enrolment seal v1').derive(shared)
pt = AESGCM(key).decrypt(base64.b64decode(s['iv']), base64.b64decode(s['ct']) + base64.b64decode(s['tag']), None)
print(pt.decode())
`;

const SEAL_PY = `
import sys, json, base64, os
from cryptography.hazmat.primitives import serialization, hashes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
req = json.load(sys.stdin)
kpk = base64.b64decode(req['publicKey'])
eph = X25519PrivateKey.generate()
epk = eph.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
shared = eph.exchange(serialization.load_der_public_key(kpk))
key = HKDF(algorithm=hashes.SHA256(), length=32, salt=epk + kpk, info=b'qrkiosk enrolment seal v1').derive(shared)
iv = os.urandom(12)
out = AESGCM(key).encrypt(iv, req['text'].encode(), None)
print(json.dumps({'alg': 'X25519-HKDF-SHA256-A256GCM', 'epk': base64.b64encode(epk).decode(), 'iv': base64.b64encode(iv).decode(), 'ct': base64.b64encode(out[:-16]).decode(), 'tag': base64.b64encode(out[-16:]).decode()}))
`;

describe('enrolment codes', () => {
  it('round-trip, tolerate whitespace and a lower-cased token, and refuse anything else', () => {
    const token = newEnrolmentToken();
    expect(token).toMatch(/^[A-Z2-7]{32}$/);
    const code = formatEnrolmentCode({ token, keyId: '0123456789abcdef', hubUrl: 'http://10.0.0.5:8080/' });
    expect(code).toBe(`QRKE1/${token}/0123456789abcdef/http://10.0.0.5:8080`);
    expect(parseEnrolmentCode(`  ${code}\r\n`)).toEqual({
      ok: true,
      code: { token, keyId: '0123456789abcdef', hubUrl: 'http://10.0.0.5:8080' },
    });
    expect(parseEnrolmentCode(code.replace(token, token.toLowerCase()))).toMatchObject({
      ok: true,
      code: { token },
    });
    for (const bad of [
      '079090001234|…',
      `QRKE1/${token.slice(1)}/0123456789abcdef/http://h`,
      `QRKE1/${token}/0123456789abcdeZ/http://h`,
      `QRKE1/${token}/0123456789abcdef/ftp://h`,
      `QRKE1/${token}/0123456789abcdef/http://user:pw@h`,
      `QRKE1/${token}/0123456789abcdef/`,
    ])
      expect(parseEnrolmentCode(bad), bad).toEqual({ ok: false, reason: 'code-malformed' });
  });
});

describe('sealed secrets (against Python cryptography)', () => {
  it('what we seal, Python opens; what Python seals, we open; another key or a flipped bit does not open', () => {
    const kiosk = newKioskKeyPair();
    const text = JSON.stringify({ password: 'p@ss-Đ', hashKey: Buffer.alloc(32, 7).toString('base64') });
    const sealed = sealTo(kiosk.publicKey, Buffer.from(text));
    expect(runPython(OPEN_PY, JSON.stringify({ key: exportKioskKey(kiosk.privateKey), sealed }))).toBe(text);

    const fromPython = JSON.parse(
      runPython(SEAL_PY, JSON.stringify({ publicKey: kiosk.publicKey, text })),
    ) as Sealed;
    expect(openSealed(kiosk.privateKey, fromPython).toString()).toBe(text);

    expect(() => openSealed(newKioskKeyPair().privateKey, sealed)).toThrow();
    const ct = Buffer.from(sealed.ct, 'base64');
    ct[0] = (ct[0] ?? 0) ^ 1;
    expect(() => openSealed(kiosk.privateKey, { ...sealed, ct: ct.toString('base64') })).toThrow();
  });

  it('a tag cut short (its first 4 or 12 bytes, each a valid prefix) does not open: the length is pinned', () => {
    const kiosk = newKioskKeyPair();
    const sealed = sealTo(kiosk.publicKey, Buffer.from('secret'));
    const tag = Buffer.from(sealed.tag, 'base64');
    expect(tag.length).toBe(16);
    for (const n of [4, 12])
      expect(() =>
        openSealed(kiosk.privateKey, { ...sealed, tag: tag.subarray(0, n).toString('base64') }),
      ).toThrow();
  });
});

describe('signed grants', () => {
  const hub = generateKeyPairSync('ed25519');
  const pem = hub.publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const kiosk = newKioskKeyPair();
  const grant: EnrolmentGrant = {
    schema: 'qrkiosk.enrolment/1',
    kiosk: 'k-001',
    site: 's-001',
    direction: 'in',
    issuedAt: '2026-11-26T10:00:00.000Z',
    kioskKey: kiosk.publicKey,
    broker: { url: 'mqtt://10.0.0.5:1883' },
    username: 'k-001',
    hubPublicKeys: [pem],
    sealed: sealTo(kiosk.publicKey, Buffer.from('{}')),
  };

  it('opens with the key id from the code; refuses another id, an altered grant, another hub’s key', () => {
    const signed = signGrant(grant, hub);
    const id = keyId(hub.publicKey);
    expect(openGrant(signed, id)).toEqual({ ok: true, grant });
    expect(openGrant(signed, '0000000000000000')).toEqual({ ok: false, reason: 'grant-invalid' });
    expect(openGrant({ ...signed, grant: signed.grant.replace('s-001', 's-002') }, id)).toEqual({
      ok: false,
      reason: 'grant-invalid',
    });
    const stranger = generateKeyPairSync('ed25519');
    const forged = signGrant(
      { ...grant, hubPublicKeys: [stranger.publicKey.export({ type: 'spki', format: 'pem' }).toString()] },
      stranger,
    );
    expect(openGrant(forged, id)).toEqual({ ok: false, reason: 'grant-invalid' });
  });
});
