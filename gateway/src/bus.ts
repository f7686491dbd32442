import { EventEmitter } from 'node:events';
import type { CheckinMessage, OutcomeMessage } from '@qrkiosk/protocol';
import type { Decision } from './decide/index.js';
import type { DecodeResult } from './decode/index.js';
import type { DoorShown } from './door/index.js';
import type { FaultEvent } from './faults.js';
import type { OccupancyState } from './occupancy/index.js';

/** What a scan came to: the decode, the decision, and the check-in when one was recorded. */
export interface ScanOutcome {
  at: Date;
  decoded: DecodeResult;
  decision: Decision;
  /** Present when the scan was journaled (not for undecodable codes or repeats). */
  checkin?: CheckinMessage;
  /** A repeat: the earlier check-in it repeats (its time, shown as "đã quét lúc HH:mm", and its reason code). */
  previous?: { at: string; reason: string };
}

/** Every event crossing stage boundaries, with its payload type. Add new ones here only. */
export interface BusEvents {
  'scanner.status': { connected: boolean; path: string; error?: string };
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
  /** A storage fault raised or cleared (gateway/src/faults.ts); screens and telemetry follow it. */
  fault: FaultEvent;
}

/**
 * A typed event bus. Stages never call each other through it on the scan path (that path is an
 * explicit, ordered pipeline in the controller); the bus carries news outward: to the uplink,
 * the screens, telemetry and tests.
 */
export class EventBus {
  private readonly emitter = new EventEmitter();

  on<K extends keyof BusEvents>(event: K, listener: (payload: BusEvents[K]) => void): () => void {
    this.emitter.on(event, listener);
    return () => this.emitter.off(event, listener);
  }

  emit<K extends keyof BusEvents>(event: K, payload: BusEvents[K]): void {
    this.emitter.emit(event, payload);
  }
}
