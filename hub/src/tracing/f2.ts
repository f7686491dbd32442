import type { CheckinMessage } from '@qrkiosk/protocol';
import type { TraceVisit } from '../report-model.js';
import type { SiteInfo } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { type Gathered, type Met, PeopleBook, peopleAt, siteFields } from './people.js';
import { F2_LIMITS } from './result.js';

/** What an F2 step needs from the F1 step and the query. */
export interface F2Ask {
  f1: ReadonlyArray<Gathered>;
  /** F1 person (representative hash) → their reference, for `via`. */
  refOf: ReadonlyMap<string, string>;
  /** People never listed as F2: the F0 and every F1 (representative hashes and their own hashes). */
  exclude: ReadonlySet<string>;
  to: Date;
  windowMinutes: number;
  visible: (site: string) => boolean;
  directory: ReadonlyMap<string, SiteInfo>;
}

/** The most exposed F1 people first (most overlap minutes, then first met): they are followed first. */
const byExposure = (a: Gathered, b: Gathered) => {
  const minutes = (g: Gathered) => g.contacts.reduce((n, c) => n + c.overlapMinutes, 0);
  return minutes(b) - minutes(a) || a.firstAt - b.firstAt;
};

/**
 * One-step F2 expansion: the co-visitors of each F1 person (all their linked documents) at their
 * visits from their first contact with the F0 to the end of the period, bounded by F2_LIMITS — at
 * most `f1ForF2` F1 people followed, at most `f2People` F2 people listed; `truncated` says a bound
 * cut the list. The F1 people's queries run a few at a time (F2_CONCURRENCY: on PostgreSQL 200 at once
 * would take every pooled connection from ingest; on SQLite they are synchronous anyway); what they
 * found is added in the order of exposure, so the same data cuts the list at the same person.
 */
export async function expandF2(
  store: HubStore,
  ask: F2Ask,
): Promise<{ book: PeopleBook; truncated: boolean }> {
  const book = new PeopleBook(2);
  const chosen = [...ask.f1].sort(byExposure).slice(0, F2_LIMITS.f1ForF2);
  let truncated = ask.f1.length > chosen.length;
  const found: Array<Array<{ visit: CheckinMessage; met: Met[] }>> = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chosen.length; i = next++)
      found[i] = await metByF1(store, ask, chosen[i] as Gathered);
  };
  await Promise.all(Array.from({ length: F2_CONCURRENCY }, worker));
  chosen.forEach((person, i) => {
    for (const { visit, met } of found[i] ?? [])
      for (const m of met) {
        if (!book.people.has(m.rep) && book.people.size >= F2_LIMITS.f2People) {
          truncated = true;
          continue;
        }
        const { siteName, siteAddress } = siteFields(ask.directory, visit.site);
        book.add(m, {
          visit: visit.id,
          via: ask.refOf.get(person.rep) ?? '',
          site: visit.site,
          siteName,
          siteAddress,
        });
      }
  });
  return { book, truncated };
}

/** How many F1 people's F2 queries run at once. */
const F2_CONCURRENCY = 4;

/** The people one F1 person met after meeting the F0, per visit (none of the excluded). */
async function metByF1(
  store: HubStore,
  ask: F2Ask,
  person: Gathered,
): Promise<Array<{ visit: CheckinMessage; met: Met[] }>> {
  const own = new Set<string>();
  // Each document they were seen with, walked once (two scans of one card are one walk).
  const seen = new Set([...person.checkins.values()].map((c) => c.document.idHash));
  for (const seenHash of seen) for (const h of await store.personHashes(seenHash)) own.add(h);
  const visits: TraceVisit[] = (
    await store.trace([...own], new Date(person.firstAt), ask.to, ask.windowMinutes)
  ).filter((v) => ask.visible(v.visit.site));
  const others = (v: TraceVisit) =>
    v.coVisitors.filter((c) => !own.has(c.document.idHash) && !ask.exclude.has(c.document.idHash));
  const hashes = new Set(visits.flatMap((v) => others(v).map((c) => c.document.idHash)));
  const reps = await store.groupPeople([...hashes]);
  const repOf = (h: string) => reps.get(h) ?? h;
  const theirs: CheckinMessage[] = visits.map((v) => v.visit);
  return visits
    .filter((v) => v.visit.direction !== 'out')
    .map((v) => {
      const near = others(v).filter((c) => !ask.exclude.has(repOf(c.document.idHash)));
      return { visit: v.visit, met: peopleAt(v.visit, near, theirs, ask.windowMinutes * 60_000, repOf) };
    });
}
