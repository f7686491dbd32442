import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readKeyFile, readPasswordFile } from './cli-files.js';
import { settingsOrExit, takeConfigFlag } from './cli-settings.js';
import { EnrolmentSetupError, enrolmentKeys, enrolmentWanted } from './enrolment-setup.js';
import { Hub } from './hub.js';
import { readSigningKey } from './publish.js';
import type { HubSettings } from './settings/index.js';

/**
 * `qrkiosk-hub [run]`: the hub process. Its settings are hub.yaml (`--config`), then env, then these
 * flags — each flag is the override of one hub.yaml key (FLAGS), so all three are checked together
 * and a bad value is reported with where it came from.
 */
const FLAGS = {
  mqtt: 'mqtt.url',
  'data-dir': 'dataDir',
  database: 'database',
  host: 'http.host',
  port: 'http.port',
  username: 'mqtt.username',
  'password-file': 'mqtt.passwordFile',
  share: 'mqtt.share',
  lanes: 'mqtt.lanes',
  'client-id': 'mqtt.clientId',
  'retention-days': 'retention.days',
  'key-file': 'privacy.hashKeyFile',
  'report-at': 'report.at',
  'trust-proxy': 'http.trustProxy',
} as const;

export async function runCommand(argv: string[], usage: (code: number) => never): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...(Object.fromEntries(Object.keys(FLAGS).map((f) => [f, { type: 'string' }])) as Record<
        keyof typeof FLAGS,
        { type: 'string' }
      >),
      'mqtt-v4': { type: 'boolean', default: false },
      // Refuse kiosks missing from the register instead of binding them on first use.
      'strict-kiosks': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) usage(0);
  const flags = new Map<string, { value: unknown; source: string }>();
  for (const [flag, path] of Object.entries(FLAGS)) {
    const value = values[flag as keyof typeof FLAGS];
    if (value !== undefined) flags.set(path, { value, source: `--${flag}` });
  }
  if (values['mqtt-v4']) flags.set('mqtt.protocolVersion', { value: 4, source: '--mqtt-v4' });
  if (values['strict-kiosks']) flags.set('mqtt.strictKiosks', { value: true, source: '--strict-kiosks' });
  const s = settingsOrExit(takeConfigFlag(process.argv.slice(2)).file, flags);
  let options: ConstructorParameters<typeof Hub>[0];
  try {
    options = hubOptions(s);
  } catch (err) {
    if (!(err instanceof EnrolmentSetupError)) throw err;
    process.stderr.write(`${err.text.vi} / ${err.text.en}\n`);
    return 2;
  }
  const hub = new Hub(options);
  try {
    await hub.start();
  } catch (err) {
    process.stderr.write(
      `Không khởi động được trung tâm / the hub could not start: ${(err as Error).message}\n`,
    );
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await hub.stop();
  return 0;
}

/**
 * The hub's options from its settings; the secrets (password, deployment key) read from their files.
 * Enrolment is on when hub.yaml's `enrolment:` section is filled in; half filled in, it throws
 * EnrolmentSetupError naming what is missing (the hub does not start half able to enrol).
 */
export function hubOptions(s: HubSettings): ConstructorParameters<typeof Hub>[0] {
  const m = s.mqtt;
  const share = m.share === 'none' ? undefined : m.share;
  const hashKey = s.privacy.hashKeyFile ? readKeyFile(s.privacy.hashKeyFile) : undefined;
  return {
    ...(hashKey ? { hashKey } : {}),
    ...(s.privacy.tracingOffice ? { tracingOffice: s.privacy.tracingOffice } : {}),
    mqtt: {
      url: m.url,
      ...(m.username ? { username: m.username } : {}),
      ...(m.passwordFile ? { password: readPasswordFile(m.passwordFile) } : {}),
      ...(m.clientId ? { clientId: m.clientId } : {}),
      protocolVersion: m.protocolVersion,
      ...(share ? { shareGroup: share } : {}),
      lanes: m.lanes,
      strictKiosks: m.strictKiosks,
    },
    dataDir: s.dataDir,
    ...(s.database ? { database: s.database } : {}),
    http: { host: s.http.host, port: s.http.port },
    retentionDays: s.retention.days,
    reportAt: s.report.at,
    alerts: { rules: s.alerts, notify: s.notify },
    ...(s.http.trustProxy ? { trustProxy: s.http.trustProxy } : {}),
    ...(enrolmentWanted(s) ? { enrolment: enrolmentKeys(s) } : {}),
    metricsAccess: {
      allow: s.metrics.allow,
      ...(s.metrics.tokenFile ? { token: readPasswordFile(s.metrics.tokenFile) } : {}),
    },
    ...rolloutOptions(s),
    freshness: freshnessOptions(s),
    passes: {
      province: s.passes.province ?? null,
      validDays: s.passes.validDays,
      kioskDailyPasses: s.passes.kioskDailyPasses,
    },
  };
}

/**
 * The fleet/fresh statement (issue #19): always configured, so a hub without a key says why its kiosks will go
 * stale. The key is the one the hub signs its other fleet messages with; the state folder the publish-* default.
 */
function freshnessOptions(s: HubSettings): NonNullable<ConstructorParameters<typeof Hub>[0]['freshness']> {
  const keyFile = s.fleet.signingKeyFile ?? s.releases.signingKeyFile ?? s.enrolment.signingKeyFile;
  return {
    stateDir: fleetStateDir(s),
    everyMs: s.fleet.freshnessMinutes * 60_000,
    ...(keyFile ? { signing: signingKeyOrRefuse(keyFile) } : {}),
  };
}

/** A key file that cannot be read stops the start with a sentence (EnrolmentSetupError), not a stack trace. */
function signingKeyOrRefuse(file: string): ReturnType<typeof readSigningKey> {
  try {
    return readSigningKey(file);
  } catch (err) {
    const why = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new EnrolmentSetupError({
      vi: `Không đọc được khóa ký ${file} (${why}) cho fleet/fresh`,
      en: `Cannot read the signing key ${file} (${why}) for fleet/fresh`,
    });
  }
}

/** Where the publish-* commands record what they sent (hub.yaml fleet.stateDir, else <dataDir>/fleet). */
const fleetStateDir = (s: HubSettings) => s.fleet.stateDir ?? join(s.dataDir, 'fleet');

/** Rollouts run when the hub trusts a release key, can sign fleet/software and can name its address to kiosks. */
function rolloutOptions(s: HubSettings): Pick<ConstructorParameters<typeof Hub>[0], 'rollouts'> {
  const r = s.releases;
  const keyFile = r.signingKeyFile ?? s.enrolment.signingKeyFile;
  const baseUrl = r.baseUrl ?? s.enrolment.publicUrl;
  if (r.publicKeyFiles.length === 0 || !keyFile || !baseUrl) return {};
  return { rollouts: { signing: readSigningKey(keyFile), baseUrl, tickMs: r.tickSeconds * 1000 } };
}
