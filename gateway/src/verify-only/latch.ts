import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';

/** In the data folder: signed rules once put this kiosk's site in verify-only. */
export const VERIFY_ONLY_LATCH_FILE = 'verify-only.json';

/** What the latch file records (for the log and the technician; its presence is what counts). */
interface Latched {
  site: string;
  rulesVersion: string;
  since: string;
}

/**
 * Verify-only fails to privacy (issue #19 review, finding 4). Without this, a kiosk whose signed rules
 * can no longer be loaded — a damaged `.sig`, a rotated key, a deleted file — falls back to the
 * built-in rules, which keep a register: a site the office told to keep nothing would quietly start
 * journaling names again. So the kiosk remembers, in its data folder (written durably), that valid
 * signed rules put its site in verify-only; while that is so, built-in rules do not turn it off. Only
 * valid signed rules that say otherwise (`verifyOnly` absent or false for the site) clear it. The file
 * is kept whatever the site in kiosk.yaml says: a kiosk moved to another site without its rules is
 * still better keeping nothing. A file present but unreadable counts as set, for the same reason.
 */
export class VerifyOnlyLatch {
  private readonly file: string;
  private set: boolean;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, VERIFY_ONLY_LATCH_FILE);
    this.set = existsSync(this.file);
  }

  get isSet(): boolean {
    return this.set;
  }

  /**
   * The verify-only flag in force: `signed` is true when the rules in force are valid signed rules,
   * `verifyOnly` what they (or the built-in rules) say for the site.
   */
  apply(site: string, rulesVersion: string, signed: boolean, verifyOnly: boolean): boolean {
    if (signed) {
      if (verifyOnly) this.remember({ site, rulesVersion, since: new Date().toISOString() });
      else this.forget(rulesVersion);
      return verifyOnly;
    }
    if (!this.set) return verifyOnly;
    this.log.error(
      { file: this.file, latched: this.read(), rulesInForce: rulesVersion },
      'no valid signed rules: staying verify-only as the last signed rules said (no register is kept)',
    );
    return true;
  }

  private remember(latched: Latched): void {
    if (this.set) return;
    // In memory first: a write that fails (full disk) still keeps this process from keeping a register.
    this.set = true;
    try {
      writeDurably(this.file, `${JSON.stringify(latched)}\n`);
      this.log.info(
        { ...latched, file: this.file },
        'verify-only remembered: it survives rules that cannot be loaded',
      );
    } catch (err) {
      this.log.error(
        { err, file: this.file },
        'could not write the verify-only latch; a restart without signed rules would keep a register',
      );
    }
  }

  private forget(rulesVersion: string): void {
    if (!this.set) return;
    this.set = false;
    rmSync(this.file, { force: true });
    this.log.warn(
      { rulesVersion, file: this.file },
      'verify-only cleared by valid signed rules: a register is kept again',
    );
  }

  private read(): Latched | 'unreadable' {
    try {
      return JSON.parse(readFileSync(this.file, 'utf8')) as Latched;
    } catch {
      return 'unreadable';
    }
  }
}
