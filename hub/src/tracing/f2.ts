import type { TraceVisit } from '../report-model.js';
import type { SiteInfo } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { type Gathered, PeopleBook, peopleDuring, siteFields, staysOf } from './people.js';
import { F2_LIMITS } from './result.js';

/** What an F2 step needs from the F1 step and the query. */
export interface F2Ask {
  f1: ReadonlyArray<Gathered>;
  /** F1 person (representative hash) → their reference, for `via`. */
  refOf: ReadonlyMap<string, string>;
  /**
   * The F0's and the F1 people's hashes (their representatives and every document they were seen
   * with): nobody linked to one of them is listed as F2.
   */
  exclude: ReadonlySet<string>;
  /** The end of the period, exclusive (an F1's arrival from then on is no visit; exits are read a window later). */
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

/** What one F1 person's search found: their visits with the check-ins around them, and all their hashes. */
interface Followed {
  visits: TraceVisit[];
  own: Set<string>;
}

/**
 * One-step F2 expansion: the co-visitors of each F1 person (all their linked documents) during their
 * stays from the moment their contact with the F0 began (the later of the two arrivals: someone met
 * before is no F2) to the end of the period, bounded by F2_LIMITS — at most `f1ForF2` F1 people
 * followed, at most `f2People` F2 people listed; `truncated` says a bound cut the list.
 * The candidates of every F1 are grouped into people in ONE groupPeople call together with the F0's
 * and the F1s' hashes: a representative depends on the hashes a call is given, so separate calls
 * would list one person twice (once per document) or an F1 again under another document.
 * The F1 people's searches run a few at a time (F2_CONCURRENCY); their database reads go through
 * the store's own bound (store.trace). What they found is added in the order of exposure, so the
 * same data cuts the list at the same person.
 */
export async function expandF2(
  store: HubStore,
  ask: F2Ask,
): Promise<{ book: PeopleBook; truncated: boolean }> {
  const book = new PeopleBook(2);
  const chosen = [...ask.f1].sort(byExposure).slice(0, F2_LIMITS.f1ForF2);
  let truncated = ask.f1.length > chosen.length;
  const found: Followed[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < chosen.length; i = next++)
      found[i] = await follow(store, ask, chosen[i] as Gathered);
  };
  await Promise.all(Array.from({ length: F2_CONCURRENCY }, worker));
  const excluded = new Set(ask.exclude);
  for (const f of found) for (const h of f.own) excluded.add(h);
  const candidates = new Set<string>();
  for (const f of found)
    for (const v of f.visits)
      for (const c of v.coVisitors) if (!excluded.has(c.document.idHash)) candidates.add(c.document.idHash);
  const reps = await store.groupPeople([...ask.exclude, ...candidates]);
  const repOf = (h: string) => reps.get(h) ?? h;
  const excludedReps = new Set([...ask.exclude].map(repOf));
  const windowMs = ask.windowMinutes * 60_000;
  const near = (h: string) => !excluded.has(h) && !excludedReps.has(repOf(h));
  chosen.forEach((person, i) => {
    const visits = found[i]?.visits ?? [];
    for (const stay of staysOf(visits, windowMs, { since: person.since, end: ask.to.getTime() })) {
      const others = stay.coVisitors.filter((c) => near(c.document.idHash));
      for (const m of peopleDuring(stay.start, stay.end, others, windowMs, repOf)) {
        if (!book.people.has(m.rep) && book.people.size >= F2_LIMITS.f2People) {
          truncated = true;
          continue;
        }
        const { siteName, siteAddress } = siteFields(ask.directory, stay.visit.site);
        book.add(m, {
          visit: stay.visit.id,
          via: ask.refOf.get(person.rep) ?? '',
          site: stay.visit.site,
          siteName,
          siteAddress,
        });
      }
    }
  });
  return { book, truncated };
}

/** How many F1 people's F2 searches run at once. */
const F2_CONCURRENCY = 4;

/**
 * One F1 person's visits from their first contact with the F0 (a window earlier: a stay begun
 * before it and still going counts from the contact on) to a window past the period (an exit after
 * midnight still ends a stay), with the check-ins around them.
 */
async function follow(store: HubStore, ask: F2Ask, person: Gathered): Promise<Followed> {
  const own = new Set<string>();
  // Each document they were seen with, walked once (two scans of one card are one walk).
  const seen = new Set([...person.checkins.values()].map((c) => c.document.idHash));
  for (const seenHash of seen) for (const h of await store.personHashes(seenHash)) own.add(h);
  const windowMs = ask.windowMinutes * 60_000;
  const visits = (
    await store.trace(
      [...own],
      new Date(person.since - windowMs),
      new Date(ask.to.getTime() + windowMs),
      ask.windowMinutes,
    )
  ).filter((v) => ask.visible(v.visit.site));
  return { visits, own };
}
