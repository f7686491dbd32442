import type { CheckinMessage } from '@qrkiosk/protocol';
import type { Clock } from './clock.js';
import { checkManualEntry, ManualEntryError } from './manual-entry.js';
import type { Occupancy } from './occupancy/index.js';
import type { PolicyInForce } from './policy.js';
import type { CheckinRecorder } from './record/checkin.js';
import type { Journal, MonoStamp } from './record/index.js';
import type { RecordKeeper } from './record/keeper.js';
import type { LoadedSettings } from './settings/index.js';
import { verifyOnlyManualRefusal } from './verify-only/text.js';

/** The running kiosk's parts a manual entry reads and records with (the controller passes its parts). */
export interface ManualCheckinParts {
  loaded: LoadedSettings;
  clock: Clock;
  stamp: () => MonoStamp;
  clockWatch: { synced(): boolean };
  keeper: RecordKeeper;
  journal: Journal;
  policy: PolicyInForce;
  occupancy: Occupancy;
  recorder: CheckinRecorder;
  /** The deployment hash key (throws before start()). */
  hashKey: () => Buffer;
}

/**
 * Reception's manual entry for a visitor without a code, on a running kiosk: checked by
 * `checkManualEntry` (manual-entry.ts) against the journal's duplicate window and the occupancy cap,
 * then journaled and sent like a scan by the CheckinRecorder.
 */
export class ManualCheckins {
  constructor(private readonly p: ManualCheckinParts) {}

  /** Throws ManualEntryError with a bilingual reason on bad input. */
  checkin(name: string, phone: string): CheckinMessage {
    const { p } = this;
    // A name and a phone written down are a register, which a verify-only site must not keep.
    if (p.policy.current.verifyOnly) throw new ManualEntryError(verifyOnlyManualRefusal());
    const synced = p.clockWatch.synced();
    const at = p.clock.now();
    const stamp = p.stamp();
    const window = p.loaded.settings.rules.duplicateWindowSeconds * 1000;
    const entry = checkManualEntry(name, phone, {
      hashKey: p.hashKey(),
      recent: (idHash) =>
        window > 0 &&
        p.keeper.read(() => p.journal.lastRecent(idHash, at, window, stamp), undefined) !== undefined,
      maxInside: p.policy.current.maxInside,
      direction: p.loaded.settings.kiosk.direction,
      occupancy: () => p.occupancy.now(),
    });
    return p.recorder.recordManual(entry, at, synced, stamp);
  }
}
