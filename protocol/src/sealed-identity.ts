import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { closeSync, existsSync, fsyncSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Bilingual } from './enrolment.js';
import { DOCUMENT_KINDS, type DocumentKind } from './vocabulary.js';

/**
 * The sealed identity of a check-in: the kiosk encrypts the full identity (number, name, date of birth, a
 * manual entry's phone) to the deployment's tracing public key and sends it beside the masked fields. Only the
 * holder of the tracing private key (a file the hub's ingest never needs; it can stay offline on the tracing
 * officer's machine) opens it, for one case. A stolen kiosk, the wire and a copied hub database hold boxes only.
 *
 * Box = epk (32 raw) ‖ iv (12) ‖ AES-256-GCM ciphertext ‖ tag (16), base64. The key is
 * HKDF-SHA256(X25519(ephemeral, recipient), salt = epk_raw ‖ recipient_raw, info = 'qrkiosk identity seal v1'),
 * a fresh ephemeral pair per seal (ECIES, the shape of RFC 9180 base mode without its framing; the same as the
 * enrolment seal in enrolment.ts but with raw keys, so a box is 60 bytes plus the JSON). The AAD names the
 * check-in (`qrkiosk.checkin/1|<id>`): a box copied onto another check-in does not open.
 */
export const SEALED_IDENTITY_ALG = 'X25519-HKDF-SHA256-A256GCM';
const SEAL_INFO = Buffer.from('qrkiosk identity seal v1', 'ascii');
const AAD_PREFIX = 'qrkiosk.checkin/1|';
/** The schema's limit on `document.sealed.box` (base64 characters): 768 bytes, 708 of them JSON. */
export const SEALED_BOX_MAX_CHARS = 1024;
/** Raw X25519 public key, iv and tag: what a box adds to its plaintext. */
export const SEALED_BOX_OVERHEAD = 32 + 12 + 16;
export const TRACING_KEY_FILE = 'tracing.key';
export const TRACING_PUB_FILE = 'tracing.pub';

/** What is sealed: the full identity of one check-in. */
export interface IdentityClear {
  v: 1;
  kind: DocumentKind;
  number: string;
  former?: string;
  name: string;
  dob?: string;
  phone?: string;
  qid?: string;
}

/** On the wire, in CheckinMessage.document.sealed. */
export interface SealedIdentity {
  /** 16 hex = first 8 bytes of sha256(raw 32-byte public key). */
  kid: string;
  /** base64 of epk(32 raw) ‖ iv(12) ‖ ciphertext ‖ tag(16). */
  box: string;
}

export interface TracingPublicKey {
  kid: string;
  key: KeyObject;
  raw: Buffer;
}
export interface TracingPrivateKey {
  kid: string;
  key: KeyObject;
}

/** Why a key file or a key pair's folder was refused. */
export type TracingKeyProblem =
  | 'not-pem'
  | 'not-x25519'
  | 'private-not-public'
  | 'public-not-private'
  | 'exists'
  | 'unwritable';

/** A bad key file or folder: the message says which and why ({vi, en} in `text`, English in `message`). */
export class TracingKeyError extends Error {
  constructor(
    readonly problem: TracingKeyProblem,
    readonly text: Bilingual,
    options?: { cause?: unknown },
  ) {
    super(text.en, options);
    this.name = 'TracingKeyError';
  }
}

const SEAL_PROBLEMS = {
  'other-key': {
    vi: 'hộp niêm phong được khóa cho một khóa truy vết khác',
    en: 'the sealed box was made for another tracing key',
  },
  damaged: {
    vi: 'hộp niêm phong bị hỏng hoặc bị sửa, hoặc không thuộc lượt quét này',
    en: 'the sealed box is damaged or altered, or belongs to another check-in',
  },
} as const satisfies Record<string, Bilingual>;

/** A box that does not open: `other-key` (no key with its kid) or `damaged` (tag, AAD or JSON wrong). */
export class SealedIdentityError extends Error {
  readonly text: Bilingual;
  constructor(
    readonly code: 'other-key' | 'damaged',
    options?: { cause?: unknown },
  ) {
    super(SEAL_PROBLEMS[code].en, options);
    this.name = 'SealedIdentityError';
    this.text = SEAL_PROBLEMS[code];
  }
}

const rawOf = (key: KeyObject): Buffer => {
  const x = key.export({ format: 'jwk' }).x;
  if (typeof x !== 'string') throw new Error('X25519 key without its x');
  return Buffer.from(x, 'base64url');
};

const kidOf = (raw: Buffer): string =>
  createHash('sha256').update(raw).digest().subarray(0, 8).toString('hex');

const pemText = (pem: string | Buffer): string => (typeof pem === 'string' ? pem : pem.toString('utf8'));

