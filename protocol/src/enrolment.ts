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
import { type Static, Type } from '@sinclair/typebox';
import { keyId, loadPublicKey, signBytes, verifyBytes } from './signing.js';
import { Direction, ID_PATTERN } from './vocabulary.js';

/**
 * Enrolment: a kiosk gets its identity, broker login and keys from one single-use code.
 *
 * The code (printed by `qrkiosk-hub kiosk add`, shown as a QR on the hub page, scanned by the kiosk's own
 * scanner or typed on its CLI) holds no secret the kiosk keeps: only a one-time token, the id of the hub's
 * update key (so the kiosk can check who answered) and the hub's address:
 *
 *   QRKE1/<token: 32 × [A-Z2-7]>/<hub key id: 16 hex>/<hub URL, http(s)://…>
 *
 * Characters a keyboard-wedge scanner types the same on every layout it supports (no '#', '@', '&', '?'),
 * and short enough for a small QR. The kiosk makes an X25519 key pair, POSTs {token, public key} to
 * `<hub URL>/api/enrol`, and gets a grant signed with the hub's update key whose secrets (broker password,
 * deployment hash key) are sealed to that public key: someone who only reads the code or the traffic
 * (passively, then or later) learns nothing, and the hub keeps only the token's hash. Over plain http an
 * active man in the middle is another matter: it can put its own public key in the request and open the
 * secrets — https, or enrolling on a trusted network, is what stops that (docs/operator-guide.md).
 */
export const ENROLMENT_CODE_PREFIX = 'QRKE1/';
export const ENROL_REQUEST_SCHEMA_ID = 'qrkiosk.enrol-request/1';
export const ENROLMENT_SCHEMA_ID = 'qrkiosk.enrolment/1';
/** The path the hub serves and the kiosk posts to. */
export const ENROL_PATH = '/api/enrol';
const GRANT_CONTEXT = Buffer.from('qrkiosk-enrolment/1\n', 'ascii');
const SEAL_INFO = Buffer.from('qrkiosk enrolment seal v1', 'ascii');
export const SEAL_ALG = 'X25519-HKDF-SHA256-A256GCM';

const TOKEN_RE = /^[A-Z2-7]{32}$/;
const KEY_ID_RE = /^[0-9a-f]{16}$/;
const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

export interface EnrolmentCode {
  token: string;
  keyId: string;
  hubUrl: string;
}

export type Bilingual = { vi: string; en: string };

/** Why a code or a redemption was refused: one word for logs and JSON, one sentence for the technician. */
export const ENROLMENT_REFUSALS = {
  'code-malformed': {
    vi: 'Không phải mã đăng ký kiosk (QRKE1/…) hoặc mã bị đọc sai — quét lại',
    en: 'Not a kiosk enrolment code (QRKE1/…) or misread — scan it again',
  },
  'code-unknown': {
    vi: 'Trung tâm không biết mã này — xin mã mới (qrkiosk-hub kiosk add)',
    en: 'The hub does not know this code — ask for a new one (qrkiosk-hub kiosk add)',
  },
  'code-used': {
    vi: 'Mã đã được dùng — mỗi mã chỉ dùng một lần; xin mã mới',
    en: 'This code was already used — each code works once; ask for a new one',
  },
  'code-expired': { vi: 'Mã đã hết hạn — xin mã mới', en: 'This code has expired — ask for a new one' },
  'code-revoked': {
    vi: 'Mã đã bị thu hồi (có mã mới hơn hoặc kiosk bị gỡ) — xin mã mới',
    en: 'This code was withdrawn (a newer one exists or the kiosk was removed) — ask for a new one',
  },
  'bad-request': { vi: 'Yêu cầu đăng ký không hợp lệ', en: 'Invalid enrolment request' },
  'broker-failed': {
    vi: 'Trung tâm không tạo được tài khoản broker cho kiosk — thử lại sau, báo trung tâm',
    en: 'The hub could not create the kiosk’s broker login — try again later, tell the hub',
  },
  'too-many-attempts': {
    vi: 'Quá nhiều lần thử đăng ký từ địa chỉ này — chờ một phút rồi thử lại',
    en: 'Too many enrolment attempts from this address — wait a minute and try again',
  },
  'enrolment-off': {
    vi: 'Trung tâm chưa bật đăng ký kiosk (hub.yaml: enrolment) — báo trung tâm',
    en: 'The hub has kiosk enrolment switched off (hub.yaml: enrolment) — tell the hub',
  },
  'hub-unreachable': {
    vi: 'Không kết nối được trung tâm theo địa chỉ trong mã — kiểm tra mạng; mã có thể đã được dùng: nếu quét lại cùng mã mà bị báo "đã dùng", xin mã mới',
    en: 'Cannot reach the hub at the address in the code — check the network; the code may have been used: if the same code is then refused as used, ask for a new one',
  },
  'grant-invalid': {
    vi: 'Trả lời của trung tâm không có chữ ký đúng của khóa trong mã — không dùng',
    en: 'The hub’s answer is not signed by the key named in the code — not used',
  },
} as const satisfies Record<string, Bilingual>;
export type EnrolmentRefusal = keyof typeof ENROLMENT_REFUSALS;

