import type { Logger } from '../log.js';
import { HUNG_FLOOR_MS, ScanPathHealth } from './health.js';
import { type Notifier, systemdNotifier } from './notify.js';
import { StatusReporter, type StatusSource } from './status.js';
import { WatchdogPinger, watchdogTimeoutMs } from './watchdog.js';

export { HUNG_FLOOR_MS, ScanPathHealth } from './health.js';
export { type Notifier, systemdNotifier } from './notify.js';
export { type StatusFacts, StatusReporter, statusLine } from './status.js';
export { WatchdogPinger, watchdogTimeoutMs } from './watchdog.js';

/** The unit's WatchdogSec (hardware/qrkiosk.service): the hung-input limit when no watchdog is asked for. */
const DEFAULT_HUNG_MS = 30_000;
/** How often the outbox depth on the status line is brought up to date. */
const STATUS_REFRESH_MS = 10_000;

/**
 * `qrkiosk run` under systemd (Type=notify, WatchdogSec=): a no-op without $NOTIFY_SOCKET. In order:
 * watch(bus) before Controller.start() (so the input's first attempt is seen), ready() once start() has
 * returned (journal open, scanner input started: the kiosk can scan), stopping() on SIGTERM, close() last.
 */
export class SystemdLink {
  private readonly notifier: Notifier;
  private readonly timeoutMs: number | undefined;
  private health: ScanPathHealth | undefined;
  private status: StatusReporter | undefined;
  private pinger: WatchdogPinger | undefined;

  constructor(
    env: NodeJS.ProcessEnv,
    private readonly log: Logger,
    pid = process.pid,
  ) {
    this.notifier = systemdNotifier(env, log);
    this.timeoutMs = this.notifier.enabled ? watchdogTimeoutMs(env, pid, log) : undefined;
  }

  watch(source: Omit<StatusSource, 'dead'>): void {
    if (!this.notifier.enabled) return;
    this.notifier.send('STATUS=Đang khởi động | Starting');
    const hungAfter = Math.max(this.timeoutMs ?? DEFAULT_HUNG_MS, HUNG_FLOOR_MS);
    const health = new ScanPathHealth(source.bus, hungAfter, this.log, undefined, () =>
      this.status?.refresh(),
    );
    this.health = health;
    this.status = new StatusReporter(
      this.notifier,
      { ...source, dead: () => health.dead() },
      STATUS_REFRESH_MS,
    );
    health.start();
    this.status.watch();
  }

  ready(): void {
    if (!this.notifier.enabled) return;
    this.status?.start();
    this.notifier.send('READY=1');
    const health = this.health;
    if (this.timeoutMs !== undefined && health) {
      this.pinger = new WatchdogPinger(this.notifier, this.timeoutMs, () => health.dead(), this.log);
      this.pinger.start();
      this.log.info({ watchdogMs: this.timeoutMs }, 'systemd told READY; watchdog pings every half timeout');
    } else {
      this.log.info('systemd told READY (no watchdog asked for)');
    }
  }

  failed(): void {
    this.notifier.send(
      'STATUS=Không khởi động được, xem journalctl -u qrkiosk | Could not start, see journalctl -u qrkiosk',
    );
  }

  stopping(): void {
    this.pinger?.stop();
    this.status?.stop();
    this.health?.stop();
    this.notifier.send('STOPPING=1');
    this.notifier.send('STATUS=Đang dừng | Stopping');
  }

  close(): void {
    this.notifier.close();
  }
}
