import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { GM65_MODES, GM65_ZONE, Gm65Error, gm65Read, gm65Write } from './gm65.js';
import { type ScannerSettings, type SerialDeps, SerialScanner } from './serial.js';

/**
 * Input stage, GM65-class module. A module left in manual or command mode reads nothing unless
 * something triggers it (issue #14: the guide set command mode and nobody triggered), so on every
 * connect — a module replugged or power-cycled comes back with its saved settings — the kiosk:
 *   1. reads zone 0x0000, writes the wanted read mode into bits 1–0 (other bits kept), and waits for
 *      the module's 02 00 00 01 00 33 31;
 *   2. reads zone 0x0000 back and checks the mode bits (a write the module acknowledged but did not
 *      apply, or a clone with another zone map, is caught here);
 *   3. in command mode, writes the trigger bit (zone 0x0002 bit 0) every `triggerIntervalMs`.
 * The mode is set in RAM only, never saved to the module's EEPROM at each start (flash wear).
 * Any failure is logged with its error, reported as `scanner.status` with `error: gm65-…` (the
 * screens show the scanner as not ready) and retried after `reconnectMaxMs`; nothing throws.
 */
export class Gm65Scanner extends SerialScanner {
  private trigger: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private triggerFailing = false;

  constructor(
    settings: ScannerSettings,
    onLine: (raw: string) => void,
    bus: EventBus,
    log: Logger,
    deps?: SerialDeps,
  ) {
    super(settings, onLine, bus, log, deps);
  }

  protected override ready(path: string): void {
    this.clearTimers();
    void this.setUp(path);
  }

  protected override lost(): void {
    this.clearTimers();
  }

  private async setUp(path: string): Promise<void> {
    const { mode, triggerIntervalMs } = this.settings.gm65;
    const want = GM65_MODES[mode];
    try {
      const zone0 = await this.readZone0();
      if ((zone0 & 0x03) !== want) await this.command(gm65Write(GM65_ZONE.settings, (zone0 & ~0x03) | want));
      const check = await this.readZone0();
      if ((check & 0x03) !== want)
        throw new Gm65Error(
          'gm65-mode-mismatch',
          `zone 0x0000 reads 0x${check.toString(16)} after setting mode ${mode}`,
        );
      if (this.stopped || !this.connected) return;
      this.log.info(
        { path, mode, zone0: `0x${check.toString(16)}` },
        'GM65 module set up; scanner connected',
      );
      this.bus.emit('scanner.status', { connected: true, path });
      if (mode === 'command') this.trigger = setInterval(() => void this.fire(path), triggerIntervalMs);
    } catch (err) {
      if (this.stopped || !this.connected) return;
      const code = err instanceof Gm65Error ? err.code : 'gm65-setup-failed';
      this.log.error({ err, path, mode }, 'GM65 module could not be set up; the kiosk cannot read codes');
      this.bus.emit('scanner.status', { connected: false, path, error: code });
      this.retry = setTimeout(() => {
        if (!this.stopped && this.connected) void this.setUp(path);
      }, this.settings.reconnectMaxMs);
    }
  }

  private async readZone0(): Promise<number> {
    const data = await this.command(gm65Read(GM65_ZONE.settings, 1));
    return data[0] ?? 0;
  }

  /** One read request (command mode). Logged once when it starts failing, once when it recovers. */
  private async fire(path: string): Promise<void> {
    try {
      await this.command(gm65Write(GM65_ZONE.trigger, 0x01));
      if (this.triggerFailing) {
        this.triggerFailing = false;
        this.log.warn({ path }, 'GM65 trigger answered again');
        this.bus.emit('scanner.status', { connected: true, path });
      }
    } catch (err) {
      if (this.triggerFailing || this.stopped || !this.connected) return;
      this.triggerFailing = true;
      this.log.error({ err, path }, 'GM65 trigger not answered; the kiosk cannot read codes');
      this.bus.emit('scanner.status', { connected: false, path, error: 'gm65-trigger-failed' });
    }
  }

  private clearTimers(): void {
    if (this.trigger) clearInterval(this.trigger);
    if (this.retry) clearTimeout(this.retry);
    this.trigger = undefined;
    this.retry = undefined;
    this.triggerFailing = false;
  }

  override async stop(): Promise<void> {
    this.clearTimers();
    await super.stop();
  }
}
