import type { CheckinMessage, TracingPrivateKey } from '@qrkiosk/protocol';
import {
  badDayMessage,
  hashIdentity,
  type IdType,
  parseDay,
  TRACEABLE_ID_TYPES,
  vnDay,
  vnDayEnd,
  vnDayStart,
} from '@qrkiosk/protocol';
import type { HubStore } from '../store.js';
import type { Text } from '../text.js';
import { expandF2 } from '../tracing/f2.js';
import {
  type Gathered,
  PeopleBook,
  peopleDuring,
  personRef,
  siteFields,
  stayEnd,
  staysOf,
  toPerson,
} from '../tracing/people.js';
import {
  F2_LIMITS,
  TRACE_SCHEMA,
  type TracePerson,
  type TraceResult,
  type TraceVisitRow,
} from '../tracing/result.js';
import { openPerson, wrongKey } from '../tracing/reveal.js';

/** What an officer may trace by: protocol's vocabulary (every identity type but a DCC's UVCI). */
export const TRACE_ID_TYPES = TRACEABLE_ID_TYPES;
/** The widest co-visitor window, minutes either side (12 hours). */
export const TRACE_MAX_WINDOW_MIN = 720;
/** The window when none is given, minutes either side. */
export const TRACE_DEFAULT_WINDOW_MIN = 30;
/** Days before today a trace starts when no first day is given (the CLI's default). */
const DEFAULT_DAYS_BACK = 14;

/** A case label's longest length (it reaches the audit log and the printed page). */
export const TRACE_CASE_MAX = 64;
/** A reveal's reason: long enough to say something, short enough for the audit log. */
export const REVEAL_REASON = { min: 5, max: 500 } as const;

/** A tracing query as the page or the command line gives it (days `YYYY-MM-DD`, Vietnam time). */
export interface TraceAsk {
  type: string;
  id: string;
  /** First day; default 14 days before today. */
  from?: string | undefined;
  /** Last day, included; default today. */
  to?: string | undefined;
  window?: number | undefined;
  /** Follow the F1 people one step further (F2). */
  f2?: boolean | undefined;
  /** The case this trace is for (the health office's label), ≤ 64 characters. */
  case?: string | undefined;
  /** A reveal of the co-visitors' identities: why (5–500 characters). The keys travel apart. */
  reveal?: { reason?: string | undefined } | undefined;
}

/** A query that passed every check: one person's number normalised, real days, a bounded window. */
export interface TraceQuery {
  type: IdType;
  id: string;
  from: string;
  to: string;
  window: number;
  f2: boolean;
  case: string;
  /** Present when the co-visitors' identities are to be revealed. */
  reason?: string;
}

/** The longest period a trace reads, days included (a bound on the reads one request can start). */
export const TRACE_MAX_DAYS = 60;

// Control characters would let a label or reason forge lines in a log or a CSV cell; format
// characters (bidi overrides U+202E, zero-width spaces) would make the printed or audited text read
// otherwise than it is; U+2028/2029 break lines in some viewers.
const CONTROL = /[\p{Cc}\p{Cf}\u2028\u2029]/u;
const controlProblem = (vi: string, en: string): Text => ({
  vi: `${vi}: không được chứa ký tự điều khiển hay ký tự định hướng (ví dụ U+202E)`,
  en: `${en}: no control or direction-override characters (e.g. U+202E)`,
});

/**
 * The one check of a tracing query, for the page (POST /api/trace) and `qrkiosk-hub trace` alike:
 * real calendar days (2021-02-30 refused, not rolled into March), a known identity type, a number of
 * 6–20 digits or letters once spaces are dropped, a period from ≤ to of at most 60 days, a window
 * in (0, 720] minutes, a case label of at most 64 characters, and for a reveal a reason of 5–500
 * characters; neither label nor reason with a control, format (bidi) or line-separator character.
 */
