import { DATA_KINDS, type DataKind, type FreshnessStatement, maxAgeHoursOf } from '@qrkiosk/protocol';
import { installedTrustList } from '../dcc-trust.js';
import type { RuleSet } from '../decide/index.js';

/**
 * One kind of data as installed now: `marker` names the install (a new marker is a new confirmation),
 * `version` is what the hub's freshness statement names. null: never installed from the office (no
 * trust list, built-in rules, an empty cache) — such data has no age and does not go stale by this rule.
 */
export interface Installed {
  marker: string;
  version: number | string | null;
  /**
   * Facts only: the cache's last write was a technician's local import (`qrkiosk cache import`, which
   * writes the update time only when it imported a row), at this time. Run in another process, it cannot
   * tell the daemon; the daemon confirms it when it sees it (index.ts), never a hub version it did not apply.
   */
  localAt?: string;
}
/** undefined: cannot be told right now (the cache is not open): the ledger keeps what it had. */
export type InstalledData = Record<DataKind, Installed | null | undefined>;

/** FactsCache.versionInfo(). */
export interface CacheInfo {
  version: number;
  updatedAt: string | null;
  signer?: string | null;
}

/**
 * What the kiosk holds of each kind, read cheaply (a cache meta row, a file header): the 60-s tick asks. The
 * hub's DCC trust list is read from the data folder (installedTrustList) by installedData itself.
 */
export interface KioskData {
  /** FactsCache.versionInfo(); null while the cache is not open. */
  cache: () => CacheInfo | null;
  /** The rules in force and where from (PolicyInForce.origin: a file, or `built-in`). */
  rules: () => { version: string; origin: string };
  /** The DCC revocation list in force's version (0 or undefined: none). */
  revocation: () => number | undefined;
  /** The pass list in force's version (undefined: none installed). */
  passes: () => number | undefined;
}

/**
 * The facts cache as installed: the one place its marker is made. The marker joins its version and its last
 * update time, so data changed under the ledger's feet (a file copied back) no longer matches what was
 * confirmed: its age is unknown, so stale (report.ts). Only a hub-signed cache version can be confirmed by a
 * statement. undefined: the cache is not open (null info).
 */
export function factsInstalled(cache: CacheInfo | null): Installed | null | undefined {
  if (!cache) return undefined;
  if (!cache.updatedAt) return null;
  return {
    marker: `${cache.version}@${cache.updatedAt}`,
    version: cache.version > 0 ? cache.version : null,
    ...(cache.signer === 'local' ? { localAt: cache.updatedAt } : {}),
  };
}

/** The installed data of the kiosk whose data folder is `dataDir`, by kind (the daemon, doctor, check). */
export function installedData(dataDir: string, d: KioskData): InstalledData {
  const rules = d.rules();
  const trust = installedTrustList(dataDir).version;
  const revocation = d.revocation() ?? 0;
  const passes = d.passes() ?? 0;
  return {
    facts: factsInstalled(d.cache()),
    rules: rules.origin === 'built-in' ? null : { marker: rules.version, version: rules.version },
    trust: trust > 0 ? { marker: String(trust), version: trust } : null,
    revocation: revocation > 0 ? { marker: String(revocation), version: revocation } : null,
    passes: passes > 0 ? { marker: String(passes), version: passes } : null,
  };
}

/** The kinds a statement confirms: those installed at exactly the version the office publishes now. */
export function confirmedBy(statement: FreshnessStatement, installed: InstalledData): DataKind[] {
  const said: Record<DataKind, number | string | null> = {
    facts: statement.cache?.version ?? null,
    rules: statement.rules?.version ?? null,
    trust: statement.trust?.version ?? null,
    revocation: statement.revocation?.version ?? null,
    passes: statement.passes?.version ?? null,
  };
  return DATA_KINDS.filter((k) => {
    const i = installed[k];
    return i?.version !== undefined && i.version !== null && said[k] !== null && i.version === said[k];
  });
}

/**
 * Each kind's limit in ms from the signed rules in force (`limits.maxAgeHours`), else the default; null:
 * no limit (the office said so with null). The rules decide, never kiosk.yaml: the office sets the limit.
 */
export function limitsOf(rules: RuleSet): Record<DataKind, number | null> {
  const hours = maxAgeHoursOf(rules.limits);
  const out = {} as Record<DataKind, number | null>;
  for (const k of DATA_KINDS) out[k] = hours[k] === null ? null : hours[k] * 3_600_000;
  return out;
}
