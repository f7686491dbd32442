import type { DccType } from './trust.js';

/** What a DCC decode reports besides identity (the `dcc` field of the decode result). */
export interface DccReport {
  signature: 'valid' | 'invalid' | 'unknown-signer';
  /** base64, as trust lists print it. */
  kid: string | null;
  issuer: string | null;
  issuedAt: string | null;
  expiresAt: string | null;
  /** Validation clock after `exp` (a clock exactly at `exp` is not expired). */
  expired: boolean;
  /** Validation clock before `iat`. */
  notYetValid: boolean;
  schemaValid: boolean;
  schemaErrors: string[];
  /** The signer's extended key usage allows this certificate type. */
  keyUsageOk: boolean;
  /**
   * The signer certificate (DSC) was valid when the DCC was issued: notBefore ≤ iat ≤ notAfter. A DCC
   * without `iat` (the specification requires one) is held to the validation clock instead: the only
   * time we know. False when no trusted signer verified it.
   */
  signerValid: boolean;
  /** A revocation list in force lists one of its hashes for its KID (checked for verified DCCs only). */
  revoked: boolean;
  type: DccType | null;
  version: string | null;
  /** The vaccination, test or recovery entry, for the rules (no name, no birth date). */
  entry: Record<string, unknown> | null;
}
