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

/**
 * A person node of the hub's identity links: HMAC-SHA-256(deployment key, "person:<value>"), first 16
 * bytes, hex. `value` is the facts import's `person` key (the health office's own id for the person,
 * never shown). Every document of a row with that key is linked to this node (a star), never to each
 * other: one wrong row then joins one document to the person, not all of them to each other. The
 * "person:" prefix keeps it apart from any document hash ("cccd:…", "phone:…").
 */
export function hashPersonKey(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(`person:${value}`).digest().subarray(0, HASH_BYTES).toString('hex');
}
