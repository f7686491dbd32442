import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { Backoff } from './backoff.js';
import { HID_POS_USAGE_PAGE, HidPosAssembler } from './hid-pos.js';
import { KeyboardWedgeDecoder } from './keyboard-wedge.js';
import type { ScannerInput, ScannerSettings } from './serial.js';

/**
 * The part of node-hid's HIDAsync device the kiosk uses. The seam is this thin on purpose: tests
 * (this machine has no uhid/uinput/USB in its kernel) feed recorded report streams through a
 * stand-in with the same three members.
 */
export interface HidDeviceLike {
  on(event: 'data', listener: (report: Buffer) => void): unknown;
  on(event: 'error', listener: (err: Error) => void): unknown;
  close(): unknown;
}

export interface HidDeviceInfo {
  path?: string;
  vendorId: number;
  productId: number;
  serialNumber?: string;
  usagePage?: number;
  usage?: number;
  interface?: number;
  product?: string;
  manufacturer?: string;
}

export interface HidBackend {
  devices(): Promise<HidDeviceInfo[]>;
  open(path: string, exclusive: boolean): Promise<HidDeviceLike>;
}

/**
 * node-hid, loaded on first use (it is an optional dependency: a kiosk with a serial scanner never
 * loads libusb). Exclusive access for keyboard wedges uses the libusb backend, which detaches the
 * kernel's usbhid driver from the interface, so keystrokes stop reaching the console; it needs the
 * udev rule in hardware/99-qrkiosk-scanner.rules (access to /dev/bus/usb).
 */
export const nodeHidBackend: HidBackend = {
  async devices() {
    const hid = await import('node-hid');
    return (await hid.devicesAsync()) as HidDeviceInfo[];
  },
  async open(path, exclusive) {
    const hid = await import('node-hid');
    if (exclusive) hid.setDriverType('libusb');
    return (await hid.HIDAsync.open(path)) as unknown as HidDeviceLike;
  },
};

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
  return candidates.find(wanted) ?? candidates[0];
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

  constructor(
    private readonly settings: ScannerSettings,
    private readonly onLine: (raw: string) => void,
    private readonly bus: EventBus,
    private readonly log: Logger,
    private readonly backend: HidBackend = nodeHidBackend,
  ) {
    this.backoff = new Backoff(settings.reconnectMinMs, settings.reconnectMaxMs);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  private async connect(): Promise<void> {
    let info: HidDeviceInfo | undefined;
    try {
      info = pickHidDevice(this.settings, await this.backend.devices());
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot list HID devices');
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
      const device = await this.backend.open(path, this.settings.type === 'keyboard-wedge');
      if (this.stopped) {
        device.close();
        return;
      }
      this.attach(device, path);
    } catch (err) {
      this.log.warn({ path, err: (err as Error).message }, 'cannot open HID scanner; retrying');
      this.scheduleReconnect();
    }
  }

  /** Wires a device: reports → codes → lines. */
  private attach(device: HidDeviceLike, path: string): void {
    this.device = device;
    this.backoff.reset();
    const feed = makeReportFeed(this.settings, this.onLine);
    device.on('data', (report) => {
      try {
        feed(report);
      } catch (err) {
        this.log.error({ err: (err as Error).message }, 'scan failed');
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
      this.log.warn({ path, err: err.message }, 'scanner disconnected');
      this.bus.emit('scanner.status', { connected: false, path });
      this.scheduleReconnect();
    });
    this.log.info({ path, type: this.settings.type }, 'scanner connected');
    this.bus.emit('scanner.status', { connected: true, path });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.backoff.schedule(() => {
      if (!this.stopped) void this.connect();
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
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
