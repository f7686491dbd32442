import { type DataKind, STALE_REASON_CODE } from '@qrkiosk/protocol';
import type { Decision } from './types.js';

/** The reason shown and journaled when an admission rests on data older than its limit (issue #19). */
export const DATA_STALE_REASON: Decision['reason'] = {
  code: STALE_REASON_CODE,
  text: { vi: 'Dữ liệu quá cũ — kiểm tra giấy tờ', en: 'Data too old — check documents' },
};

/** What a decision rested on, and which way the person goes. */
export interface DecidedOn {
  /** Decided on a verified DCC: its signature (trust list) and its revocation status count; else the cache. */
  dcc: boolean;
  /**
   * Decided on a printed pass: who holds it, and whether it was revoked since, come from the pass list, so
   * a stale list (a lost card's revocation may not have arrived) holds it as a stale revocation list holds a DCC.
   */
  pass: boolean;
  /**
   * An exit kiosk (direction out): never held. Letting someone out rests on nothing the office sends, and an
   * exit held for review is not counted: occupancy would grow and the cap hold the entrances (as the
   * occupancy gate exempts exits).
   */
  exit: boolean;
}

/**
 * A decision as it may be shown while some data is past its limit (gateway/src/freshness/). Only an ALLOW
 * changes, to REVIEW without colour (the colour was computed on the same data) and the guard checks the
 * papers: stale rules hold every admission of a person; stale facts every person looked up in the cache,
 * an unknown one admitted by the site's verdict too (the cache may simply not know them yet); a stale
 * trust or revocation list every admission on a vaccine passport; a stale pass list every admission on
 * a printed pass. A refusal, a REVIEW or an exit never changes:
 * old data may be wrong, and a refusal made on it is never turned greener.
 */
export function guardStaleData(decision: Decision, on: DecidedOn, stale: ReadonlySet<DataKind>): Decision {
  if (decision.verdict !== 'ALLOW' || stale.size === 0 || on.exit) return decision;
  const held: DataKind[] = [];
  if (stale.has('rules')) held.push('rules');
  if (!on.dcc && stale.has('facts')) held.push('facts');
  if (on.dcc && stale.has('trust')) held.push('trust');
  if (on.dcc && stale.has('revocation')) held.push('revocation');
  if (on.pass && stale.has('passes')) held.push('passes');
  if (held.length === 0) return decision;
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: DATA_STALE_REASON,
    decidedBy: [...held.map((k) => `data-stale-${k}`), ...decision.decidedBy],
    repeat: decision.repeat,
  };
}
