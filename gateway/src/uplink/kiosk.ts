import type { TelemetryMessage } from '@qrkiosk/protocol';
import type { EventBus } from '../bus.js';
import type { Clock } from '../clock.js';
import { type KioskCommandDeps, kioskCommandHooks } from '../commands/hooks.js';
import type { RemoteConfigFile } from '../commands/remote-config.js';
import { CredentialRotation } from '../commands/rotation.js';
import { runDoctor } from '../doctor/index.js';
import { markRevoked, unenrolConfig } from '../enrolment/unenrol.js';
import type { Logger } from '../log.js';
import type { ReceptionPasses } from '../passes/reception.js';
import type { Outbox } from '../record/keeper.js';
import type { LoadedSettings } from '../settings/index.js';
import type { FleetUpdates } from '../updates/index.js';
import { MqttUplink } from './index.js';
import { BrokerPassword } from './password.js';

export interface KioskUplinkParts {
  loaded: LoadedSettings;
  outbox: Outbox;
  bus: EventBus;
  clock: Clock;
  log: Logger;
  telemetry: () => TelemetryMessage;
  /** What the hub's commands act on (commands/hooks.ts); the rest is wired here. */
  commands: Omit<KioskCommandDeps, 'resync' | 'settings' | 'log' | 'doctor' | 'rotate' | 'unenrol'>;
  /** The hub's `config set`s kept in the data folder: removed when the enrolment is revoked. */
  remote: RemoteConfigFile;
  /** The hub revoked this kiosk: stop deciding (fault `enrolment-revoked`, never green) — raised first. */
  revoked: () => void;
  occupancy: (payload: Buffer) => void;
  updates: FleetUpdates;
  /** Reception's pass requests, over this connection. */
  passes: ReceptionPasses;
}

/**
 * The kiosk's MQTT uplink, wired: the outbox it drains, telemetry, the hub's signed commands and
 * fleet updates, the site's occupancy count. Started; returns it and the unsubscribe for its news.
 */
export function startKioskUplink(p: KioskUplinkParts): { uplink: MqttUplink; off: () => void } {
  const { settings, secrets } = p.loaded;
  const passwords = new BrokerPassword(settings.mqtt.passwordFile, secrets.mqttPassword, p.log);
  const rotation = new CredentialRotation(
    passwords,
    () => p.clock.now().getTime(),
    () => uplink.loginChanged(),
  );
  let doctor: Promise<unknown> | undefined;
  const uplink: MqttUplink = new MqttUplink({
    mqtt: settings.mqtt,
    kiosk: settings.kiosk,
    passwords,
    journal: p.outbox,
    bus: p.bus,
    clock: p.clock,
    log: p.log,
    telemetry: p.telemetry,
    commands: kioskCommandHooks({
      ...p.commands,
      settings,
      resync: (): number => uplink.resync(),
      // One run at a time: a second request while the checks run gets the same report.
      doctor: () => {
        doctor ??= runDoctor(
          {
            config: p.loaded.file,
            scanTimeoutMs: 0,
            blink: false,
            fromDaemon: { statusText: '| hub: online' },
          },
          { clock: p.clock },
        ).finally(() => {
          doctor = undefined;
        });
        return doctor;
      },
      rotate: (action, id, value) => rotation.handle(action, id, value),
      unenrol: () => {
        // Stopped first: whatever happens next, this kiosk lets no one through on its own word any more.
        p.revoked();
        try {
          unenrolConfig(p.loaded.file, settings.mqtt.passwordFile);
          p.remote.remove();
        } catch (err) {
          // Still enrolled on disk: a restart would come back as this kiosk, so it stays stopped
          // (the fault) and the hub is told why instead of "ok" (review #4 B).
          p.log.error(
            { err, config: p.loaded.file },
            'enrolment revoked by the hub, but kiosk.yaml could not be rewritten: deciding nothing',
          );
          try {
            // Stopped after a restart too, until enrolled anew (enrolment/unenrol.ts REVOKED_MARKER).
            markRevoked(settings.data.dir, p.clock.now());
          } catch (markErr) {
            p.log.error({ err: markErr }, 'the revocation could not be marked in the data folder either');
          }
          const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
          throw new Error(
            `kiosk.yaml could not be rewritten (${String(why).slice(0, 80)}); the kiosk stopped deciding`,
          );
        }
        p.log.warn({ config: p.loaded.file }, 'enrolment revoked by the hub: restarting unenrolled');
        return () => p.bus.emit('kiosk.unenrolled', { file: p.loaded.file });
      },
      log: p.log,
    }),
    hubKeys: secrets.hubKeys,
    onOccupancy: p.occupancy,
    passes: p.passes,
    onUpdate: (kind, payload) =>
      void p.updates
        .receive(kind, payload)
        .catch((err: unknown) => p.log.error({ kind, err }, 'update failed')),
  });
  uplink.start();
  // The hub re-times this boot's unsynced check-ins from a synced telemetry: send one at once — on the
  // next tick, since the fault can clear inside scan() (ClockWatch.synced), before that scan's light.
  // Data going stale or fresh again (freshness/, issue #19): the fleet page shows it now, not a telemetry
  // period later.
  const off = p.bus.on('fault', (f) => {
    if ((f.code === 'clock-unsynced' && !f.active) || f.code === 'data-stale')
      setImmediate(() => uplink.sendTelemetry());
  });
  return { uplink, off };
}
