import type { TelemetryMessage } from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { type KioskCommandDeps, kioskCommandHooks } from '../commands/hooks.js';
import type { Logger } from '../log.js';
import type { Outbox } from '../record/keeper.js';
import type { LoadedSettings } from '../settings/index.js';
import type { FleetUpdates } from '../updates/index.js';
import { MqttUplink } from './index.js';

export interface KioskUplinkParts {
  loaded: LoadedSettings;
  outbox: Outbox;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  telemetry: () => TelemetryMessage;
  /** What the hub's commands act on (commands/hooks.ts); `resync` is the uplink's own. */
  commands: Omit<KioskCommandDeps, 'resync' | 'settings' | 'log'>;
  occupancy: (payload: Buffer) => void;
  updates: FleetUpdates;
}

/**
 * The kiosk's MQTT uplink, wired: the outbox it drains, telemetry, the hub's signed commands and
 * fleet updates, the site's occupancy count. Started; returns it and the unsubscribe for its news.
 */
export function startKioskUplink(p: KioskUplinkParts): { uplink: MqttUplink; off: () => void } {
  const { settings, secrets } = p.loaded;
  const uplink: MqttUplink = new MqttUplink({
    mqtt: settings.mqtt,
    kiosk: settings.kiosk,
    ...(secrets.mqttPassword !== undefined ? { password: secrets.mqttPassword } : {}),
    journal: p.outbox,
    bus: p.bus,
    clock: p.clock,
    log: p.log,
    telemetry: p.telemetry,
    commands: kioskCommandHooks({
      ...p.commands,
      settings,
      resync: (): number => uplink.resync(),
      log: p.log,
    }),
    hubKeys: secrets.hubKeys,
    onOccupancy: p.occupancy,
    onUpdate: (kind, payload) =>
      void p.updates
        .receive(kind, payload)
        .catch((err: unknown) => p.log.error({ kind, err }, 'update failed')),
  });
  uplink.start();
  // The hub re-times this boot's unsynced check-ins from a synced telemetry: send one at once — on the
  // next tick, since the fault can clear inside scan() (ClockWatch.synced), before that scan's light.
  const off = p.bus.on('fault', (f) => {
    if (f.code === 'clock-unsynced' && !f.active) setImmediate(() => uplink.sendTelemetry());
  });
  return { uplink, off };
}
