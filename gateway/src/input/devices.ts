import { readdirSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { HID_POS_USAGE_PAGE } from './hid-pos.js';
import type { HidBackend, HidDeviceInfo } from './hid-types.js';
import { nodeHidBackend } from './node-hid-backend.js';

/** USB vendors of barcode scanners and of the USB-UART bridges scanner modules sit behind. */
const SCANNER_VENDORS: Record<string, string> = {
  '0c2e': 'Honeywell',
  '05e0': 'Zebra (Symbol)',
  '05f9': 'Datalogic',
  '1eab': 'Newland',
  '2dd6': 'Zebex',
  '0581': 'Grow (GM65 family)',
};
const UART_BRIDGES: Record<string, string> = {
  '1a86': 'CH340 USB-UART',
  '10c4': 'CP210x USB-UART',
  '0403': 'FTDI USB-UART',
  '067b': 'Prolific USB-UART',
};

export type DeviceGuess = 'serial-scanner' | 'uart-module' | 'hid-pos' | 'keyboard-wedge' | 'unknown';

export interface ScannerCandidate {
  kind: 'serial' | 'hid';
  path: string;
  /** Stable /dev/serial/by-id link, to pin in scanner.path. */
  byId?: string;
  vendorId?: string;
  productId?: string;
  serialNumber?: string;
  manufacturer?: string;
  product?: string;
  usagePage?: number;
  interface?: number;
  guess: DeviceGuess;
  /** How to pin this device in kiosk.yaml. */
  config: string;
}

const hex4 = (n: number | string | undefined) =>
  n === undefined
    ? undefined
    : typeof n === 'number'
      ? n.toString(16).padStart(4, '0')
      : n.toLowerCase().padStart(4, '0');

function byIdLinks(dir = '/dev/serial/by-id'): Map<string, string> {
  const links = new Map<string, string>();
  try {
    for (const name of readdirSync(dir)) links.set(realpathSync(join(dir, name)), join(dir, name));
  } catch {
    // no serial devices with ids (or not Linux)
  }
  return links;
}

/**
 * `qrkiosk devices`: serial ports and HID interfaces that look like scanners, with a guess. Listed
 * through hidraw, the only binding that reports usage pages; the daemon opens keyboard wedges with
 * libusb in its own process (pinned by VID/PID, since libusb paths differ from /dev/hidrawN).
 */
export async function listScannerCandidates(
  hid: HidBackend = nodeHidBackend('hidraw'),
): Promise<ScannerCandidate[]> {
  const out: ScannerCandidate[] = [];
  const links = byIdLinks();
  for (const p of await SerialPort.list().catch(() => [])) {
    const vid = hex4(p.vendorId);
    const guess: DeviceGuess =
      vid && SCANNER_VENDORS[vid] ? 'serial-scanner' : vid && UART_BRIDGES[vid] ? 'uart-module' : 'unknown';
    if (!vid) continue; // built-in UARTs without USB ids: listed only when configured by path
    const byId = links.get(p.path);
    out.push({
      kind: 'serial',
      path: p.path,
      ...(byId ? { byId } : {}),
      vendorId: vid,
      ...(p.productId ? { productId: hex4(p.productId) } : {}),
      ...(p.serialNumber ? { serialNumber: p.serialNumber } : {}),
      ...(p.manufacturer ? { manufacturer: p.manufacturer } : {}),
      guess,
      config: `scanner: { type: ${guess === 'uart-module' ? 'gm65' : 'serial'}, path: ${byId ?? p.path} }`,
    });
  }
  let hidDevices: HidDeviceInfo[] = [];
  try {
    hidDevices = await hid.devices();
  } catch {
    // node-hid unavailable (no libusb/hidraw): serial only
  }
  for (const d of hidDevices) {
    const vid = hex4(d.vendorId) ?? '';
    const known = SCANNER_VENDORS[vid] !== undefined;
    const guess: DeviceGuess =
      d.usagePage === HID_POS_USAGE_PAGE
        ? 'hid-pos'
        : known && d.usagePage === 1 && d.usage === 6
          ? 'keyboard-wedge'
          : 'unknown';
    if (guess === 'unknown' && !known) continue;
    out.push({
      kind: 'hid',
      path: d.path ?? '',
      vendorId: vid,
      productId: hex4(d.productId) ?? '',
      ...(d.serialNumber ? { serialNumber: d.serialNumber } : {}),
      ...(d.manufacturer ? { manufacturer: d.manufacturer } : {}),
      ...(d.product ? { product: d.product } : {}),
      ...(d.usagePage !== undefined ? { usagePage: d.usagePage } : {}),
      ...(d.interface !== undefined ? { interface: d.interface } : {}),
      guess,
      config: `scanner: { type: ${guess === 'keyboard-wedge' ? 'keyboard-wedge' : 'hid-pos'}, vendorId: "${vid}", productId: "${hex4(d.productId)}" }`,
    });
  }
  return out;
}
