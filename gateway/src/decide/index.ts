import type { Colour, Verdict } from '@qrkiosk/protocol';
import { vnDay } from '@qrkiosk/protocol';
import type { DecodeResult } from '../decode/index.js';
import type { Text } from '../i18n.js';
import type { Facts } from '../lookup/index.js';
import type { Settings } from '../settings/schema.js';
import { colourOf } from './colour.js';

export { type CardColour, colourOf, daysBetween } from './colour.js';

/** A decision carries no personal data: a verdict, a colour, a reason and what decided it. */
export interface Decision {
  verdict: Verdict;
  colour: Colour;
  reason: { code: string; text: Text };
  /** Names of the facts that decided it (e.g. `primary-series-complete`), never their values. */
  decidedBy: string[];
  /** Same person again within the duplicate window: signal "already", record nothing. */
  repeat: boolean;
}

const REASONS = {
  'admitted-green': { vi: 'Thẻ xanh — được vào', en: 'Green card — admitted' },
  'admitted-yellow': { vi: 'Thẻ vàng — được vào', en: 'Yellow card — admitted' },
  'admitted-red': { vi: 'Thẻ đỏ — cấp độ hiện tại cho phép vào', en: 'Red card — admitted at this level' },
  'colour-not-admitted': {
    vi: 'Màu thẻ không được vào ở cấp độ dịch hiện tại',
    en: 'Card colour not admitted at the current level',
  },
  'case-f0': { vi: 'Đang là F0 — không được vào', en: 'Active case (F0) — refused' },
  'case-f1': { vi: 'Đang là F1 — không được vào', en: 'Close contact (F1) — refused' },
  'unknown-person': {
    vi: 'Chưa có dữ liệu tiêm chủng/xét nghiệm — kiểm tra giấy tờ',
    en: 'No vaccination/test data — check documents',
  },
  'already-checked-in': { vi: 'Đã check-in rồi', en: 'Already checked in' },
  'record-failed': {
    vi: 'Lỗi lưu check-in — kiểm tra giấy tờ và ghi tay',
    en: 'Could not save the check-in — check documents and note it by hand',
  },
} as const satisfies Record<string, Text>;

export type ReasonCode = keyof typeof REASONS;

const reason = (code: ReasonCode) => ({ code, text: REASONS[code] });

/**
 * Decide stage: pure function of (facts, rules, time). F0/F1 are refused at every level; an
 * unknown person gets the site's configured verdict; otherwise the colour must be admitted at
 * the site's epidemic level.
 */
export function decide(facts: Facts | null, rules: Settings['rules'], at: Date): Decision {
  if (!facts) {
    return {
      verdict: rules.unknownPerson,
      colour: null,
      reason: reason('unknown-person'),
      decidedBy: [],
      repeat: false,
    };
  }
  if (facts.caseStatus !== 'none' && (!facts.caseUntil || facts.caseUntil >= vnDay(at))) {
    const code = facts.caseStatus === 'f0' ? 'case-f0' : 'case-f1';
    return {
      verdict: 'REFUSE',
      colour: 'red',
      reason: reason(code),
      decidedBy: ['case-status'],
      repeat: false,
    };
  }
  const { colour, because } = colourOf(facts, at);
  const admitted = rules.admit[String(rules.level) as '1' | '2' | '3' | '4'].includes(colour);
  return {
    verdict: admitted ? 'ALLOW' : 'REFUSE',
    colour,
    reason: reason(admitted ? `admitted-${colour}` : 'colour-not-admitted'),
    decidedBy: [because, `level-${rules.level}`],
    repeat: false,
  };
}

/** A code that did not decode to a person: the guard looks (REVIEW) and is told why. */
export function decideUndecoded(decoded: DecodeResult): Decision {
  const error = decoded.error;
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: error ? { code: error.code, text: error.text } : reason('unknown-person'),
    decidedBy: ['decode'],
    repeat: false,
  };
}

/** The same person within the duplicate window: shown as already checked in, nothing recorded. */
export function decideRepeat(previous: { verdict: Verdict; colour: Colour }): Decision {
  // The earlier verdict stands: a refused person scanning again is still refused.
  return { ...previous, reason: reason('already-checked-in'), decidedBy: ['duplicate-window'], repeat: true };
}

/** The journal could not take the row: never green without a record. */
export function decideRecordFailed(): Decision {
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: reason('record-failed'),
    decidedBy: ['journal'],
    repeat: false,
  };
}
