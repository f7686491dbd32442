import { bootInstant, type TelemetryMessage, vnDay } from '@qrkiosk/protocol';
import { type RetimeResult, unsyncedBoot } from './storage/boots.js';
import type { CheckinRow, HubRepository } from './storage/repository.js';
import type { TallyRow } from './storage/tallies.js';

/**
 * Re-timing check-ins made with a wrong clock (issue #13). A Pi has no real-time clock: after a power
 * cut it runs on an old time until NTP syncs, and its check-ins would land on the wrong day here.
 * Each such check-in carries its kiosk's boot id and the monotonic time of the scan (`boot`); each
 * telemetry carries the same boot id and monotonic time read together with the wall clock. From the
 * first telemetry of a boot that reports a synced clock the hub knows when that boot began
 * (`at − uptimeMs`), and every check-in of that boot made unsynced is placed at `began + uptimeMs`:
 * the ones already stored at once, later ones as they arrive. The kiosk's own time stays in
 * `at_reported`. Verify-only tallies carry the same stamp and are placed alike. docs/protocol.md,
 * "Re-timing", describes it for kiosk and hub authors.
 */

/** When the boot of a synced telemetry began (ms since the epoch); null when it tells nothing. */
export function bootBegan(t: TelemetryMessage): number | null {
  if (!t.clockSynced || !t.boot) return null;
  const began = Date.parse(t.at) - t.boot.uptimeMs;
  return Number.isFinite(began) ? began : null;
}

/** Before storing: check-ins of boots whose start is known already are placed right away. */
export async function retimeOnIngest(
  repo: HubRepository,
  batch: ReadonlyArray<CheckinRow>,
): Promise<ReadonlyArray<CheckinRow>> {
  const wanted = new Map<string, string[]>();
  for (const { checkin } of batch) {
    const boot = unsyncedBoot(checkin);
    if (boot) wanted.set(checkin.kiosk, [...(wanted.get(checkin.kiosk) ?? []), boot.id]);
  }
  // Synced check-ins, nearly all of them: no query at all.
  if (wanted.size === 0) return batch;
  const known = new Map<string, Map<string, number>>();
  for (const [kiosk, boots] of wanted) known.set(kiosk, await repo.bootsBegan(kiosk, boots));
  return batch.map((row) => {
    const boot = unsyncedBoot(row.checkin);
    const began = boot ? known.get(row.checkin.kiosk)?.get(boot.id) : undefined;
    if (!boot || began === undefined) return row;
    const at = bootInstant(began, boot.uptimeMs);
    if (at === undefined) return row;
    return { ...row, checkin: { ...row.checkin, at }, atReported: row.checkin.at };
  });
}

/** A verify-only tally (storage/tallies.ts) of a boot whose start is known already: placed right away. */
export async function retimeTallyOnIngest(repo: HubRepository, row: TallyRow): Promise<TallyRow> {
  const boot = unsyncedBoot(row.tally);
  if (!boot) return row;
  const began = (await repo.bootsBegan(row.tally.kiosk, [boot.id])).get(boot.id);
  if (began === undefined) return row;
  const at = bootInstant(began, boot.uptimeMs);
  if (at === undefined) return row;
  return { ...row, tally: { ...row.tally, at }, atReported: row.tally.at };
}

/** What the store offers re-timing after the fact: the repository, saved reports, the audit log. */
export interface RetimeStore {
  readonly repo: HubRepository;
  savedReport(day: string): Promise<unknown>;
  saveReport(day: string, at?: Date): Promise<unknown>;
  audit(actor: string, action: string, detail: Record<string, unknown>, at?: Date): Promise<void>;
}

/**
 * A telemetry arrived: when it reports a synced clock, learn its boot's start and re-time that boot's
 * stored check-ins still waiting. Run on every synced telemetry, not only the first: a check-in
 * stored by another lane or hub process while this one learned the start (neither saw the other's
 * uncommitted row) is caught by the next telemetry. A daily report already saved for a Vietnam day a
 * check-in left or joined is generated again, so reports agree with tracing; the audit log records
 * the change, with the days and the reports regenerated.
 */
export async function retimeFromTelemetry(
  store: RetimeStore,
  t: TelemetryMessage,
  at: Date,
): Promise<RetimeResult | null> {
  const began = bootBegan(t);
  if (began === null || !t.boot) return null;
  const result = await store.repo.retimeBoot(t.kiosk, t.boot.id, began, at);
  if (result.moved.length === 0) return result;
  const days = [
    ...new Set(result.moved.flatMap((m) => [vnDay(new Date(m.from)), vnDay(new Date(m.to))])),
  ].sort();
  const regenerated: string[] = [];
  for (const day of days)
    if (await store.savedReport(day)) {
      await store.saveReport(day, at);
      regenerated.push(day);
    }
  const first = result.moved[0]!;
  await store.audit(
    'hub',
    'retime',
    {
      kiosk: t.kiosk,
      site: t.site,
      boot: t.boot.id,
      bootBegan: new Date(result.beganMs).toISOString(),
      checkins: result.moved.length,
      shiftMs: Date.parse(first.to) - Date.parse(first.from),
      days,
      reportsRegenerated: regenerated,
    },
    at,
  );
  return result;
}
