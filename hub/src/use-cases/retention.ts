import { vnDay } from '@qrkiosk/protocol';
import type { HubStore } from '../store.js';

/** How long check-ins and dead letters are kept when nothing else is said (days). */
export const DEFAULT_RETENTION_DAYS = 21;

export interface RetentionResult {
  days: number;
  /** Check-ins removed. */
  removed: number;
  /** Dead letters removed. */
  deadLetters: number;
  /** Alert and report notices removed (sent or given up); absent when none. */
  notices?: number;
  /** Printed passes removed (past their last valid day by more than `days`); absent when none. */
  passes?: number;
}

/**
 * The retention, applied by the hub every day and by `qrkiosk-hub purge`: check-ins older than
 * `days` go, and so do dead letters (they hold the same personal data, masked and hashed) and the
 * failed-login counts nobody has touched for a day, and the notices already sent or given up (they
 * hold e-mail addresses and reports), and the printed passes whose last valid day is more than `days`
 * past, with their reception check-in links (a pass row is a visit record: holder hash, site, issued_at;
 * review 2 finding 4); the audit log and the alert history stay. Audited when anything went
 * (`always`: even when nothing did, as a command run by a person is).
 */
export async function applyRetention(
  store: HubStore,
  days: number,
  by: { actor: string; always?: boolean },
  now = new Date(),
): Promise<RetentionResult> {
  if (!(Number.isFinite(days) && days >= 0)) throw new RangeError(`retention days must be ≥ 0, not ${days}`);
  const before = new Date(now.getTime() - days * 86_400_000);
  const removed = await store.purge(before);
  const deadLetters = await store.purgeDeadLetters(before);
  await store.forgetLoginFailures(now);
  const notices = await store.repo.alerts.purgeNotices(before);
  // valid_until is a Vietnam day: a pass valid until day D goes once D is before `before`'s day.
  const passes = await store.repo.passes.purgeExpired(vnDay(before));
  const more = { ...(notices > 0 ? { notices } : {}), ...(passes > 0 ? { passes } : {}) };
  if (by.always || removed > 0 || deadLetters > 0 || notices > 0 || passes > 0)
    await store.audit(by.actor, 'purge', { days, removed, deadLetters, ...more });
  return { days, removed, deadLetters, ...more };
}
