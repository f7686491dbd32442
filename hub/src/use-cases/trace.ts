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
import type { HubStore, TraceVisit } from '../store.js';
import type { Text } from '../text.js';

/** What an officer may trace by: protocol's vocabulary (every identity type but a DCC's UVCI). */
export const TRACE_ID_TYPES = TRACEABLE_ID_TYPES;
/** The widest co-visitor window, minutes either side (12 hours). */
export const TRACE_MAX_WINDOW_MIN = 720;
/** The window when none is given, minutes either side. */
export const TRACE_DEFAULT_WINDOW_MIN = 30;
/** Days before today a trace starts when no first day is given (the CLI's default). */
const DEFAULT_DAYS_BACK = 14;

/** A tracing query as the page or the command line gives it (days `YYYY-MM-DD`, Vietnam time). */
export interface TraceAsk {
  type: string;
  id: string;
  /** First day; default 14 days before today. */
  from?: string | undefined;
  /** Last day, included; default today. */
  to?: string | undefined;
  window?: number | undefined;
}

/** A query that passed every check: one person's number normalised, real days, a bounded window. */
export interface TraceQuery {
  type: IdType;
  id: string;
  from: string;
  to: string;
  window: number;
}

/**
 * The one check of a tracing query, for the page (POST /api/trace) and `qrkiosk-hub trace` alike:
 * real calendar days (2021-02-30 refused, not rolled into March), a known identity type, a number of
 * 6–20 digits or letters once spaces are dropped, a window in (0, 720] minutes.
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
  return { ok: true, query: { type: ask.type as IdType, id, from, to, window } };
}

export interface TraceBy {
  /** Who asks (a phone number, or `user@cli`): written to the audit log. */
  actor: string;
  /** The audit action: `trace`, or `trace-export` for a CSV download. */
  action: 'trace' | 'trace-export';
  /** The sites the asker may see (default: every site). */
  visible?: (site: string) => boolean;
}

/**
 * Contact tracing: the visits of one person (by the keyed hash of their number) and, for each, the
 * others checked in at that site within ±window minutes; limited to what the asker may see. Every
 * query is audited — the number itself never, only its last 4 characters.
 */
export async function traceContacts(
  store: HubStore,
  hashKey: Buffer,
  q: TraceQuery,
  by: TraceBy,
): Promise<TraceVisit[]> {
  const all = await store.trace(
    hashIdentity(hashKey, q.type, q.id).toString('hex'),
    vnDayStart(q.from),
    vnDayEnd(q.to),
    q.window,
  );
  const visits = by.visible ? all.filter((v) => by.visible?.(v.visit.site)) : all;
  await store.audit(by.actor, by.action, {
    type: q.type,
    id: `…${q.id.slice(-4)}`,
    from: q.from,
    to: q.to,
    window: q.window,
    visits: visits.length,
  });
  return visits;
}
