import {
  type IdentityClear,
  prepareSeal,
  type SealedIdentity,
  type SealPreparation,
  sealIdentity,
  type TracingPublicKey,
} from '@qrkiosk/protocol';
import type { DecodeResult } from '../decode/index.js';

/**
 * Seals a check-in's full identity to the deployment tracing key (privacy.tracingPublicKeyFile). Injected
 * into the recorder: without a key there is no sealer, and check-ins carry the masked fields only.
 */
export type IdentitySealer = (checkinId: string, clear: IdentityClear) => SealedIdentity;

/**
 * The sealer of a kiosk with a tracing key. The ephemeral key pair, X25519 and HKDF of the next seal (protocol's
 * prepareSeal) are made on a later turn of the event loop — after the scan's light — so the seal on the scan path
 * is little more than AES-GCM: measured in the path, ~60 µs instead of ~340 µs (docs/benchmarks.md, "Sealed
 * identity"). Two scans within one turn: the second makes its own, as without preparation. `later` is for tests.
 */
export function identitySealer(
  key: TracingPublicKey | undefined,
  later: (fn: () => void) => void = setImmediate,
): IdentitySealer | undefined {
  if (!key) return undefined;
  let next: SealPreparation | undefined;
  let pending = false;
  const refill = () => {
    if (pending) return;
    pending = true;
    later(() => {
      pending = false;
      // A failure here only means the next seal prepares its own (and reports any error itself).
      try {
        next ??= prepareSeal(key);
      } catch {
        next = undefined;
      }
    });
  };
  refill();
  return (checkinId, clear) => {
    const prepared = next;
    next = undefined;
    try {
      return sealIdentity(key, checkinId, clear, prepared);
    } finally {
      refill();
    }
  };
}

/** What a scan seals: the document as decoded, unmasked (the masked fields travel beside it). */
export function scanClear(decoded: DecodeResult): IdentityClear | undefined {
  const id = decoded.identity;
  if (!id) return undefined;
  return {
    v: 1,
    kind: decoded.kind,
    // A printed pass carries no name or number: its whole id is sealed, the office's way to its pass record.
    number: decoded.pass ? `PASS-${decoded.pass.passId}` : id.documentNumber,
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
