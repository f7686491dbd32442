import { DOCTOR_CHECK_IDS, DOCTOR_SCHEMA_ID, type DoctorCheck, type DoctorReport } from '@qrkiosk/protocol';
import { type Clock, systemClock } from '../clock.js';
import { SOFTWARE_VERSION } from '../version.js';
import { brokerCheck } from './broker.js';
import { type Exec, type Said, skipped, systemExec } from './check.js';
import { clockCheck } from './clock.js';
import { configCheck } from './config.js';
import { diskCheck, type SdWriteRoots, sdWritesCheck } from './disk.js';
import { enrolmentCheck, unenrolledCheck } from './enrolment.js';
import { freshnessCheck } from './freshness.js';
import { gpioCheck } from './gpio.js';
import { outboxCheck } from './outbox.js';
import { passListCheck } from './passes.js';
import { beforeEnrolment, brokerBeforeEnrolment, scannerHeldBeforeEnrolment } from './pending.js';
import { scannerCheck, screensAnswer } from './scanner.js';
import { serviceCheck } from './service.js';
import { tracingCheck } from './tracing.js';
import { cacheCheck, revocationListCheck, rulesCheck, trustListCheck } from './updates.js';

export { type Exec, type ExecResult, type Said, systemExec } from './check.js';

export interface DoctorOptions {
  config: string;
  /** 0 = do not ask for a test scan (`--no-scan`). */
  scanTimeoutMs: number;
  blink: boolean;
  brokerTimeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /**
   * Run by the daemon itself (the hub's `doctor` request): it holds the scanner, GPIO and broker login,
   * so they are reported as a running daemon's are, and its link is the one the request came over.
   */
  fromDaemon?: { statusText: string };
}

export interface DoctorDeps {
  clock?: Clock;
  exec?: Exec;
  /** Lines for the technician while checks run (a scan to make, a light to watch). */
  say?: (said: Said) => void;
  roots?: SdWriteRoots;
}

/**
 * Every check, in DOCTOR_CHECK_IDS order. The config comes first: when it does not load, every
 * other check that needs it is skipped with that reason. The service's state decides how the
 * scanner and GPIO are tested (the daemon holds them while it runs). An unenrolled kiosk (no
 * `kiosk:` section) is loaded as `run` loads it: `enrolment` fails with the way to enrol, the broker
 * is skipped (no login yet), the hardware and data-folder checks run as always, and what only the hub
 * sends is read by pending.ts (absent is expected, not a failure).
 */
export async function runDoctor(o: DoctorOptions, deps: DoctorDeps = {}): Promise<DoctorReport> {
  const clock = deps.clock ?? systemClock;
  const exec = deps.exec ?? systemExec;
  const say = deps.say ?? (() => undefined);
  const checks: DoctorCheck[] = [];
  const { loaded, pending, check } = configCheck(o.config, o.env);
  checks.push(check);
  const { state, check: service } = await serviceCheck(exec);
  checks.push(service);
  if (!loaded) {
    const why = {
      vi: 'cấu hình không đọc được (xem dòng config)',
      en: 'the config did not load (see the config line)',
    };
    for (const id of DOCTOR_CHECK_IDS)
      if (id !== 'config' && id !== 'service')
        checks.push(id === 'sd-writes' ? sdWritesCheck(state.mainPid, deps.roots) : skipped(id, why));
  } else {
    const { settings } = loaded;
    const daemonRunning = o.fromDaemon !== undefined || state.running || (await screensAnswer(settings.ui));
    checks.push(
      pending && daemonRunning && o.scanTimeoutMs > 0
        ? scannerHeldBeforeEnrolment(loaded)
        : await scannerCheck(settings, { daemonRunning, timeoutMs: o.scanTimeoutMs, prompt: say }),
    );
    checks.push(await gpioCheck(settings.gpio, { daemonRunning, blink: o.blink, say }));
    checks.push(
      pending
        ? brokerBeforeEnrolment(loaded)
        : await brokerCheck(loaded, o.brokerTimeoutMs, {
            running: daemonRunning,
            statusText: o.fromDaemon?.statusText ?? (state.running ? state.statusText : null),
          }),
    );
    checks.push(pending ? unenrolledCheck(loaded) : enrolmentCheck(loaded));
    const now = clock.now();
    const fromHub = (c: DoctorCheck) => (pending ? beforeEnrolment(c, loaded) : c);
    checks.push(fromHub(cacheCheck(settings, now)));
    checks.push(fromHub(rulesCheck(loaded)));
    checks.push(fromHub(trustListCheck(settings, now)));
    checks.push(fromHub(revocationListCheck(loaded, now)));
    checks.push(fromHub(passListCheck(loaded, now)));
    checks.push(fromHub(freshnessCheck(loaded, clock)));
    checks.push(await clockCheck(settings, clock, exec));
    checks.push(diskCheck(settings.data.dir));
    checks.push(sdWritesCheck(state.mainPid, deps.roots));
    checks.push(fromHub(outboxCheck(settings, now)));
    checks.push(tracingCheck(loaded));
  }
  checks.sort((a, b) => DOCTOR_CHECK_IDS.indexOf(a.id) - DOCTOR_CHECK_IDS.indexOf(b.id));
  const worst = checks.some((c) => c.status === 'fail')
    ? 'fail'
    : checks.some((c) => c.status === 'warn')
      ? 'warn'
      : 'ok';
  return {
    schema: DOCTOR_SCHEMA_ID,
    // An unenrolled kiosk has no id yet (its placeholder is never sent anywhere).
    kiosk: pending ? null : (loaded?.settings.kiosk.id ?? null),
    site: pending ? null : (loaded?.settings.kiosk.site ?? null),
    at: clock.now().toISOString(),
    software: SOFTWARE_VERSION,
    config: o.config,
    status: worst,
    checks,
  };
}

/**
 * 0 when nothing fails, 1 when a check fails (an unenrolled kiosk: `enrolment`), 2 when the config is
 * unreadable or invalid (as `config check`).
 */
export function doctorExitCode(report: DoctorReport): number {
  if (report.checks.find((c) => c.id === 'config')?.status === 'fail') return 2;
  return report.status === 'fail' ? 1 : 0;
}
