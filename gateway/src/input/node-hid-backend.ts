import { createRequire } from 'node:module';
import type { HidBackend, HidDeviceInfo, HidDeviceLike } from './hid-types.js';

/**
 * node-hid ships two native bindings on Linux and loads exactly one per process, on its first call
 * that needs it (devices, devicesAsync, HID, HIDAsync.open — nodehid.js `loadBinding()`):
 *   - `HID_hidraw-linux-*.node` (the default): talks to /dev/hidrawN. The kernel's usbhid driver
 *     stays bound, so a keyboard-wedge scanner keeps typing into the console and the browser.
 *   - `HID-linux-*.node` (`setDriverType('libusb')`): hidapi's libusb backend, compiled with
 *     DETACH_KERNEL_DRIVER — `hid_open_path` detaches usbhid from the interface (imports
 *     libusb_detach_kernel_driver) and re-attaches it on close. That is the exclusive access a
 *     keyboard wedge needs: while we hold it, its keystrokes reach no one else.
 * `setDriverType` after the binding is loaded does nothing (the binding is cached), which was
 * issue #14's bug: we enumerated (loading hidraw) before asking for libusb. So the driver is
 * decided here, once, before node-hid is asked anything.
 */
export type HidDriver = 'hidraw' | 'libusb';

/** The driver a scanner type needs: keyboard wedges must be taken away from the kernel. */
export const hidDriverFor = (type: string): HidDriver => (type === 'keyboard-wedge' ? 'libusb' : 'hidraw');

const requireHere = createRequire(import.meta.url);
const BINDING_FILE =
  /node-hid[\\/](?:prebuilds[\\/](HID(?:_hidraw)?)-|build[\\/](?:Release|Debug)[\\/](HID(?:_hidraw)?)\.node)/;

/**
 * Which node-hid binding this process has loaded, read from Node's module cache (native addons are
 * cached by file name like any module): 'libusb', 'hidraw', or null when none is loaded yet.
 */
export function loadedHidBinding(): HidDriver | null {
  for (const file of Object.keys(requireHere.cache)) {
    const m = BINDING_FILE.exec(file);
    if (m) return (m[1] ?? m[2]) === 'HID_hidraw' ? 'hidraw' : 'libusb';
  }
  return null;
}

export class HidDriverError extends Error {
  readonly code = 'hid-driver-conflict';
}

type NodeHid = typeof import('node-hid');
let chosen: { driver: HidDriver; hid: Promise<NodeHid> } | undefined;

/** node-hid with `driver` chosen before anything can load a binding; refuses a second, different driver. */
function nodeHid(driver: HidDriver): Promise<NodeHid> {
  if (chosen && chosen.driver !== driver) {
    const loaded = loadedHidBinding();
    if (loaded && loaded !== driver)
      return Promise.reject(
        new HidDriverError(
          `node-hid already loaded its ${loaded} binding in this process; the ${driver} one cannot be loaded`,
        ),
      );
  }
  if (!chosen || chosen.driver !== driver) {
    const hid = import('node-hid').then((m) => {
      // Immediately after the import, before any call that loads a binding (node-hid's README).
      m.setDriverType(driver);
      return m;
    });
    chosen = { driver, hid };
  }
  return chosen.hid;
}

/**
 * node-hid with a fixed driver, loaded on first use (an optional dependency: a kiosk with a serial
 * scanner never loads libusb). Enumeration and open go through the same binding, so the paths
 * match: /dev/hidrawN with hidraw, "bus:device:interface" (e.g. 0001:0004:00) with libusb.
 * libusb needs write access to /dev/bus/usb/BBB/DDD (hardware/99-qrkiosk-scanner.rules).
 */
export function nodeHidBackend(driver: HidDriver): HidBackend {
  return {
    driver,
    async devices() {
      const hid = await nodeHid(driver);
      return (await hid.devicesAsync()) as HidDeviceInfo[];
    },
    async open(path) {
      const hid = await nodeHid(driver);
      return (await hid.HIDAsync.open(path)) as unknown as HidDeviceLike;
    },
  };
}
