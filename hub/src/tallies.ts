import { type TallyMessage, validateTally } from '@qrkiosk/protocol';
import { fromTopicKiosk } from './kiosk-origin.js';
import type { KioskRegistry } from './kiosk-registry.js';
import type { HubStore } from './store.js';

export interface TallyIngestDeps {
  store: HubStore;
  registry: KioskRegistry;
  receipts: { add(site: string, kiosk: string, id: string): void };
  occupancy: { touch(site: string): void } | undefined;
  /** Live pages add one to the site's count (ingest's `tally` event). */
  emit: (tally: TallyMessage) => void;
}

/**
 * A verify-only site's tally (qrkiosk.tally/1) taken off a kiosk's `…/checkin` topic: the same checks
 * as a check-in (schema, topic and payload agree, the kiosk's site binding), stored once by id,
 * receipted whether new or not, and counted. The schema refuses any identity field
 * (additionalProperties: false), so nothing that names a person can reach the tallies table.
 */
export async function ingestTally(
  d: TallyIngestDeps,
  where: { site: string; kiosk: string },
  value: unknown,
  now: Date,
): Promise<{ ok: true; tally: TallyMessage; fresh: boolean } | { ok: false; reason: string }> {
  const valid = validateTally(value);
  if (!valid.ok) return { ok: false, reason: valid.errors.join('; ') };
  const tally = valid.value;
  const origin = await fromTopicKiosk(d.registry, where, tally, now);
  if (!origin.ok) return origin;
  const fresh = await d.store.addTally(tally, now);
  // Stored now or before: either way the hub has it, and the kiosk may stop sending it.
  d.receipts.add(where.site, where.kiosk, tally.id);
  if (fresh && tally.verdict !== 'REFUSE') d.occupancy?.touch(where.site);
  // Stored: a failing listener (a live page that went away) must not turn into a lost receipt.
  if (fresh)
    try {
      d.emit(tally);
    } catch {
      // the live page's own problem; the tally is stored and receipted
    }
  return { ok: true, tally, fresh };
}
