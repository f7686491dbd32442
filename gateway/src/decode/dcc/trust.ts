import { createHash, type KeyObject, X509Certificate } from 'node:crypto';

export type DccType = 'vaccination' | 'test' | 'recovery';

/** DSC extended key usages that restrict which certificate types a signer may issue (both OID arcs in use). */
const USAGE_OIDS: Record<string, DccType> = {
  '1.3.6.1.4.1.1847.2021.1.1': 'test',
  '1.3.6.1.4.1.1847.2021.1.2': 'vaccination',
  '1.3.6.1.4.1.1847.2021.1.3': 'recovery',
  '1.3.6.1.4.1.0.1847.2021.1.1': 'test',
  '1.3.6.1.4.1.0.1847.2021.1.2': 'vaccination',
  '1.3.6.1.4.1.0.1847.2021.1.3': 'recovery',
};

export interface Signer {
  kid: Buffer;
  certificate: X509Certificate;
  publicKey: KeyObject;
  /** Types this signer may sign; null when its certificate names none of the DCC usages (all allowed). */
  allowedTypes: ReadonlySet<DccType> | null;
  notBefore: Date;
  notAfter: Date;
}

export class TrustError extends Error {}

/** KID as the DCC specification defines it: the first 8 bytes of SHA-256 over the certificate's DER. */
export function kidOf(der: Uint8Array): Buffer {
  return createHash('sha256').update(der).digest().subarray(0, 8);
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

/**
 * Document-signer certificates by KID. Lookup is a hash-map hit, never a scan over all signers.
 * A KID can in principle collide, so each KID holds a short list.
 */
export class TrustStore {
  private readonly byKid = new Map<string, Signer[]>();

  get size(): number {
    let n = 0;
    for (const list of this.byKid.values()) n += list.length;
    return n;
  }

  /**
   * Adds certificates from PEM text (one or many), base64 DER text, or DER bytes.
   * `source` names the input in errors (a file name, "trust[2]").
   */
  add(input: string | Uint8Array, source: string): number {
    const ders: Buffer[] = [];
    const text =
      typeof input === 'string'
        ? input
        : looksLikePem(input)
          ? Buffer.from(input).toString('utf8')
          : undefined;
    if (text === undefined) ders.push(Buffer.from(input as Uint8Array));
    else if (text.includes('-----BEGIN CERTIFICATE-----')) {
      for (const m of text.matchAll(PEM_BLOCK))
        ders.push(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'));
    } else {
      const b64 = text.replace(/\s+/g, '');
      if (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64)) throw new TrustError(`${source}: neither PEM nor base64 DER`);
      ders.push(Buffer.from(b64, 'base64'));
    }
    if (ders.length === 0) throw new TrustError(`${source}: no certificate found`);
    for (const [i, der] of ders.entries()) this.addDer(der, ders.length > 1 ? `${source}#${i + 1}` : source);
    return ders.length;
  }

  private addDer(der: Buffer, source: string): void {
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(der);
    } catch (err) {
      throw new TrustError(`${source}: not an X.509 certificate (${(err as Error).message})`);
    }
    const usages = (certificate.keyUsage ?? [])
      .map((oid) => USAGE_OIDS[oid])
      .filter((t): t is DccType => !!t);
    const kid = kidOf(der);
    const signer: Signer = {
      kid,
      certificate,
      publicKey: certificate.publicKey,
      allowedTypes: usages.length > 0 ? new Set(usages) : null,
      notBefore: new Date(certificate.validFrom),
      notAfter: new Date(certificate.validTo),
    };
    const key = kid.toString('base64');
    const list = this.byKid.get(key) ?? [];
    if (!list.some((s) => s.certificate.raw.equals(der))) list.push(signer);
    this.byKid.set(key, list);
  }

  /** By KID bytes, or by the KID already in base64 (as `kidBase64` gives it). */
  lookup(kid: Uint8Array | string): readonly Signer[] {
    return this.byKid.get(typeof kid === 'string' ? kid : kidBase64(kid)) ?? [];
  }
}

/** A KID in base64, as the store keys it and trust lists print it (no copy of the bytes). */
export function kidBase64(kid: Uint8Array): string {
  return Buffer.from(kid.buffer, kid.byteOffset, kid.byteLength).toString('base64');
}

function looksLikePem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}
