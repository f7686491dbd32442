import type { CheckinMessage } from '@qrkiosk/protocol';
import type { TraceVisit } from '../report-model.js';
import type { SiteInfo } from '../storage/index.js';
import type { TraceContact, TracePerson } from './result.js';

const MINUTE_MS = 60_000;

/**
 * When a stay that began with check-in `c` ends: `windowMs` later, or earlier at the first exit
 * ('out' check-in) of the same person at the same site after it. A kiosk at the door only knows
 * arrivals (and exits where a second kiosk faces out), so a stay without an exit is assumed to
 * last the window the officer chose.
 */
export function stayEnd(c: CheckinMessage, windowMs: number, exits: ReadonlyArray<CheckinMessage>): number {
  const start = Date.parse(c.at);
  let end = start + windowMs;
  for (const e of exits) {
    const t = Date.parse(e.at);
    if (e.direction === 'out' && e.site === c.site && t >= start && t < end) end = t;
  }
  return end;
}

/** The length of the union of intervals (two check-ins of one person within one stay count once). */
export function unionMs(intervals: ReadonlyArray<readonly [number, number]>): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let cur: [number, number] | undefined;
  for (const [s, e] of sorted) {
    if (cur && s <= cur[1]) cur[1] = Math.max(cur[1], e);
    else {
      if (cur) total += cur[1] - cur[0];
      cur = [s, e];
    }
  }
  return total + (cur ? cur[1] - cur[0] : 0);
}

/** Whole minutes, rounded to the nearest (10 min 30 s → 11). */
export const wholeMinutes = (ms: number): number => Math.max(0, Math.round(ms / MINUTE_MS));

/** A person met during one stay: their check-ins whose stay touched it, and for how long. */
export interface Met {
  rep: string;
  checkins: CheckinMessage[];
  overlapMs: number;
  /** Their first check-in of the meeting, ISO-8601. */
  at: string;
  /** When the contact began (ms): the later of the two arrivals. An F2 search of them starts here. */
  since: number;
}

/**
 * One stay of the traced person at a site: from an arrival (or from `since`, when a search starts
 * there) to its end, with the check-ins around it. Arrivals at one site whose stays overlap — the
 * same card scanned twice, two linked cards at one desk — are one stay (the union), so a person
 * there with them is counted once, not once per scan. `visit` is the stay's first arrival.
 */
export interface Stay {
  visit: CheckinMessage;
  start: number;
  end: number;
  coVisitors: CheckinMessage[];
}

/**
 * The stays of one person from their check-ins (store.trace): arrivals before `end` (ms; the end of
 * the period, exclusive — exits and co-visitors may be read beyond it, an arrival after it is no visit), each
 * ended by its window or the person's own exit, cut to begin no earlier than `since`, merged per
 * site where they overlap. Oldest first.
 */
export function staysOf(
  traced: ReadonlyArray<TraceVisit>,
  windowMs: number,
  bounds: { since?: number; end?: number } = {},
): Stay[] {
  const since = bounds.since ?? Number.NEGATIVE_INFINITY;
  const last = bounds.end ?? Number.POSITIVE_INFINITY;
  const own = traced.map((v) => v.visit);
  const raw = traced
    // A check-in the door sensor marked "did not enter" (issue #19) is no stay: nobody came in.
    .filter((v) => v.visit.direction !== 'out' && !v.notEntered && Date.parse(v.visit.at) < last)
    .map((v) => ({
      visit: v.visit,
      start: Math.max(since, Date.parse(v.visit.at)),
      end: stayEnd(v.visit, windowMs, own),
      coVisitors: v.coVisitors,
    }))
    .filter((s) => s.start <= s.end)
    .sort((a, b) => a.start - b.start || (a.visit.id < b.visit.id ? -1 : 1));
  const open = new Map<string, Stay>();
  const stays: Stay[] = [];
  for (const s of raw) {
    const cur = open.get(s.visit.site);
    if (cur && s.start <= cur.end) {
      cur.end = Math.max(cur.end, s.end);
      const ids = new Set(cur.coVisitors.map((c) => c.id));
      cur.coVisitors.push(...s.coVisitors.filter((c) => !ids.has(c.id)));
      continue;
    }
    const stay = { ...s, coVisitors: [...s.coVisitors] };
    open.set(s.visit.site, stay);
    stays.push(stay);
  }
  return stays;
}

