/**
 * GM65-class module on a real pty (socat), end to end into the gateway's input stage. The emulator
 * is first held to the manual's documented frames byte for byte (same oracle as
 * gateway/test/gm65-frames.test.ts: GM65 user manual V1.3 §8.2–8.4), then the daemon's input is run
 * against it: it must set the read mode at start, verify it, and in command mode trigger reads
 * itself. The old daemon (type gm65 read as plain serial) reads nothing from a module in command
 * mode; the second test shows that emulator behaviour.
 */
import { createDccSigner, Gm65Emulator, sampleVaccination } from '@qrkiosk/firmware-sim';
import { createScannerInput, EventBus, GM65_ZONE, SerialScanner, settingsFromText } from '@qrkiosk/gateway';
import { Cleanups, waitFor } from '@qrkiosk/testkit';
import pino from 'pino';
import { SerialPort } from 'serialport';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';
let HC1 = '';
beforeAll(async () => {
  const signer = await createDccSigner({ alg: 'ES256' });
  HC1 = signer.issue({
    hcert: sampleVaccination(),
    issuedAt: new Date('2021-10-01'),
    expiresAt: new Date('2022-10-01'),
  });
});

const silent = pino({ level: 'silent' });
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function plugModule(): Promise<Gm65Emulator> {
  const module = new Gm65Emulator();
  await module.plugIn();
  cleanups.push(() => module.unplug());
  return module;
}

function settings(path: string, gm65: string, extra = '') {
  return settingsFromText(
    `kiosk: { id: k-1, site: s-1 }\nscanner: { type: gm65, path: "${path}", terminator: CR, reconnectMinMs: 10, reconnectMaxMs: 300${extra}, gm65: ${gm65} }\n`,
    'test',
    {},
  ).settings.scanner;
}

function daemonInput(path: string, gm65: string) {
  const lines: string[] = [];
  const statuses: Array<{ connected: boolean; error?: string }> = [];
  const bus = new EventBus();
  bus.on('scanner.status', (s) => statuses.push(s));
  const input = createScannerInput(settings(path, gm65), (l) => lines.push(l), bus, silent);
  input.start();
  cleanups.push(() => input.stop());
  return { lines, statuses, input };
}

/** A raw host port on the module: what goes in and everything that comes back. */
async function rawHost(path: string) {
  const port = new SerialPort({ path, baudRate: 9600, autoOpen: false });
  await new Promise<void>((res, rej) => port.open((e) => (e ? rej(e) : res())));
  cleanups.push(() => new Promise<void>((r) => port.close(() => r())));
  let got = Buffer.alloc(0);
  port.on('data', (c: Buffer) => {
    got = Buffer.concat([got, c]);
  });
  return {
    async exchange(bytes: Buffer, settleMs = 600): Promise<Buffer> {
      got = Buffer.alloc(0);
      port.write(bytes);
      await new Promise((r) => setTimeout(r, settleMs));
      return got;
    },
  };
}

describe('GM65 emulator against the manual', () => {
  it("answers the manual's example commands with the manual's bytes, and wrong ones with nothing", async () => {
    const module = await plugModule();
    const host = await rawHost(module.path);
    expect(await host.exchange(hex('7E 00 08 01 00 0A 3E 4C CF'))).toEqual(hex('02 00 00 01 00 33 31'));
    expect(module.zones[0x0a]).toBe(0x3e);
    expect(await host.exchange(hex('7E 00 07 01 00 0A 01 EE 8A'))).toEqual(hex('02 00 00 01 3E E4 AC'));
    expect(await host.exchange(hex('7E 00 09 01 00 00 00 DE C8'))).toEqual(hex('02 00 00 01 00 33 31'));
    expect(module.saved[0x0a]).toBe(0x3e);
    // Manual: wrong CRC → no output; a command still short after 400 ms → unknown, no output.
    expect(await host.exchange(hex('7E 00 08 01 00 0A 3E 11 22'))).toEqual(Buffer.alloc(0));
    expect(await host.exchange(hex('7E 00 07 01 00 0A 01 11 22'))).toEqual(Buffer.alloc(0));
    expect(await host.exchange(hex('7E 00 08 01 00 0A 3E'))).toEqual(Buffer.alloc(0));
    // …and the next good command is answered again.
    expect(await host.exchange(hex('7E 00 07 01 00 0A 01 EE 8A'))).toEqual(hex('02 00 00 01 3E E4 AC'));
  });

  it('in command mode sends no code unless triggered: the old plain-serial daemon reads nothing', async () => {
    const module = await plugModule();
    module.zones[GM65_ZONE.settings] = 0xd5; // what `scanner configure --mode command` saved
    const lines: string[] = [];
    const old = new SerialScanner(settings(module.path, '{}'), (l) => lines.push(l), new EventBus(), silent);
    old.start();
    cleanups.push(() => old.stop());
    await waitFor(() => (old.connected ? true : undefined), 5000, 'connected');
    module.present(CCCD);
    module.pressButton(); // the module's own button does nothing outside manual mode
    await new Promise((r) => setTimeout(r, 500));
    expect(lines).toEqual([]);
    expect(module.waiting).toBe(1);
  });
});