/**
 * The HTTP status the hub answers each refusal with (part of the contract: the kiosk reads the body's word,
 * tools and proxies the status). A code the hub never made is 404, a spent one 410 (gone for good).
 */
export const ENROLMENT_REFUSAL_STATUS: Record<EnrolmentRefusal, number> = {
  'code-malformed': 400,
  'bad-request': 400,
  'code-unknown': 404,
  'code-used': 410,
  'code-expired': 410,
  'code-revoked': 410,
  'too-many-attempts': 429,
  'broker-failed': 502,
  'enrolment-off': 503,
  'hub-unreachable': 502,
  'grant-invalid': 502,
};

/** 20 random bytes in RFC 4648 base32 (no padding): 160 bits, 32 characters. */
export function newEnrolmentToken(): string {
  const bytes = randomBytes(20);
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return out;
}

/** What the hub stores instead of the token: a leaked database redeems nothing. */
export const enrolmentTokenHash = (token: string): string =>
  createHash('sha256').update(`qrkiosk-enrolment-token/1\n${token}`).digest('hex');

export const formatEnrolmentCode = (c: EnrolmentCode): string =>
  `${ENROLMENT_CODE_PREFIX}${c.token}/${c.keyId}/${c.hubUrl.replace(/\/+$/, '')}`;

export type ParsedCode = { ok: true; code: EnrolmentCode } | { ok: false; reason: 'code-malformed' };

/** Reads a scanned or typed code; tolerant of surrounding whitespace and a lower-cased token, nothing else. */
export function parseEnrolmentCode(text: string): ParsedCode {
  const t = text.trim();
  if (!t.toUpperCase().startsWith(ENROLMENT_CODE_PREFIX)) return { ok: false, reason: 'code-malformed' };
  const [token = '', id = '', ...rest] = t.slice(ENROLMENT_CODE_PREFIX.length).split('/');
  const hubUrl = rest.join('/').replace(/\/+$/, '');
  const upper = token.toUpperCase();
  if (!TOKEN_RE.test(upper) || !KEY_ID_RE.test(id.toLowerCase()))
    return { ok: false, reason: 'code-malformed' };
  let url: URL;
  try {
    url = new URL(hubUrl);
  } catch {
    return { ok: false, reason: 'code-malformed' };
  }
  if (
    (url.protocol !== 'http:' && url.protocol !== 'https:') ||
    !url.hostname ||
    url.username ||
    url.password
  )
    return { ok: false, reason: 'code-malformed' };
  return { ok: true, code: { token: upper, keyId: id.toLowerCase(), hubUrl } };
}

