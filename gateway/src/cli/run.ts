import { Controller } from '../controller.js';
import type { Lang } from '../i18n.js';
import { createLogger } from '../log.js';
import { formatProblems, loadSettings, SettingsError } from '../settings/index.js';
import { SystemdLink } from '../systemd/index.js';

/**
 * `qrkiosk run --config FILE`: runs until SIGINT/SIGTERM, then stops every stage in order. Under systemd
 * (Type=notify) it says READY once the kiosk can scan, keeps STATUS current, pings the watchdog while the
 * scan path lives and says STOPPING on the way out (gateway/src/systemd/; nothing without NOTIFY_SOCKET).
 */
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
  const systemd = new SystemdLink(process.env, log);
  const controller = new Controller(loaded, { log });
  // Before start(): the input's first attempt to find the scanner is already watched.
  systemd.watch({ bus: controller.bus, readings: () => controller.telemetry() });
  try {
    await controller.start();
  } catch (err) {
    log.fatal({ err }, 'kiosk could not start');
    systemd.failed();
    await controller.stop().catch(() => undefined);
    systemd.close();
    return 1;
  }
  systemd.ready();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  systemd.stopping();
  await controller.stop();
  systemd.close();
  return 0;
}
