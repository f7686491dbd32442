import type { EventBus } from '../bus.js';
import { GUARD_FAULTS } from '../fault-codes.js';
import type { Door } from './index.js';

/**
 * The door's sounds for news that is not a scan: a scanner that was connected and is lost, and a fault
 * the guard must act on — audible as well as on screen (issue #13): a guard facing the queue hears
 * that something needs them. Returns the unsubscribe.
 */
export function doorSounds(bus: EventBus, door: Door): () => void {
  let scannerWasConnected = false;
  const offs = [
    bus.on('scanner.status', (s) => {
      if (scannerWasConnected && !s.connected) door.play('SCANNER_LOST');
      scannerWasConnected = s.connected;
    }),
    bus.on('fault', (f) => {
      // A fault is raised inside a scan's record step, before that scan's pattern starts: wait for the
      // scan path to finish, then the door plays it after that pattern (Door.alarm).
      if (f.active && GUARD_FAULTS.includes(f.code)) queueMicrotask(() => door.alarm('FAULT'));
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
