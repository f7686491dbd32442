// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill.
import 'reflect-metadata';
import { constants, KeyObject, sign, webcrypto } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import * as x509 from '@peculiar/x509';
import { base45Encode, type DccType, kidOf } from '@qrkiosk/gateway';
import { Encoder, Tag } from 'cbor-x';

// The type of get() is x509's Crypto under any lib (the DOM one or none); set()'s overloads are not.
x509.cryptoProvider.set(webcrypto as unknown as ReturnType<typeof x509.cryptoProvider.get>);

/**
 * An EU-DCC issuer in software: makes a document signer (DSC) certificate and signs HCERTs the way a
 * health authority does, with knobs to produce each kind of broken code a verifier must refuse.
 * For tests, the demo and benchmarks; never for real certificates.
 */

const USAGE_OID: Record<DccType, string> = {
  test: '1.3.6.1.4.1.1847.2021.1.1',
  vaccination: '1.3.6.1.4.1.1847.2021.1.2',
  recovery: '1.3.6.1.4.1.1847.2021.1.3',
};

export interface DccSignerOptions {
  alg: 'ES256' | 'PS256';
  /** DCC usages in the extended key usage (none: the signer may sign every type). */
  usages?: DccType[];
  country?: string;
  notBefore?: Date;
  notAfter?: Date;
}

export interface IssueOptions {
  hcert: Record<string, unknown>;
  issuedAt: Date;
  expiresAt: Date;
  issuer?: string;
  /** Where the KID goes (default protected); `none` leaves it out. */
  kidIn?: 'protected' | 'unprotected' | 'none';
  /** A KID other than the certificate's (to test mismatches). */
  kid?: Uint8Array;
  /** Where the algorithm goes (default protected). */
  algIn?: 'protected' | 'unprotected';
  /** COSE wrapping: tag 18 (default), tag 61 around 18, or untagged. */
  wrap?: 'sign1' | 'cwt' | 'none';
  /** Skip zlib (a code that is not compressed). */
  uncompressed?: boolean;
  /** Change one payload byte after signing (a forged code). */
  tamper?: boolean;
}

const encoder = new Encoder({ mapsAsObjects: false, useRecords: false, tagUint8Array: false });
const ALG_ID = { ES256: -7, PS256: -37 } as const;

export interface DccSigner {
  alg: 'ES256' | 'PS256';
  certificateDer: Buffer;
  certificatePem: string;
  kid: Buffer;
  issue(options: IssueOptions): string;
}

export async function createDccSigner(options: DccSignerOptions): Promise<DccSigner> {
  const algorithm =
    options.alg === 'ES256'
      ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: 2048,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        };
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const extensions: x509.Extension[] = [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
  ];
  if (options.usages?.length)
    extensions.push(new x509.ExtendedKeyUsageExtension(options.usages.map((u) => USAGE_OID[u])));
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex'),
    name: `CN=qrkiosk test DSC ${options.alg}, C=${options.country ?? 'VN'}`,
    notBefore: options.notBefore ?? new Date('2021-01-01T00:00:00Z'),
    notAfter: options.notAfter ?? new Date('2040-01-01T00:00:00Z'),
    signingAlgorithm: algorithm,
    keys,
    extensions,
  });
  const der = Buffer.from(cert.rawData);
  const privateKey = KeyObject.from(keys.privateKey);
  const kid = kidOf(der);
  return {
    alg: options.alg,
    certificateDer: der,
    certificatePem: cert.toString('pem'),
    kid,
    issue: (o) => issue(o, options.alg, privateKey, kid),
  };
}

function issue(o: IssueOptions, alg: 'ES256' | 'PS256', key: KeyObject, certKid: Buffer): string {
  const kid = o.kid ?? certKid;
  const protectedMap = new Map<number, unknown>();
  const unprotectedMap = new Map<number, unknown>();
  (o.algIn === 'unprotected' ? unprotectedMap : protectedMap).set(1, ALG_ID[alg]);
  if (o.kidIn !== 'none')
    (o.kidIn === 'unprotected' ? unprotectedMap : protectedMap).set(4, Buffer.from(kid));
  const protectedBytes = protectedMap.size ? Buffer.from(encoder.encode(protectedMap)) : Buffer.alloc(0);
  const claims = new Map<number, unknown>([
    [1, o.issuer ?? 'VN'],
    [4, Math.floor(o.expiresAt.getTime() / 1000)],
    [6, Math.floor(o.issuedAt.getTime() / 1000)],
    [-260, new Map([[1, o.hcert]])],
  ]);
  const payload = Buffer.from(encoder.encode(claims));
  const toBeSigned = Buffer.from(encoder.encode(['Signature1', protectedBytes, Buffer.alloc(0), payload]));
  const signature =
    alg === 'ES256'
      ? sign('sha256', toBeSigned, { key, dsaEncoding: 'ieee-p1363' })
      : sign('sha256', toBeSigned, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 });
  if (o.tamper) payload[payload.length - 2] = (payload[payload.length - 2]! ^ 0x01) & 0xff;
  const sign1 = [protectedBytes, unprotectedMap, payload, signature];
  const wrapped =
    o.wrap === 'none' ? sign1 : o.wrap === 'cwt' ? new Tag(new Tag(sign1, 18), 61) : new Tag(sign1, 18);
  const cose = Buffer.from(encoder.encode(wrapped));
  return `HC1:${base45Encode(o.uncompressed ? cose : deflateSync(cose, { level: 9 }))}`;
}

/** A schema-valid HCERT for a vaccination (synthetic person). */
export function sampleVaccination(overrides: Partial<Record<string, unknown>> = {}): Record<string, unknown> {
  return {
    ver: '1.3.0',
    nam: { fn: 'Nguyễn', fnt: 'NGUYEN', gn: 'Văn An', gnt: 'VAN<AN' },
    dob: '1990-08-15',
    v: [
      {
        tg: '840539006',
        vp: 'J07BX03',
        mp: 'EU/1/20/1528',
        ma: 'ORG-100030215',
        dn: 2,
        sd: 2,
        dt: '2021-09-01',
        co: 'VN',
        is: 'Ministry of Health of Viet Nam',
        ci: 'URN:UVCI:01:VN:QRKIOSKTEST0001#X',
      },
    ],
    ...overrides,
  };
}
