import type { CheckinMessage } from '@qrkiosk/protocol';
import type { TraceVisit } from '../report-model.js';
import type { SiteInfo } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { type Gathered, PeopleBook, peopleAt, siteFields } from './people.js';
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
 * cut the list. Runs one F1 at a time: on SQLite the queries are synchronous anyway, and on
 * PostgreSQL 200 parallel traces would take every pooled connection from ingest.
 */
export async function expandF2(
  store: HubStore,
  ask: F2Ask,
): Promise<{ book: PeopleBook; truncated: boolean }> {
  const book = new PeopleBook(2);
  const chosen = [...ask.f1].sort(byExposure).slice(0, F2_LIMITS.f1ForF2);
  let truncated = ask.f1.length > chosen.length;
  const windowMs = ask.windowMinutes * 60_000;
  for (const person of chosen) {
    const own = new Set<string>();
    for (const c of person.checkins.values())
      for (const h of await store.personHashes(c.document.idHash)) own.add(h);
    const visits: TraceVisit[] = (
      await store.trace([...own], new Date(person.firstAt), ask.to, ask.windowMinutes)
    ).filter((v) => ask.visible(v.visit.site));
    const others = (v: TraceVisit) =>
      v.coVisitors.filter((c) => !own.has(c.document.idHash) && !ask.exclude.has(c.document.idHash));
    const hashes = new Set(visits.flatMap((v) => others(v).map((c) => c.document.idHash)));
    const reps = await store.groupPeople([...hashes]);
    const repOf = (h: string) => reps.get(h) ?? h;
    const theirs: CheckinMessage[] = visits.map((v) => v.visit);
    for (const v of visits) {
      if (v.visit.direction === 'out') continue;
      const near = others(v).filter((c) => !ask.exclude.has(repOf(c.document.idHash)));
      for (const met of peopleAt(v.visit, near, theirs, windowMs, repOf)) {
        if (!book.people.has(met.rep) && book.people.size >= F2_LIMITS.f2People) {
          truncated = true;
          continue;
        }
        const { siteName, siteAddress } = siteFields(ask.directory, v.visit.site);
        book.add(met, {
          visit: v.visit.id,
          via: ask.refOf.get(person.rep) ?? '',
          site: v.visit.site,
          siteName,
          siteAddress,
        });
      }
    }
  }
  return { book, truncated };
}
