import type { CheckinMessage, TallyMessage, Validation } from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { MonoStamp } from './index.js';
import type { RecordKeeper } from './keeper.js';

/**
 * The commit step a scan's row takes, check-in or verify-only tally: durable before anything else
 * happens — the journal row, then the news. A row the hub's schema would refuse is not journaled (it
 * would be dropped there after the kiosk counted it delivered): the caller treats that as a failed
 * record. The news cannot undo a committed row: a failing listener is the bus's to log (bus.ts),
 * never reported as a failed record.
 */
export function commitRow<T extends CheckinMessage | TallyMessage>(
  d: { keeper: RecordKeeper; bus: EventBus },
  row: T,
  validate: (value: unknown) => Validation<T>,
  what: string,
  stamp: MonoStamp,
): void {
  const valid = validate(row);
  if (!valid.ok)
    throw new Error(`${what} does not match the protocol schema: ${valid.errors.slice(0, 3).join('; ')}`);
  const seq = d.keeper.append(row, stamp);
  d.bus.emit('checkin.recorded', { id: row.id, seq });
}
