import type { Clock } from '../clock.js';
import type { Faults } from '../faults.js';
import type { Logger } from '../log.js';
import { readLastGood, writeLastGood } from './last-good.js';

export interface ClockWatchOptions {
  /** How often the clock's state is looked at when nobody scans (the fault must show on the screen). */
  pollMs?: number;
  /** How often the last good time is saved while synced (fake-hwclock saves hourly; a power cut loses at most this). */
  saveEveryMs?: number;
  /** `clock.assumeSynced` (demos, test rigs without NTP): trusted whatever the flag says. */
  assumeSynced?: boolean;
}

/**
 * Whether the kiosk may trust its wall clock, as one answer for decisions, check-ins and telemetry.
 * The clock's own `synced()` (systemd-timesyncd's flag, or a test's) must say yes, and the wall clock
 * must not be earlier than the last good time saved on disk: such a clock is certainly wrong (a Pi
 * that booted without network), whatever a flag says. While not trusted the `clock-unsynced` fault is
 * raised (the screen and telemetry show it); it clears when both hold.
 */
export class ClockWatch {
  private lastGood: Date | null = null;
  private loaded = false;
  /** Saving starts with start(): the controller starts the watch after the journal and cache took their space. */
  private started = false;
  /**
   * The wall clock was found behind the last good time. Stays until the wall clock passes it, or until
   * the clock's own flag is seen turning from not synced to synced while we run (NTP answered: a saved
   * time in the future, from a clock once set wrong, must not keep the kiosk unsynced for ever).
   */
  private behind = false;
  private sourceWasSynced: boolean | undefined;
  private trusted: boolean | undefined;
  private lastSave = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly faults: Faults,
    private readonly log: Logger,
    private readonly dataDir: string,
    private readonly options: ClockWatchOptions = {},
  ) {}

  start(): void {
    this.started = true;
    // At start no scan is running: the first good time is written now, not a tick later.
    if (this.check()) this.save(this.clock.now());
    this.timer = setInterval(() => this.check(), this.options.pollMs ?? 10_000);
    this.timer.unref();
  }

  /**
   * Reads the last good time once, before the first answer — whoever asks first (the prune at start
   * asks before start()): answering "synced" without it would save a wrong clock over the good time.
   */
  private load(): void {
    if (this.loaded) return;
    this.loaded = true;
    this.lastGood = readLastGood(this.dataDir);
    const now = this.clock.now();
    if (this.lastGood && now < this.lastGood) {
      this.behind = true;
      this.log.warn(
        { now: now.toISOString(), lastGood: this.lastGood.toISOString() },
        'the wall clock is earlier than the last good time: treated as not synced until it passes it',
      );
    }
  }

  /** True when the wall clock can be trusted now. Cheap (one stat): called on every scan. */
  synced(): boolean {
    return this.check();
  }

  /** Looks at the clock, raises or clears the fault on a change, saves the good time while synced. */
  check(): boolean {
    this.load();
    const now = this.clock.now();
    const source = this.clock.synced();
    if (this.behind && this.lastGood && now >= this.lastGood) this.behind = false;
    if (this.behind && source && this.sourceWasSynced === false) this.behind = false;
    this.sourceWasSynced = source;
    const trusted = this.options.assumeSynced === true || (!this.behind && source);
    if (trusted !== this.trusted) {
      this.trusted = trusted;
      if (trusted) this.faults.clear('clock-unsynced');
      else this.faults.raise('clock-unsynced', undefined, { now: now.toISOString() });
    }
    const every = this.options.saveEveryMs ?? 15 * 60_000;
    if (
      this.started &&
      trusted &&
      (this.lastSave === 0 || Math.abs(now.getTime() - this.lastSave) >= every)
    ) {
      // Marked now, written on the next tick: scan() asks this first, and nothing but the commit and
      // the light may run inside a scan.
      this.lastSave = now.getTime();
      setImmediate(() => this.save(now));
    }
    return trusted;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    if (this.started && this.check()) this.save(this.clock.now());
    this.started = false;
  }

  private save(now: Date): void {
    this.lastSave = now.getTime();
    try {
      writeLastGood(this.dataDir, now);
      this.lastGood = now;
    } catch (err) {
      // Not a fault of the check-ins: only the next start's "earlier than last good" check is weaker.
      this.log.warn({ err }, 'could not save the last good time');
    }
  }
}

/**
 * ClockWatch's answer for another process (`doctor`, `qrkiosk check`) reading the daemon's data folder:
 * `clock.assumeSynced`, else the clock's own flag and a wall clock not earlier than the last good time
 * saved. Asking `clock.synced()` alone would count ages the daemon does not (assumeSynced) and the reverse.
 * One rule it cannot see: the daemon also trusts a clock behind the last good time once it saw the flag
 * turn synced while it ran (state in its memory); this answers "not trusted" then, the safer side.
 */
export function clockTrusted(clock: Clock, dataDir: string, assumeSynced: boolean | undefined): boolean {
  if (assumeSynced === true) return true;
  if (!clock.synced()) return false;
  const lastGood = readLastGood(dataDir);
  return !(lastGood && clock.now() < lastGood);
}
