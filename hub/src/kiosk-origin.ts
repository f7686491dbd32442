import type { KioskRegistry } from './kiosk-registry.js';

/**
 * The checks every row a kiosk sends on its `…/checkin` topic passes after its schema (outcomes,
 * verify-only tallies): the site and kiosk it names are the topic's, and that kiosk is bound to that
 * site (the registry). One place, so a change to what "from this kiosk" means reaches every kind.
 */
export async function fromTopicKiosk(
  registry: KioskRegistry,
  where: { site: string; kiosk: string },
  message: { site: string; kiosk: string },
  now: Date,
): Promise<{ ok: true } | { ok: false; reason: string }> {
  if (message.site !== where.site || message.kiosk !== where.kiosk)
    return { ok: false, reason: 'site/kiosk in payload differ from topic' };
  const bound = await registry.check(where.site, where.kiosk, now);
  return bound.ok ? { ok: true } : { ok: false, reason: bound.reason };
}
