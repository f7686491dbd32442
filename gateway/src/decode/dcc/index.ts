import { inflateSync } from 'node:zlib';
import { type DecodeErrorCode, type DecodeResult, failure } from '../result.js';
import { Base45Error, base45Decode } from './base45.js';
import { CborError, decodeCbor, toPlain } from './cbor.js';
import { CoseError, parseSign1, verifySign1 } from './cose.js';
import { isoFromSeconds } from './iso.js';
import type { DccReport } from './report.js';
import { dccRevocationHashes, type RevocationCheck } from './revocation.js';
import { validateHcert } from './schema.js';
import { type DccType, kidBase64, type TrustStore } from './trust.js';

export { base45Decode, base45Encode } from './base45.js';
export type { DccReport } from './report.js';
export { type DccRevocationHashes, dccRevocationHashes, type RevocationCheck } from './revocation.js';
export { type DccType, kidBase64, kidOf, type Signer, TrustError, TrustStore } from './trust.js';

export interface DccContext {
  at: Date;
  trust?: TrustStore;
  /** Revocation lists in force (EU DCC revocation: UCI, COUNTRYCODEUCI, SIGNATURE hashes by KID). */
  revocation?: RevocationCheck;
  /** Also return the decoded HCERT as `hcert` (conformance runs; the kiosk never needs the full content). */
  keepHcert?: boolean;
}

/** Inflated payloads above this are refused: a DCC is a few hundred bytes; a 64 KB zip bomb is not. */
const MAX_INFLATED = 64 * 1024;
/**
 * zlib's output chunk. Real DCCs inflate to 120–760 bytes (dgc-testdata); Node's default 16 KB chunk is a
 * fresh 16 KB allocation per scan. A larger payload still inflates, in more chunks, up to MAX_INFLATED.
 */
const INFLATE_CHUNK = 1024;

const TYPES: Array<[key: 'v' | 't' | 'r', type: DccType]> = [
  ['v', 'vaccination'],
  ['t', 'test'],
  ['r', 'recovery'],
];

function stop(code: DecodeErrorCode): DecodeResult {
  return failure('dcc', code);
}

const iso = (seconds: unknown): string | null =>
  typeof seconds === 'number' && Number.isFinite(seconds) && Math.abs(seconds) < 1e11
    ? isoFromSeconds(seconds)
    : null;

/**
 * EU DCC: `HC1:` → base45 → zlib → COSE_Sign1 → CWT claims → HCERT (-260 → 1).
 * Pure: (payload, clock, trust store) → result. Every step's failure has its own error code.
 */