/** SPKI PEM, X25519 only. A private key is refused, not derived from: it must never sit on a kiosk. */
export function readTracingPublicKey(pem: string | Buffer): TracingPublicKey {
  const text = pemText(pem);
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text))
    throw new TracingKeyError('private-not-public', {
      vi: 'đây là khóa bí mật truy vết (tracing.key) — kiosk chỉ cần khóa công khai tracing.pub; hãy gỡ tệp này khỏi kiosk',
      en: 'this is the tracing private key (tracing.key) — a kiosk needs only the public tracing.pub; remove this file from the kiosk',
    });
  if (!text.includes('-----BEGIN PUBLIC KEY-----')) throw notPem('khóa công khai', 'public key');
  let key: KeyObject;
  try {
    key = createPublicKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw notPem('khóa công khai', 'public key', cause);
  }
  if (key.asymmetricKeyType !== 'x25519') throw notX25519(key);
  const raw = rawOf(key);
  return { kid: kidOf(raw), key, raw };
}

/** PKCS8 PEM, X25519 only. */
export function readTracingPrivateKey(pem: string | Buffer): TracingPrivateKey {
  const text = pemText(pem);
  if (text.includes('-----BEGIN PUBLIC KEY-----'))
    throw new TracingKeyError('public-not-private', {
      vi: 'đây là khóa công khai (tracing.pub) — mở danh tính cần khóa bí mật tracing.key',
      en: 'this is the public key (tracing.pub) — revealing identities needs the private tracing.key',
    });
  if (!text.includes('-----BEGIN PRIVATE KEY-----')) throw notPem('khóa bí mật PKCS8', 'PKCS8 private key');
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: text, format: 'pem' });
  } catch (cause) {
    throw notPem('khóa bí mật PKCS8', 'PKCS8 private key', cause);
  }
  if (key.asymmetricKeyType !== 'x25519') throw notX25519(key);
  return { kid: kidOf(rawOf(createPublicKey(key))), key };
}

const notPem = (vi: string, en: string, cause?: unknown): TracingKeyError =>
  new TracingKeyError(
    'not-pem',
    { vi: `không phải ${vi} PEM đọc được`, en: `not a readable PEM ${en}` },
    { cause },
  );

const notX25519 = (key: KeyObject): TracingKeyError =>
  new TracingKeyError('not-x25519', {
    vi: `khóa truy vết phải là X25519 (tệp chứa khóa ${key.asymmetricKeyType})`,
    en: `a tracing key must be X25519 (the file holds a ${key.asymmetricKeyType} key)`,
  });

/** Creates the file or fails (flag 'wx': never overwrites), synced so a power cut does not leave half a key. */
function writeNew(file: string, text: string, mode: number): void {
  const fd = openSync(file, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * A new deployment tracing key pair: DIR/tracing.key (PKCS8 PEM, mode 0600) and DIR/tracing.pub (SPKI PEM).
 * Neither file is ever overwritten — a replaced private key would make every box sealed so far unopenable.
 */
export function generateTracingKeys(dir: string): { privateFile: string; publicFile: string; kid: string } {
  const privateFile = join(dir, TRACING_KEY_FILE);
  const publicFile = join(dir, TRACING_PUB_FILE);
  for (const file of [privateFile, publicFile])
    if (existsSync(file))
      throw new TracingKeyError('exists', {
        vi: `${file} đã có — không ghi đè khóa truy vết (các hộp đã niêm phong sẽ không mở được); chọn thư mục khác`,
        en: `${file} exists already — a tracing key is never overwritten (boxes sealed so far would not open); choose another folder`,
      });
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  let wrote = false;
  try {
    writeNew(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), 0o600);
    wrote = true;
    writeNew(publicFile, publicKey.export({ type: 'spki', format: 'pem' }).toString(), 0o644);
  } catch (cause) {
    // Half a pair is worse than none: a key without its .pub would be "exists" at the next attempt.
    if (wrote) rmSync(privateFile, { force: true });
    const code = (cause as NodeJS.ErrnoException).code;
    if (code === 'EEXIST')
      throw new TracingKeyError(
        'exists',
        {
          vi: `tệp khóa truy vết trong ${dir} đã có — không ghi đè`,
          en: `a tracing key file in ${dir} exists already — not overwritten`,
        },
        { cause },
      );
    throw new TracingKeyError(
      'unwritable',
      {
        vi: `không ghi được vào thư mục ${dir} (${code ?? 'lỗi'}) — thư mục phải có sẵn và ghi được`,
        en: `cannot write to the folder ${dir} (${code ?? 'error'}) — it must exist and be writable`,
      },
      { cause },
    );
  }
  return { privateFile, publicFile, kid: kidOf(rawOf(publicKey)) };
}

/** A private key's raw public half, once per key: a revealed trace opens thousands of boxes with one key. */
const publicHalves = new WeakMap<KeyObject, Buffer>();
const recipientRaw = (key: KeyObject): Buffer => {
  let raw = publicHalves.get(key);
  if (!raw) {
    raw = rawOf(createPublicKey(key));
    publicHalves.set(key, raw);
  }
  return raw;
};

const aadOf = (checkinId: string): Buffer => Buffer.from(`${AAD_PREFIX}${checkinId}`, 'utf8');

const boxKey = (shared: Buffer, epk: Buffer, recipient: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, recipient]), SEAL_INFO, 32));

