import type { EventBus } from './bus.js';
import type { Clock } from './clock.js';
import type { RemoteConfigFile } from './commands/remote-config.js';
import type { Door } from './door/index.js';
import type { Faults } from './faults.js';
import type { KioskTelemetry } from './kiosk-telemetry.js';
import type { Logger } from './log.js';
import type { Occupancy } from './occupancy/index.js';
import { ReceptionPasses } from './passes/reception.js';
import type { PolicyInForce } from './policy.js';
import type { Journal } from './record/index.js';
import type { RecordKeeper } from './record/keeper.js';
import type { OutboxPruner } from './record/pruner.js';
import type { LoadedSettings } from './settings/index.js';
import type { GpioDriver } from './signal/index.js';
import { watchUpdateState } from './software/daemon.js';
import type { SoftwareFleet } from './software/index.js';
import type { FleetUpdates } from './updates/index.js';
import type { MqttUplink } from './uplink/index.js';
import { startKioskUplink } from './uplink/kiosk.js';

/** The running kiosk's parts the hub's link acts on (the controller passes its parts). */
export interface FleetLinkParts {
  loaded: LoadedSettings;
  keeper: RecordKeeper;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  telemetry: KioskTelemetry;
  policy: PolicyInForce;
  door: Door;
  gpio: GpioDriver;
  pruner: OutboxPruner;
  faults: Faults;
  remote: RemoteConfigFile;
  occupancy: Occupancy;
  updates: FleetUpdates;
  software: SoftwareFleet | undefined;
  journal: Journal;
}

/**
 * The kiosk's link to the hub: the uplink (uplink/kiosk.ts) with what the hub's commands act on
 * (commands/hooks.ts), the revocation that stops deciding, and the software updates' news (a changed
 * installer state is sent at once). The constructor does nothing; start() connects.
 */
export class FleetLink {
  private uplink: MqttUplink | undefined;
  /** Reception's "print a pass" (issue #20): asks the hub over this link; offline without it. */
  readonly passes: ReceptionPasses;

  constructor(private readonly p: FleetLinkParts) {
    this.passes = new ReceptionPasses({
      loaded: p.loaded,
      clock: p.clock,
      log: p.log,
      checkin: (id) => p.keeper.read(() => p.journal.checkinWithOutcomes(id), undefined),
      verifyOnly: () => p.policy.current.verifyOnly,
    });
  }

  /** Connects; returns the undo steps (news, update watch, software fleet), for stop() to run in order. */
  start(): Array<() => void> {
    const { p } = this;
    const { uplink, off } = startKioskUplink({
      loaded: p.loaded,
      outbox: p.keeper.outbox(),
      bus: p.bus,
      clock: p.clock,
      log: p.log,
      telemetry: () => p.telemetry.message(),
      commands: {
        policy: () => p.policy.current,
        tighten: (key, value) => p.policy.tighten(key, value),
        holding: () => p.door.holding,
        play: (pattern) => p.door.play(pattern),
        gpioName: p.gpio.name,
        purge: () => p.pruner.purge(),
        clearTightening: () => p.policy.clearTightening(),
      },
      // Revoked by the hub: scan() decides nothing from here on (fault `enrolment-revoked`).
      revoked: () => p.faults.raise('enrolment-revoked'),
      remote: p.remote,
      occupancy: (payload) => p.occupancy.hubMessage(payload),
      updates: p.updates,
      passes: this.passes,
    });
    this.uplink = uplink;
    return [
      off,
      watchUpdateState(p.loaded.settings.software.root, () => uplink.sendTelemetry()),
      () => p.software?.stop(),
    ];
  }

  /** Closes the connection, if start() opened one. */
  async stop(): Promise<void> {
    await this.uplink?.stop();
  }
}
