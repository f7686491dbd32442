import { join } from 'node:path';
import type { KeyRing } from '@qrkiosk/protocol';
import type { RemoteConfigFile } from './commands/remote-config.js';
import { applyTightening, type Tightening, tighten } from './commands/tightening.js';
import { type Policy, policyFor, RulesSource } from './decide/index.js';
import type { Logger } from './log.js';
import type { Settings } from './settings/index.js';
import { VerifyOnlyLatch } from './verify-only/latch.js';

/** The rules file in force: rules.file, else `<data.dir>/rules.json` (the hub's signed rules land there). */
export const rulesFileOf = (settings: Pick<Settings, 'rules' | 'data'>) =>
  settings.rules.file ?? join(settings.data.dir, 'rules.json');

/**
 * The site policy in force on a kiosk: the signed rules (RulesSource, watched), this kiosk's own
 * settings, and what signed hub requests tightened — kept in the data folder when `remote` is given
 * (commands/remote-config.ts) and re-applied at start — never looser than the rules.
 * start() loads and watches the rules file; before it, `current` throws.
 */
export class PolicyInForce {
  private source: RulesSource | undefined;
  private policy: Policy | undefined;
  private tightening: Tightening = {};
  private latch: VerifyOnlyLatch | undefined;

  constructor(
    private readonly settings: Pick<Settings, 'kiosk' | 'rules' | 'data'>,
    private readonly keys: KeyRing,
    private readonly log: Logger,
    private readonly remote?: RemoteConfigFile,
  ) {}

  start(): void {
    const kept = this.remote?.load();
    if (kept?.ok) {
      this.tightening = kept.held;
      if (Object.keys(kept.held).length > 0)
        this.log.warn(
          { ...kept.held, file: this.remote?.file },
          'settings tightened by the hub, kept from before',
        );
    } else if (kept)
      this.log.error(
        { file: this.remote?.file, problem: kept.problem },
        'remote config ignored: it does not match the schema',
      );
    this.latch = new VerifyOnlyLatch(this.settings.data.dir, this.log);
    this.source = new RulesSource(rulesFileOf(this.settings), this.keys, this.log, () => this.update());
    this.source.start();
    this.update();
  }

  stop(): void {
    this.source?.stop();
  }

  get current(): Policy {
    if (!this.policy) throw new Error('Controller used before start()');
    return this.policy;
  }

  /** Where the rules in force come from (a file, or `built-in`). */
  get origin(): string {
    return this.source?.source ?? 'built-in';
  }

  /** What hub requests have tightened (kept in the remote config file). */
  get held(): Tightening {
    return this.tightening;
  }

  /** Reads the rules file again now (a hub rules update was just installed). */
  reload(): void {
    this.source?.reload();
  }

  /** A hub `config set`, checked against the policy in force: only ever stricter (commands/tightening.ts). */
  tighten(key: string, value: unknown): void {
    const next = tighten(this.current, this.tightening, key, value);
    // Written first: a change that could not be kept (full disk) is refused, not half applied.
    this.remote?.save(next);
    this.tightening = next;
    this.update();
  }

  /**
   * An admin's `clear-tightening` from the hub: what hub requests raised is forgotten (the file removed
   * first, so a restart cannot bring it back) and the policy is the signed rules and kiosk.yaml again.
   */
  clearTightening(): void {
    this.remote?.remove();
    this.tightening = {};
    this.update();
  }

  private update(): void {
    const { kiosk, rules } = this.settings;
    if (!this.source) return;
    const base = policyFor(this.source.rules, kiosk.site, rules);
    // A level raised by a hub request changes the admission list too: recompute at that level.
    const raised = this.tightening.level !== undefined && this.tightening.level > base.level;
    const policy = applyTightening(
      raised ? policyFor(this.source.rules, kiosk.site, rules, this.tightening.level) : base,
      this.tightening,
    );
    // Verify-only fails to privacy: built-in rules (no valid signed file) keep what signed rules said.
    const signed = this.source.source !== 'built-in';
    const verifyOnly =
      this.latch?.apply(kiosk.site, this.source.rules.version, signed, policy.verifyOnly) ??
      policy.verifyOnly;
    this.policy = { ...policy, verifyOnly };
  }
}
