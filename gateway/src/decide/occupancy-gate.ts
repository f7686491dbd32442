import type { Direction } from '@qrkiosk/protocol';
import type { Decision, Policy } from './types.js';

/** How full the site is as the kiosk knows it (gateway/src/occupancy/): the count and whose it is. */
export interface OccupancyNow {
  inside: number;
  /** `site`: the hub's count over all the site's kiosks; `kiosk`: this kiosk's own, while the hub is out of reach. */
  scope: 'site' | 'kiosk';
  /** The count could not be read (the journal failed): every entry is held for review. */
  unknown?: true;
}

/** The count and the cap in force, as the screens show it. */
export interface OccupancyState extends OccupancyNow {
  max: number;
}

/**
 * The occupancy cap (issue #13, item 8): an entry that would be admitted is held for review once the
 * site has `policy.maxInside` people inside — the guard decides (an admit counts them in). Nothing
 * else changes: refusals and reviews stay as they are, an exit kiosk is never held (leaving frees a
 * place), and a person let in within the duplicate window (`alreadyInside`: scanning again at the
 * door) is not held — their scan is a repeat. Anyone else is counted, even if they came in earlier
 * today: this kiosk cannot know whether they left through another door. The colour stays: it is the
 * person's, not the site's.
 */
export function guardOccupancy(
  decision: Decision,
  policy: Pick<Policy, 'maxInside'>,
  entry: { direction: Direction; alreadyInside: boolean },
  now: () => OccupancyNow,
): Decision {
  const max = policy.maxInside;
  if (max === undefined || decision.verdict !== 'ALLOW' || entry.direction !== 'in' || entry.alreadyInside)
    return decision;
  const occupancy = now();
  if (occupancy.unknown)
    return {
      verdict: 'REVIEW',
      colour: decision.colour,
      reason: {
        code: 'occupancy-unknown',
        text: {
          vi: 'Không đếm được số người trong địa điểm — kiểm tra, báo kỹ thuật',
          en: 'Cannot count the people inside — check, and call a technician',
        },
      },
      decidedBy: ['occupancy-unknown', ...decision.decidedBy],
      repeat: decision.repeat,
    };
  if (occupancy.inside < max) return decision;
  return {
    verdict: 'REVIEW',
    colour: decision.colour,
    reason: {
      code: 'occupancy-full',
      text: {
        vi: `Đã đủ số người (${occupancy.inside}/${max}) — chờ người ra`,
        en: `The site is full (${occupancy.inside}/${max}) — wait for someone to leave`,
      },
    },
    decidedBy: [`occupancy-${occupancy.scope}`, ...decision.decidedBy],
    repeat: decision.repeat,
  };
}
