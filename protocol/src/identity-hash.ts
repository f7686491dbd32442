import { createHmac } from 'node:crypto';

/**
 * Identity key types. `uvci` names a vaccine passport's certificate (DCCs carry no identity-document
 * number); `phone` keys a visitor checked in by hand at reception.
 */
export type IdType = 'cccd' | 'cmnd' | 'passport' | 'qid' | 'bhyt' | 'bhxh' | 'uvci' | 'phone';

export const HASH_BYTES = 16;

/**
 * HMAC-SHA-256(deployment key, "type:value"), first 16 bytes. Kiosks key their cache and check-ins
 * with it; the hub computes the same to trace a person without storing numbers.
 */
export function hashIdentity(key: Buffer, type: IdType, value: string): Buffer {
  return createHmac('sha256', key).update(`${type}:${value}`).digest().subarray(0, HASH_BYTES);
}
