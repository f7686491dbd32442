import type { Logger } from './log.js';

/** At most one summary line per this long while the same error repeats. */
export const SUMMARY_EVERY_MS = 60_000;
/** Distinct errors remembered per outage: two alternating errors must not each be logged in full every time. */
const MAX_KINDS = 16;

export interface OutageLogOptions {
  log: Logger;
  /** What is failing, as the log lines name it ("uplink"). */
  name: string;
  /** Monotonic milliseconds (injected: a wall-clock jump must not fake or hide a minute; tests set it). */
  now: () => number;
  summaryEveryMs?: number;
}

/** How a failure is told the first time it is seen in an outage. */
export interface FirstTelling {
  level: 'warn' | 'error';
  msg: string;
}

/**
 * Logs a link's failed attempts the way a technician reads them, without a line per attempt: a
 * client retrying every 2 s wrote ~25 MB of log an hour to the SD card while its broker was away
 * (docs/benchmarks.md, card writes). The first failure of each kind in an outage is logged in full
 * (the error object with its stack); repeats of a kind already told become at most one summary line
 * per minute (how many failed since, the last error's code); the link coming back is one info line
 * with the count and how long it was down. Every repeat is still a `debug` line, without the stack.
 * Summaries are written on the next failure once the minute has passed: no timer, nothing to stop.
 */
export class OutageLog {
  private readonly every: number;
  /** When the outage began (monotonic ms); undefined while the link is up. */
  private since: number | undefined;
  private attempts = 0;
  /** Kinds of error already logged in full in this outage. */
  private readonly told = new Set<string>();
  private lastLineAt = 0;
  /** Failures since the last line written at warn or above. */
  private untold = 0;

  constructor(private readonly o: OutageLogOptions) {
    this.every = o.summaryEveryMs ?? SUMMARY_EVERY_MS;
  }

  /** The link went down (or was never up): the outage's clock starts, if it has not already. */
  lost(): void {
    this.since ??= this.o.now();
  }

  /** One failed attempt. */
  failure(err: Error, first: FirstTelling): void {
    this.lost();
    this.attempts++;
    const now = this.o.now();
    const kind = errorKind(err);
    const code = errorCode(err);
    if (!this.told.has(kind)) {
      if (this.told.size < MAX_KINDS) this.told.add(kind);
      this.o.log[first.level]({ err, attempts: this.attempts }, first.msg);
      this.lastLineAt = now;
      this.untold = 0;
      return;
    }
    this.untold++;
    this.o.log.debug({ code, error: err.message, attempts: this.attempts }, `${this.o.name} failed again`);
    if (now - this.lastLineAt < this.every) return;
    const seconds = Math.round((now - this.lastLineAt) / 1000);
    this.o.log.warn(
      { failed: this.untold, attempts: this.attempts, code, error: err.message },
      `${this.o.name}: ${this.untold} more failed attempts in the last ${seconds} s (last: ${code})`,
    );
    this.lastLineAt = now;
    this.untold = 0;
  }

  /** The link is up: one info line, saying how long it was down if it was. */
  recovered(fields: Record<string, unknown> = {}): void {
    const since = this.since;
    if (since === undefined) {
      this.o.log.info(fields, `${this.o.name} connected`);
      return;
    }
    const attempts = this.attempts;
    const offlineSeconds = Math.round((this.o.now() - since) / 1000);
    this.o.log.info(
      { ...fields, attempts, offlineSeconds },
      `${this.o.name} connected after ${attempts} failed attempts, offline for ${offlineSeconds} s`,
    );
    this.since = undefined;
    this.attempts = 0;
    this.untold = 0;
    this.told.clear();
  }
}

/** A Node system error's code (ECONNREFUSED), an MQTT reason code (135), or the error's name. */
function errorCode(err: Error): string {
  const code = (err as { code?: unknown }).code;
  return code === undefined || code === null ? err.name : String(code);
}

/** Same code and same message: the same error (the port in "connect ECONNREFUSED 127.0.0.1:1" too). */
function errorKind(err: Error): string {
  return `${errorCode(err)}\u0000${err.message}`;
}
