import type { KeyObject } from 'node:crypto';
import { newKioskKeyPair, openSealed, Sealed } from '@qrkiosk/protocol';
import { Value } from '@sinclair/typebox/value';
import type { BrokerPassword } from '../uplink/password.js';

/** How long the key of a `begin` waits for its `stage` (a request lives at most 5 minutes too). */
const KEY_LIFETIME_MS = 5 * 60_000;

/**
 * `rotate-credentials`, the kiosk's half (docs/protocol.md, "Requests"). The enrolment key pair is not
 * kept after enrolment, so each rotation makes its own, with the same sealing as the enrolment grant:
 *   begin  → a fresh X25519 key pair; the public half in the answer (the private half only in memory)
 *   stage  → value: the new password sealed to it by the hub; opened, written aside (600, durably), used
 *            for the next login — the answer is the kiosk's word that it has it
 *   status → { pending }: false once a login with the new password was accepted (then renamed into place)
 * The hub changes the broker's password only after `stage` was answered; the old one works until then.
 */
export class CredentialRotation {
  private key: { privateKey: KeyObject; until: number } | undefined;

  constructor(
    private readonly password: BrokerPassword | undefined,
    private readonly now: () => number,
    /** The uplink uses the staged password from its next connect (MqttUplink.loginChanged). */
    private readonly staged: () => void,
  ) {}

  handle(action: string | undefined, value: unknown): unknown {
    if (!this.password?.file) throw new Error('this kiosk has no mqtt.passwordFile: nothing to rotate');
    switch (action) {
      case 'begin': {
        const pair = newKioskKeyPair();
        this.key = { privateKey: pair.privateKey, until: this.now() + KEY_LIFETIME_MS };
        return { publicKey: pair.publicKey };
      }
      case 'stage': {
        const key = this.key;
        if (!key || key.until <= this.now())
          throw new Error('rotate-credentials: no rotation begun (begin first)');
        if (!Value.Check(Sealed, value))
          throw new Error('rotate-credentials: value is not a sealed password');
        // One use: a second stage with the same key is refused.
        this.key = undefined;
        let secret: unknown;
        try {
          secret = JSON.parse(openSealed(key.privateKey, value).toString('utf8'));
        } catch {
          throw new Error('rotate-credentials: the sealed password does not open with this rotation’s key');
        }
        const password = (secret as { password?: unknown })?.password;
        if (typeof password !== 'string' || !/^[\x21-\x7e]{16,200}$/.test(password))
          throw new Error('rotate-credentials: the sealed password is not 16–200 printable characters');
        this.password.stage(password);
        this.staged();
        return { staged: true };
      }
      case 'status':
        return { pending: this.password.pending };
      default:
        throw new Error('rotate-credentials: action must be begin, stage or status');
    }
  }
}
