import { dirname } from 'node:path';
import { type Bilingual, parseEnrolmentCode } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import type { SettingsProblem } from '../settings/index.js';
import { SOFTWARE_VERSION } from '../version.js';
import { tryBrokerLogin } from './broker-login.js';
import { type EnrolFailure, enrolMessage, exitCodeOf } from './outcome.js';
import { redeemCode } from './redeem.js';
import { probeWritable } from './writable.js';
import { readExistingConfig, writeEnrolledConfig } from './write-config.js';

/** The data folder when neither --data-dir nor the existing kiosk.yaml names one (the schema's default). */
export const DEFAULT_DATA_DIR = '/var/lib/qrkiosk';

export type EnrolStep = 'contacting-hub' | 'writing-config' | 'broker-login';

export interface EnrolOptions {
  /** The scanned or typed `QRKE1/…` code. */
  code: string;
  /** The kiosk.yaml to write (its other sections are kept). */
  configFile: string;
  /** Where the secrets go and data.dir points: --data-dir, else the file's data.dir, else DEFAULT_DATA_DIR. */
  dataDir?: string;
  fetch?: typeof fetch;
  /** The hub's answer, in ms (default 15 s). */
  hubTimeoutMs?: number;
  /** The broker's CONNACK, in ms (default 10 s). */
  brokerTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
  /** Told before each step (the enrolment screen shows it). */
  onStep?: (step: EnrolStep) => void;
}

export type EnrolResult =
  | {
      ok: true;
      kiosk: string;
      site: string;
      direction: 'in' | 'out';
      configFile: string;
      dataDir: string;
      brokerUrl: string;
      /** The secret and key files written (mode 600). */
      files: string[];
    }
  | {
      ok: false;
      reason: EnrolFailure;
      /** What the technician reads: always our sentence for the reason (never text from the network). */
      message: Bilingual;
      /** The hub's own sentence for a refusal, if it sent one: for the log and the CLI's detail line. */
      hubText?: string;
      /** For the log and --json: the HTTP status, socket error, broker answer. */
      detail: string;
      exitCode: number;
      /** Whether the enrolled kiosk.yaml was put in place (only broker failures leave it, on purpose). */
      written: boolean;
      problems?: SettingsProblem[];
    };

const failure = (
  reason: EnrolFailure,
  detail: string,
  extra: { written?: boolean; hubText?: string; problems?: SettingsProblem[] } = {},
): EnrolResult => ({
  ok: false,
  reason,
  message: enrolMessage(reason),
  ...(extra.hubText ? { hubText: extra.hubText } : {}),
  detail,
  exitCode: exitCodeOf(reason),
  written: extra.written ?? false,
  ...(extra.problems ? { problems: extra.problems } : {}),
});

/**
 * Enrols this kiosk with one code — the one use case behind `qrkiosk enrol` and the unenrolled daemon's
 * scan of a QRKE1 code: redeem the code at the hub (every check on the answer before anything is
 * written), write the secrets and a kiosk.yaml that the gateway's own loader accepts, then log in to the
 * broker with it. Success only after the broker's CONNACK accepted the new login.
 *
 * After a broker failure the files stay: the code is spent at the hub (single use), so a retry with it
 * would be refused; the daemon, or a later `qrkiosk enrol`/`config check`, works from what was written.
 */
export async function enrolKiosk(o: EnrolOptions): Promise<EnrolResult> {
  const parsed = parseEnrolmentCode(o.code);
  if (!parsed.ok) return failure('code-malformed', 'not QRKE1/<token>/<key id>/<hub URL>');
  const existing = readExistingConfig(o.configFile);
  if (!existing.ok) return failure('config-invalid', existing.detail);
  const fileDataDir = existing.doc.getIn(['data', 'dir']);
  const dataDir = o.dataDir ?? (typeof fileDataDir === 'string' ? fileDataDir : DEFAULT_DATA_DIR);
  // Before the hub is asked: it spends the code when it answers, so what cannot be written must be
  // found now, while the code is still good (no sudo, a read-only /etc, an unwritable --data-dir).
  for (const dir of [dataDir, dirname(o.configFile)]) {
    const probe = probeWritable(dir);
    if (!probe.ok) {
      o.log?.error({ detail: probe.detail }, 'enrolment: cannot write there; the hub was not asked');
      return failure('config-invalid', probe.detail);
    }
  }

  o.onStep?.('contacting-hub');
  const redeemed = await redeemCode(parsed.code, {
    software: `qrkiosk ${SOFTWARE_VERSION}`,
    ...(o.fetch ? { fetch: o.fetch } : {}),
    ...(o.hubTimeoutMs !== undefined ? { timeoutMs: o.hubTimeoutMs } : {}),
  });
  if (!redeemed.ok) {
    o.log?.warn(
      {
        reason: redeemed.reason,
        detail: redeemed.detail,
        hubText: redeemed.hubText,
        hub: parsed.code.hubUrl,
      },
      'enrolment refused',
    );
    return failure(redeemed.reason, redeemed.detail, redeemed.hubText ? { hubText: redeemed.hubText } : {});
  }

  o.onStep?.('writing-config');
  let written: ReturnType<typeof writeEnrolledConfig>;
  try {
    written = writeEnrolledConfig(o.configFile, dataDir, existing.doc, redeemed.value, o.env);
  } catch (err) {
    // A read-only /etc, a data folder the service user cannot write: said, not thrown.
    o.log?.error({ err }, 'enrolment: cannot write the config or secrets');
    // kiosk.yaml is renamed into place last: a throw means it was not, whatever secrets went before.
    const e = err as NodeJS.ErrnoException;
    return failure('config-invalid', `${e.code ?? 'error'} ${e.path ?? ''}`.trim());
  }
  if (!written.ok) {
    o.log?.error({ detail: written.detail, problems: written.problems }, 'enrolled config does not load');
    return failure('config-invalid', written.detail, written.problems ? { problems: written.problems } : {});
  }
  const { grant } = redeemed.value;
  o.log?.info({ kiosk: grant.kiosk, site: grant.site, config: o.configFile }, 'enrolment: config written');

  o.onStep?.('broker-login');
  const login = await tryBrokerLogin(written.loaded, o.brokerTimeoutMs);
  if (!login.ok) {
    o.log?.error(
      { reason: login.reason, detail: login.detail, url: grant.broker.url },
      'enrolment: broker login failed',
    );
    return failure(login.reason, login.detail, { written: true });
  }
  o.log?.info({ kiosk: grant.kiosk, site: grant.site }, 'enrolled');
  return {
    ok: true,
    kiosk: grant.kiosk,
    site: grant.site,
    direction: grant.direction,
    configFile: o.configFile,
    dataDir: written.loaded.settings.data.dir,
    brokerUrl: grant.broker.url,
    files: written.files,
  };
}
