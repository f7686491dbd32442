import type { CheckinMessage, TallyMessage } from '@qrkiosk/protocol';
import type { Decision } from './decide/index.js';
import type { DecodeResult } from './decode/index.js';

/** What a scan came to: the decode, the decision, and the check-in when one was recorded. */
export interface ScanOutcome {
  at: Date;
  decoded: DecodeResult;
  decision: Decision;
  /** Present when the scan was journaled (not for undecodable codes or repeats). */
  checkin?: CheckinMessage;
  /** Present instead of `checkin` on a verify-only site: what was journaled, with no identity. */
  tally?: TallyMessage;
  /** A repeat: the earlier check-in it repeats (its time, shown as "đã quét lúc HH:mm", and its reason code). */
  previous?: { at: string; reason: string };
}

/** The scan's log line: never the identity itself, only the masked number of a check-in. */
export function logScan(log: { info: (obj: object, msg: string) => void }, outcome: ScanOutcome): void {
  const { decoded, decision, checkin, previous } = outcome;
  log.info(
    {
      kind: decoded.kind,
      verdict: decision.verdict,
      colour: decision.colour,
      reason: decision.reason.code,
      ...(checkin ? { checkin: checkin.id, who: checkin.document.numberMasked } : {}),
      ...(outcome.tally ? { tally: outcome.tally.id } : {}),
      // A repeat: the earlier check-in's time and its specific reason (the public screen has neither).
      ...(previous ? { repeatOf: previous.at, firstReason: previous.reason } : {}),
    },
    'scan',
  );
}