/** Whether a scanned payload looks like an enrolment code at all (the kiosk's scan path asks this first). */
export const isEnrolmentCode = (text: string): boolean =>
  text.trim().toUpperCase().startsWith(ENROLMENT_CODE_PREFIX);

// ---------------------------------------------------------------------------------------------------------
// The request and the grant.

const B64 = '^[A-Za-z0-9+/]+={0,2}$';

export const EnrolRequest = Type.Object(
  {
    schema: Type.Literal(ENROL_REQUEST_SCHEMA_ID),
    token: Type.String({ pattern: '^[A-Z2-7]{32}$' }),
    publicKey: Type.String({
      pattern: B64,
      maxLength: 200,
      description: "the kiosk's X25519 public key, SPKI DER in base64",
    }),
    software: Type.String({ maxLength: 32 }),
  },
  { $id: ENROL_REQUEST_SCHEMA_ID, additionalProperties: false },
);
export type EnrolRequest = Static<typeof EnrolRequest>;

export const Sealed = Type.Object(
  {
    alg: Type.Literal(SEAL_ALG),
    epk: Type.String({
      pattern: B64,
      maxLength: 200,
      description: "the hub's ephemeral X25519 key, SPKI DER",
    }),
    iv: Type.String({ pattern: B64, maxLength: 24 }),
    ct: Type.String({ pattern: B64, maxLength: 8192 }),
    tag: Type.String({ pattern: B64, maxLength: 32 }),
  },
  { additionalProperties: false },
);
export type Sealed = Static<typeof Sealed>;

/** What the grant's sealed part holds, once opened with the kiosk's private key. */
export interface EnrolmentSecrets {
  /** The kiosk's broker password (its username is in the grant). */
  password: string;
  /** The deployment's identity hash key, 32 bytes in base64 (privacy.hashKeyFile). */
  hashKey: string;
}

