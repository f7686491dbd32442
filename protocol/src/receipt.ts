import { isCheckinId } from './checkin.js';

/**
 * Receipts: the hub's word that check-ins are in its database (or kept there as dead letters).
 *
 * A broker's PUBACK only says the broker has a message. A broker restart, a crash between its
 * autosaves, or a shared subscription it did not restore (Mosquitto 2.0 — bench/faults-network.mjs)
 * drops check-ins the kiosk already counted as sent. So a kiosk marks a row delivered only when the
 * hub's receipt names it, and sends again, with the same id, what stays unreceipted; the hub stores
 * a check-in once (its id is the primary key) and receipts every copy it sees.
 *
 * Topic: `qrkiosk/v1/<site>/<kiosk>/receipt` (kioskTopics().receipt), QoS 1, never retained.
 * Payload: `{"ids": ["<ULID>", …]}`, 1 to RECEIPT_MAX_IDS ids.
 */

/** At most this many ids in one receipt (the kiosk keeps at most 1,000 check-ins unconfirmed). */
export const RECEIPT_MAX_IDS = 1000;
/** 1,000 ids of 29 bytes each ("…",) and the wrapper: anything larger is not a receipt. */
const MAX_BYTES = RECEIPT_MAX_IDS * 29 + 32;

export function encodeReceipt(ids: readonly string[]): string {
  return JSON.stringify({ ids });
}

/** The ids of a receipt, or null when the payload is not one (wrong shape, too big, not ULIDs). */
export function parseReceipt(payload: Uint8Array): string[] | null {
  if (payload.length > MAX_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(payload).toString('utf8'));
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const ids = (value as { ids?: unknown }).ids;
  if (!Array.isArray(ids) || ids.length === 0 || ids.length > RECEIPT_MAX_IDS) return null;
  return ids.every(isCheckinId) ? (ids as string[]) : null;
}
