import { Controller } from '../controller.js';
import type { Lang } from '../i18n.js';
import { createLogger } from '../log.js';
import { formatProblems, loadSettings, SettingsError } from '../settings/index.js';

/** `qrkiosk run --config FILE`: runs until SIGINT/SIGTERM, then stops every stage in order. */
export async function runCommand(file: string, lang: Lang): Promise<number> {
  let loaded: ReturnType<typeof loadSettings>;
  try {
    loaded = loadSettings(file);
  } catch (err) {
    if (!(err instanceof SettingsError)) throw err;
    process.stderr.write(`${formatProblems(err, lang)}\n`);
    return 2;
  }
  const log = createLogger(loaded.settings.log.level);
  for (const w of loaded.warnings ?? []) log.warn({ setting: w.path, source: w.source }, w.problem.en);
  const controller = new Controller(loaded, { log });
  try {
    await controller.start();
  } catch (err) {
    log.fatal({ err }, 'kiosk could not start');
    await controller.stop().catch(() => undefined);
    return 1;
  }
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await controller.stop();
  return 0;
}
