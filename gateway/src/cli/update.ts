import { readFileSync } from 'node:fs';
import type { Lang } from '../i18n.js';
import {
  type ApplyRequest,
  applyBundle,
  currentVersion,
  loadReleaseKeys,
  readUpdateState,
  SoftwareError,
} from '../software/index.js';
import { toolSettings } from './tool-settings.js';

export interface UpdateApplyOptions {
  config?: string;
  bundle?: string;
  sig?: string;
  sha256?: string;
  request?: string;
  root?: string;
  releaseKey?: string[];
  restart?: string;
  check?: string[];
  readySeconds?: string;
  allowDowngrade?: boolean;
  json?: boolean;
}

const EXIT = { healthy: 0, 'rolled-back': 1, failed: 1, refused: 3 } as Record<string, number>;

/**
 * `qrkiosk update apply`: installs a signed release bundle beside the running version, restarts, checks, rolls
 * back when unhealthy (software/apply.ts). kiosk.yaml's `software:` gives the defaults; flags override them (the
 * tests run it unprivileged: --root a temp folder, --restart a supervisor of their own).
 * Exit: 0 healthy, 1 rolled back or failed, 2 bad invocation, 3 bundle refused (nothing changed).
 */
export async function updateApplyCommand(o: UpdateApplyOptions, lang: Lang): Promise<number> {
  const loaded = toolSettings(o.config ? { config: o.config } : {}, lang);
  if (!loaded) return 2;
  const s = loaded.settings.software;
  let bundle = o.bundle;
  let signature = o.sig;
  let sha256 = o.sha256;
  let announcedVersion: string | undefined;
  let rollout: string | undefined;
  if (o.request) {
    try {
      const r = JSON.parse(readFileSync(o.request, 'utf8')) as ApplyRequest;
      ({ bundle, signature, sha256 } = r);
      announcedVersion = typeof r.version === 'string' ? r.version.slice(0, 64) : undefined;
      rollout = typeof r.rollout === 'string' ? r.rollout.slice(0, 64) : undefined;
    } catch (err) {
      process.stderr.write(`--request ${o.request}: ${(err as Error).message}\n`);
      return 2;
    }
  }
  if (!bundle || !signature) {
    process.stderr.write(
      lang === 'vi'
        ? 'cần --bundle FILE --sig FILE hoặc --request FILE\n'
        : 'need --bundle FILE --sig FILE or --request FILE\n',
    );
    return 2;
  }
  const readySeconds = Number(o.readySeconds ?? s.readySeconds);
  if (!Number.isInteger(readySeconds) || readySeconds < 1) {
    process.stderr.write('--ready-seconds: a whole number of seconds\n');
    return 2;
  }
  let keys: ReturnType<typeof loadReleaseKeys>;
  try {
    keys = loadReleaseKeys(o.releaseKey?.length ? o.releaseKey : s.releaseKeyFiles);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    return 2;
  }
  try {
    const state = applyBundle({
      root: o.root ?? s.root,
      bundle,
      signature,
      keys,
      ...(sha256 ? { sha256 } : {}),
      restartCommand: o.restart ?? s.restartCommand,
      checkCommands: o.check?.length ? o.check : s.checkCommands,
      readySeconds,
      ...(o.config ? { config: o.config } : {}),
      ...(announcedVersion ? { announcedVersion } : {}),
      ...(rollout ? { rollout } : {}),
      ...(o.allowDowngrade ? { allowDowngrade: true } : {}),
      say: (line) => process.stderr.write(`qrkiosk update: ${line}\n`),
    });
    process.stdout.write(
      o.json ? `${JSON.stringify(state)}\n` : `${state.state} ${state.version ?? ''} ${state.detail ?? ''}\n`,
    );
    return EXIT[state.state] ?? 1;
  } catch (err) {
    if (err instanceof SoftwareError && err.code === 'busy') {
      process.stderr.write(`${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

/** `qrkiosk update status`: the running version and the installer's last state, as the hub sees it. */
export function updateStatusCommand(
  o: { config?: string; root?: string; json?: boolean },
  lang: Lang,
): number {
  const loaded = toolSettings(o.config ? { config: o.config } : {}, lang);
  if (!loaded) return 2;
  const root = o.root ?? loaded.settings.software.root;
  const out = { current: currentVersion(root), last: readUpdateState(root) };
  process.stdout.write(
    o.json
      ? `${JSON.stringify(out)}\n`
      : `current ${out.current ?? '-'}; ${out.last ? `${out.last.state} ${out.last.version ?? ''} ${out.last.at}` : 'no update yet'}\n`,
  );
  return 0;
}
