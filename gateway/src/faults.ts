import type { EventBus } from './bus.js';
import { FAULT_CODES, type FaultCode } from './fault-codes.js';
import type { Logger } from './log.js';

export {
  FAULT_CODES,
  type FaultCode,
  type FaultEvent,
  GUARD_FAULTS,
  RECORD_BLOCKING,
} from './fault-codes.js';

/**
 * The set of active faults. Raising one already active or clearing one not active does nothing
 * (a full disk fails every scan: one log line and one event, not one per scan).
 */
export class Faults {
  private readonly active = new Set<FaultCode>();

  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  raise(code: FaultCode, err?: unknown, detail: Record<string, unknown> = {}): void {
    if (this.active.has(code)) return;
    this.active.add(code);
    this.log.error({ fault: code, ...detail, ...(err ? { err } : {}) }, `fault raised: ${code}`);
    this.emit(code, true);
  }

  clear(code: FaultCode): void {
    if (!this.active.delete(code)) return;
    this.log.warn({ fault: code }, `fault cleared: ${code}`);
    this.emit(code, false);
  }

  has(code: FaultCode): boolean {
    return this.active.has(code);
  }

  list(): FaultCode[] {
    return FAULT_CODES.filter((c) => this.active.has(c));
  }

  private emit(code: FaultCode, active: boolean): void {
    // A listener's failure never turns into a failed scan: the bus logs it (bus.ts).
    this.bus.emit('fault', { code, active, faults: this.list() });
  }
}
