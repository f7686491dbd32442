import {
  type IdentityClear,
  type SealedIdentity,
  sealIdentity,
  type TracingPublicKey,
} from '@qrkiosk/protocol';
import type { DecodeResult } from '../decode/index.js';

/**
 * Seals a check-in's full identity to the deployment tracing key (privacy.tracingPublicKeyFile). Injected
 * into the recorder: without a key there is no sealer, and check-ins carry the masked fields only.
 */
export type IdentitySealer = (checkinId: string, clear: IdentityClear) => SealedIdentity;

export const identitySealer = (key: TracingPublicKey | undefined): IdentitySealer | undefined =>
  key && ((checkinId, clear) => sealIdentity(key, checkinId, clear));

/** What a scan seals: the document as decoded, unmasked (the masked fields travel beside it). */
export function scanClear(decoded: DecodeResult): IdentityClear | undefined {
  const id = decoded.identity;
  if (!id) return undefined;
  return {
    v: 1,
    kind: decoded.kind,
    number: id.documentNumber,
    ...(id.formerNumber ? { former: id.formerNumber } : {}),
    name: id.name,
    ...(id.dateOfBirth ? { dob: id.dateOfBirth } : {}),
    ...(decoded.personal ? { qid: decoded.personal.qid } : {}),
  };
}

/** What a manual entry seals: the phone is both its number and its contact. */
export const manualClear = (entry: { name: string; digits: string }): IdentityClear => ({
  v: 1,
  kind: 'manual',
  number: entry.digits,
  name: entry.name,
  phone: entry.digits,
});
