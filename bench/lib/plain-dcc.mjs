/**
 * The floor for an EU DCC decode + verify in Node: the least code that is still correct, with nothing of
 * qrkiosk's in it. `HC1:` → base45 (strict) → zlib inflate → COSE_Sign1 (cbor-x, the CBOR library qrkiosk
 * uses, so the floor is not won by a different decoder) → KID lookup → one `crypto.verify` over the
 * Sig_structure with a KeyObject parsed once → the CWT claims decoded (a verifier must read them).
 * No schema, no key usage, no expiry, no result object: what qrkiosk adds on top is what the ratio shows.
 *
 * ES256: ECDSA with the raw r‖s signature (`dsaEncoding: 'ieee-p1363'`), any curve the key has (some
 * issuers sign ES256 with P-384 keys). PS256: RSA-PSS, SHA-256, salt length = digest length (RFC 8230).
 */
import { constants, createHash, verify, X509Certificate } from 'node:crypto';
import { inflateSync } from 'node:zlib';
import { Decoder, Tag } from 'cbor-x';

const cbor = new Decoder({ mapsAsObjects: false, useRecords: false });

const B45 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:';
const B45_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < B45.length; i++) B45_VALUE[B45.charCodeAt(i)] = i;

function base45(text, from) {
  const n = text.length - from;
  if (n % 3 === 1) throw new Error('base45 length');
  const out = Buffer.allocUnsafe(Math.floor(n / 3) * 2 + (n % 3 === 2 ? 1 : 0));
  let o = 0;
  const v = (i) => {
    const c = text.charCodeAt(i);
    const x = c < 128 ? B45_VALUE[c] : -1;
    if (x < 0) throw new Error('base45 character');
    return x;
  };
  let i = from;
  for (; i + 3 <= text.length; i += 3) {
    const x = v(i) + v(i + 1) * 45 + v(i + 2) * 2025;
    if (x > 0xffff) throw new Error('base45 triplet');
    out[o++] = x >> 8;
    out[o++] = x & 0xff;
  }
  if (i < text.length) {
    const x = v(i) + v(i + 1) * 45;
    if (x > 0xff) throw new Error('base45 pair');
    out[o++] = x;
  }
  return out;
}

const bstr = (n) =>
  n < 24
    ? [0x40 | n]
    : n < 0x100
      ? [0x58, n]
      : n < 0x10000
        ? [0x59, n >> 8, n & 0xff]
        : [0x5a, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
const SIGNATURE1 = [0x84, 0x6a, ...Buffer.from('Signature1')];

/** Keys by base64 KID (first 8 bytes of SHA-256 over the certificate DER), parsed once. */
export function plainKeys(certsB64) {
  const keys = new Map();
  for (const b64 of certsB64) {
    const der = Buffer.from(b64, 'base64');
    const kid = createHash('sha256').update(der).digest().subarray(0, 8).toString('base64');
    const key = new X509Certificate(der).publicKey;
    if (!keys.has(kid)) keys.set(kid, []);
    if (!keys.get(kid).some((k) => k.equals(key))) keys.get(kid).push(key);
  }
  return keys;
}

/** Returns the CWT claims (a Map) when the signature verifies, else null. Throws on malformed input. */
export function plainVerify(code, keys) {
  if (!code.startsWith('HC1:')) return null;
  let sign1 = cbor.decode(inflateSync(base45(code, 4), { maxOutputLength: 64 * 1024 }));
  while (sign1 instanceof Tag) sign1 = sign1.value; // 18, or 61 around 18, or none
  const [prot, unprot, payload, signature] = sign1;
  const ph = prot.length ? cbor.decode(prot) : new Map();
  const alg = ph.get(1) ?? unprot.get(1);
  const kid = ph.get(4) ?? unprot.get(4);
  const candidates = kid ? keys.get(Buffer.from(kid).toString('base64')) : undefined;
  if (!candidates) return null;
  const data = Buffer.concat([
    Buffer.from(SIGNATURE1),
    Buffer.from(bstr(prot.length)),
    prot,
    Buffer.from([0x40]),
    Buffer.from(bstr(payload.length)),
    payload,
  ]);
  const ok = candidates.some((key) => {
    try {
      if (alg === -7 && key.asymmetricKeyType === 'ec')
        return verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
      if (alg === -37 && key.asymmetricKeyType === 'rsa')
        return verify(
          'sha256',
          data,
          { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
    } catch {}
    return false;
  });
  return ok ? cbor.decode(payload) : null;
}
