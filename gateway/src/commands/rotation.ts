import type { KeyObject } from 'node:crypto';
import { newKioskKeyPair, openSealed, Sealed } from '@qrkiosk/protocol';
import { Value } from '@sinclair/typebox/value';
import type { BrokerPassword } from '../uplink/password.js';

/** How long the key of a `begin` waits for its `stage` (a request lives at most 5 minutes too). */
const KEY_LIFETIME_MS = 5 * 60_000;

/** A rotation id as the hub sends it (`key`): 8–64 characters of [A-Za-z0-9_-]. */
const ROTATION_ID = /^[A-Za-z0-9_-]{8,64}$/;

/**
 * `rotate-credentials`, the kiosk's half (docs/protocol.md, "Requests"). The enrolment key pair is not
 * kept after enrolment, so each rotation makes its own, with the same sealing as the enrolment grant:
 *   begin  → a fresh X25519 key pair; the public half in the answer (the private half only in memory)
 *   stage  → value: the new password sealed to it by the hub; opened, written aside (600, durably), used
 *            for the next login — the answer is the kiosk's word that it has it
 *   status → { pending }: false once a login with the new password was accepted (then renamed into place)
 * The hub changes the broker's password only after `stage` was answered; the old one works until then.
 *
 * Each step names its rotation (`key`, the hub's id for it). A `begin` while another rotation is in flight
 * (begun or staged, not yet confirmed, for at most KEY_LIFETIME_MS) is refused: two hubs rotating at once
 * could otherwise leave the broker with one password and the kiosk with the other (review #3). A `stage`
 * or `status` of another rotation is refused too.
 */
export class CredentialRotation {
  private key: { privateKey: KeyObject; until: number } | undefined;
  /** The rotation in flight: its id, and until when it blocks another `begin`. */
  private inFlight: { id: string; until: number } | undefined;

  constructor(
    private readonly password: BrokerPassword | undefined,
    private readonly now: () => number,
    /** The uplink uses the staged password from its next connect (MqttUplink.loginChanged). */
    private readonly staged: () => void,
  ) {}

  handle(action: string | undefined, rotation: string | undefined, value: unknown): unknown {
    if (!this.password?.file) throw new Error('this kiosk has no mqtt.passwordFile: nothing to rotate');
    if (typeof rotation !== 'string' || !ROTATION_ID.test(rotation))
      throw new Error('rotate-credentials: key must name the rotation (8–64 characters of A-Z a-z 0-9 _ -)');
    const now = this.now();
    const current = this.inFlight && this.inFlight.until > now ? this.inFlight : undefined;
    switch (action) {
      case 'begin': {
        if (current && current.id !== rotation)
          throw new Error('rotate-credentials: another rotation is in flight; try again later');
        const pair = newKioskKeyPair();
        this.key = { privateKey: pair.privateKey, until: now + KEY_LIFETIME_MS };
        this.inFlight = { id: rotation, until: now + KEY_LIFETIME_MS };
        return { publicKey: pair.publicKey };
      }
      case 'stage': {
        const key = this.key;
        if (!key || key.until <= now || current?.id !== rotation)
          throw new Error('rotate-credentials: no rotation begun with this id (begin first)');
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
        // The hub now changes the broker's password: no other rotation until this one is confirmed.
        this.inFlight = { id: rotation, until: now + KEY_LIFETIME_MS };
        this.staged();
        return { staged: true };
      }
      case 'status': {
        if (current && current.id !== rotation)
          throw new Error('rotate-credentials: another rotation is in flight');
        const pending = this.password.pending;
        if (!pending && current) this.inFlight = undefined;
        return { pending };
      }
      default:
        throw new Error('rotate-credentials: action must be begin, stage or status');
    }
  }
}
