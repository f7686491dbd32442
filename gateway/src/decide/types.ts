import type { CardColour, Colour, Verdict } from '@qrkiosk/protocol';
import type { Text } from '../i18n.js';
import type { RuleSet } from './rules.js';

export type { CardColour } from '@qrkiosk/protocol';

/** A decision carries no personal data: a verdict, a colour, a reason and what decided it. */
export interface Decision {
  verdict: Verdict;
  colour: Colour;
  reason: { code: string; text: Text };
  /** Ids of the rules and facts that decided it (e.g. `green-primary-series`, `level-2`), never values. */
  decidedBy: string[];
  /** Same person again within the duplicate window: signal "already", record nothing. */
  repeat: boolean;
}

/** The rules in force at one site: the rule set, the site's level, its admission list and unknown-person verdict. */
export interface Policy {
  rules: RuleSet;
  level: 1 | 2 | 3 | 4;
  admit: CardColour[];
  unknownPerson: Verdict;
  /** Most people inside the site at this level (an occupancy cap); undefined: no cap. */
  maxInside?: number | undefined;
  /**
   * Verify-only site (issue #19): decide, light and open as always, but keep no register — a tally
   * without identity is journaled and sent instead of a check-in. Only the signed rules set it.
   */
  verifyOnly: boolean;
}
