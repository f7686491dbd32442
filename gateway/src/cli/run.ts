import { Controller } from '../controller.js';
import { EnrolmentMode, isUnenrolled, loadPendingSettings } from '../enrolment/index.js';
import type { Lang } from '../i18n.js';
import { createLogger } from '../log.js';
import { formatProblems, type LoadedSettings, loadSettings, SettingsError } from '../settings/index.js';

function load(file: string, lang: Lang, pending: boolean): LoadedSettings | undefined {
  try {
    return pending ? loadPendingSettings(file) : loadSettings(file);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`${formatProblems(err, lang)}\n`);
    return undefined;
  }
}

const stopSignal = () =>
  new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });

/**
 * `qrkiosk run --config FILE`: runs until SIGINT/SIGTERM, then stops every stage in order. A kiosk.yaml
 * without `kiosk:` is an unenrolled kiosk (enrolment/pending.ts): it waits for an enrolment code, and
 * once enrolled exits 0 so that systemd (Restart=always) starts it again in normal mode.
 */
export async function runCommand(file: string, lang: Lang): Promise<number> {
  const pending = isUnenrolled(file);
  const loaded = load(file, lang, pending);
  if (!loaded) return 2;
  const log = createLogger(loaded.settings.log.level);
  for (const w of loaded.warnings ?? []) log.warn({ setting: w.path, source: w.source }, w.problem.en);
  if (pending) return runUnenrolled(loaded, log);
  const controller = new Controller(loaded, { log });
  try {
    await controller.start();
  } catch (err) {
    log.fatal({ err }, 'kiosk could not start');
    await controller.stop().catch(() => undefined);
    return 1;
  }
  await stopSignal();
  await controller.stop();
  return 0;
}

async function runUnenrolled(loaded: LoadedSettings, log: ReturnType<typeof createLogger>): Promise<number> {
  const mode = new EnrolmentMode(loaded, { log });
  try {
    await mode.start();
  } catch (err) {
    log.fatal({ err }, 'kiosk could not start');
    await mode.stop().catch(() => undefined);
    return 1;
  }
  const enrolled = await Promise.race([mode.done.then(() => true), stopSignal().then(() => false)]);
  await mode.stop();
  if (enrolled) log.info('enrolled: exiting to restart in normal mode');
  return 0;
}
