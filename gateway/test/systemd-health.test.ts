/**
 * What "the scanner input is dead" means for the watchdog (gateway/src/systemd/health.ts), on the real serial
 * input with its enumeration seam (SerialDeps): a scanner not found is retried for ever (alive); a listing that
 * never answers is hung (dead after the limit); a crashed attempt is dead at once and stays dead. Time is an
 * injected counter, so nothing here waits for a limit. The daemon-level proof, with a Python notify socket,
 * is integration/systemd-notify.test.ts.
 */
import { waitFor } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { EventBus } from '../src/bus.js';
import { SerialScanner } from '../src/input/index.js';
import { InputLife } from '../src/input/life.js';
import { createLogger } from '../src/log.js';
import { settingsFromText } from '../src/settings/index.js';
import { ScanPathHealth, StatusReporter, statusLine, watchdogTimeoutMs } from '../src/systemd/index.js';

const log = createLogger('silent');
const HUNG_MS = 30_000;
const scannerSettings = (yaml: string) =>
  settingsFromText(`kiosk: { id: k-1, site: s-1 }\nscanner: ${yaml}\n`, 'test', {}).settings.scanner;

const stops: Array<() => unknown> = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});

/** A bus, the health check on it with a clock the test moves, and every life state seen. */
function rig() {
  const bus = new EventBus(log);
  let now = 0;
  const health = new ScanPathHealth(bus, HUNG_MS, log, () => now);
  health.start();
  stops.push(() => health.stop());
  const states: string[] = [];
  bus.on('scanner.life', (l) => states.push(l.state));
  return { bus, health, states, advance: (ms: number) => (now += ms) };
}

describe('scan path health (the watchdog decides from it)', () => {
  it('a scanner that is not there is retried for ever: alive however long it takes', async () => {
    const { bus, health, states, advance } = rig();
    const input = new SerialScanner(
      scannerSettings('{ path: /dev/ttyACM9, reconnectMinMs: 10, reconnectMaxMs: 20 }'),
      () => undefined,
      bus,
      log,
      { list: async () => [], exists: () => false },
    );
    stops.push(() => input.stop());
    input.start();
    await waitFor(
      () => (states.filter((s) => s === 'waiting').length >= 3 ? true : undefined),
      5000,
      'retries',
    );
    advance(10 * HUNG_MS);
    expect(health.dead()).toBeUndefined();
  });

  it('a listing that never answers (a wedged udevadm) is hung once it outlasts the limit', () => {
    const { bus, health, states, advance } = rig();
    const input = new SerialScanner(
      scannerSettings('{ vendorId: "1a86", productId: "7523" }'),
      () => undefined,
      bus,
      log,
      {
        list: () => new Promise(() => undefined),
        exists: () => true,
      },
    );
    stops.push(() => input.stop());
    input.start();
    expect(states).toEqual(['trying']);
    advance(HUNG_MS);
    expect(health.dead()).toBeUndefined();
    advance(1);
    expect(health.dead()).toMatch(/^hung: /);
  });

  it('a crashed attempt is dead at once, and a late callback does not revive it', () => {
    const { bus, health } = rig();
    const life = new InputLife(bus, log);
    let reject: (err: Error) => void = () => undefined;
    life.attempt(() => new Promise<void>((_, r) => (reject = r)));
    expect(health.dead()).toBeUndefined();
    reject(new TypeError('port.open is not a function'));
    return Promise.resolve().then(() => {
      expect(health.dead()).toBe('crashed: port.open is not a function');
      life.set('open');
      expect(life.current).toBe('dead');
      expect(health.dead()).toMatch(/^crashed/);
    });
  });
});

describe('watchdog settings from the environment (sd_watchdog_enabled(3))', () => {
  it('reads WATCHDOG_USEC, for this process only, and refuses nonsense', () => {
    expect(watchdogTimeoutMs({}, 42, log)).toBeUndefined();
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000' }, 42, log)).toBe(30_000);
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '42' }, 42, log)).toBe(30_000);
    expect(watchdogTimeoutMs({ WATCHDOG_USEC: '30000000', WATCHDOG_PID: '41' }, 42, log)).toBeUndefined();
    for (const bad of ['0', '-5', '1e6', 'abc', '30s'])
      expect(watchdogTimeoutMs({ WATCHDOG_USEC: bad }, 42, log)).toBeUndefined();
  });
});

describe('the status line', () => {
  it('is Vietnamese first, then English, with faults only when there are some', () => {
    expect(statusLine({ scanner: 'ready', hubOnline: true, outbox: 0, faults: [] })).toBe(
      'Đầu đọc: sẵn sàng; máy chủ: trực tuyến; chờ gửi: 0 | Scanner: ready; hub: online; outbox: 0',
    );
    expect(
      statusLine({
        scanner: 'lost',
        scannerError: 'gm65-trigger-failed',
        hubOnline: false,
        outbox: 12,
        faults: ['disk-low'],
      }),
    ).toBe(
      'Đầu đọc: mất kết nối (gm65-trigger-failed); máy chủ: ngoại tuyến; chờ gửi: 12; lỗi: disk-low | ' +
        'Scanner: lost (gm65-trigger-failed); hub: offline; outbox: 12; faults: disk-low',
    );
  });
});

describe('STATUS= updates', () => {
  it('are sent when the scanner, hub or faults change, at once, and not per scan', () => {
    const bus = new EventBus(log);
    const sent: string[] = [];
    const readings = { outboxDepth: 0, faults: [] as string[] };
    const reporter = new StatusReporter(
      { enabled: true, send: (m) => sent.push(m), close: () => undefined },
      { bus, readings: () => readings, dead: () => undefined },
      60_000,
    );
    stops.push(() => reporter.stop());
    reporter.watch();
    // Before READY: news is followed, nothing is sent.
    bus.emit('uplink.status', { connected: true });
    expect(sent).toEqual([]);
    reporter.start();
    expect(sent).toEqual([
      'STATUS=Đầu đọc: mất kết nối; máy chủ: trực tuyến; chờ gửi: 0 | Scanner: lost; hub: online; outbox: 0',
    ]);
    bus.emit('scanner.status', { connected: true, path: '/dev/ttyACM0' });
    expect(sent.at(-1)).toMatch(/Scanner: ready/);
    bus.emit('scanner.status', { connected: true, path: '/dev/ttyACM0' });
    readings.outboxDepth = 5;
    for (let seq = 1; seq <= 5; seq++) bus.emit('checkin.recorded', { id: `c${seq}`, seq });
    expect(sent).toHaveLength(2);
    // The outbox depth is read when the line is refreshed (every refreshMs, or with other news).
    reporter.refresh();
    expect(sent.at(-1)).toMatch(/outbox: 5$/);
    bus.emit('scanner.status', {
      connected: false,
      path: '',
      error: 'cannot open /dev/ttyACM0: Error: EACCES',
    });
    expect(sent.at(-1)).toMatch(/Scanner: lost; hub/);
    expect(sent).toHaveLength(4);
  });
});
