import type { BusEvents, EventBus } from '../bus.js';
import type { Logger } from '../log.js';

/**
 * Where an input's reconnect loop stands, as `scanner.life` on the bus (gateway/src/systemd/health.ts reads it):
 * - `trying`: looking for the scanner or opening it (an enumeration or an open that has not answered yet);
 * - `open`: holding the device (a GM65 may still be being set up: that is `scanner.status`'s business);
 * - `waiting`: a retry is scheduled (unplugged, not found, port locked) — the normal life of an unplug;
 * - `dead`: an attempt threw where nothing expected it, so nothing will ever retry; only a restart helps;
 * - `stopped`: stop() was called.
 * An input that stays `trying` for good (udevadm or libusb enumeration that never returns) is as dead as a
 * crashed one; the health check decides that from how long `trying` has lasted.
 */
export type InputLifeState = BusEvents['scanner.life']['state'];

/** Emits each change of an input's life once; runs connect attempts so that a crash is a state, not a rejection. */
export class InputLife {
  private state: InputLifeState = 'stopped';

  constructor(
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  get current(): InputLifeState {
    return this.state;
  }

  set(state: InputLifeState, error?: string): void {
    // Dead is final: a late callback of the crashed attempt must not make the input look alive again.
    if (state === this.state || (this.state === 'dead' && state !== 'stopped')) return;
    this.state = state;
    this.bus.emit('scanner.life', { state, ...(error ? { error } : {}) });
  }

  /**
   * One connect attempt. Inputs catch every failure they know of and schedule a retry; a rejection that still
   * reaches here is a bug in that loop, after which no retry is scheduled. Before, it was an unhandled
   * rejection; now it is logged with its stack and the input is `dead`, so the watchdog stops (systemd/).
   */
  attempt(connect: () => Promise<void>): void {
    this.set('trying');
    connect().catch((err: unknown) => {
      this.log.error({ err }, 'scanner input crashed; it will not retry (the daemon needs a restart)');
      this.set('dead', err instanceof Error ? err.message : String(err));
    });
  }
}
