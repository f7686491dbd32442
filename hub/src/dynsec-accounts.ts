import { mqttOptions } from '@qrkiosk/protocol';
import { connectAsync, type MqttClient } from 'mqtt';
import { DYNSEC_TOPIC, type DynsecCommand, kioskRoleCommands } from './dynsec.js';
import type { BrokerLogin } from './publish.js';
import type { KioskBinding } from './storage/index.js';

type Response = { command?: string; error?: string };

/** Answers that only say the state is already as wanted. */
const HARMLESS = /role not found|client already exists|client not found/i;

/**
 * One kiosk's broker login, kept by the hub through Mosquitto's dynamic-security plugin with the hub's
 * own login (made an administrator by `qrkiosk-hub broker init`). Enrolment uses it: a code makes the
 * role and a disabled client, a redemption sets a fresh password and enables it, a revocation deletes it.
 */
export class KioskLogins {
  constructor(
    private readonly admin: BrokerLogin,
    private readonly timeoutMs = 10_000,
  ) {}

  /**
   * The kiosk's role (its site's topics only) and its client. A client made now has no password and is
   * disabled until a code is redeemed; one that exists (a working kiosk being re-enrolled) keeps working
   * until the new hardware redeems its code — `kiosk revoke` first when the old one must stop now.
   */
  async prepare(b: KioskBinding): Promise<void> {
    await this.session(async (send) => {
      const answers = await send(kioskRoleCommands(b));
      const created = answers.find((r) => r.command === 'createClient' && !r.error);
      if (created) await send([{ command: 'disableClient', username: b.kiosk }]);
    });
  }

  /**
   * Sets a new password and enables the client; the connections of the old password end at once
   * (Mosquitto 2.0.11 kicks a client's connections on setClientPassword and on disableClient — both
   * seen on a live broker; the re-enrolment test waits for the old unit's connection to close). The
   * disable comes first so the kick never depends on the password change alone. The role is made
   * again from the code's site on the way.
   */
  async activate(b: KioskBinding, password: string): Promise<void> {
    await this.session(async (send) => {
      await send([
        ...kioskRoleCommands(b),
        { command: 'disableClient', username: b.kiosk },
        { command: 'setClientPassword', username: b.kiosk, password },
        { command: 'enableClient', username: b.kiosk },
      ]);
    });
  }

  /** Deletes the kiosk's client: its connections are ended and its login refused from now on. */
  async remove(kiosk: string): Promise<void> {
    await this.session((send) => send([{ command: 'deleteClient', username: kiosk }]).then(() => undefined));
  }

  /** One admin connection; `send` publishes a batch and returns the plugin's answers, throwing on a real error. */
  private async session(
    work: (send: (commands: DynsecCommand[]) => Promise<Response[]>) => Promise<void>,
  ): Promise<void> {
    const client: MqttClient = await connectAsync(
      this.admin.url,
      mqttOptions(
        { ...this.admin, protocolVersion: 5 },
        { reconnectPeriod: 0, connectTimeout: this.timeoutMs },
      ),
    );
    let answer: ((r: Response[]) => void) | undefined;
    client.on('message', (_t, p) => {
      try {
        answer?.((JSON.parse(p.toString('utf8')) as { responses?: Response[] }).responses ?? []);
      } catch {
        // not an answer
      }
    });
    try {
      await client.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
      await work(async (commands) => {
        const responses = new Promise<Response[]>((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error('no answer from the dynamic-security plugin')),
            this.timeoutMs,
          );
          answer = (r) => {
            clearTimeout(timer);
            resolve(r);
          };
        });
        await client.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands }), { qos: 1 });
        const got = await responses;
        const bad = got.filter((r) => r.error && !HARMLESS.test(r.error));
        if (bad.length > 0)
          throw new Error(
            `dynamic security refused: ${bad.map((r) => `${r.command}: ${r.error}`).join('; ')}`,
          );
        return got;
      });
    } finally {
      await client.endAsync();
    }
  }
}
