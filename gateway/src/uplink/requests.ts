import {
  type KeyRing,
  MAX_REQUEST_LIFETIME_MS,
  openRequest,
  type RequestBody,
  type Verdict,
} from '@qrkiosk/protocol';
import type { Clock } from '../clock.js';

/**
 * The kiosk's gate for hub requests (docs/protocol.md, "Requests"): only a request signed by a
 * trusted hub key, meant for this kiosk and command, not expired, not retained and not seen before
 * passes. A retained request would be applied again after every restart (a `rules.unknownPerson`
 * set once stayed in force for good); a captured one could be replayed.
 */
export type GateResult =
  | { ok: true; request: RequestBody }
  | { ok: false; tid: string | null; reason: string };

/** Remembered transaction ids at most (a flood needs the hub's key; this only bounds memory). */
const MAX_REMEMBERED = 10_000;

export class RequestGate {
  /** tid → when it can be forgotten (its request has expired by then). */
  private readonly seen = new Map<string, number>();

  constructor(
    private readonly where: { site: string; kiosk: string },
    private readonly keys: KeyRing,
    private readonly clock: Clock,
  ) {}

  check(command: string, payload: Buffer, retained: boolean): GateResult {
    if (retained)
      return { ok: false, tid: null, reason: 'retained request ignored (requests are never retained)' };
    const now = this.clock.now();
    const opened = openRequest(payload, this.keys, { ...this.where, command, now });
    if (!opened.ok) return { ok: false, tid: opened.tid ?? null, reason: opened.reason };
    const { tid } = opened.request;
    for (const [id, until] of this.seen) if (until <= now.getTime()) this.seen.delete(id);
    if (this.seen.has(tid)) return { ok: false, tid, reason: 'request replayed (tid already used)' };
    if (this.seen.size >= MAX_REMEMBERED) return { ok: false, tid, reason: 'too many requests at once' };
    this.seen.set(
      tid,
      Math.min(Date.parse(opened.request.expiresAt), now.getTime() + MAX_REQUEST_LIFETIME_MS),
    );
    return opened;
  }
}

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
  if (key === 'rules.unknownPerson' && (value === 'ALLOW' || value === 'REVIEW' || value === 'REFUSE')) {
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
 * always (the level is raised by computing the policy at the higher level, see the controller).
 */
export function applyTightening<P extends { unknownPerson: Verdict }>(policy: P, held: Tightening): P {
  return held.unknownPerson && STRICTNESS[held.unknownPerson] > STRICTNESS[policy.unknownPerson]
    ? { ...policy, unknownPerson: held.unknownPerson }
    : policy;
}
