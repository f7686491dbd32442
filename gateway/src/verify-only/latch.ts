import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareRulesVersions, writeDurably } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';

/** In the data folder: signed rules once put this kiosk's site in verify-only. */
export const VERIFY_ONLY_LATCH_FILE = 'verify-only.json';

/** What the latch file records: its presence sets it; the rules version is what a newer version must pass. */
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
 * valid signed rules with a version NEWER than the latched one (compareRulesVersions) that do not make the
 * current site verify-only clear it (review 3 #5): an older signed file copied back by hand, or a technician
 * changing kiosk.site under the same rules, is no signed change, so the latch stays (and says why). Newer
 * signed rules that keep the site verify-only move the latch up to their version. A file present but
 * unreadable counts as set; having no version to compare, it is cleared by any valid signed rules that
 * say otherwise (as before the version was kept).
 */
export class VerifyOnlyLatch {
  private readonly file: string;
  private set: boolean;
  /** The latched rules version; null when the file could not be read (or none is set). */
  private version: string | null = null;
  /** The rules version last said to be too old to clear it (said once, not on every policy update). */
  private refused: string | null = null;

  constructor(
    dataDir: string,
    private readonly log: Logger,
  ) {
    this.file = join(dataDir, VERIFY_ONLY_LATCH_FILE);
    this.set = existsSync(this.file);
    if (this.set) {
      const latched = this.read();
      if (latched !== 'unreadable' && typeof latched?.rulesVersion === 'string')
        this.version = latched.rulesVersion;
    }
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
      if (verifyOnly) {
        this.remember({ site, rulesVersion, since: new Date().toISOString() });
        return true;
      }
      if (!this.set) return false;
      if (this.version === null || compareRulesVersions(rulesVersion, this.version) > 0) {
        this.forget(rulesVersion);
        return false;
      }
      if (this.refused === rulesVersion) return true;
      this.refused = rulesVersion;
      this.log.warn(
        { file: this.file, latched: this.read(), rulesInForce: rulesVersion, site },
        'staying verify-only: these signed rules are not newer than those that set it (an older file put back, or kiosk.site changed under the same rules)',
      );
      return true;
    }
    if (!this.set) return verifyOnly;
    this.log.error(
      { file: this.file, latched: this.read(), rulesInForce: rulesVersion },
      'no valid signed rules: staying verify-only as the last signed rules said (no register is kept)',
    );
    return true;
  }

  private remember(latched: Latched): void {
    const newer = this.version === null || compareRulesVersions(latched.rulesVersion, this.version) > 0;
    if (this.set && !newer) return;
    // In memory first: a write that fails (full disk) still keeps this process from keeping a register.
    this.set = true;
    this.version = latched.rulesVersion;
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
    this.version = null;
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