export function checkTrace(
  ask: TraceAsk,
  now = new Date(),
): { ok: true; query: TraceQuery } | { ok: false; problem: Text } {
  const from = ask.from ?? vnDay(new Date(now.getTime() - DEFAULT_DAYS_BACK * 86_400_000));
  const to = ask.to ?? vnDay(now);
  for (const [what, value] of [
    ['from', from],
    ['to', to],
  ] as const)
    if (!parseDay(value)) return { ok: false, problem: badDayMessage(what, value) };
  const days = (Date.parse(to) - Date.parse(from)) / 86_400_000 + 1;
  if (days < 1)
    return {
      ok: false,
      problem: {
        vi: `Khoảng thời gian: ngày bắt đầu (${from}) sau ngày kết thúc (${to})`,
        en: `period: from (${from}) is after to (${to})`,
      },
    };
  if (days > TRACE_MAX_DAYS)
    return {
      ok: false,
      problem: {
        vi: `Khoảng thời gian: tối đa ${TRACE_MAX_DAYS} ngày (đã chọn ${days} ngày)`,
        en: `period: at most ${TRACE_MAX_DAYS} days (${days} asked)`,
      },
    };
  if (!(TRACE_ID_TYPES as readonly string[]).includes(ask.type))
    return {
      ok: false,
      problem: {
        vi: `Loại giấy tờ phải là một trong ${TRACE_ID_TYPES.join(', ')}`,
        en: `type must be one of ${TRACE_ID_TYPES.join(', ')}`,
      },
    };
  const id = ask.id.replace(/\s+/g, '').toUpperCase();
  if (!/^[0-9A-Z]{6,20}$/.test(id))
    return {
      ok: false,
      problem: { vi: 'Số giấy tờ: 6–20 chữ số hoặc chữ cái', en: 'id: 6–20 digits or letters' },
    };
  const window = ask.window ?? TRACE_DEFAULT_WINDOW_MIN;
  if (!(window > 0 && window <= TRACE_MAX_WINDOW_MIN))
    return {
      ok: false,
      problem: {
        vi: `Khoảng thời gian tiếp xúc: lớn hơn 0 và tối đa ${TRACE_MAX_WINDOW_MIN} phút`,
        en: `window: more than 0 and at most ${TRACE_MAX_WINDOW_MIN} minutes`,
      },
    };
  const caseLabel = (ask.case ?? '').trim();
  if (CONTROL.test(caseLabel)) return { ok: false, problem: controlProblem('Mã ca bệnh', 'case') };
  if ([...caseLabel].length > TRACE_CASE_MAX)
    return {
      ok: false,
      problem: {
        vi: `Mã ca bệnh: tối đa ${TRACE_CASE_MAX} ký tự, không xuống dòng`,
        en: `case: at most ${TRACE_CASE_MAX} characters, on one line`,
      },
    };
  const query: TraceQuery = {
    type: ask.type as IdType,
    id,
    from,
    to,
    window,
    f2: ask.f2 === true,
    case: caseLabel,
  };
  if (ask.reveal) {
    const reason = (ask.reveal.reason ?? '').replace(/\s+/g, ' ').trim();
    const n = [...reason].length;
    if (CONTROL.test(reason))
      return { ok: false, problem: controlProblem('Lý do mở danh tính', 'reveal reason') };
    if (n < REVEAL_REASON.min || n > REVEAL_REASON.max)
      return {
        ok: false,
        problem: {
          vi: `Lý do mở danh tính: ${REVEAL_REASON.min}–${REVEAL_REASON.max} ký tự`,
          en: `reveal reason: ${REVEAL_REASON.min}–${REVEAL_REASON.max} characters`,
        },
      };
    query.reason = reason;
  }
  return { ok: true, query };
}

export interface TraceBy {
  /** Who asks (a phone number, or `user@cli`): written to the audit log and on the result. */
  actor: string;
  /**
   * json: a look (audit `trace`); csv and print: an export (`trace-export`). A reveal is `trace-reveal`
   * whatever the format; the audit detail names the format either way.
   */
  format: 'json' | 'csv' | 'print';
  /** The sites the asker may see (default: every site). */
  visible?: (site: string) => boolean;
  /** The tracing private keys for a reveal (tracing/reveal.ts readTracingKeys); required with a reason. */
  keys?: ReadonlyArray<TracingPrivateKey>;
  now?: Date;
}

/**
 * Contact tracing for one case: the visits of one person — every document linked to the one asked
 * for (HubStore.personHashes) — and the distinct people whose stays overlapped theirs (F1), with
 * the overlap minutes per visit; optionally one step further (F2, bounded); optionally each
 * co-visitor's sealed identity opened with the tracing keys given (never stored: it exists only in
 * the returned object). Limited to the sites the asker may see. Every run is audited — the number
 * never, only its last 4 characters; a reveal with its reason and how many identities it opened.
 * Throws RevealError (tracing/reveal.ts) when no box could be opened with the keys given (the attempt
 * is audited: action `trace-reveal`, result `wrong-key`).
 */
