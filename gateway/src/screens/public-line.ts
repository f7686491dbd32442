import { formatVnDateTime } from '@qrkiosk/protocol';
import type { Decision } from '../decide/index.js';
import type { Text } from '../i18n.js';

/** `ui.publicReason`: what the public verdict screen says of a reason about a person's health. */
export type PublicReasonMode = 'neutral' | 'specific';

const NEUTRAL_REFUSE: Text = { vi: 'Mời đến bàn kiểm tra y tế', en: 'Please go to the health check desk' };
const NEUTRAL_ALLOW: Text = { vi: 'Mời vào', en: 'Please go in' };

/** Reasons that are not about the person's health: a code, the kiosk or the rules engine. */
const NOT_HEALTH = new Set([
  'record-failed',
  'rules-error',
  'unknown-person',
  'already-checked-in',
  'occupancy-full',
]);

/**
 * Whether a reason tells the queue something about the person's health: F0, F1, the card colour
 * (green/yellow/red, admitted or not: naming only some colours would give the others away), and
 * any refusal by a signed rule (its code is the rule's own, e.g. a test result).
 */
export function isHealthReason(decision: Pick<Decision, 'verdict' | 'reason' | 'decidedBy'>): boolean {
  const { code } = decision.reason;
  if (NOT_HEALTH.has(code)) return false;
  if (code.startsWith('case-') || code.startsWith('admitted-') || code === 'colour-not-admitted') return true;
  // A code that did not decode carries the decoder's message, which is about the code.
  return decision.verdict === 'REFUSE' && !decision.decidedBy.includes('decode');
}

const VERDICT_WORDS: Record<Decision['verdict'], Text> = {
  ALLOW: { vi: 'ĐƯỢC VÀO', en: 'ADMITTED' },
  REFUSE: { vi: 'KHÔNG ĐƯỢC VÀO', en: 'NOT ADMITTED' },
  REVIEW: { vi: 'KIỂM TRA GIẤY TỜ', en: 'CHECK DOCUMENTS' },
};

/** "HH:mm" in Vietnam time. */
export const vnClock = (iso: string): string => formatVnDateTime(new Date(iso)).slice(11, 16);

/**
 * The line under the verdict on the public screen, and whether the masked name may stand beside it.
 * A repeat says when the earlier scan was and that its verdict stands ("đã quét lúc 09:41 — vẫn
 * KHÔNG ĐƯỢC VÀO"). A health reason is replaced by a neutral line unless the site chose `specific`,
 * and even then never next to the name: the queue must not read "F0" beside a person.
 */
export function publicLine(
  decision: Pick<Decision, 'verdict' | 'reason' | 'decidedBy' | 'repeat'>,
  mode: PublicReasonMode,
  previousAt?: string,
): { line: Text; showName: boolean } {
  if (decision.repeat && previousAt) {
    const time = vnClock(previousAt);
    const word = VERDICT_WORDS[decision.verdict];
    return decision.verdict === 'ALLOW'
      ? { line: { vi: `đã quét lúc ${time}`, en: `scanned at ${time}` }, showName: true }
      : {
          line: { vi: `đã quét lúc ${time} — vẫn ${word.vi}`, en: `scanned at ${time} — still ${word.en}` },
          showName: true,
        };
  }
  if (!isHealthReason(decision)) return { line: decision.reason.text, showName: true };
  if (mode === 'specific') return { line: decision.reason.text, showName: false };
  return { line: decision.verdict === 'ALLOW' ? NEUTRAL_ALLOW : NEUTRAL_REFUSE, showName: true };
}
