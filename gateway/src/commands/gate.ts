import { type KeyRing, MAX_REQUEST_LIFETIME_MS, openRequest, type RequestBody } from '@qrkiosk/protocol';
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
