import { type KeyObject, X509Certificate } from 'node:crypto';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';

/**
 * A signed list of DCC document-signer certificates, as the hub publishes it on `fleet/trust`:
 *
 *   {"list": "<JSON text of TrustList>", "signature": {"keyId": "…", "signature": "<base64>"}}
 *
 * The signature covers "qrkiosk-trust/1\n" ‖ the list text exactly as sent, so nobody has to agree on a
 * JSON canonical form (the same scheme as rules). The list replaces the previous one as a whole: a
 * signer the health authority withdraws disappears from every kiosk with the next list.
 */
export interface TrustList {
  /** Grows with every list (seconds since the epoch by default); a kiosk refuses one not newer than its own. */
  version: number;
  createdAt: string;
  /** DER certificates, base64. */
  certificates: string[];
}

const CONTEXT = Buffer.from('qrkiosk-trust/1\n', 'ascii');

export class TrustListError extends Error {
  constructor(
    readonly code: 'format' | 'unknown-key' | 'bad-signature' | 'certificate' | 'stale',
    message: string,
  ) {
    super(message);
  }
}

/** Parses one certificate (DER or PEM) and returns its DER; throws TrustListError naming `source`. */
export function certificateDer(input: Buffer | string, source: string): Buffer {
  try {
    return Buffer.from(new X509Certificate(input).raw);
  } catch (err) {
    throw new TrustListError(
      'certificate',
      `${source}: not an X.509 certificate (${(err as Error).message})`,
    );
  }
}

/** Hub side: signs a list of DER certificates. */
export function signTrustList(
  certificates: readonly Buffer[],
  version: number,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
  createdAt = new Date(),
): string {
  if (!Number.isSafeInteger(version) || version < 1)
    throw new TrustListError('format', 'version must be ≥ 1');
  if (certificates.length === 0)
    throw new TrustListError('format', 'a trust list needs at least one certificate');
  for (const [i, der] of certificates.entries()) certificateDer(der, `certificate ${i + 1}`);
  const list: TrustList = {
    version,
    createdAt: createdAt.toISOString(),
    certificates: certificates.map((der) => der.toString('base64')),
  };
  const text = JSON.stringify(list);
  const signature = signBytes(signing.privateKey, Buffer.concat([CONTEXT, Buffer.from(text, 'utf8')]));
  return JSON.stringify({
    list: text,
    signature: { keyId: keyId(signing.publicKey), signature: signature.toString('base64') },
  });
}

/**
 * Kiosk side: verifies the signature with the trusted hub keys, then checks every certificate parses.
 * Throws TrustListError saying why the list is refused; returns the list and the DER certificates.
 */
export function openTrustList(
  payload: Buffer | string,
  keys: KeyRing,
): { list: TrustList; certificates: Buffer[]; keyId: string } {
  let envelope: { list?: unknown; signature?: { keyId?: unknown; signature?: unknown } };
  try {
    envelope = JSON.parse(payload.toString()) as typeof envelope;
  } catch {
    throw new TrustListError('format', 'not JSON');
  }
  if (typeof envelope.list !== 'string' || typeof envelope.signature !== 'object' || !envelope.signature)
    throw new TrustListError('format', 'expected {"list": "…", "signature": {…}} (unsigned?)');
  const { keyId: id, signature } = envelope.signature;
  const key = typeof id === 'string' ? keys.get(id) : undefined;
  if (!key || typeof id !== 'string')
    throw new TrustListError('unknown-key', `signed by key ${String(id)}, which this kiosk does not trust`);
  if (
    typeof signature !== 'string' ||
    !verifyBytes(
      key,
      Buffer.concat([CONTEXT, Buffer.from(envelope.list, 'utf8')]),
      Buffer.from(signature, 'base64'),
    )
  )
    throw new TrustListError(
      'bad-signature',
      'the signature does not match: the list was altered or not signed by the hub',
    );
  let list: TrustList;
  try {
    list = JSON.parse(envelope.list) as TrustList;
  } catch {
    throw new TrustListError('format', 'the signed list is not JSON');
  }
  if (
    !Number.isSafeInteger(list.version) ||
    list.version < 1 ||
    typeof list.createdAt !== 'string' ||
    !Array.isArray(list.certificates) ||
    list.certificates.length === 0 ||
    !list.certificates.every((c) => typeof c === 'string')
  )
    throw new TrustListError('format', 'version, createdAt or certificates missing or out of range');
  // Signed is not enough: a list with one unreadable certificate is refused whole, so the kiosk never
  // ends up with half of what the health office meant to send.
  const certificates = list.certificates.map((c, i) =>
    certificateDer(Buffer.from(c, 'base64'), `certificate ${i + 1}`),
  );
  return { list, certificates, keyId: id };
}
