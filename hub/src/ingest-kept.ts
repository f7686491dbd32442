import { isCheckinId, parseKioskTopic } from '@qrkiosk/protocol';

/**
 * The check-in (or outcome, or tally) id a payload kept as a dead letter names, with its kiosk, when
 * it came on a kiosk's `…/checkin` topic: ingest receipts it (HubIngest.receiptKept says why). Any
 * JSON that fails to parse, or names no ULID, gives undefined.
 */
export function keptCheckin(
  topic: string,
  payload: Buffer,
): { site: string; kiosk: string; id: string } | undefined {
  const where = parseKioskTopic(topic);
  if (!where.ok || where.channel !== 'checkin') return undefined;
  let id: unknown;
  try {
    id = (JSON.parse(payload.toString('utf8')) as { id?: unknown } | null)?.id;
  } catch {
    return undefined;
  }
  return isCheckinId(id) ? { site: where.site, kiosk: where.kiosk, id } : undefined;
}
