import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { Backoff } from './backoff.js';
import { HID_POS_USAGE_PAGE, HidPosAssembler } from './hid-pos.js';
import type { HidBackend, HidDeviceInfo, HidDeviceLike } from './hid-types.js';
import { KeyboardWedgeDecoder } from './keyboard-wedge.js';
import { InputLife } from './life.js';
import { hidDriverFor, loadedHidBinding, nodeHidBackend } from './node-hid-backend.js';
import type { ScannerInput, ScannerSettings } from './serial.js';

export type { HidBackend, HidDeviceInfo, HidDeviceLike } from './hid-types.js';

/** Which HID device a setting means: by path, else by VID/PID (HID-POS interface preferred). */
export function pickHidDevice(s: ScannerSettings, devices: HidDeviceInfo[]): HidDeviceInfo | undefined {
  if (s.path) return devices.find((d) => d.path === s.path);
  const vid = s.vendorId ? Number.parseInt(s.vendorId, 16) : undefined;
  const pid = s.productId ? Number.parseInt(s.productId, 16) : undefined;
  const candidates = devices.filter(
    (d) =>
      (vid === undefined || d.vendorId === vid) &&
      (pid === undefined || d.productId === pid) &&
      (!s.serialNumber || d.serialNumber === s.serialNumber),
  );
  const wanted =
    s.type === 'hid-pos'
      ? (d: HidDeviceInfo) => d.usagePage === HID_POS_USAGE_PAGE
      : (d: HidDeviceInfo) => d.usagePage === 1 && d.usage === 6;
  // Through libusb, node-hid reports no usage page (hidapi leaves INVASIVE_GET_USAGE off: reading the
  // report descriptor would mean detaching the kernel driver during enumeration). A scanner's
  // keyboard is then told apart by interface number: boot keyboards come first (interface 0).
  const byInterface = [...candidates].sort((a, b) => (a.interface ?? 0) - (b.interface ?? 0));
  return candidates.find(wanted) ?? byInterface[0];
}

/**
 * Input stage, HID: HID-POS reports reassembled into codes (raw bytes, UTF-8 preserved), or
 * keyboard-wedge reports typed back into text with the configured layout. Unplugging shows up as
 * a device error; we close, look for the device again with backoff and reopen.
 */
export class HidScanner implements ScannerInput {
  private device: HidDeviceLike | undefined;
  private stopped = true;
  private readonly backoff: Backoff;
  /** trying / open / waiting / dead, for the systemd watchdog (input/life.ts). */
  private readonly life: InputLife;

  constructor(
    private readonly settings: ScannerSettings,
    private readonly onLine: (raw: string) => void,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly backend: HidBackend = nodeHidBackend(hidDriverFor(settings.type)),
  ) {
    this.backoff = new Backoff(settings.reconnectMinMs, settings.reconnectMaxMs);
    this.life = new InputLife(bus, log);
  }

  start(): void {
    this.stopped = false;
    this.life.attempt(() => this.connect());
  }

  private async connect(): Promise<void> {
    let info: HidDeviceInfo | undefined;
    try {
      info = pickHidDevice(this.settings, await this.backend.devices());
    } catch (err) {
      this.log.warn({ err }, 'cannot list HID devices');
    }
    if (this.stopped) return;
    if (!info?.path) {
      this.bus.emit('scanner.status', {
        connected: false,
        path: this.settings.path ?? '',
        error: 'scanner not found',
      });
      this.scheduleReconnect();
      return;
    }
    const path = info.path;
    try {
      const device = await this.backend.open(path);
      if (this.stopped) {
        device.close();
        return;
      }
      this.attach(device, path);
      this.checkExclusive(path);
    } catch (err) {
      this.log.warn({ path, err }, 'cannot open HID scanner; retrying');
      this.scheduleReconnect();
    }
  }

  /** Wires a device: reports → codes → lines. */
  private attach(device: HidDeviceLike, path: string): void {
    this.device = device;
    this.backoff.reset();
    this.life.set('open');
    const feed = makeReportFeed(this.settings, this.onLine);
    device.on('data', (report) => {
      try {
        feed(report);
      } catch (err) {
        this.log.error({ err }, 'scan failed');
      }
    });
    device.on('error', (err) => {
      if (this.device !== device) return;
      this.device = undefined;
      try {
        device.close();
      } catch {
        // already gone
      }
      if (this.stopped) return;
      this.log.warn({ path, err }, 'scanner disconnected');
      this.bus.emit('scanner.status', { connected: false, path });
      this.scheduleReconnect();
    });
    this.log.info({ path, type: this.settings.type }, 'scanner connected');
    this.bus.emit('scanner.status', { connected: true, path });
  }

  /**
   * A keyboard wedge read through hidraw still types into the console and the browser: say so loudly
   * (the binding actually loaded is what counts, not what was asked for).
   */
  private checkExclusive(path: string): void {
    if (this.settings.type !== 'keyboard-wedge' || this.backend.driver === undefined) return;
    const binding = loadedHidBinding();
    if (binding === 'libusb') {
      this.log.info({ path, binding }, 'keyboard wedge opened exclusively (kernel driver detached)');
      return;
    }
    const err = new Error(`keyboard wedge opened through node-hid's ${binding ?? 'unknown'} binding`);
    this.log.error({ err, path }, 'keyboard wedge is NOT exclusive: its keystrokes also reach the console');
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.life.set('waiting');
    this.backoff.schedule(() => {
      if (!this.stopped) this.life.attempt(() => this.connect());
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.life.set('stopped');
    this.backoff.cancel();
    const device = this.device;
    this.device = undefined;
    // node-hid's HIDAsync.close() returns a promise; a device already gone rejects it.
    await Promise.resolve(device?.close()).catch(() => undefined);
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** report → line, for HID-POS or keyboard wedge. HID-POS bytes that are not UTF-8 are read as Latin-1. */
export function makeReportFeed(
  settings: ScannerSettings,
  onLine: (raw: string) => void,
): (report: Buffer) => void {
  if (settings.type === 'hid-pos') {
    const assembler = new HidPosAssembler();
    return (report) => {
      const code = assembler.push(report);
      if (!code) return;
      let text: string;
      try {
        text = UTF8.decode(code.bytes);
      } catch {
        text = code.bytes.toString('latin1');
      }
      onLine(text);
    };
  }
  const decoder = new KeyboardWedgeDecoder(settings.layout);
  return (report) => {
    const line = decoder.push(report);
    if (line !== null) onLine(line);
  };
}
