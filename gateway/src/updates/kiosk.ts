import type { KioskAdmission } from '../admission/kiosk.js';
import type { Faults } from '../faults.js';
import type { DataFreshness } from '../freshness/index.js';
import type { Logger } from '../log.js';
import type { FactsCache } from '../lookup/index.js';
import type { PassListSource } from '../passes/index.js';
import { type PolicyInForce, rulesFileOf } from '../policy.js';
import type { RevocationSource } from '../revocation/index.js';
import type { LoadedSettings } from '../settings/index.js';
import type { SoftwareFleet } from '../software/index.js';
import { FleetUpdates } from './index.js';

/** The running kiosk's parts signed updates install into (the controller passes its parts). */
export interface KioskUpdatesParts {
  loaded: LoadedSettings;
  cache: FactsCache;
  faults: Faults;
  revocation: RevocationSource;
  passes?: PassListSource;
  log: Logger;
  admission: KioskAdmission;
  policy: PolicyInForce;
  software: SoftwareFleet | undefined;
  freshness: DataFreshness;
}

/**
 * FleetUpdates on a running kiosk: installed trust lists reload admission's signers, installed rules
 * reload the policy in force, software releases go to the kiosk's SoftwareFleet (if a release key is
 * trusted). Constructing it does nothing; the uplink hands it what the hub sends.
 */
export function kioskUpdates(p: KioskUpdatesParts): FleetUpdates {
  const { settings, secrets } = p.loaded;
  return new FleetUpdates({
    dataDir: settings.data.dir,
    rulesFile: rulesFileOf(settings),
    keys: secrets.hubKeys,
    cache: p.cache,
    faults: p.faults,
    revocation: p.revocation,
    ...(p.passes ? { passes: p.passes } : {}),
    log: p.log,
    trustInstalled: () => p.admission.loadTrust(),
    signers: () => p.admission.signers,
    rulesInstalled: () => p.policy.reload(),
    software: p.software,
    freshness: p.freshness,
  });
}
