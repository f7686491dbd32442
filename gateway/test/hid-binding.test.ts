/**
 * Which node-hid binding is really loaded when a HID scanner input opens — proved with node-hid's
 * own module in a child process (node-hid loads one native binding per process, so each case gets a
 * fresh one), read back two independent ways: Node's module cache and the process's shared-object
 * list from `process.report` (what the dynamic loader actually mapped). Both prebuilds link
 * libusb-1.0.so, so that library's presence proves nothing; the binding file's name does.
 *
 * This machine has no USB, hidraw, uhid or uinput in its kernel: enumeration returns nothing and no
 * device can be opened, so the input reports "scanner not found". The binding load happens on the
 * enumeration, before any device, which is exactly where issue #14's bug was (enumerate through
 * hidraw, then ask for libusb: too late). Requires `npm run build` (the child runs gateway/dist).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { pickHidDevice } from '../src/input/index.js';
import { settingsFromText } from '../src/settings/index.js';

const GATEWAY = join(REPO_ROOT, 'gateway');
const DIST = join(GATEWAY, 'dist/index.js');

interface Seen {
  before: string | null;
  after: string | null;
  cached: string[];
  shared: string[];
  statuses: Array<{ connected: boolean; error?: string }>;
  conflict?: string;
}

/** Starts the scanner input the daemon would, waits for its first status, reports what is loaded. */
function openInChild(scannerYaml: string): Seen {
  const script = `
    import { createRequire } from 'node:module';
    const require = createRequire(${JSON.stringify(`${GATEWAY}/`)});
    const gw = await import(${JSON.stringify(DIST)});
    const pino = require('pino');
    const settings = gw.settingsFromText('kiosk: { id: k-1, site: s-1 }\\nscanner: ${scannerYaml}\\n', 'test', {}).settings.scanner;
    const bus = new gw.EventBus();
    const statuses = [];
    bus.on('scanner.status', (s) => statuses.push(s));
    const before = gw.loadedHidBinding();
    const input = gw.createScannerInput(settings, () => {}, bus, pino({ level: 'silent' }));
    input.start();
    while (statuses.length === 0) await new Promise((r) => setTimeout(r, 10));
    await input.stop();
    let conflict;
    // The other driver cannot be had any more in this process: node-hid caches its binding.
    const other = gw.loadedHidBinding() === 'libusb' ? 'hidraw' : 'libusb';
    await gw.nodeHidBackend(other).devices().catch((err) => { conflict = err.code; });
    const cached = Object.keys(require.cache).filter((f) => f.endsWith('.node') && f.includes('node-hid'));
    const shared = process.report.getReport().sharedObjects.filter((f) => /node-hid|libusb/.test(f));
    console.log(JSON.stringify({ before, after: gw.loadedHidBinding(), cached, shared, statuses, conflict }));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: GATEWAY,
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout.trim().split('\n').at(-1) ?? '') as Seen;
}

const LIBUSB_BINDING = /node-hid\/prebuilds\/HID-linux-[^/]+\/node-napi-v\d+\.node$/;
const HIDRAW_BINDING = /node-hid\/prebuilds\/HID_hidraw-linux-[^/]+\/node-napi-v\d+\.node$/;

describe('node-hid binding actually loaded by the HID input', () => {
  it('keyboard wedge: the libusb binding is loaded, never hidraw', () => {
    const seen = openInChild('{ type: keyboard-wedge, vendorId: "0c2e", reconnectMinMs: 50 }');
    expect(seen.before).toBeNull();
    expect(seen.after).toBe('libusb');
    expect(seen.cached.some((f) => LIBUSB_BINDING.test(f))).toBe(true);
    expect(seen.shared.some((f) => LIBUSB_BINDING.test(f))).toBe(true);
    expect([...seen.cached, ...seen.shared].some((f) => HIDRAW_BINDING.test(f))).toBe(false);
    // No USB here: enumeration through libusb finds nothing.
    expect(seen.statuses[0]).toMatchObject({ connected: false, error: 'scanner not found' });
    expect(seen.conflict).toBe('hid-driver-conflict');

    // What keeps the keystrokes from the console, as far as this machine can show it: the binding
    // that was loaded is hidapi's libusb backend built with DETACH_KERNEL_DRIVER, so it imports
    // libusb_detach_kernel_driver and calls it in hid_open_path (usbhid unbound while we hold the
    // device, no input device left for the console or Chromium to read).
    const binding = readFileSync(seen.shared.find((f) => LIBUSB_BINDING.test(f)) ?? '');
    expect(binding.includes('libusb_detach_kernel_driver')).toBe(true);
    expect(binding.includes('libusb_claim_interface')).toBe(true);
    const hidapi = readFileSync(join(REPO_ROOT, 'node_modules/node-hid/hidapi/libusb/hid.c'), 'utf8');
    expect(hidapi).toMatch(/^#define DETACH_KERNEL_DRIVER$/m);
  });

  it('HID-POS: the hidraw binding (usage pages, kernel driver left bound: no keystrokes from page 0x8C)', () => {
    const seen = openInChild('{ type: hid-pos, vendorId: "0c2e", reconnectMinMs: 50 }');
    expect(seen.after).toBe('hidraw');
    expect(seen.shared.some((f) => HIDRAW_BINDING.test(f))).toBe(true);
    expect(seen.shared.some((f) => LIBUSB_BINDING.test(f))).toBe(false);
    // Both prebuilds link libusb-1.0.so, but only the libusb backend detaches the kernel driver.
    const binding = readFileSync(seen.shared.find((f) => HIDRAW_BINDING.test(f)) ?? '');
    expect(binding.includes('libusb_detach_kernel_driver')).toBe(false);
    expect(seen.conflict).toBe('hid-driver-conflict');
  });

  it('the old order (enumerate, then setDriverType) loads hidraw: the check above would catch it', () => {
    const script = `
      const hid = require('node-hid');
      hid.devicesAsync().then(() => {
        hid.setDriverType('libusb');
        const shared = process.report.getReport().sharedObjects.filter((f) => /node-hid|libusb/.test(f));
        console.log(JSON.stringify(shared));
      });
    `;
    const r = spawnSync(process.execPath, ['-e', script], {
      cwd: GATEWAY,
      encoding: 'utf8',
      timeout: 20_000,
    });
    const shared = JSON.parse(r.stdout) as string[];
    expect(shared.some((f) => HIDRAW_BINDING.test(f))).toBe(true);
    expect(shared.some((f) => LIBUSB_BINDING.test(f))).toBe(false);
  });
});

describe('picking the keyboard interface from what libusb lists', () => {
  it('no usage pages through libusb (hidapi INVASIVE_GET_USAGE off): the lowest interface is the keyboard', () => {
    const hidapi = readFileSync(join(REPO_ROOT, 'node_modules/node-hid/hidapi/libusb/hid.c'), 'utf8');
    expect(hidapi).toMatch(/^\/\*#define INVASIVE_GET_USAGE\*\/$/m);
    const s = settingsFromText(
      'kiosk: { id: k-1, site: s-1 }\nscanner: { type: keyboard-wedge, vendorId: "0c2e" }\n',
      'test',
      {},
    ).settings.scanner;
    // libusb paths are bus:address:interface; usagePage/usage come back 0.
    const listed = [
      { path: '0001:0004:01', vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0, usage: 0, interface: 1 },
      { path: '0001:0004:00', vendorId: 0x0c2e, productId: 0x0b61, usagePage: 0, usage: 0, interface: 0 },
    ];
    expect(pickHidDevice(s, listed)?.path).toBe('0001:0004:00');
  });
});
