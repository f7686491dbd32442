import type { Line } from './driver.js';

/**
 * Signal patterns as data: for each line, the intervals [start, end) in ms during which it is on.
 * Each verdict is distinguishable by sound alone (1, 3, 2 beeps; a tick) and by light alone
 * (steady green, steady red, blinking amber, double green blink).
 */
export type Pattern = Partial<Record<Line, Array<[number, number]>>>;

export type PatternName =
  | 'ALLOW'
  | 'REFUSE'
  | 'REVIEW'
  | 'ALREADY'
  | 'SCANNER_LOST'
  | 'FAULT'
  | 'SELFTEST'
  | 'SELFTEST_LIGHTS'
  | 'ADMIT'
  | 'DENY';

export const PATTERNS: Record<PatternName, Pattern> = {
  ALLOW: { green: [[0, 1500]], buzzer: [[0, 120]], relay: [[0, 1000]] },
  REFUSE: {
    red: [[0, 3000]],
    buzzer: [
      [0, 150],
      [300, 450],
      [600, 750],
    ],
  },
  REVIEW: {
    amber: [
      [0, 250],
      [500, 750],
      [1000, 1250],
      [1500, 1750],
      [2000, 2250],
    ],
    buzzer: [
      [0, 120],
      [270, 390],
    ],
  },
  ALREADY: {
    green: [
      [0, 150],
      [300, 450],
    ],
    buzzer: [[0, 30]],
  },
  /** The scanner was unplugged or failed: slow red blinks and one long low beep, once. */
  SCANNER_LOST: {
    red: [
      [0, 600],
      [1200, 1800],
    ],
    buzzer: [[0, 800]],
  },
  /**
   * A fault the guard must act on was raised (faults.ts GUARD_FAULTS: cannot record, disk almost full,
   * clock not synced): steady amber and four long beeps, once — unlike any verdict (1, 3, 2 short beeps)
   * and unlike the scanner's single long one, so the guard looks at the screen for the instruction.
   */
  FAULT: {
    amber: [[0, 2200]],
    buzzer: [
      [0, 400],
      [600, 1000],
      [1200, 1600],
      [1800, 2200],
    ],
  },
  /** `qrkiosk selftest`: each output in turn, one second each. */
  SELFTEST: {
    green: [[0, 1000]],
    red: [[1000, 2000]],
    amber: [[2000, 3000]],
    buzzer: [[3000, 3200]],
    relay: [[3500, 4500]],
  },
  /** The guard admitted a REVIEW (button or reception): green and the door, like an ALLOW. */
  ADMIT: { green: [[0, 1500]], buzzer: [[0, 120]], relay: [[0, 1000]] },
  /** The guard refused a REVIEW: red, one long beep, never the relay. */
  DENY: { red: [[0, 1500]], buzzer: [[0, 400]] },
  /** The hub's remote selftest: lights and buzzer, never the door. */
  SELFTEST_LIGHTS: {
    green: [[0, 1000]],
    red: [[1000, 2000]],
    amber: [[2000, 3000]],
    buzzer: [[3000, 3200]],
  },
};

/** Patterns with the settings applied: overrides by name, the relay held `relayPulseMs` on ALLOW and ADMIT. */
export function patternsWith(
  overrides: Partial<Record<PatternName, Pattern>>,
  relayPulseMs: number,
): Record<PatternName, Pattern> {
  const merged = { ...PATTERNS };
  for (const [name, pattern] of Object.entries(overrides) as Array<[PatternName, Pattern | undefined]>) {
    if (pattern && Object.keys(pattern).length > 0) merged[name] = pattern;
  }
  return {
    ...merged,
    ALLOW: { ...merged.ALLOW, relay: [[0, relayPulseMs]] },
    ADMIT: { ...merged.ADMIT, relay: [[0, relayPulseMs]] },
    // Whatever an override says, a refusal by the guard never opens the door.
    DENY: { ...merged.DENY, relay: [] },
  };
}

const LINE_NAMES: Record<Line, { vi: string; en: string }> = {
  green: { vi: 'đèn xanh', en: 'green light' },
  red: { vi: 'đèn đỏ', en: 'red light' },
  amber: { vi: 'đèn vàng', en: 'amber light' },
  buzzer: { vi: 'còi', en: 'beep' },
  relay: { vi: 'mở cửa', en: 'door opens' },
};

/** One pattern in words: "green light 1.5 s; beep ×1 (0.12 s)". Used by the guard guide's table. */
export function describePattern(p: Pattern, lang: 'vi' | 'en'): string {
  const parts: string[] = [];
  for (const [line, intervals] of Object.entries(p) as Array<[Line, Array<[number, number]>]>) {
    if (!intervals.length) continue;
    const lengths = [
      ...new Set(intervals.map(([a, b]) => ((b - a) / 1000).toFixed(2).replace(/\.?0+$/, ''))),
    ];
    const name = LINE_NAMES[line][lang];
    parts.push(
      intervals.length === 1
        ? `${name} ${lengths[0]} s`
        : `${name} ×${intervals.length} (${lengths.join('/')} s)`,
    );
  }
  return parts.join('; ');
}

export interface PatternEvent {
  at: number;
  line: Line;
  value: 0 | 1;
}

/** Flattens a pattern into time-ordered on/off events (offs before ons at the same instant). */
export function eventsOf(pattern: Pattern): PatternEvent[] {
  const events: PatternEvent[] = [];
  for (const [line, intervals] of Object.entries(pattern) as Array<[Line, Array<[number, number]>]>) {
    for (const [start, end] of intervals) {
      events.push({ at: start, line, value: 1 }, { at: end, line, value: 0 });
    }
  }
  return events.sort((a, b) => a.at - b.at || a.value - b.value);
}
