import { randomBytes } from 'node:crypto';
import { DATA_KINDS, type DataKind } from '@qrkiosk/protocol';
import { type AdmissionContext, admit } from '../admission/index.js';
import { systemClock } from '../clock.js';
import { loadTrustStore } from '../dcc-trust.js';
import { policyFor, RulesSource } from '../decide/index.js';
import { readFreshness } from '../freshness/offline.js';
import type { Lang } from '../i18n.js';
import { createLogger } from '../log.js';
import { FactsCache, readHashKey } from '../lookup/index.js';
import { PassListSource } from '../passes/index.js';
import { rulesFileOf } from '../policy.js';
import { RevocationSource } from '../revocation/index.js';
import type { LoadedSettings } from '../settings/index.js';
import { toolSettings } from './tool-settings.js';

export interface CheckOptions {
  config?: string;
  dataDir?: string;
  at?: string;
  level?: string;
  json?: boolean;
}

/**
 * What `check` decides with: the kiosk's rules, trust store, revocation list and cache, read from its
 * data folder — no journal, no hardware, no key made. No duplicate window and no occupancy count (a
 * kiosk's, not a payload's); the clock is the given time, so trusted.
 */
function offlineContext(
  loaded: LoadedSettings,
  at: Date,
  level: number | undefined,
  cache: FactsCache,
  stale: ReadonlySet<DataKind>,
): AdmissionContext {
  const { settings, secrets } = loaded;
  const log = createLogger('silent');
  const rules = new RulesSource(rulesFileOf(settings), secrets.hubKeys, log);
  rules.reload();
  const revocation = new RevocationSource(settings.data.dir, secrets.hubKeys, log);
  revocation.load();
  const list = revocation.current;
  // Printed passes are judged as the door would: this kiosk's site, hub keys and installed pass list.
  const passes = new PassListSource(settings.data.dir, secrets.hubKeys, log);
  passes.load();
  const passList = passes.current;
  const pass = { keys: secrets.hubKeys, site: settings.kiosk.site, ...(passList ? { list: passList } : {}) };
  const policy = policyFor(rules.rules, settings.kiosk.site, settings.rules, level);
  return {
    at,
    synced: true,
    decode: { at, trust: loadTrustStore(settings, log), ...(list ? { revocation: list } : {}), pass },
    hashKey: readHashKey(settings.data.dir, secrets.hashKey) ?? randomBytes(32),
    policy: () => policy,
    lookup: (keys) => (cache.isOpen ? cache.lookup(keys) : null),
    stale: () => stale,
  };
}

/**
 * The kinds of data past their limit on this kiosk now (as its daemon counts them: freshness/offline.ts),
 * so `check` answers as the door would. Ages are as of now, also with --at (they are the kiosk's, not the
 * payload's). Unreadable: every kind, as the daemon fails closed (an age it cannot read is no age at all).
 */
function staleNow(loaded: LoadedSettings): ReadonlySet<DataKind> {
  try {
    return readFreshness(loaded, systemClock).stale;
  } catch (err) {
    process.stderr.write(`data ages unreadable, counted as stale: ${(err as Error).message}\n`);
    return new Set(DATA_KINDS);
  }
}

/** `qrkiosk check PAYLOAD`: decode + lookup + decide, no hardware, nothing recorded. Exit 0 ALLOW, 1 otherwise, 2 usage. */
export async function checkCommand(payload: string, options: CheckOptions, lang: Lang): Promise<number> {
  const at = options.at ? new Date(options.at) : new Date();
  if (Number.isNaN(at.getTime())) {
    process.stderr.write(`--at: not an ISO-8601 time: ${options.at}\n`);
    return 2;
  }
  const level = options.level !== undefined ? Number(options.level) : undefined;
  if (level !== undefined && !(Number.isInteger(level) && level >= 1 && level <= 4)) {
    process.stderr.write(`--level: want 1, 2, 3 or 4: ${options.level}\n`);
    return 2;
  }
  const loaded = toolSettings(options, lang);
  if (!loaded) return 2;
  const cache = new FactsCache(loaded.settings.data.dir);
  try {
    // Read only: `check` runs beside a live kiosk and must not create, change or move its cache.
    cache.openReadOnly();
  } catch {
    // No readable cache: every person is unknown, as on a kiosk whose cache is unavailable.
  }
  try {
    const stale = staleNow(loaded);
    const { decoded, decision } = admit(payload, offlineContext(loaded, at, level, cache, stale));
    if (options.json) {
      process.stdout.write(
        `${JSON.stringify({
          verdict: decision.verdict,
          colour: decision.colour,
          reason: { code: decision.reason.code, message: decision.reason.text[lang] },
          kind: decoded.kind,
          ...(stale.size > 0 ? { stale: [...stale] } : {}),
        })}\n`,
      );
    } else {
      process.stdout.write(
        `${decision.verdict}  ${decision.colour ?? '—'}  ${decision.reason.text[lang]} (${decision.reason.code})\n`,
      );
      if (stale.size > 0)
        process.stdout.write(
          `${lang === 'vi' ? 'Dữ liệu quá cũ' : 'Data too old'}: ${[...stale].join(', ')} (qrkiosk doctor)\n`,
        );
    }
    return decision.verdict === 'ALLOW' ? 0 : 1;
  } finally {
    cache.close();
  }
}
