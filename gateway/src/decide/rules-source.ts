import { existsSync, unwatchFile, watchFile } from 'node:fs';
import type { KeyRing } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import { builtinRules, loadSignedRules, type RuleSet, RulesError } from './rules.js';

/**
 * Keeps the rules in force: the signed rules file when there is a valid one, else the built-in
 * rules. Polls the file (every 5 s: inotify is unreliable on some Pi SD-card setups) and swaps in
 * a new version only after it verifies; a bad file is refused, said why, and the old rules stay.
 */
export class RulesSource {
  private current: RuleSet = builtinRules();
  private origin = 'built-in';
  private watching = false;
  private fingerprint = '';

  constructor(
    private readonly file: string,
    private readonly keys: KeyRing,
    private readonly log: Logger,
    private readonly onChange: (rules: RuleSet, origin: string) => void = () => undefined,
  ) {}

  get rules(): RuleSet {
    return this.current;
  }

  get source(): string {
    return this.origin;
  }

  start(): void {
    this.reload();
    watchFile(this.file, { interval: 5000 }, () => this.reload());
    watchFile(`${this.file}.sig`, { interval: 5000 }, () => this.reload());
    this.watching = true;
  }

  /** Loads the file now; returns false (keeping the rules in force) when it is refused. */
  reload(): boolean {
    if (!existsSync(this.file)) return false;
    try {
      const rules = loadSignedRules(this.file, this.keys);
      // Compare content, not the version string: a re-signed file with the same version still changes the rules.
      const fingerprint = JSON.stringify(rules);
      if (fingerprint !== this.fingerprint || this.origin !== this.file) {
        this.fingerprint = fingerprint;
        this.current = rules;
        this.origin = this.file;
        this.log.info({ version: rules.version, file: this.file }, 'rules loaded');
        this.onChange(rules, this.file);
      }
      return true;
    } catch (err) {
      if (!(err instanceof RulesError)) throw err;
      this.log.error({ err, keeping: this.current.version }, 'rules file refused');
      return false;
    }
  }

  stop(): void {
    if (!this.watching) return;
    unwatchFile(this.file);
    unwatchFile(`${this.file}.sig`);
    this.watching = false;
  }
}
