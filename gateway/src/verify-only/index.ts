import type { Direction, TallyMessage } from '@qrkiosk/protocol';
import { TALLY_SCHEMA_ID, validateTally } from '@qrkiosk/protocol';
import type { RecentCheckin } from '../admission/index.js';
import type { EventBus } from '../bus.js';
import { type Decision, decideRecordFailed } from '../decide/index.js';
import type { DecodeResult } from '../decode/index.js';
import type { Logger } from '../log.js';
import { commitRow } from '../record/commit.js';
import type { Journal, MonoStamp } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';
import type { ScanOutcome } from '../scan-outcome.js';
import { RecentTallies } from './recent.js';

export { RecentTallies } from './recent.js';
export { verifyOnlyManualRefusal } from './text.js';

export interface VerifyOnlyDeps {
  kiosk: { id: string; site: string; direction: Direction };
  keeper: RecordKeeper;
  journal: Journal;
  bus: EventBus;
  log: Logger;
  /** A monotonic ULID for a time in ms (the same minting as check-ins: one order in the outbox). */
  nextId: (ms: number) => string;
  /** The versions a check-in would name (CheckinRecorder.versions). */
  versions: () => TallyMessage['versions'];
  /** rules.duplicateWindowSeconds in ms; 0: no window. */
  windowMs: number;
}

/**
 * The record step of a verify-only site (issue #19, signed rules' `sites[site].verifyOnly`): the scan
 * was decided as always; what is journaled and sent is a tally — time, verdict, reason, kind — with no
 * identity at all. The duplicate window lives in memory only (recent.ts). Commit-then-light holds as for
 * a check-in: the caller signals only after recordScan returns.
 */
export class VerifyOnlyRecorder {
  private readonly recent = new RecentTallies();

  constructor(private readonly d: VerifyOnlyDeps) {}

  /** The duplicate window's answer for a verify-only scan (admission's `previous`). */
  previous(idHash: string, stamp: MonoStamp): RecentCheckin | undefined {
    if (this.d.windowMs <= 0) return undefined;
    return this.recent.previous(idHash, stamp, this.d.windowMs, (tally) =>
      this.d.keeper.read(() => this.d.journal.outcomeOf(tally), null),
    );
  }

  /** Journals and announces a tally; on failure the record-failed verdict (never green, no relay). */
  recordScan(
    decoded: DecodeResult,
    decision: Decision,
    idHash: string,
    at: Date,
    synced: boolean,
    stamp: MonoStamp,
  ): ScanOutcome {
    const { kiosk } = this.d;
    const tally: TallyMessage = {
      schema: TALLY_SCHEMA_ID,
      id: this.d.nextId(at.getTime()),
      kiosk: kiosk.id,
      site: kiosk.site,
      direction: kiosk.direction,
      at: at.toISOString(),
      clockSynced: synced,
      ...(synced ? {} : { boot: { id: stamp.boot, uptimeMs: Math.max(0, Math.round(stamp.ms)) } }),
      kind: decoded.kind,
      verdict: decision.verdict,
      colour: decision.colour,
      reason: decision.reason.code,
      versions: this.d.versions(),
    };
    try {
      commitRow(this.d, tally, validateTally, 'tally', stamp);
    } catch (err) {
      this.d.log.error({ err, kind: decoded.kind }, 'could not record the tally');
      return { at, decoded, decision: decideRecordFailed(decision) };
    }
    if (this.d.windowMs > 0)
      this.recent.note(
        idHash,
        {
          tally: tally.id,
          verdict: tally.verdict,
          colour: tally.colour,
          at: tally.at,
          reason: tally.reason,
          stamp,
        },
        this.d.windowMs,
      );
    return { at, decoded, decision, tally };
  }
}
