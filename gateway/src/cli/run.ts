import { Controller } from '../controller.js';
import { EnrolmentMode, isUnenrolled, loadPendingSettings } from '../enrolment/index.js';
import type { Lang } from '../i18n.js';
import { createLogger, type Logger } from '../log.js';
import { formatProblems, type LoadedSettings, loadSettings, SettingsError } from '../settings/index.js';
import { SystemdLink } from '../systemd/index.js';

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
 * `qrkiosk run --config FILE`: runs until SIGINT/SIGTERM, then stops every stage in order. Under systemd
 * (Type=notify) it says READY once the kiosk can scan, keeps STATUS current, pings the watchdog while the
 * scan path lives and says STOPPING on the way out (gateway/src/systemd/; nothing without NOTIFY_SOCKET).
 * A kiosk.yaml without `kiosk:` is an unenrolled kiosk (enrolment/pending.ts): it waits for an enrolment
 * code, and once enrolled exits 0 so that systemd (Restart=always) starts it again in normal mode.
 */
export async function runCommand(file: string, lang: Lang): Promise<number> {
  const pending = isUnenrolled(file);
  const loaded = load(file, lang, pending);
  if (!loaded) return 2;
  const log = createLogger(loaded.settings.log.level);
  for (const w of loaded.warnings ?? []) log.warn({ setting: w.path, source: w.source }, w.problem.en);
  const systemd = new SystemdLink(process.env, log);
  if (pending) return runUnenrolled(loaded, log, systemd);
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
  // The hub revoked the enrolment (kiosk.yaml rewritten unenrolled): exit 0, and systemd (Restart=always)
  // starts the kiosk again as an unenrolled one, waiting for an enrolment code.
  const unenrolled = new Promise<void>((resolve) => controller.bus.on('kiosk.unenrolled', () => resolve()));
  await Promise.race([stopSignal(), unenrolled]);
  systemd.stopping();
  // Held open while stopping: the uplink's goodbye waits on timers that do not hold the process (unref),
  // and a broker that has just dropped us (a revoked login) never answers it — without a hold the event
  // loop empties mid-stop and Node exits 13 (unsettled top-level await), seen here once in five revocations.
  const hold = setInterval(() => undefined, 1000);
  await controller.stop();
  clearInterval(hold);
  systemd.close();
  return 0;
}

/**
 * The unenrolled kiosk under systemd too: READY once its scanner waits for a code (else Type=notify would
 * time the start out), watchdog pings while its input lives, and `not-enrolled` on the status line.
 */
async function runUnenrolled(loaded: LoadedSettings, log: Logger, systemd: SystemdLink): Promise<number> {
  const mode = new EnrolmentMode(loaded, { log });
  systemd.watch({ bus: mode.bus, readings: () => ({ outboxDepth: 0, faults: ['not-enrolled'] }) });
  try {
    await mode.start();
  } catch (err) {
    log.fatal({ err }, 'kiosk could not start');
    systemd.failed();
    await mode.stop().catch(() => undefined);
    systemd.close();
    return 1;
  }
  systemd.ready();
  const enrolled = await Promise.race([mode.done.then(() => true), stopSignal().then(() => false)]);
  systemd.stopping();
  await mode.stop();
  systemd.close();
  if (enrolled) log.info('enrolled: exiting to restart in normal mode');
  return 0;
}
