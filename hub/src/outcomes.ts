import { type OutcomeMessage, validateOutcome } from '@qrkiosk/protocol';
import { fromTopicKiosk } from './kiosk-origin.js';
import type { KioskRegistry } from './kiosk-registry.js';
import type { HubStore } from './store.js';

/**
 * A guard's outcome (qrkiosk.outcome/1) taken off a kiosk's `…/checkin` topic: the same checks as a
 * check-in (schema, topic and payload agree, the kiosk's site binding), then stored once by id.
 * Returns the outcome when the hub has it (new or not: the caller receipts it), or the refusal.
 */
export async function ingestOutcome(
  deps: { store: HubStore; registry: KioskRegistry },
  where: { site: string; kiosk: string },
  value: unknown,
  now: Date,
): Promise<{ ok: true; outcome: OutcomeMessage; fresh: boolean } | { ok: false; reason: string }> {
  const valid = validateOutcome(value);
  if (!valid.ok) return { ok: false, reason: valid.errors.join('; ') };
  const outcome = valid.value;
  const origin = await fromTopicKiosk(deps.registry, where, outcome, now);
  if (!origin.ok) return origin;
  // A kiosk resolves only its own check-ins: another kiosk's REVIEW (or an entry at another site) is
  // not its to admit or mark as left. A check-in not here yet (a resend still on its way) is taken.
  const owner = await deps.store.checkinOwner(outcome.checkin);
  if (owner && (owner.site !== where.site || owner.kiosk !== where.kiosk))
    return {
      ok: false,
      reason: `check-in ${outcome.checkin} was made by kiosk ${owner.kiosk} at ${owner.site}, not by this kiosk`,
    };
  return { ok: true, outcome, fresh: await deps.store.addOutcome(outcome, now) };
}