export function decodeDcc(text: string, ctx: DccContext): DecodeResult {
  if (!text.startsWith('HC1:')) return stop('dcc-prefix');
  let compressed: Buffer;
  try {
    compressed = base45Decode(text, 4);
  } catch (err) {
    if (err instanceof Base45Error) return stop('dcc-base45');
    throw err;
  }
  let cose: Buffer;
  try {
    cose = inflateSync(compressed, { maxOutputLength: MAX_INFLATED, chunkSize: INFLATE_CHUNK });
  } catch {
    return stop('dcc-compression');
  }
  let sign1: ReturnType<typeof parseSign1>;
  let claims: unknown;
  try {
    sign1 = parseSign1(cose);
    claims = decodeCbor(sign1.payload);
  } catch (err) {
    if (err instanceof CoseError || err instanceof CborError) return stop('dcc-cose');
    throw err;
  }
  const hcertContainer = claims instanceof Map ? claims.get(-260) : undefined;
  const rawHcert = hcertContainer instanceof Map ? hcertContainer.get(1) : undefined;
  if (!(claims instanceof Map) || !(rawHcert instanceof Map)) return stop('dcc-payload');
  let hcert: Record<string, unknown>;
  try {
    hcert = toPlain(rawHcert) as Record<string, unknown>;
  } catch {
    return stop('dcc-payload');
  }

  // Signature: look the signer up by KID; a KID that no trusted certificate hashes to is unknown.
  const kid = sign1.kid ? kidBase64(sign1.kid) : null;
  const signers = kid && ctx.trust ? ctx.trust.lookup(kid) : [];
  const signer = signers.find((s) => verifySign1(sign1, s.publicKey));
  const signature: DccReport['signature'] =
    signers.length === 0 ? 'unknown-signer' : signer ? 'valid' : 'invalid';

  const present = TYPES.filter(([key]) => Array.isArray(hcert[key]) && (hcert[key] as unknown[]).length > 0);
  const type = present.length === 1 ? present[0]![1] : null;
  const entries = present.length === 1 ? (hcert[present[0]![0]] as unknown[]) : [];
  const entry =
    entries.length === 1 && typeof entries[0] === 'object' && entries[0]
      ? (entries[0] as Record<string, unknown>)
      : null;
  const keyUsageOk =
    !!signer && type !== null && (signer.allowedTypes === null || signer.allowedTypes.has(type));

  const exp = claims.get(4);
  const iat = claims.get(6);
  const now = ctx.at.getTime();
  const expiresAt = iso(exp);
  const issuedAt = iso(iat);
  const signedAt = issuedAt !== null ? (iat as number) * 1000 : now;
  const signerValid =
    !!signer && signedAt >= signer.notBefore.getTime() && signedAt <= signer.notAfter.getTime();
  // Only a certificate we verified can be revoked: hashing a forgery's fields would prove nothing.
  const list = signer ? ctx.revocation : undefined;
  const revoked =
    !!list &&
    list.covers?.(sign1.kid!) !== false &&
    list.revoked(
      sign1.kid!,
      dccRevocationHashes(sign1, entry, typeof claims.get(1) === 'string' ? (claims.get(1) as string) : null),
    );
  // A certificate with no expiry claim is treated as expired: the specification requires one.
  const expired = expiresAt === null || now > (exp as number) * 1000;
  const notYetValid = issuedAt !== null && now < (iat as number) * 1000;
  // One certificate per DCC: the schema allows v, t and r side by side, the specification does not.
  const schemaErrors = validateHcert(hcert);
  if (present.length > 1) schemaErrors.push('/ more than one of v, t, r');
  if (entries.length > 1) schemaErrors.push(`/${present[0]![0]} more than one entry`);
  const schemaValid = schemaErrors.length === 0;

  const issuer = claims.get(1);
  const report: DccReport = {
    signature,
    kid,
    issuer: typeof issuer === 'string' ? issuer : null,
    issuedAt,
    expiresAt,
    expired,
    notYetValid,
    schemaValid,
    schemaErrors,
    keyUsageOk,
    signerValid,
    revoked,
    type,
    version: typeof hcert.ver === 'string' ? hcert.ver : null,
    entry,
  };

  const nam = (typeof hcert.nam === 'object' && hcert.nam ? hcert.nam : {}) as Record<string, unknown>;
  const str = (v: unknown) => (typeof v === 'string' ? v.normalize('NFC').trim() : '');
  const name = [str(nam.fn) || str(nam.fnt), str(nam.gn) || str(nam.gnt)].filter(Boolean).join(' ');
  const dob = str(hcert.dob);
  const identity = {
    // A DCC names no identity document; its certificate identifier (UVCI) is what it carries.
    documentNumber: entry && typeof entry.ci === 'string' ? entry.ci : '',
    formerNumber: null,
    masked: false,
    name,
    dateOfBirth: /^\d{4}(-\d{2}(-\d{2})?)?$/.test(dob) ? dob : dob.slice(0, 10),
    sex: null,
  };
  const firstProblem: DecodeErrorCode | null =
    signature === 'unknown-signer'
      ? 'dcc-unknown-signer'
      : signature === 'invalid'
        ? 'dcc-signature'
        : revoked
          ? 'dcc-revoked'
          : !keyUsageOk
            ? 'dcc-key-usage'
            : !signerValid
              ? 'dcc-signer-validity'
              : notYetValid
                ? 'dcc-not-yet-valid'
                : expired
                  ? 'dcc-expired'
                  : !schemaValid
                    ? 'dcc-schema'
                    : null;
  // Built directly, not by spreading: in a profile of this function without the signature check, the
  // result spread was its costliest line.
  const result: DecodeResult = firstProblem
    ? { kind: 'dcc', ok: false, error: failure('dcc', firstProblem).error!, identity, dcc: report }
    : { kind: 'dcc', ok: true, identity, dcc: report };
  return ctx.keepHcert ? Object.assign(result, { hcert }) : result;
}