/**
 * The people whose stays intersect [start, end] (ms). `others`: the check-ins at the site around it
 * (store.trace), the traced person's own hashes already left out; `repOf` names the person each hash
 * belongs to. Stays that only touch (one ends the minute the other begins) count, with 0 minutes:
 * the kiosk's clock is the only witness, and a tracer would rather call one person too many.
 */
export function peopleDuring(
  start: number,
  end: number,
  others: ReadonlyArray<CheckinMessage>,
  windowMs: number,
  repOf: (idHash: string) => string,
): Met[] {
  const byRep = new Map<string, CheckinMessage[]>();
  for (const c of others) {
    const rep = repOf(c.document.idHash);
    byRep.set(rep, [...(byRep.get(rep) ?? []), c]);
  }
  const met: Met[] = [];
  for (const [rep, theirs] of byRep) {
    const touching: CheckinMessage[] = [];
    const spans: Array<[number, number]> = [];
    for (const c of theirs) {
      if (c.direction === 'out') continue;
      const s = Math.max(start, Date.parse(c.at));
      const e = Math.min(end, stayEnd(c, windowMs, theirs));
      if (s > e) continue;
      touching.push(c);
      spans.push([s, e]);
    }
    const first = touching[0];
    if (!first) continue;
    met.push({
      rep,
      checkins: touching,
      overlapMs: unionMs(spans),
      at: first.at,
      since: Math.min(...spans.map(([s]) => s)),
    });
  }
  return met;
}

/** A site's register entry as a trace shows it (empty strings for a site nobody registered). */
export function siteFields(directory: ReadonlyMap<string, SiteInfo>, site: string) {
  const info = directory.get(site);
  return {
    siteName: info?.name ?? '',
    siteAddress: info?.address ?? '',
    district: info?.district ?? '',
    ward: info?.ward ?? '',
  };
}

/** A person as gathered over visits, before numbering and revealing. */
export interface Gathered {
  rep: string;
  level: 1 | 2;
  checkins: Map<string, CheckinMessage>;
  contacts: TraceContact[];
  /** Their first contact's check-in time (ms): the list's order. */
  firstAt: number;
  /** When their first contact began (ms), the later of the two arrivals: where an F2 search of them starts. */
  since: number;
}

/** People met over a trace's visits, one entry per person (grouped by their representative hash). */
export class PeopleBook {
  readonly people = new Map<string, Gathered>();

  constructor(readonly level: 1 | 2) {}

  add(met: Met, contact: Omit<TraceContact, 'at' | 'overlapMinutes'>): Gathered {
    const g = this.people.get(met.rep) ?? {
      rep: met.rep,
      level: this.level,
      checkins: new Map<string, CheckinMessage>(),
      contacts: [],
      firstAt: Number.POSITIVE_INFINITY,
      since: Number.POSITIVE_INFINITY,
    };
    for (const c of met.checkins) g.checkins.set(c.id, c);
    g.contacts.push({ ...contact, at: met.at, overlapMinutes: wholeMinutes(met.overlapMs) });
    g.firstAt = Math.min(g.firstAt, Date.parse(met.at));
    g.since = Math.min(g.since, met.since);
    this.people.set(met.rep, g);
    return g;
  }

  /** In order of first contact (then by hash, so the same data numbers people the same way). */
  ordered(): Gathered[] {
    return [...this.people.values()].sort((a, b) => a.firstAt - b.firstAt || (a.rep < b.rep ? -1 : 1));
  }

  checkinCount(): number {
    let n = 0;
    for (const g of this.people.values()) n += g.checkins.size;
    return n;
  }
}

/** `F1-001`, `F2-017`: a person's reference on the list the ward's team calls from. */
export const personRef = (level: 1 | 2, i: number) => `F${level}-${String(i + 1).padStart(3, '0')}`;

/** A gathered person as the answer lists them (masked; identities are added by a reveal). */
export function toPerson(g: Gathered, ref: string): TracePerson {
  const docs = new Map<string, TracePerson['documents'][number]>();
  for (const c of g.checkins.values()) {
    const d = {
      kind: c.document.kind,
      numberMasked: c.document.numberMasked,
      nameMasked: c.document.nameMasked,
    };
    docs.set(`${d.kind}\u0000${d.numberMasked}\u0000${d.nameMasked}`, d);
  }
  const contacts = [...g.contacts].sort((a, b) => a.at.localeCompare(b.at));
  return {
    ref,
    level: g.level,
    checkins: g.checkins.size,
    overlapMinutes: contacts.reduce((n, c) => n + c.overlapMinutes, 0),
    documents: [...docs.values()],
    contacts,
  };
}
