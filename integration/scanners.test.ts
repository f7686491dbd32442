/**
 * Every input path, end to end into the gateway's input stage:
 *  - serial on real ptys (socat), including unplug (socat ends) and replug (GM65: gm65.test.ts);
 *  - HID-POS and keyboard wedge through FakeHidDevice: this machine has no uhid/uinput/USB in its
 *    kernel, so node-hid cannot open a device here; the stand-in has node-hid's three members and
 *    is fed report streams shaped as real scanners send them. The seam is `HidDeviceLike`.
 */

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  createDccSigner,
  FakeHidDevice,
  Gm65Emulator,
  hidPosStream,
  keyboardWedgeReports,
  sampleVaccination,
  VirtualSerialScanner,
} from '@qrkiosk/firmware-sim';
import {
  EventBus,
  GM65_ZONE,
  HidScanner,
  type LayoutName,
  SerialScanner,
  settingsFromText,
} from '@qrkiosk/gateway';
import { Cleanups, REPO_ROOT, waitFor } from '@qrkiosk/testkit';
import pino from 'pino';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const CCCD =
  '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh|20042021';
let HC1 = '';
beforeAll(async () => {
  const signer = await createDccSigner({ alg: 'PS256' });
  HC1 = signer.issue({
    hcert: sampleVaccination(),
    issuedAt: new Date('2021-10-01'),
    expiresAt: new Date('2022-10-01'),
  });
  expect(HC1.length).toBeGreaterThanOrEqual(550);
});

const silent = pino({ level: 'silent' });

/** Runs the CLI without blocking the event loop (the GM65 emulator answers from this process). */
function runCli(
  cli: string,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args]);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

function scannerSettings(yaml: string) {
  return settingsFromText(`kiosk: { id: k-1, site: s-1 }\nscanner: ${yaml}\n`, 'test', {}).settings.scanner;
}

async function serialRig(terminator: 'CR' | 'CRLF' | 'none' = 'CR', extra = '') {
  const device = new VirtualSerialScanner({ terminator: terminator === 'none' ? 'none' : terminator });
  await device.plugIn();
  cleanups.push(() => device.unplug());
  const lines: string[] = [];
  const bus = new EventBus();
  const states: boolean[] = [];
  bus.on('scanner.status', (s) => states.push(s.connected));
  const input = new SerialScanner(
    scannerSettings(
      `{ type: serial, path: "${device.path}", terminator: ${terminator}, reconnectMinMs: 10, reconnectMaxMs: 40${extra} }`,
    ),
    (l) => lines.push(l),
    bus,
    silent,
  );
  input.start();
  cleanups.push(() => input.stop());
  await waitFor(() => (input.connected ? true : undefined), 5000, 'serial connected');
  return { device, input, lines, states };
}

describe('serial scanner on a real pty', () => {
  it('delivers a 600-character HC1 code and a Vietnamese CCCD byte-identical', async () => {
    const { device, lines } = await serialRig('CR');
    await device.scan(HC1);
    await device.scan(CCCD);
    await waitFor(() => (lines.length === 2 ? true : undefined), 5000, 'two lines');
    expect(lines).toEqual([HC1, CCCD]);
    expect(Buffer.from(lines[1]!, 'utf8').equals(Buffer.from(CCCD, 'utf8'))).toBe(true);
  });

  it('reassembles a code split at every byte boundary, identically', async () => {
    const { device, lines } = await serialRig('CR');
    const bytes = Buffer.byteLength(`${CCCD}\r`);
    for (let at = 1; at < bytes; at++) await device.scanSplit(CCCD, at, 0);
    await waitFor(() => (lines.length === bytes - 1 ? true : undefined), 15000, 'every split');
    expect(new Set(lines)).toEqual(new Set([CCCD]));
  });

  it('with no terminator, a pause ends the code (inter-byte timeout)', async () => {
    const { device, lines } = await serialRig('none', ', interByteTimeoutMs: 40');
    await device.scan(CCCD);
    await waitFor(() => lines[0], 5000, 'timeout-framed code');
    await device.scan(HC1);
    await waitFor(() => lines[1], 5000, 'second code');
    expect(lines).toEqual([CCCD, HC1]);
  });

  it('survives 100 unplug/replug cycles, reconnecting each time, and reads after each', async () => {
    const { device, input, lines, states } = await serialRig('CR');
    for (let cycle = 0; cycle < 100; cycle++) {
      await device.unplug();
      await waitFor(() => (!input.connected ? true : undefined), 5000, `disconnect ${cycle}`);
      await device.plugIn();
      await waitFor(() => (input.connected ? true : undefined), 5000, `reconnect ${cycle}`);
      await device.scan(`code-${cycle}`);
      await waitFor(() => (lines.length === cycle + 1 ? true : undefined), 5000, `code ${cycle}`);
    }
    expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => `code-${i}`));
    expect(states.filter((s) => s).length).toBeGreaterThanOrEqual(101);
  }, 120_000);

  it('drops endless input with no terminator and still reads the next code', async () => {
    const { device, lines } = await serialRig('CR');
    await device.write(Buffer.alloc(40 * 1024, 0x41));
    await device.write(Buffer.from('still garbage\r'));
    await device.scan(CCCD);
    await waitFor(() => lines[0], 5000, 'code after the flood');
    expect(lines).toEqual([CCCD]);
  });

  it('loses a half-frame cut by an unplug, but not the next code', async () => {
    const { device, input, lines } = await serialRig('CR');
    await device.write(Buffer.from(CCCD.slice(0, 40), 'utf8'));
    await device.unplug();
    await waitFor(() => (!input.connected ? true : undefined), 5000, 'disconnect');
    await device.plugIn();
    await waitFor(() => (input.connected ? true : undefined), 5000, 'reconnect');
    await device.scan(CCCD);
    await waitFor(() => lines[0], 5000, 'code after replug');
    expect(lines).toEqual([CCCD]);
  });

  it('waits, without crashing, for a scanner that is not there yet', async () => {
    const device = new VirtualSerialScanner();
    const lines: string[] = [];
    const input = new SerialScanner(
      scannerSettings(`{ type: serial, path: "${device.path}", reconnectMinMs: 10, reconnectMaxMs: 40 }`),
      (l) => lines.push(l),
      new EventBus(),
      silent,
    );
    input.start();
    cleanups.push(() => input.stop());
    await new Promise((r) => setTimeout(r, 100));
    expect(input.connected).toBe(false);
    await device.plugIn();
    cleanups.push(() => device.unplug());
    await waitFor(() => (input.connected ? true : undefined), 5000, 'late connect');
    await device.scan(CCCD);
    await waitFor(() => lines[0], 5000, 'code');
    expect(lines).toEqual([CCCD]);
  });
});

