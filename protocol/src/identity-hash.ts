import { createHmac } from 'node:crypto';

import type { IdType } from './vocabulary.js';

export type { IdType } from './vocabulary.js';

export const HASH_BYTES = 16;

/**
 * HMAC-SHA-256(deployment key, "type:value"), first 16 bytes. Kiosks key their cache and check-ins
 * with it; the hub computes the same to trace a person without storing numbers.
 */
export function hashIdentity(key: Buffer, type: IdType, value: string): Buffer {
  return createHmac('sha256', key).update(`${type}:${value}`).digest().subarray(0, HASH_BYTES);
}
