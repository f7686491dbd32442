import type { Direction } from '@qrkiosk/protocol';
import {
  CHECKIN_SCHEMA_ID,
  type CheckinMessage,
  type IdentityClear,
  maskName,
  maskNumber,
  validateCheckin,
} from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import { type Decision, decideRecordFailed } from '../decide/index.js';
import type { DecodeResult } from '../decode/index.js';
import type { Logger } from '../log.js';
import type { FactsCache } from '../lookup/index.js';
import type { ScanOutcome } from '../scan-outcome.js';
import { SOFTWARE_VERSION } from '../version.js';
import { commitRow } from './commit.js';
import type { MonoStamp } from './index.js';
import type { RecordKeeper } from './keeper.js';
import { type IdentitySealer, manualClear, scanClear } from './seal.js';

export interface CheckinRecorderDeps {
  kiosk: { id: string; site: string; direction: Direction };
  keeper: RecordKeeper;
  bus: EventBus;
  log: Logger;
  /** A monotonic ULID for a time in ms (ids sort in journal order within a millisecond). */
  nextId: (ms: number) => string;
  rulesVersion: () => string;
  cache: FactsCache;
  /** Seals each check-in's full identity to the tracing key; absent without privacy.tracingPublicKeyFile. */
  sealer?: IdentitySealer | undefined;
}

/** The record step: a check-in as it is journaled and published (masked identity only), and its commit. */
export class CheckinRecorder {
  constructor(private readonly d: CheckinRecorderDeps) {}

  /** A check-in as it is journaled and published; masked identity only. */
  build(
    at: Date,
    synced: boolean,
    stamp: MonoStamp,
    document: CheckinMessage['document'],
    outcome: Pick<CheckinMessage, 'verdict' | 'colour' | 'reason'>,
  ): CheckinMessage {
    const { kiosk } = this.d;
    return {
      schema: CHECKIN_SCHEMA_ID,
      id: this.d.nextId(at.getTime()),
      kiosk: kiosk.id,
      site: kiosk.site,
      direction: kiosk.direction,
      at: at.toISOString(),
      clockSynced: synced,
      // The monotonic time of this scan, so the hub can re-time it once this boot's clock is known.
      ...(synced ? {} : { boot: { id: stamp.boot, uptimeMs: Math.max(0, Math.round(stamp.ms)) } }),
      document,
      ...outcome,
      versions: this.versions(),
    };
  }

  /**
   * The record step of a scan: journaled, or the record-failed verdict (never green, no relay). `links` are
   * the hashes of the scan's other identity keys (admission's identityKeys() but the primary): the hub links
   * a person's documents with them.
   */
  recordScan(
    decoded: DecodeResult,
    decision: Decision,
    idHash: string,
    at: Date,
    synced: boolean,
    stamp: MonoStamp,
    links: readonly string[] = [],
  ): ScanOutcome {
    const identity = decoded.identity!;
    const built = this.build(
      at,
      synced,
      stamp,
      {
        kind: decoded.kind,
        numberMasked: maskNumber(identity.documentNumber),
        nameMasked: maskName(identity.name),
        idHash,
        ...(links.length > 0 ? { links: [...links] } : {}),
      },
      { verdict: decision.verdict, colour: decision.colour, reason: decision.reason.code },
    );
    const checkin = this.sealed(built, scanClear(decoded));
    try {
      this.commit(checkin, stamp);
    } catch (err) {
      // No journal row, no green light and no relay; a refusal stays a refusal.
      this.d.log.error({ err, kind: decoded.kind }, 'could not record the check-in');
      return { at, decoded, decision: decideRecordFailed(decision) };
    }
    return { at, decoded, decision, checkin };
  }

  /** Reception's manual entry, checked (manual-entry.ts): journaled and sent like a scan. Throws if not recorded. */
  recordManual(
    entry: { name: string; digits: string; idHash: string },
    at: Date,
    synced: boolean,
    stamp: MonoStamp,
  ) {
    const built = this.build(
      at,
      synced,
      stamp,
      {
        kind: 'manual',
        numberMasked: maskNumber(entry.digits),
        nameMasked: maskName(entry.name),
        idHash: entry.idHash,
      },
      { verdict: 'ALLOW', colour: null, reason: 'manual-entry' },
    );
    const checkin = this.sealed(built, manualClear(entry));
    this.commit(checkin, stamp);
    this.d.bus.emit('checkin.manual', checkin);
    this.d.log.info({ checkin: checkin.id, who: checkin.document.numberMasked }, 'manual check-in');
    return checkin;
  }

  /** The journal row, then the news (commit.ts: the same step a verify-only tally takes). */
  commit(checkin: CheckinMessage, stamp: MonoStamp): void {
    commitRow(this.d, checkin, validateCheckin, 'check-in', stamp);
  }

  /**
   * The check-in with its identity sealed to the tracing key (the box names the check-in's id, so it is sealed
   * once the id is minted). A seal that fails loses the box, never the check-in: the door keeps working.
   */
  private sealed(checkin: CheckinMessage, clear: IdentityClear | undefined): CheckinMessage {
    const { sealer } = this.d;
    if (!sealer || !clear) return checkin;
    try {
      return { ...checkin, document: { ...checkin.document, sealed: sealer(checkin.id, clear) } };
    } catch (err) {
      this.d.log.error({ err, checkin: checkin.id }, 'could not seal the identity; recorded without it');
      return checkin;
    }
  }

  /** What a check-in (or a verify-only tally) names as the versions it was decided with. */
  versions(): CheckinMessage['versions'] {
    return { software: SOFTWARE_VERSION, rules: this.d.rulesVersion(), cache: this.cacheVersion() };
  }

  /** The cache version a check-in names; a cache that cannot be read says 0 rather than lose the row. */
  private cacheVersion(): number {
    try {
      return this.d.cache.isOpen ? this.d.cache.version() : 0;
    } catch (err) {
      this.d.log.error({ err }, 'facts cache version unreadable');
      return 0;
    }
  }
}
