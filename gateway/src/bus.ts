import { EventEmitter } from 'node:events';
import type { CheckinMessage, OutcomeMessage } from '@qrkiosk/protocol';
import type { OccupancyState } from './decide/occupancy-gate.js';
import type { DoorShown } from './door/index.js';
import type { FaultEvent } from './fault-codes.js';
import { createLogger, type Logger } from './log.js';
import type { ScanOutcome } from './scan-outcome.js';

export type { ScanOutcome } from './scan-outcome.js';

/** Every event crossing stage boundaries, with its payload type. Add new ones here only. */
export interface BusEvents {
  'scanner.status': { connected: boolean; path: string; error?: string };
  /** The input's reconnect loop: trying, open, waiting to retry, dead for good, stopped (input/life.ts). */
  'scanner.life': { state: 'trying' | 'open' | 'waiting' | 'dead' | 'stopped'; error?: string };
  'scan.decided': ScanOutcome;
  /** The door played a scan's pattern, or queued it behind a refusal's hold (door/index.ts). */
  'scan.shown': DoorShown;
  'checkin.recorded': { id: string; seq: number };
  'checkin.delivered': { id: string };
  /** A check-in entered by hand at reception (no scan behind it). */
  'checkin.manual': CheckinMessage;
  /** The guard's admit/deny after a REVIEW, journaled (outcomes/index.ts). */
  'outcome.recorded': OutcomeMessage;
  /** The people inside and the cap, when either changes; undefined when no cap is in force (occupancy/). */
  'occupancy.changed': OccupancyState | undefined;
  'uplink.status': { connected: boolean; error?: string };
  /** The hub revoked this kiosk's enrolment and kiosk.yaml was rewritten unenrolled: the daemon exits to restart. */
  'kiosk.unenrolled': { file: string };
  /** A storage fault raised or cleared (gateway/src/faults.ts); screens and telemetry follow it. */
  fault: FaultEvent;
}

/**
 * A typed event bus. Stages never call each other through it on the scan path (that path is an
 * explicit, ordered pipeline in the controller); the bus carries news outward: to the uplink,
 * the screens, telemetry and tests. Listeners must be quick and must not do I/O in line: work that
 * can wait (the uplink's drain) is scheduled for the next tick by the listener itself.
 *
 * The bus protects itself (as zigbee2mqtt's eventBus does): a listener that throws is logged with
 * its stack and the event name, and the other listeners still run. The news cannot undo what
 * caused it (a committed journal row, a raised fault), so callers never guard an emit.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();
  private readonly log: Logger;

  /** `log`: where a failing listener is reported (default: errors only, to stdout). */
  constructor(log?: Logger) {
    this.log = log ?? createLogger('error');
  }

  on<K extends keyof BusEvents>(event: K, listener: (payload: BusEvents[K]) => void): () => void {
    const guarded = (payload: BusEvents[K]) => {
      try {
        listener(payload);
      } catch (err) {
        this.log.error({ err, event }, 'bus listener failed');
      }
    };
    this.emitter.on(event, guarded);
    return () => this.emitter.off(event, guarded);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}
