import type { Line } from './driver.js';

/**
 * Signal patterns as data: for each line, the intervals [start, end) in ms during which it is on.
 * Each verdict is distinguishable by sound alone (1, 3, 2 beeps; a tick) and by light alone
 * (steady green, steady red, blinking amber, double green blink).
 */
export type Pattern = Partial<Record<Line, Array<[number, number]>>>;

export type PatternName = 'ALLOW' | 'REFUSE' | 'REVIEW' | 'ALREADY';

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
};

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
