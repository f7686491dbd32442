import { isVerdict, type Verdict } from '@qrkiosk/protocol';

/** Strictness of a verdict for an unknown person: a request may only move it right. */
const STRICTNESS: Record<Verdict, number> = { ALLOW: 0, REVIEW: 1, REFUSE: 2 };

/** What remote requests have tightened (until restart); never loosens the signed rules. */
export interface Tightening {
  level?: 1 | 2 | 3 | 4;
  unknownPerson?: Verdict;
}

/**
 * A remote `config set`, checked against the policy in force: `rules.level` may only be raised and
 * `rules.unknownPerson` only made stricter (ALLOW → REVIEW → REFUSE). Returns the new tightening;
 * throws saying why anything else is refused.
 */
export function tighten(
  current: { level: number; unknownPerson: Verdict },
  held: Tightening,
  key: string,
  value: unknown,
): Tightening {
  if (key === 'rules.level' && Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 4) {
    if ((value as number) < current.level)
      throw new Error(`rules.level can only be raised remotely (in force: ${current.level})`);
    return { ...held, level: value as 1 | 2 | 3 | 4 };
  }
  if (key === 'rules.unknownPerson' && isVerdict(value)) {
    if (STRICTNESS[value] < STRICTNESS[current.unknownPerson])
      throw new Error(
        `rules.unknownPerson can only be made stricter remotely (ALLOW → REVIEW → REFUSE; in force: ${current.unknownPerson})`,
      );
    return { ...held, unknownPerson: value };
  }
  throw new Error(
    'config set: only rules.level (raise, 1–4) and rules.unknownPerson (stricter: REVIEW|REFUSE) can be changed remotely',
  );
}

/**
 * The unknown-person verdict tightened by requests on top of a policy: the stricter of the two,
 * always (the level is raised by computing the policy at the higher level, see policy.ts).
 */
export function applyTightening<P extends { unknownPerson: Verdict }>(policy: P, held: Tightening): P {
  return held.unknownPerson && STRICTNESS[held.unknownPerson] > STRICTNESS[policy.unknownPerson]
    ? { ...policy, unknownPerson: held.unknownPerson }
    : policy;
}
