import type { Colour, Facts, Verdict } from '@qrkiosk/protocol';
import { evaluate } from 'certlogic-js';
import type { DecodeResult } from '../decode/index.js';
import type { Text } from '../i18n.js';
import { ruleInput } from './derive.js';
import type { RuleSet } from './rules.js';
import type { CardColour, Decision, Policy } from './types.js';

export { CLOCK_UNSYNCED_REASON, guardUnsyncedClock } from './clock-gate.js';
export { daysBetween, ruleInput } from './derive.js';
export { guardOccupancy, type OccupancyNow } from './occupancy-gate.js';
export {
  builtinRules,
  loadSignedRules,
  parseRuleSet,
  type RuleSet,
  RulesError,
  type RulesSignature,
  signRules,
  verifyRules,
} from './rules.js';
export { RulesSource } from './rules-source.js';
export { installRulesUpdate, RULES_FLOOR_FILE, type RulesUpdateResult } from './rules-update.js';
export { DATA_STALE_REASON, type DecidedOn, guardStaleData } from './stale-gate.js';

export type { CardColour, Decision, Policy } from './types.js';

/**
 * Site rules: the signed rules file's entry for this site wins, then the kiosk's own setting,
 * then the rules file's defaults. `levelOverride` is for `qrkiosk check --level`.
 */
export function policyFor(
  rules: RuleSet,
  site: string,
  local: {
    level?: number | undefined;
    unknownPerson?: Verdict | undefined;
    maxInside?: Partial<Record<string, number>> | undefined;
  },
  levelOverride?: number,
): Policy {
  const level = (levelOverride ??
    rules.level.sites?.[site] ??
    local.level ??
    rules.level.default) as Policy['level'];
  const siteRules = rules.sites?.[site];
  const key = String(level) as '1' | '2' | '3' | '4';
  // The signed file's caps for this site replace the kiosk's own whole (not level by level): a hub
  // that lifts a cap at one level must not find the kiosk.yaml's cap still in force there.
  const caps = siteRules?.maxInside ?? local.maxInside;
  return {
    rules,
    level,
    admit: (siteRules?.admit ?? rules.admit)[key],
    unknownPerson: siteRules?.unknownPerson ?? local.unknownPerson ?? rules.unknownPerson,
    maxInside: caps?.[key],
    // From the signed rules only, never kiosk.yaml: a register is kept unless the office says otherwise.
    verifyOnly: siteRules?.verifyOnly === true,
  };
}

const REASONS: Record<string, Text> = {
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
  'occupancy-full': {
    vi: 'Đã đủ số người trong địa điểm — chờ người ra',
    en: 'The site is full — wait for someone to leave',
  },
  'record-failed': {
    vi: 'Lỗi lưu check-in — kiểm tra giấy tờ và ghi tay',
    en: 'Could not save the check-in — check documents and note it by hand',
  },
  'rules-error': {
    vi: 'Lỗi quy tắc kiểm tra — kiểm tra giấy tờ và báo kỹ thuật',
    en: 'Rules error — check documents and tell the technician',
  },
};

/** A reason code's bilingual text (the reception page shows journaled check-ins' reasons). */
export function reason(code: string): Decision['reason'] {
  return {
    code,
    text: REASONS[code] ?? { vi: `Từ chối theo quy tắc ${code}`, en: `Refused by rule ${code}` },
  };
}

/** Thẻ Covid colour at the scan moment: the first colour rule that holds, else the fallback. */
export function colourOf(facts: Facts, at: Date, policy: Policy): { colour: CardColour; rule: string } {
  const input = ruleInput(facts, at, policy.level);
  for (const r of policy.rules.colour.rules)
    if (evaluate(r.logic as never, input) === true) return { colour: r.colour, rule: r.id };
  return { colour: policy.rules.colour.otherwise.colour, rule: policy.rules.colour.otherwise.reason };
}

/**
 * Decide stage: a pure function of (facts, policy, time). Refusal rules (F0, F1) apply at every
 * level; an unknown person gets the site's verdict; otherwise the colour must be admitted at the
 * site's level. A rule that fails to evaluate never admits: the guard is asked to look.
 */
export function decide(facts: Facts | null, policy: Policy, at: Date): Decision {
  if (!facts)
    return {
      verdict: policy.unknownPerson,
      colour: null,
      reason: reason('unknown-person'),
      decidedBy: [],
      repeat: false,
    };
  try {
    const input = ruleInput(facts, at, policy.level);
    for (const r of policy.rules.refuse) {
      if (evaluate(r.logic as never, input) === true)
        return {
          verdict: 'REFUSE',
          colour: 'red',
          reason: reason(r.reason),
          decidedBy: [r.id],
          repeat: false,
        };
    }
    const { colour, rule } = colourOf(facts, at, policy);
    const admitted = policy.admit.includes(colour);
    return {
      verdict: admitted ? 'ALLOW' : 'REFUSE',
      colour,
      reason: reason(admitted ? `admitted-${colour}` : 'colour-not-admitted'),
      decidedBy: [rule, `level-${policy.level}`],
      repeat: false,
    };
  } catch {
    return {
      verdict: 'REVIEW',
      colour: null,
      reason: reason('rules-error'),
      decidedBy: ['rules'],
      repeat: false,
    };
  }
}

/**
 * A code that did not decode to a person: the guard looks (REVIEW) and is told why — except a verified
 * vaccine passport its issuer revoked (`dcc-revoked`), which is refused: a revoked certificate never admits.
 */
export function decideUndecoded(decoded: DecodeResult): Decision {
  const error = decoded.error;
  if (error?.code === 'dcc-revoked')
    return {
      verdict: 'REFUSE',
      colour: null,
      reason: { code: error.code, text: error.text },
      decidedBy: ['revocation'],
      repeat: false,
    };
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: error ? { code: error.code, text: error.text } : reason('unknown-person'),
    decidedBy: ['decode'],
    repeat: false,
  };
}

/**
 * The same person within the duplicate window: the earlier verdict stands, nothing recorded. A REVIEW
 * the guard resolved stands as the guard left it: denied is a refusal (red, "vẫn KHÔNG ĐƯỢC VÀO"),
 * admitted is an admission (the "already checked in" pattern, never the relay again); unresolved, it
 * is still a REVIEW.
 */
export function decideRepeat(previous: {
  verdict: Verdict;
  colour: Colour;
  outcome?: 'admitted' | 'denied' | null;
}): Decision {
  const verdict =
    previous.verdict !== 'REVIEW' || !previous.outcome
      ? previous.verdict
      : previous.outcome === 'denied'
        ? 'REFUSE'
        : 'ALLOW';
  return {
    verdict,
    colour: previous.colour,
    reason: reason('already-checked-in'),
    decidedBy: previous.outcome ? ['duplicate-window', `guard-${previous.outcome}`] : ['duplicate-window'],
    repeat: true,
  };
}

/** The journal could not take the row: never green without a record. */
/**
 * The verdict when the check-in could not be journaled: never greener than the decision it replaces.
 * No row means no ALLOW (and so no relay): the guard checks by hand (REVIEW). A REFUSE stays a
 * REFUSE — a full disk must not turn an F0's red into amber — with the journal named among the causes.
 */
export function decideRecordFailed(decided?: Decision): Decision {
  if (decided?.verdict === 'REFUSE')
    return { ...decided, decidedBy: [...decided.decidedBy, 'journal'], repeat: false };
  return {
    verdict: 'REVIEW',
    colour: null,
    reason: reason('record-failed'),
    decidedBy: ['journal'],
    repeat: false,
  };
}
