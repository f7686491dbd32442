import { join } from 'node:path';
import type { DataKind } from '@qrkiosk/protocol';
import { type Clock, monotonicNow } from '../clock.js';
import { RulesSource } from '../decide/index.js';
import { createLogger } from '../log.js';
import { FactsCache } from '../lookup/index.js';
import { installedPassListHeader } from '../passes/index.js';
import { rulesFileOf } from '../policy.js';
import { installedRevocationHeader } from '../revocation/index.js';
import type { LoadedSettings } from '../settings/index.js';
import { clockTrusted } from '../time/clock-watch.js';
import { DATA_AGE_FILE, readLedger } from './ledger.js';
import { ageReport, type FreshnessReport } from './report.js';
import { installedData, limitsOf } from './sources.js';

/**
 * The data ages as the running daemon counts them, read from the data folder by another process (`doctor`,
 * `qrkiosk check`) without writing anything: the ledger, the rules' limits, what is installed. The
 * monotonic clock is the machine's (same boot: the same clock as the daemon's); whether the wall clock is
 * trusted is judged as the daemon's ClockWatch judges it (clockTrusted).
 */
export function readFreshness(
  loaded: { settings: LoadedSettings['settings']; secrets: Pick<LoadedSettings['secrets'], 'hubKeys'> },
  clock: Clock,
): { report: FreshnessReport; stale: Set<DataKind>; file: string } {
  const { settings, secrets } = loaded;
  const dir = settings.data.dir;
  const mono = clock.monotonic?.() ?? monotonicNow();
  const rules = new RulesSource(rulesFileOf(settings), secrets.hubKeys, createLogger('silent'));
  rules.reload();
  const cache = new FactsCache(dir);
  let cacheInfo: { version: number; updatedAt: string | null } | null = null;
  try {
    cache.openReadOnly();
    cacheInfo = cache.versionInfo();
  } catch {
    // No readable cache: nothing installed there that could be confirmed.
    cacheInfo = { version: 0, updatedAt: null };
  } finally {
    cache.close();
  }
  const installed = installedData(dir, {
    cache: () => cacheInfo,
    rules: () => ({ version: rules.rules.version, origin: rules.source }),
    revocation: () => installedRevocationHeader(dir)?.version,
    passes: () => installedPassListHeader(dir)?.version,
  });
  const state = readLedger(dir, mono);
  const { report, stale } = ageReport({
    state,
    installed,
    limits: limitsOf(rules.rules),
    mono,
    now: clock.now(),
    synced: clockTrusted(clock, dir, settings.clock.assumeSynced),
  });
  return { report, stale, file: join(dir, DATA_AGE_FILE) };
}
