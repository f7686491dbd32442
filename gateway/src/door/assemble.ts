import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { DoorWatch } from '../door-watch/index.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { Outcomes } from '../outcomes/index.js';
import type { Journal, MonoStamp } from '../record/index.js';
import type { RecordKeeper } from '../record/keeper.js';
import type { Settings } from '../settings/index.js';
import type { Signaller } from '../signal/index.js';
import { Door } from './index.js';

export interface DoorPartsDeps {
  settings: Pick<Settings, 'kiosk' | 'signal' | 'gpio'>;
  signaller: Signaller;
  journal: Journal;
  keeper: RecordKeeper;
  bus: EventBus;
  clock: Clock;
  faults: Faults;
  log: Logger;
  synced: () => boolean;
  stamp: () => MonoStamp;
  nextId: (ms: number) => string;
}

/**
 * The door and what answers it, wired to each other: the Door plays lights and relay (door/index.ts),
 * the guard's Outcomes play through the Door and learn what it shows (outcomes/), and the DoorWatch hears
 * each relay opening and journals `not-entered` through Outcomes when nobody went through (door-watch/).
 * Each needs another, so they are made together here and the controller keeps only the scan path.
 */
export function assembleDoor(d: DoorPartsDeps): { door: Door; outcomes: Outcomes; doorWatch: DoorWatch } {
  const { settings, bus, log } = d;
  const door: Door = new Door(
    d.signaller,
    settings.signal.refuseHoldMs,
    (shown) => {
      outcomes.noteShown(shown);
      bus.emit('scan.shown', shown);
    },
    log,
    (checkin) => doorWatch.opened(checkin),
  );
  const outcomes: Outcomes = new Outcomes({
    kiosk: settings.kiosk,
    reviewButtonSeconds: settings.signal.reviewButtonSeconds,
    buttonDebounceMs: settings.signal.buttonDebounceMs,
    journal: d.journal,
    keeper: d.keeper,
    bus,
    clock: d.clock,
    log,
    synced: d.synced,
    stamp: d.stamp,
    nextId: d.nextId,
    play: (pattern, checkin) => door.play(pattern, checkin),
    holding: () => door.holding,
  });
  const doorWatch: DoorWatch = new DoorWatch({
    kiosk: settings.kiosk,
    sensorWired: settings.gpio.doorSensor.pin !== undefined,
    enterSeconds: settings.signal.doorEnterSeconds,
    notEntered: (checkin) => outcomes.notEntered(checkin),
    faults: d.faults,
    log,
  });
  return { door, outcomes, doorWatch };
}
