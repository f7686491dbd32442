import { type Static, Type } from '@sinclair/typebox';
import type { CheckinMessage } from './checkin.js';
import { CHECKIN_ID_PATTERN } from './checkin.js';
import type { OutcomeMessage } from './outcome.js';
import { ID_PATTERN } from './vocabulary.js';

export const OCCUPANCY_SCHEMA_ID = 'qrkiosk.occupancy/1';

/**
 * How many people are inside a site today, as the hub counts them over all the site's kiosks
 * (issue #13, Resolution 128's caps per alert level). Retained on `qrkiosk/v1/<site>/occupancy`
 * (siteOccupancyTopic): a kiosk that connects learns the count at once. Only the hub may publish it
 * (broker ACL); kiosks read it to hold the next entry for review once the site's limit is reached.
 */
export const OccupancyMessage = Type.Object(
  {
    schema: Type.Literal(OCCUPANCY_SCHEMA_ID),
    site: Type.String({ pattern: ID_PATTERN }),
    day: Type.String({ pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'the Vietnam day counted' }),
    inside: Type.Integer({ minimum: 0, maximum: 10_000_000 }),
    through: Type.Record(Type.String({ pattern: ID_PATTERN }), Type.String({ pattern: CHECKIN_ID_PATTERN }), {
      maxProperties: 10_000,
      description:
        'per kiosk, the newest of its rows (check-in or outcome id) this count includes: a kiosk adds its later rows itself',
    }),
    at: Type.String({ format: 'date-time', description: 'when the hub counted, ISO-8601 UTC' }),
  },
  { $id: OCCUPANCY_SCHEMA_ID, additionalProperties: false },
);
export type OccupancyMessage = Static<typeof OccupancyMessage>;

/** The parts of a check-in that move a person in or out. */
export type Movement = Pick<CheckinMessage, 'id' | 'at' | 'direction' | 'verdict'> & { idHash: string };

/**
 * What an outcome does to a movement: `admitted` lets a REVIEW in, `left` takes the person out,
 * `not-entered` undoes the entry (the door did not move after the relay opened).
 */
export type MovementOutcome = Pick<OutcomeMessage, 'checkin' | 'outcome' | 'at'>;

/**
 * People inside: those whose last admitted movement was in, by `idHash`. The one count kiosk,
 * reception and hub share, so the number on the door, on the reception page and at the hub cannot
 * mean different things. A check-in is admitted when ALLOW, or REVIEW with an `admitted` outcome; a
 * refusal or a pending REVIEW never counts; a person counts once however often they come in; a
 * `left` outcome is an exit at its own time; a `not-entered` check-in (issue #19: the door sensor saw
 * nobody pass) moves nobody, whatever its verdict. Inputs in any order.
 */
export function peopleInside(
  movements: readonly Movement[],
  outcomes: readonly MovementOutcome[],
): Set<string> {
  const admitted = new Set<string>();
  const left = new Map<string, string>();
  const notEntered = new Set<string>();
  for (const o of outcomes) {
    if (o.outcome === 'admitted') admitted.add(o.checkin);
    else if (o.outcome === 'not-entered') notEntered.add(o.checkin);
    else if (o.outcome === 'left' && !left.has(o.checkin)) left.set(o.checkin, o.at);
  }
  const events: Array<{ at: number; idHash: string; inside: boolean }> = [];
  for (const m of movements) {
    if (notEntered.has(m.id)) continue;
    if (m.verdict !== 'ALLOW' && !admitted.has(m.id)) continue;
    events.push({ at: Date.parse(m.at), idHash: m.idHash, inside: m.direction === 'in' });
    const out = left.get(m.id);
    if (out !== undefined && m.direction === 'in')
      events.push({ at: Math.max(Date.parse(out), Date.parse(m.at)), idHash: m.idHash, inside: false });
  }
  // Stable sort: at equal times the check-in stays before the exit recorded for it.
  events.sort((a, b) => a.at - b.at);
  const last = new Map<string, boolean>();
  for (const e of events) last.set(e.idHash, e.inside);
  const inside = new Set<string>();
  for (const [idHash, v] of last) if (v) inside.add(idHash);
  return inside;
}