describe('qrkiosk scanner configure / devices', () => {
  const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
  it('sets mode, terminator and beep on a GM65 module over the command protocol and saves them', async () => {
    const module = new Gm65Emulator();
    await module.plugIn();
    cleanups.push(() => module.unplug());
    const r = await runCli(cli, [
      '--lang',
      'en',
      'scanner',
      'configure',
      '--path',
      module.path,
      '--mode',
      'command',
      '--terminator',
      'CRLF',
      '--beep',
      'off',
      '--light',
      'off',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    // From the emulator's 0xD4, per the manual's zone 0x0000 table: mode 01 (command) in bits 1–0,
    // illumination 00 (none) in bits 3–2, bit 6 cleared ("0 mute on"); LED and aimer bits kept.
    expect(module.zones[GM65_ZONE.settings]).toBe(0x91);
    expect(module.zones[GM65_ZONE.terminator]).toBe(0x80 | 0x20);
    expect(module.saved[GM65_ZONE.settings]).toBe(0x91);
    expect(module.commands.map((c) => c.type)).toEqual([0x07, 0x07, 0x08, 0x08, 0x09]);
  });
  it('lists devices as JSON (none here: no USB on this machine)', async () => {
    const r = await runCli(cli, ['devices', '--json']);
    expect(r.code).toBe(0);
    expect(Array.isArray(JSON.parse(r.stdout))).toBe(true);
  });
});

describe('HID scanners through recorded report streams', () => {
  async function hidRig(yaml: string) {
    const lines: string[] = [];
    const bus = new EventBus();
    const states: boolean[] = [];
    bus.on('scanner.status', (s) => states.push(s.connected));
    const device = new FakeHidDevice();
    const opened: string[] = [];
    const input = new HidScanner(scannerSettings(yaml), (l) => lines.push(l), bus, silent, {
      // What node-hid lists for a Honeywell-style reader: a HID-POS and a keyboard interface.
      devices: async () => [
        { path: '/dev/hidraw3', vendorId: 0x0c2e, productId: 0x0b61, usagePage: 1, usage: 6, interface: 0 },
        {
          path: '/dev/hidraw4',
          vendorId: 0x0c2e,
          productId: 0x0b61,
          usagePage: 0x8c,
          usage: 2,
          interface: 1,
        },
      ],
      open: async (path) => {
        opened.push(path);
        return device;
      },
    });
    input.start();
    cleanups.push(() => input.stop());
    await waitFor(() => (states.includes(true) ? true : undefined), 5000, 'HID connected');
    return { lines, device, input, states, opened };
  }

  it('HID-POS: picks the 0x8C interface by VID/PID; multi-report codes reassembled, raw UTF-8 preserved', async () => {
    const { lines, device, opened } = await hidRig('{ type: hid-pos, vendorId: 0c2e, productId: 0b61 }');
    expect(opened).toEqual(['/dev/hidraw4']);
    device.play(hidPosStream(Buffer.from(HC1, 'utf8')));
    device.play(hidPosStream(Buffer.from(CCCD, 'utf8')));
    expect(lines).toEqual([HC1, CCCD]);
  });

  it.each(['us', 'uk', 'fr', 'de'] as LayoutName[])(
    'keyboard wedge in the %s layout, Vietnamese by Alt+numpad',
    async (layout) => {
      const { lines, device, opened } = await hidRig(
        `{ type: keyboard-wedge, vendorId: 0c2e, layout: ${layout} }`,
      );
      expect(opened).toEqual(['/dev/hidraw3']);
      device.play(keyboardWedgeReports(HC1, layout, 1));
      device.play(keyboardWedgeReports(CCCD, layout, 8));
      device.play(keyboardWedgeReports('aa11bb', layout, 8));
      expect(lines).toEqual([HC1, CCCD, 'aa11bb']);
    },
  );

  it('reports an unplugged HID scanner, closes it and opens it again when it is back', async () => {
    const { device, states, opened } = await hidRig(
      '{ type: hid-pos, path: /dev/hidraw4, reconnectMinMs: 10 }',
    );
    device.unplug();
    expect(states.slice(0, 2)).toEqual([true, false]);
    expect(device.closed).toBe(true);
    await waitFor(() => (opened.length === 2 ? true : undefined), 5000, 'reopened');
    expect(states.at(-1)).toBe(true);
  });
});