describe('GM65 module set up and run by the daemon', () => {
  it('command mode: sets and verifies the mode, then triggers reads itself', async () => {
    const module = await plugModule(); // factory: manual mode
    const { lines, statuses } = daemonInput(module.path, '{ mode: command, triggerIntervalMs: 100 }');
    await waitFor(() => (statuses.some((s) => s.connected) ? true : undefined), 5000, 'set up');
    expect(module.mode).toBe('command');
    // Read zone 0, write it with mode 01 (other bits kept), read it back.
    expect(module.commands.slice(0, 3).map((c) => [c.type, c.address, [...c.data]])).toEqual([
      [0x07, 0x0000, [1]],
      [0x08, 0x0000, [0xd5]],
      [0x07, 0x0000, [1]],
    ]);
    module.present(HC1);
    await waitFor(() => lines[0], 5000, 'first triggered code');
    module.present(CCCD);
    await waitFor(() => lines[1], 5000, 'second triggered code');
    expect(lines).toEqual([HC1, CCCD]);
    const triggers = module.commands.filter((c) => c.type === 0x08 && c.address === GM65_ZONE.trigger);
    expect(triggers.length).toBeGreaterThanOrEqual(2);
    expect(module.saved[GM65_ZONE.settings]).toBe(0xd4); // RAM only: no EEPROM write at each start
  });

  it('induction mode: set at start, codes come without any trigger', async () => {
    const module = await plugModule();
    module.zones[GM65_ZONE.settings] = 0xd5; // left in command mode by the old guide
    const { lines, statuses } = daemonInput(module.path, '{ mode: induction }');
    await waitFor(() => (statuses.some((s) => s.connected) ? true : undefined), 5000, 'set up');
    expect(module.zones[GM65_ZONE.settings]).toBe(0xd7);
    module.present(CCCD);
    await waitFor(() => lines[0], 5000, 'code');
    expect(lines).toEqual([CCCD]);
    expect(module.commands.some((c) => c.address === GM65_ZONE.trigger)).toBe(false);
  });

  it('continuous mode with codes streaming during set-up: replies never leak into codes', async () => {
    const module = await plugModule();
    module.zones[GM65_ZONE.settings] = 0xd6; // already reading continuously
    const stream = setInterval(() => module.present(CCCD), 3);
    cleanups.push(async () => clearInterval(stream));
    const { lines, statuses } = daemonInput(module.path, '{ mode: continuous }');
    await waitFor(() => (statuses.some((s) => s.connected) ? true : undefined), 5000, 'set up');
    await waitFor(() => (lines.length >= 20 ? true : undefined), 5000, 'codes');
    clearInterval(stream);
    expect(new Set(lines)).toEqual(new Set([CCCD]));
    expect(module.commands.filter((c) => c.type === 0x07).length).toBe(2);
  });

  it('a module that answers nothing: scanner fault reported, no crash, set up once it answers', async () => {
    const module = await plugModule();
    module.deaf = true;
    const { statuses } = daemonInput(module.path, '{ mode: induction }');
    await waitFor(() => statuses.find((s) => s.error === 'gm65-no-reply'), 5000, 'fault reported');
    expect(statuses.some((s) => s.connected)).toBe(false);
    module.deaf = false;
    await waitFor(() => (statuses.some((s) => s.connected) ? true : undefined), 10000, 'set up on retry');
    expect(module.mode).toBe('induction');
  });
});
