import type { Logger } from '../log.js';
import type { Notifier } from './notify.js';

/**
 * The watchdog timeout systemd asks for, in ms, as sd_watchdog_enabled(3) reads it: $WATCHDOG_USEC, for this
 * process only if $WATCHDOG_PID is unset or names it (a child started with the daemon's environment must
 * not ping for it). Undefined when there is no watchdog, or the value is not a positive integer (logged).
 */
export function watchdogTimeoutMs(env: NodeJS.ProcessEnv, pid: number, log: Logger): number | undefined {
  const usec = env.WATCHDOG_USEC;
  if (usec === undefined || usec === '') return undefined;
  if (env.WATCHDOG_PID !== undefined && env.WATCHDOG_PID !== '' && Number(env.WATCHDOG_PID) !== pid)
    return undefined;
  const n = Number(usec);
  if (!/^\d+$/.test(usec) || !Number.isSafeInteger(n) || n <= 0) {
    log.warn({ watchdogUsec: usec }, 'WATCHDOG_USEC is not a positive integer: no watchdog pings');
    return undefined;
  }
  return n / 1000;
}

/**
 * `WATCHDOG=1` every half timeout (sd_watchdog_enabled(3)'s advice), from a timer on the main event loop:
 * a loop blocked for longer than the timeout sends nothing and systemd restarts the daemon. Before each
 * ping, `dead()` is asked; once it names a reason the pings stop for good and `WATCHDOG=trigger` asks
 * systemd to act now rather than a timeout later (sd_notify(3): handled as a missed ping; a systemd that
 * does not know it ignores the line, and the silence still gets the kiosk restarted).
 */
export class WatchdogPinger {
  private timer: NodeJS.Timeout | undefined;
  private gaveUp = false;

  constructor(
    private readonly notifier: Notifier,
    private readonly timeoutMs: number,
    private readonly dead: () => string | undefined,
    private readonly log: Logger,
  ) {}

  start(): void {
    if (this.timer || !this.notifier.enabled) return;
    this.tick();
    this.timer = setInterval(() => this.tick(), Math.max(1, Math.floor(this.timeoutMs / 2)));
    // Never the reason the process stays up after stop().
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    if (this.gaveUp) return;
    const reason = this.dead();
    if (reason === undefined) {
      this.notifier.send('WATCHDOG=1');
      return;
    }
    this.gaveUp = true;
    this.stop();
    this.log.error({ err: new Error(reason) }, 'watchdog pings stopped: systemd will restart the kiosk');
    this.notifier.send('WATCHDOG=trigger');
  }
}
