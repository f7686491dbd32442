import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync } from 'node:fs';
import { dirname } from 'node:path';
import { secretText, writeDurably } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';

/** Where a rotation puts the new password until the broker has accepted it: beside the password file. */
export const stagedPasswordFile = (file: string) => `${file}.next`;

/**
 * The broker password the uplink logs in with, and the one a rotation staged (commands/rotation.ts).
 * The hub changes the broker's password only after the kiosk said it staged the new one (durably, mode
 * 600): from then on either may be the one the broker takes. So a refused login tries the other, and the
 * staged one becomes the password (renamed over mqtt.passwordFile) only once a CONNACK accepted it —
 * a power cut at any point leaves a kiosk that logs in with one or the other.
 */
export class BrokerPassword {
  private current: string | undefined;
  private staged: string | undefined;
  private usingStaged = false;

  constructor(
    readonly file: string | undefined,
    initial: string | undefined,
    private readonly log: Logger,
  ) {
    this.current = initial;
    // A rotation a restart interrupted: its staged password may be the one the broker now takes.
    const next = file && stagedPasswordFile(file);
    if (next && existsSync(next)) {
      try {
        this.staged = secretText(readFileSync(next));
      } catch (err) {
        log.error({ err, file: next }, 'staged broker password unreadable; keeping the old one');
      }
    }
  }

  /** The password for the next connect. */
  get next(): string | undefined {
    return this.usingStaged && this.staged !== undefined ? this.staged : this.current;
  }

  /** A rotation is staged and not yet accepted by the broker. */
  get pending(): boolean {
    return this.staged !== undefined;
  }

  /** Keeps the new password aside (600, durably) and logs in with it next. */
  stage(password: string): void {
    if (!this.file) throw new Error('this kiosk has no mqtt.passwordFile: nothing to rotate');
    writeDurably(stagedPasswordFile(this.file), `${password}\n`, { mode: 0o600 });
    this.staged = password;
    this.usingStaged = true;
  }

  /** The broker refused the login: try the other password, if there is one; whether it changed. */
  refused(): boolean {
    if (this.staged === undefined) return false;
    this.usingStaged = !this.usingStaged;
    return true;
  }

  /** The broker accepted `next`: a staged password that worked becomes the password. */
  connected(): void {
    if (!this.usingStaged || this.staged === undefined || !this.file) return;
    renameSync(stagedPasswordFile(this.file), this.file);
    const dir = openSync(dirname(this.file), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
    this.current = this.staged;
    this.staged = undefined;
    this.usingStaged = false;
    this.log.warn({ file: this.file }, 'broker password rotated: the new one is in use');
  }
}
