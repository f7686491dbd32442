import type { CheckinMessage } from '@qrkiosk/protocol';
import type { Decision } from './decide/index.js';
import type { DecodeResult } from './decode/index.js';

/** What a scan came to: the decode, the decision, and the check-in when one was recorded. */
export interface ScanOutcome {
  at: Date;
  decoded: DecodeResult;
  decision: Decision;
  /** Present when the scan was journaled (not for undecodable codes or repeats). */
  checkin?: CheckinMessage;
  /** A repeat: the earlier check-in it repeats (its time, shown as "đã quét lúc HH:mm", and its reason code). */
  previous?: { at: string; reason: string };
}
