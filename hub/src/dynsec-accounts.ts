import { mqttOptions } from '@qrkiosk/protocol';
import { connect, type MqttClient } from 'mqtt';
import { DYNSEC_TOPIC, type DynsecCommand, kioskClientId, kioskRole, kioskRoleOnly } from './dynsec.js';
import type { BrokerLogin } from './publish.js';
import type { KioskBinding } from './storage/index.js';
import type { Text } from './text.js';

type Response = { command?: string; error?: string; data?: unknown };
type Send = (commands: DynsecCommand[]) => Promise<Response[]>;

/** Answers that only say the state is already as wanted. */
const HARMLESS = /role not found|client already exists|client not found/i;

/** The kiosk id names a broker login that is not a kiosk's: it is never touched (its password stays its own). */
export class KioskAccountConflict extends Error {
  constructor(readonly text: Text) {
    super(text.en);
  }
}

/** The hub's broker work did not end in time: the caller gives the code back. */
export class DynsecTimeout extends Error {}

/**
 * One kiosk's broker login, kept by the hub through Mosquitto's dynamic-security plugin with the hub's
 * own login (made an administrator by `qrkiosk-hub broker init`). Enrolment uses it: a code makes the
 * role and a disabled client when there is none, a redemption sets the role of the code's site, a fresh
 * password and enables it, a revocation deletes it. A client of that name is only ever touched when it
 * is a kiosk's (its one role `qrkiosk-kiosk-<id>`), never the admin's or another login's.
 */
export class KioskLogins {
  /** @param timeoutMs the whole of one call's broker work: connect, every answer (under the kiosk's 15 s). */
  constructor(
    private readonly admin: BrokerLogin,
    private readonly timeoutMs = 5_000,
  ) {}

  /**
   * At issue time: a kiosk that has no client gets its role and a disabled client without a password.
   * A client that exists (a working kiosk being re-enrolled, maybe to another site) is left as it is —
   * it keeps working, at its site, until the new hardware redeems the code; `kiosk revoke` first when
   * the old one must stop now. Throws KioskAccountConflict when the name is another login's.
   */
  async prepare(b: KioskBinding): Promise<void> {
    await this.session(async (send) => {
      if (await this.existing(send, b.kiosk)) return;
      await send([
        ...kioskRoleOnly(b),
        { command: 'createClient', username: b.kiosk, clientid: kioskClientId(b.site, b.kiosk) },
        { command: 'disableClient', username: b.kiosk },
        { command: 'addClientRole', username: b.kiosk, rolename: kioskRole(b.kiosk), priority: 0 },
      ]);
    });
  }

  /**
   * At redemption: the role made again from the code's site, the client id pinned to the daemon's at that
   * site, a new password, enabled; the connections of the old password end at once (Mosquitto 2.0.11
   * kicks a client's connections on setClientPassword and on disableClient — both seen on a live broker;
   * the re-enrolment test waits for the old unit's connection to close). The disable comes first so the
   * kick never depends on the password change alone.
   */
  async activate(b: KioskBinding, password: string): Promise<void> {
    await this.session(async (send) => {
      const clientid = kioskClientId(b.site, b.kiosk);
      const exists = await this.existing(send, b.kiosk);
      await send([
        ...kioskRoleOnly(b),
        ...(exists
          ? [{ command: 'setClientId', username: b.kiosk, clientid }]
          : [{ command: 'createClient', username: b.kiosk, clientid }]),
        { command: 'addClientRole', username: b.kiosk, rolename: kioskRole(b.kiosk), priority: 0 },
        { command: 'disableClient', username: b.kiosk },
        { command: 'setClientPassword', username: b.kiosk, password },
        { command: 'enableClient', username: b.kiosk },
      ]);
    });
  }

  /**
   * A rotation's new password (use-cases/kiosk-commands.ts), set only after the kiosk staged it: the old
   * password is refused from here on, and the connection made with it is ended (Mosquitto kicks a
   * client's connections on setClientPassword), so the kiosk logs in again with the new one.
   */
  async setPassword(kiosk: string, password: string): Promise<void> {
    await this.session(async (send) => {
      if (!(await this.existing(send, kiosk)))
        throw new Error(`the broker has no login for kiosk ${kiosk} (enrol it first)`);
      await send([{ command: 'setClientPassword', username: kiosk, password }]);
    });
  }

  /** Deletes the kiosk's client: its connections are ended and its login refused from now on. */
  async remove(kiosk: string): Promise<void> {
    await this.session(async (send) => {
      if (!(await this.existing(send, kiosk))) return;
      await send([{ command: 'deleteClient', username: kiosk }]);
    });
  }

  /**
   * Whether the kiosk's client exists; throws KioskAccountConflict when the name is the admin's (the
   * hub's own login) or a client whose roles are not exactly the kiosk's role (monitor, an operator…).
   */
  private async existing(send: Send, kiosk: string): Promise<boolean> {
    const other = (why: Text) =>
      new KioskAccountConflict({
        vi: `Kiosk "${kiosk}" trùng tên một tài khoản broker không phải của kiosk (${why.vi}) — chọn tên kiosk khác`,
        en: `Kiosk "${kiosk}" has the name of a broker login that is not a kiosk's (${why.en}) — choose another kiosk id`,
      });
    if (kiosk === this.admin.username)
      throw other({ vi: 'tài khoản quản trị của trung tâm', en: "the hub's admin login" });
    const [answer] = await send([{ command: 'getClient', username: kiosk }]);
    if (!answer || answer.error) return false;
    const client = (answer.data as { client?: { roles?: Array<{ rolename?: string }>; groups?: unknown[] } })
      ?.client;
    const roles = (client?.roles ?? []).map((r) => r.rolename);
    if (roles.length !== 1 || roles[0] !== kioskRole(kiosk) || (client?.groups ?? []).length > 0)
      throw other({
        vi: `vai trò: ${roles.join(', ') || 'không có'}`,
        en: `roles: ${roles.join(', ') || 'none'}`,
      });
    return true;
  }

  /**
   * One admin connection, all of it (connect included) bounded by timeoutMs: on the deadline the
   * connection is dropped and DynsecTimeout thrown. `send` publishes a batch and returns the plugin's
   * answers, throwing on a real error.
   */
  private async session(work: (send: Send) => Promise<void>): Promise<void> {
    const client: MqttClient = connect(
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
    const send: Send = async (commands) => {
      const responses = new Promise<Response[]>((resolve) => {
        answer = resolve;
      });
      await client.publishAsync(DYNSEC_TOPIC, JSON.stringify({ commands }), { qos: 1 });
      const got = await responses;
      const bad = got.filter((r) => r.error && !HARMLESS.test(r.error) && r.command !== 'getClient');
      if (bad.length > 0)
        throw new Error(`dynamic security refused: ${bad.map((r) => `${r.command}: ${r.error}`).join('; ')}`);
      return got;
    };
    const run = (async () => {
      await new Promise<void>((resolve, reject) => {
        client.once('connect', () => resolve());
        client.once('error', reject);
        client.once('close', () => reject(new Error('the broker closed the connection')));
      });
      await client.subscribeAsync(`${DYNSEC_TOPIC}/response`, { qos: 1 });
      await work(send);
    })();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(new DynsecTimeout(`the broker's dynamic security did not answer in ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    // The loser of the race may still fail later; that is already answered.
    run.catch(() => undefined);
    try {
      await Promise.race([run, deadline]);
    } finally {
      clearTimeout(timer);
      client.end(true);
    }
  }
}