/** Plaintext: the JSON of IdentityClear in a fixed key order, keys omitted when absent. */
const clearJson = (c: IdentityClear): string => {
  const out: Record<string, string | number> = { v: 1, kind: c.kind, number: c.number };
  if (c.former !== undefined) out.former = c.former;
  out.name = c.name;
  if (c.dob !== undefined) out.dob = c.dob;
  if (c.phone !== undefined) out.phone = c.phone;
  if (c.qid !== undefined) out.qid = c.qid;
  return JSON.stringify(out);
};

/**
 * The public-key half of one seal, made ahead: a fresh ephemeral X25519 pair, the X25519 with the recipient and
 * the HKDF — about three quarters of a seal's CPU (docs/benchmarks.md, "Sealed identity"). The kiosk makes the
 * next one after the light, so the scan path is left with AES-GCM. Used once: sealIdentity refuses a spent one.
 */
export interface SealPreparation {
  readonly kid: string;
  readonly epk: Buffer;
  readonly key: Buffer;
}
const spent = new WeakSet<SealPreparation>();

export function prepareSeal(pub: TracingPublicKey): SealPreparation {
  const eph = generateKeyPairSync('x25519');
  const epk = rawOf(eph.publicKey);
  return {
    kid: pub.kid,
    epk,
    key: boxKey(diffieHellman({ privateKey: eph.privateKey, publicKey: pub.key }), epk, pub.raw),
  };
}

/**
 * Seals one check-in's identity to the tracing public key, with a preparation made ahead for this key when
 * given (else one made now). Throws a RangeError when the identity is too long for the schema's box (a name of
 * a few hundred characters; no real document holds one) — the caller records the check-in without `sealed`
 * rather than losing it — and an Error for a spent preparation or one made for another key.
 */
export function sealIdentity(
  pub: TracingPublicKey,
  checkinId: string,
  clear: IdentityClear,
  prepared?: SealPreparation,
): SealedIdentity {
  const plaintext = Buffer.from(clearJson(clear), 'utf8');
  if (Math.ceil((plaintext.length + SEALED_BOX_OVERHEAD) / 3) * 4 > SEALED_BOX_MAX_CHARS)
    throw new RangeError(`identity too long to seal (${plaintext.length} bytes of JSON)`);
  if (prepared && (spent.has(prepared) || prepared.kid !== pub.kid))
    throw new Error('a seal preparation is used once, for the key it was made for');
  const { epk, key } = prepared ?? prepareSeal(pub);
  if (prepared) spent.add(prepared);
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
  cipher.setAAD(aadOf(checkinId));
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { kid: pub.kid, box: Buffer.concat([epk, iv, ct, cipher.getAuthTag()]).toString('base64') };
}

const KINDS: readonly string[] = DOCUMENT_KINDS;
const OPTIONAL = ['former', 'dob', 'phone', 'qid'] as const;

const isIdentityClear = (v: unknown): v is IdentityClear => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const o = v as Record<string, unknown>;
  return (
    o.v === 1 &&
    typeof o.kind === 'string' &&
    KINDS.includes(o.kind) &&
    typeof o.number === 'string' &&
    typeof o.name === 'string' &&
    OPTIONAL.every((k) => o[k] === undefined || typeof o[k] === 'string')
  );
};

/**
 * Opens a box with the key its kid names (several keys: a deployment that rotated keeps the old ones).
 * `other-key` when none matches; `damaged` when the tag fails (altered, or moved onto another check-in) or
 * the plaintext is not an IdentityClear.
 */
export function openIdentity(
  keys: ReadonlyArray<TracingPrivateKey>,
  checkinId: string,
  s: SealedIdentity,
): IdentityClear {
  const mine = keys.find((k) => k.kid === s?.kid);
  if (!mine) throw new SealedIdentityError('other-key');
  const box = typeof s.box === 'string' ? Buffer.from(s.box, 'base64') : Buffer.alloc(0);
  if (box.length <= SEALED_BOX_OVERHEAD) throw new SealedIdentityError('damaged');
  const epk = box.subarray(0, 32);
  const iv = box.subarray(32, 44);
  const ct = box.subarray(44, box.length - 16);
  const tag = box.subarray(box.length - 16);
  let text: string;
  try {
    const ephemeral = createPublicKey({
      key: { kty: 'OKP', crv: 'X25519', x: epk.toString('base64url') },
      format: 'jwk',
    });
    const recipient = recipientRaw(mine.key);
    const key = boxKey(diffieHellman({ privateKey: mine.key, publicKey: ephemeral }), epk, recipient);
    // The tag length pinned: without it Node accepts a truncated tag (4–15 bytes), an easier forgery.
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: 16 });
    decipher.setAAD(aadOf(checkinId));
    decipher.setAuthTag(tag);
    text = Buffer.concat([decipher.update(ct), decipher.final()]).toString('utf8');
  } catch (cause) {
    throw new SealedIdentityError('damaged', { cause });
  }
  let clear: unknown;
  try {
    clear = JSON.parse(text);
  } catch (cause) {
    throw new SealedIdentityError('damaged', { cause });
  }
  if (!isIdentityClear(clear)) throw new SealedIdentityError('damaged');
  return clear;
}