export const EnrolmentGrant = Type.Object(
  {
    schema: Type.Literal(ENROLMENT_SCHEMA_ID),
    kiosk: Type.String({ pattern: ID_PATTERN }),
    site: Type.String({ pattern: ID_PATTERN }),
    direction: Direction,
    issuedAt: Type.String({ format: 'date-time' }),
    /** The public key this grant's secrets are sealed to: a grant cannot be replayed to another kiosk key. */
    kioskKey: Type.String({ pattern: B64, maxLength: 200 }),
    broker: Type.Object(
      {
        url: Type.String({ pattern: '^(mqtts?|wss?)://', maxLength: 300 }),
        ca: Type.Optional(
          Type.String({
            maxLength: 20_000,
            description: 'PEM of the CA the broker’s TLS certificate chains to',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    username: Type.String({ pattern: ID_PATTERN }),
    /** The hub's update public keys (PEM, Ed25519): rules, lists, cache and requests are checked with them. */
    hubPublicKeys: Type.Array(Type.String({ maxLength: 1000 }), { minItems: 1, maxItems: 8 }),
    sealed: Sealed,
  },
  { $id: ENROLMENT_SCHEMA_ID, additionalProperties: false },
);
export type EnrolmentGrant = Static<typeof EnrolmentGrant>;

/** The HTTP body of a grant: the grant's JSON text and an Ed25519 signature over it by the hub's update key. */
export interface SignedGrant {
  grant: string;
  keyId: string;
  signature: string;
}

/** The HTTP body of a refusal. */
export interface EnrolmentRefused {
  error: EnrolmentRefusal;
  message: Bilingual;
}

export function signGrant(
  grant: EnrolmentGrant,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
): SignedGrant {
  const text = JSON.stringify(grant);
  return {
    grant: text,
    keyId: keyId(signing.publicKey),
    signature: signBytes(
      signing.privateKey,
      Buffer.concat([GRANT_CONTEXT, Buffer.from(text, 'utf8')]),
    ).toString('base64'),
  };
}

/**
 * Checks a signed grant against the key id from the code: the key must be one of the grant's own hub keys
 * (so the kiosk can keep it) and its id must equal the one the code named (so a stranger's hub cannot answer).
 * Returns the grant's JSON, still to be validated against EnrolmentGrant by the caller's validator.
 */
export function openGrant(
  signed: SignedGrant,
  expectedKeyId: string,
): { ok: true; grant: unknown } | { ok: false; reason: 'grant-invalid' } {
  if (
    typeof signed?.grant !== 'string' ||
    signed.keyId !== expectedKeyId ||
    typeof signed.signature !== 'string'
  )
    return { ok: false, reason: 'grant-invalid' };
  let grant: { hubPublicKeys?: unknown };
  try {
    grant = JSON.parse(signed.grant);
  } catch {
    return { ok: false, reason: 'grant-invalid' };
  }
  const pems = Array.isArray(grant?.hubPublicKeys) ? grant.hubPublicKeys : [];
  const bytes = Buffer.concat([GRANT_CONTEXT, Buffer.from(signed.grant, 'utf8')]);
  for (const pem of pems) {
    let key: KeyObject;
    try {
      key = loadPublicKey(String(pem));
    } catch {
      continue;
    }
    if (keyId(key) === expectedKeyId && verifyBytes(key, bytes, Buffer.from(signed.signature, 'base64')))
      return { ok: true, grant };
  }
  return { ok: false, reason: 'grant-invalid' };
}

// ---------------------------------------------------------------------------------------------------------
// Sealing: X25519 (ephemeral hub key × kiosk key) → HKDF-SHA256 → AES-256-GCM, the ECIES shape of RFC 9180
// without its framing. Salt = hub ephemeral key ‖ kiosk key (both SPKI DER), so the key binds both ends.

/** The kiosk's enrolment key pair; the public half in the SPKI-DER base64 the request carries. */
export function newKioskKeyPair(): { privateKey: KeyObject; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('x25519');
  return { privateKey, publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64') };
}

const x25519Public = (b64: string): KeyObject => {
  const key = createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'x25519')
    throw new Error(`not an X25519 public key (${key.asymmetricKeyType})`);
  return key;
};

const sealKey = (shared: Buffer, epk: Buffer, kpk: Buffer): Buffer =>
  Buffer.from(hkdfSync('sha256', shared, Buffer.concat([epk, kpk]), SEAL_INFO, 32));

export function sealTo(kioskPublicKey: string, plaintext: Buffer): Sealed {
  const kiosk = x25519Public(kioskPublicKey);
  const eph = generateKeyPairSync('x25519');
  const epk = eph.publicKey.export({ type: 'spki', format: 'der' });
  const key = sealKey(
    diffieHellman({ privateKey: eph.privateKey, publicKey: kiosk }),
    epk,
    Buffer.from(kioskPublicKey, 'base64'),
  );
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return {
    alg: SEAL_ALG,
    epk: epk.toString('base64'),
    iv: iv.toString('base64'),
    ct: ct.toString('base64'),
    tag: cipher.getAuthTag().toString('base64'),
  };
}

/** Opens a sealed part with the kiosk's private key; throws when it was not sealed to that key or was altered. */
export function openSealed(privateKey: KeyObject, sealed: Sealed): Buffer {
  if (sealed.alg !== SEAL_ALG) throw new Error(`unknown seal algorithm ${String(sealed.alg)}`);
  const kpk = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const epk = Buffer.from(sealed.epk, 'base64');
  const key = sealKey(diffieHellman({ privateKey, publicKey: x25519Public(sealed.epk) }), epk, kpk);
  // The tag length pinned: without it Node accepts a truncated tag (4–15 bytes), an easier forgery.
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64'), {
    authTagLength: 16,
  });
  decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
  return Buffer.concat([decipher.update(Buffer.from(sealed.ct, 'base64')), decipher.final()]);
}

/** The kiosk's private key as PEM (kept only while enrolling) and back. */
export const exportKioskKey = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }).toString();
export const importKioskKey = (pem: string): KeyObject => createPrivateKey(pem);
