import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import type { FactsCache } from '../lookup/index.js';
import type { PassListSource } from '../passes/index.js';
import type { PolicyInForce } from '../policy.js';
import type { RevocationSource } from '../revocation/index.js';
import type { LoadedSettings } from '../settings/index.js';
import { DataFreshness } from './index.js';
import { installedData } from './sources.js';

/** The running kiosk's parts data ages are read from (the controller passes its own). */
export interface KioskFreshnessParts {
  loaded: LoadedSettings;
  clock: Clock;
  clockWatch: { synced(): boolean };
  faults: Faults;
  log: Logger;
  cache: FactsCache;
  policy: PolicyInForce;
  revocation: RevocationSource;
  passes: PassListSource;
}

/**
 * DataFreshness on a running kiosk: the facts cache, the signed rules in force, the hub's DCC trust list,
 * the revocation list and the pass list in force, measured against the signed rules' limits. Constructing it does
 * nothing; start() (after the policy, cache and lists are loaded) reads the ledger and starts the tick.
 */
export function kioskFreshness(p: KioskFreshnessParts): DataFreshness {
  const { settings, secrets } = p.loaded;
  return new DataFreshness({
    dataDir: settings.data.dir,
    clock: p.clock,
    synced: () => p.clockWatch.synced(),
    faults: p.faults,
    log: p.log,
    keys: secrets.hubKeys,
    rules: () => p.policy.current.rules,
    installed: () =>
      installedData(settings.data.dir, {
        cache: () => (p.cache.isOpen ? p.cache.versionInfo() : null),
        rules: () => ({ version: p.policy.current.rules.version, origin: p.policy.origin }),
        revocation: () => p.revocation.current?.version,
        passes: () => p.passes.current?.header.version,
      }),
  });
}