export async function runTrace(
  store: HubStore,
  hashKey: Buffer,
  q: TraceQuery,
  by: TraceBy,
): Promise<TraceResult> {
  const ranAt = by.now ?? new Date();
  const visible = by.visible ?? (() => true);
  const asked = hashIdentity(hashKey, q.type, q.id).toString('hex');
  const f0Hashes = await store.personHashes(asked);
  /** The instant the last day ends (the next day's start, exclusive). */
  const to = vnDayEnd(q.to);
  const windowMs = q.window * 60_000;
  // Read a window past the last day: an exit after midnight still ends the last evening's stay.
  // An arrival after the last day is no visit (staysOf and the rows below leave it out).
  const traced = (
    await store.trace(f0Hashes, vnDayStart(q.from), new Date(to.getTime() + windowMs), q.window)
  ).filter((v) => visible(v.visit.site));
  const coHashes = new Set(traced.flatMap((v) => v.coVisitors.map((c) => c.document.idHash)));
  const reps = await store.groupPeople([asked, ...coHashes]);
  const repOf = (h: string) => reps.get(h) ?? h;
  const f0 = repOf(asked);
  const directory = await store.siteDirectory();
  const own = traced.map((v) => v.visit);
  const others = (list: ReadonlyArray<CheckinMessage>) => list.filter((c) => repOf(c.document.idHash) !== f0);
  const f1Book = new PeopleBook(1);
  // People are met per stay (two scans of the F0 in one stay are one stay: overlap counted once).
  for (const stay of staysOf(traced, windowMs, { end: to.getTime() })) {
    const site = siteFields(directory, stay.visit.site);
    for (const m of peopleDuring(stay.start, stay.end, others(stay.coVisitors), windowMs, repOf))
      f1Book.add(m, {
        visit: stay.visit.id,
        site: stay.visit.site,
        siteName: site.siteName,
        siteAddress: site.siteAddress,
      });
  }
  // Each arrival stays a row; its count is the people there during that arrival's own stay.
  const arrivals = traced.filter((v) => v.visit.direction !== 'out' && Date.parse(v.visit.at) < to.getTime());
  const visits: TraceVisitRow[] = arrivals.map(({ visit, coVisitors, notEntered }) => {
    const start = Date.parse(visit.at);
    const end = stayEnd(visit, windowMs, own);
    return {
      checkin: visit.id,
      at: visit.at,
      site: visit.site,
      ...siteFields(directory, visit.site),
      kiosk: visit.kiosk,
      kind: visit.document.kind,
      numberMasked: visit.document.numberMasked,
      coVisitors: notEntered ? 0 : peopleDuring(start, end, others(coVisitors), windowMs, repOf).length,
      ...(notEntered ? { notEntered } : {}),
    };
  });
  const f1 = f1Book.ordered();
  const refOf = new Map(f1.map((g, i) => [g.rep, personRef(1, i)]));
  let f2: Gathered[] = [];
  let truncated = false;
  let f2Checkins = 0;
  if (q.f2) {
    const exclude = new Set([f0, ...f0Hashes, ...f1.map((g) => g.rep)]);
    for (const g of f1) for (const c of g.checkins.values()) exclude.add(c.document.idHash);
    const step = await expandF2(store, {
      f1,
      refOf,
      exclude,
      to,
      windowMinutes: q.window,
      visible,
      directory,
    });
    f2 = step.book.ordered();
    truncated = step.truncated;
    f2Checkins = step.book.checkinCount();
  }
  const gathered = [...f1, ...f2];
  const people: TracePerson[] = [
    ...f1.map((g, i) => toPerson(g, personRef(1, i))),
    ...f2.map((g, i) => toPerson(g, personRef(2, i))),
  ];
  const revealed = q.reason !== undefined && by.keys !== undefined;
  const detail = {
    case: q.case,
    type: q.type,
    id: `…${q.id.slice(-4)}`,
    from: q.from,
    to: q.to,
    window: q.window,
    f2: q.f2,
    format: by.format,
    visits: visits.length,
    people: people.length,
  };
  let opened = 0;
  if (revealed) {
    let otherKey = 0;
    people.forEach((p, i) => {
      const r = openPerson(by.keys ?? [], gathered[i]?.checkins.values() ?? []);
      p.identities = r.identities;
      p.unopened = r.unopened;
      opened += r.identities.length;
      otherKey += r.otherKey;
    });
    // Boxes sealed to another key and none opened: the officer brought the wrong file. Nothing is
    // answered; the attempt is audited (who, which case, why), no identity having left the boxes.
    if (opened === 0 && otherKey > 0) {
      await store.audit(by.actor, 'trace-reveal', {
        ...detail,
        revealed: 0,
        reason: q.reason,
        result: 'wrong-key',
      });
      throw wrongKey();
    }
  }
  // Verify-only sites in the period: no register there, so the answer says where it cannot see.
  const blind = (await store.tallySites(vnDayStart(q.from), to)).filter(visible);
  const action = revealed ? 'trace-reveal' : by.format === 'json' ? 'trace' : 'trace-export';
  await store.audit(by.actor, action, {
    ...detail,
    revealed: opened,
    ...(revealed ? { reason: q.reason } : {}),
  });
  return {
    schema: TRACE_SCHEMA,
    case: q.case,
    ranBy: by.actor,
    ranAt: ranAt.toISOString(),
    query: {
      type: q.type,
      idMasked: `…${q.id.slice(-4)}`,
      from: q.from,
      to: q.to,
      window: q.window,
      f2: q.f2,
    },
    revealed,
    identities: f0Hashes.length,
    visits,
    people,
    counts: {
      visits: visits.length,
      f1People: f1.length,
      f1Checkins: f1Book.checkinCount(),
      f2People: f2.length,
      f2Checkins,
    },
    limits: { ...F2_LIMITS, truncated },
    ...(blind.length > 0
      ? {
          verifyOnlySites: blind,
          verifyOnlySiteNames: Object.fromEntries(blind.map((s) => [s, siteFields(directory, s).siteName])),
        }
      : {}),
  };
}
