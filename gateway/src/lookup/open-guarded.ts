import type { Clock } from '../clock.js';
import { asideOf } from '../db-files.js';
import type { Faults } from '../faults.js';
import type { FactsCache } from './cache.js';

/**
 * Opens the facts cache without ever stopping the kiosk: a corrupt file is renamed aside (by
 * FactsCache.open) and a fresh, empty cache made (`cache-corrupt`); a cache that cannot be opened at
 * all (a full disk at first start) is left closed (`cache-unavailable`). Either way the controller
 * decides every unknown person REVIEW until a hub snapshot is applied. Returns whether it is open.
 */
export function openCacheGuarded(cache: FactsCache, faults: Faults, clock: Clock): boolean {
  try {
    cache.open(clock.now());
    return true;
  } catch (err) {
    const aside = asideOf(err);
    if (!aside) {
      faults.raise('cache-unavailable', err);
      return false;
    }
    faults.raise('cache-corrupt', err, { aside });
    try {
      cache.open(clock.now());
      return true;
    } catch (again) {
      faults.raise('cache-unavailable', again);
      return false;
    }
  }
}

/** After a hub update was applied to the file: reopen if need be, and the cache faults are over. */
export function cacheUpdated(cache: FactsCache, faults: Faults): void {
  if (!cache.isOpen) {
    try {
      cache.open();
    } catch (err) {
      faults.raise('cache-unavailable', err);
      return;
    }
  }
  faults.clear('cache-unavailable');
  faults.clear('cache-corrupt');
}

/** Each scan while the cache is closed tries it again (space may be back); cheap when it fails. */
export function reopenCache(cache: FactsCache, faults: Faults, clock: Clock): void {
  if (cache.isOpen || !faults.has('cache-unavailable')) return;
  try {
    cache.open(clock.now());
    faults.clear('cache-unavailable');
  } catch {
    // still unavailable: the fault stands, already logged once
  }
}
