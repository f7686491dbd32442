import type { Policy } from '../decide/index.js';
import type { PatternName } from '../signal/index.js';
import { SOFTWARE_VERSION } from '../version.js';
import type { CommandHooks } from './answer.js';

export interface KioskCommandDeps {
  /** The settings a hub may read (never secrets). */
  settings: { kiosk: unknown; scanner: unknown; gpio: unknown; rules: unknown };
  policy: () => Policy;
  /** A checked `config set` (PolicyInForce.tighten): throws saying why a loosening is refused. */
  tighten: (key: string, value: unknown) => void;
  /** The door is holding a refusal (door/index.ts). */
  holding: () => boolean;
  play: (pattern: PatternName) => void;
  gpioName: string;
  /** Drain the outbox again; the number of rows still undelivered. */
  resync: () => number;
  /** Run the outbox policy now (Journal.prune's result). */
  purge: () => unknown;
  /** The doctor's checks, run by the daemon itself (a qrkiosk.doctor/1 report). */
  doctor: () => Promise<unknown>;
  /** Forget every remote tightening (PolicyInForce.clearTightening). */
  clearTightening: () => void;
  /** `rotate-credentials` (rotation.ts). */
  rotate: (action: string | undefined, rotation: string | undefined, value: unknown) => unknown;
  /**
   * Forget the enrolment now (enrolment/unenrol.ts), decisions stopped first; returns what ends the
   * daemon, run once the answer is out. Throws when kiosk.yaml could not be rewritten.
   */
  unenrol: () => () => void;
  log: { warn: (obj: object, msg: string) => void };
}

/**
 * What the hub may ask over MQTT (commands/answer.ts). A `config set` is kept in the data folder
 * (remote-config.ts), never written to kiosk.yaml.
 */
export function kioskCommandHooks(d: KioskCommandDeps): CommandHooks {
  return {
    configGet: () => {
      const policy = d.policy();
      return {
        kiosk: d.settings.kiosk,
        scanner: d.settings.scanner,
        gpio: d.settings.gpio,
        rules: d.settings.rules,
        inForce: { rules: policy.rules.version, level: policy.level, unknownPerson: policy.unknownPerson },
        software: SOFTWARE_VERSION,
      };
    },
    configSet: (key, value) => {
      // Checked against the policy in force (signed rules and kiosk.yaml): only ever stricter.
      d.tighten(key, value);
      d.log.warn({ key, value }, 'setting tightened by the hub (kept in the data folder)');
    },
    selftest: () => {
      // Lights and buzzer only: a remote request must never open the door — nor show green to
      // someone just refused (it would queue behind the hold and light right after it).
      if (d.holding()) throw new Error('the door is holding a refusal; try again in a few seconds');
      d.play('SELFTEST_LIGHTS');
      return { driver: d.gpioName, relay: 'not tested remotely' };
    },
    clearTightening: () => {
      d.clearTightening();
      d.log.warn(
        {},
        'remote tightening cleared by the hub (an admin): back to the signed rules and kiosk.yaml',
      );
    },
    resync: () => ({ pending: d.resync() }),
    purge: () => d.purge(),
    doctor: () => d.doctor(),
    rotateCredentials: (action, rotation, value) => d.rotate(action, rotation, value),
    revokeEnrolment: () => ({ result: { unenrolled: true }, after: d.unenrol() }),
  };
}
