/**
 * `qrkiosk doctor`'s checks on real parts: a real Mosquitto with a password file, a real kiosk
 * (Controller) writing its journal and serving its screens, LED-class sysfs fixture trees as the GPIO
 * tests use, this process's own /proc entry. No systemd here: the service check is asked of the real
 * systemctl, which says so (skip).
 */
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { validateDoctorReport } from '@qrkiosk/protocol';
import {
  Cleanups,
  freePort,
  kioskYaml,
  makeTempDir,
  startMosquitto,
  waitFor,
  writePasswordFile,
} from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { brokerCheck } from '../src/doctor/broker.js';
import { diskCheck, sdWritesCheck } from '../src/doctor/disk.js';
import { gpioCheck } from '../src/doctor/gpio.js';
import { runDoctor } from '../src/doctor/index.js';
import { settingsFromText } from '../src/index.js';
import { loadSettings } from '../src/settings/index.js';
import { statusLine } from '../src/systemd/status.js';
import { kioskClientId } from '../src/uplink/login.js';
import { GREEN, kioskStarter, know, person } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const startKiosk = kioskStarter(cleanups);

function configFile(lines: string[], dataDir = makeTempDir('doctor-data-')): string {
  const file = join(makeTempDir('doctor-conf-'), 'kiosk.yaml');
  const ui = lines.some((l) => l.startsWith('ui:')) ? [] : ['ui: { port: 0 }'];
  writeFileSync(file, kioskYaml({ dataDir, assumeSynced: false, lines: [...ui, ...lines] }));
  return file;
}

const check = (report: Awaited<ReturnType<typeof runDoctor>>, id: string) => {
  const found = report.checks.find((c) => c.id === id);
  if (!found) throw new Error(`no ${id} check`);
  return found;
};

const quick = { scanTimeoutMs: 0, blink: false, brokerTimeoutMs: 3000 };

describe('doctor: broker', () => {
  it('passes with the kiosk own login, says "login refused" for a wrong password, "unreachable" when down', async () => {
    const dir = makeTempDir('doctor-broker-');
    const broker = await startMosquitto({
      anonymous: false,
      extraConfig: [`password_file ${writePasswordFile(join(dir, 'passwd'), { 'k-001': 'pass-001' })}`],
    });
    cleanups.push(() => broker.stop());
    const secret = (text: string) => {
      const f = join(makeTempDir('doctor-secret-'), 'mqtt.pass');
      writeFileSync(f, text);
      chmodSync(f, 0o600);
      return f;
    };
    const mqttLine = (pass: string, v: 4 | 5 = 5) =>
      `mqtt: { url: "${broker.url}", username: k-001, passwordFile: "${secret(pass)}", protocolVersion: ${v} }`;

    const good = await runDoctor({ config: configFile([mqttLine('pass-001')]), ...quick });
    expect(check(good, 'broker')).toMatchObject({ status: 'ok', values: { username: 'k-001' } });

    for (const v of [5, 4] as const) {
      const wrong = await runDoctor({ config: configFile([mqttLine('wrong', v)]), ...quick });
      const b = check(wrong, 'broker');
      expect(b.status).toBe('fail');
      expect(b.message.en).toContain('login refused');
      expect(b.fix.en).toContain('qrkiosk enrol');
      // Mosquitto answers a bad password with 134 (MQTT 5) / 5 "not authorized" (3.1.1).
      expect(v === 5 ? [134, 135] : [4, 5]).toContain(b.values.code);
    }

    await broker.stop();
    const down = await runDoctor({ config: configFile([mqttLine('pass-001')]), ...quick });
    const b = check(down, 'broker');
    expect(b.status).toBe('fail');
    expect(b.message.en).toContain('unreachable');
    expect(b.values.code).toBe('ECONNREFUSED');
    expect(b.fix.en).toContain('that the broker runs');
    expect(down.status).toBe('fail');
  });

  it('logs in with the daemon’s own client id when it is stopped; reads its STATUS, never logs in, when it runs', async () => {
    const dir = makeTempDir('doctor-broker-id-');
    const broker = await startMosquitto({
      anonymous: false,
      extraConfig: [`password_file ${writePasswordFile(join(dir, 'passwd'), { 'k-001': 'pass-001' })}`],
    });
    cleanups.push(() => broker.stop());
    const pass = join(dir, 'mqtt.pass');
    writeFileSync(pass, 'pass-001');
    chmodSync(pass, 0o600);
    const loaded = loadSettings(
      configFile([`mqtt: { url: "${broker.url}", username: k-001, passwordFile: "${pass}" }`]),
      {},
    );
    // The daemon's session, held under the id the hub pins (uplink/login.ts): Mosquitto hands a
    // client id to its newest connection and drops the older one (MQTT 5 reason 0x8E, session taken over).
    const id = kioskClientId(loaded.settings.kiosk);
    expect(id).toBe('qrkiosk-s-001-k-001');
    const holdSession = async () => {
      const daemon = await connectAsync(broker.url, {
        clientId: id,
        username: 'k-001',
        password: 'pass-001',
        protocolVersion: 5,
        reconnectPeriod: 0,
      });
      cleanups.push(() => daemon.endAsync(true));
      let dropped = false;
      daemon.on('close', () => {
        dropped = true;
      });
      return { dropped: () => dropped, daemon };
    };

    // The service runs: its STATUS line (the daemon's own statusLine) is the answer; no login is made.
    const running = await holdSession();
    const online = await brokerCheck(loaded, 3000, {
      running: true,
      statusText: statusLine({ scanner: 'ready', hubOnline: true, outbox: 0, faults: [] }),
    });
    expect(online).toMatchObject({ status: 'ok', values: { source: 'systemd-status' } });
    expect(online.message.en).toContain('its systemd STATUS');
    const offline = await brokerCheck(loaded, 3000, {
      running: true,
      statusText: statusLine({ scanner: 'ready', hubOnline: false, outbox: 4, faults: [] }),
    });
    expect(offline.status).toBe('fail');
    expect(offline.fix.en).toContain('journalctl -u qrkiosk');
    const noStatus = await brokerCheck(loaded, 3000, { running: true, statusText: null });
    expect(noStatus.status).toBe('skip');
    expect(noStatus.message.en).toContain('does not log in beside it');
    // What the broker says: the daemon's connection was never taken over.
    await new Promise<void>((resolve) => running.daemon.publish('t/ping', 'x', { qos: 1 }, () => resolve()));
    expect(running.dropped()).toBe(false);
    await running.daemon.endAsync(true);

    // The service is stopped: doctor logs in under that same id (any other is refused by the hub).
    const stale = await holdSession();
    const stopped = await brokerCheck(loaded, 3000, { running: false, statusText: null });
    expect(stopped.status).toBe('ok');
    await waitFor(() => (stale.dropped() ? true : undefined), 5000, 'the older session taken over');
  });
});

describe('doctor: config', () => {
  it('fails a broken kiosk.yaml with the loader lines, and skips what needs it', async () => {
    const file = join(makeTempDir('doctor-bad-'), 'kiosk.yaml');
    writeFileSync(file, 'kiosk: { id: K 1, site: s-001 }\nscaner: { path: /dev/ttyACM0 }\n');
    const report = await runDoctor({ config: file, ...quick });
    expect(validateDoctorReport(report).ok).toBe(true);
    const c = check(report, 'config');
    expect(c.status).toBe('fail');
    expect(c.message.en).toContain(`${file}:1`);
    expect(c.message.en).toContain('scanner'); // "did you mean"
    expect(c.values.problems).toBe(2);
    for (const id of ['scanner', 'gpio', 'broker', 'outbox', 'clock'])
      expect(check(report, id)).toMatchObject({
        status: 'skip',
        message: { en: expect.stringContaining('config') },
      });
    expect(report.kiosk).toBeNull();
  });
});

describe('doctor: outbox and the running kiosk', () => {
  it('reports the depth and the oldest undelivered check-in of a real kiosk with no broker', async () => {
    const dir = makeTempDir('doctor-kiosk-');
    const k = await startKiosk(dir);
    know(k, [
      [1, GREEN],
      [2, GREEN],
      [3, GREEN],
    ]);
    const first = k.clock.now().toISOString();
    for (const n of [1, 2, 3]) {
      k.controller.scan(person(n).payload);
      k.clock.pass(1000);
    }
    k.clock.pass(20 * 60_000);
    const report = await runDoctor({ config: configFile([], dir), ...quick }, { clock: k.clock });
    const o = check(report, 'outbox');
    expect(o.values).toMatchObject({ depth: 3, oldestAt: first, oldestAgeSeconds: 20 * 60 + 3 });
    expect(o.status).toBe('warn');
    expect(o.message.vi).toContain('3 check-in chưa được trung tâm xác nhận');

    k.clock.pass(4 * 86_400_000);
    const later = await runDoctor({ config: configFile([], dir), ...quick }, { clock: k.clock });
    expect(check(later, 'outbox').status).toBe('fail');
  });

  it('while the daemon serves its screens, a scan it journals passes the scanner check', async () => {
    const dir = makeTempDir('doctor-live-');
    const port = await freePort();
    const k = await startKiosk(dir, { screensPort: port });
    know(k, [[7, GREEN]]);
    const prompts: string[] = [];
    const scanning = runDoctor(
      {
        config: configFile([`ui: { port: ${port}, host: 127.0.0.1 }`], dir),
        ...quick,
        scanTimeoutMs: 5000,
      },
      { say: (s) => prompts.push(s.en) },
    );
    // Scanned once the doctor has asked (its prompt is the sign it took the journal's last row).
    const asked = setInterval(() => {
      if (prompts.length > 0) {
        clearInterval(asked);
        k.controller.scan(person(7).payload);
      }
    }, 50);
    cleanups.push(() => clearInterval(asked));
    const s = check(await scanning, 'scanner');
    expect(prompts[0]).toContain('The service holds the scanner');
    expect(s).toMatchObject({ status: 'ok', values: { via: 'journal' } });
    // Nobody scans this time: a clear failure, naming the duplicate window a repeated test card hits.
    const idle = await runDoctor({
      config: configFile([`ui: { port: ${port}, host: 127.0.0.1 }`], dir),
      ...quick,
      scanTimeoutMs: 1000,
    });
    const none = check(idle, 'scanner');
    expect(none).toMatchObject({ status: 'fail', values: { via: 'journal' } });
    expect(none.message.en).toContain('No new scan within 1 s');
    expect(none.fix.en).toContain('is not journaled again');
  });
});

describe('doctor: GPIO (LED-class sysfs fixture trees)', () => {
  const LABELS = ['qrkiosk-green', 'qrkiosk-red', 'qrkiosk-amber', 'qrkiosk-buzzer', 'qrkiosk-relay'];
  function ledsRoot(labels = LABELS): string {
    const root = makeTempDir('doctor-leds-');
    for (const l of labels) {
      mkdirSync(join(root, 'class/leds', l), { recursive: true });
      writeFileSync(join(root, 'class/leds', l, 'brightness'), '1');
    }
    return root;
  }
  const gpioSettings = (root: string, driver = 'leds') =>
    settingsFromText(
      `kiosk: { id: k-1, site: s-1 }\ngpio: { driver: ${driver}, sysfsRoot: "${root}" }\n`,
      't',
      {},
    ).settings.gpio;
  const say: string[] = [];
  const opts = { daemonRunning: false, blink: false, say: (s: { en: string }) => say.push(s.en) };

  it('opens every output (each left off) and names its line', async () => {
    const root = ledsRoot();
    const c = await gpioCheck(gpioSettings(root), opts);
    expect(c).toMatchObject({ status: 'ok', values: { driver: 'leds', opened: true } });
    expect(c.values.relay).toBe(`${root}/class/leds/qrkiosk-relay`);
    for (const l of LABELS) expect(readFileSync(join(root, 'class/leds', l, 'brightness'), 'utf8')).toBe('0');
  });

  it('fails naming the missing LED', async () => {
    const c = await gpioCheck(gpioSettings(ledsRoot(LABELS.slice(0, 4))), opts);
    expect(c.status).toBe('fail');
    expect(c.message.en).toContain('qrkiosk-relay');
  });

  it('--blink plays the selftest pattern: each output on once, all off after', async () => {
    const root = ledsRoot();
    say.length = 0;
    const c = await gpioCheck(gpioSettings(root), { ...opts, blink: true });
    expect(c).toMatchObject({ status: 'ok', values: { blinked: true } });
    expect(say).toEqual(
      ['Green light', 'Red light', 'Amber light', 'Buzzer', 'Door relay'].map((n) => `  → ${n} ON`),
    );
    for (const l of LABELS) expect(readFileSync(join(root, 'class/leds', l, 'brightness'), 'utf8')).toBe('0');
  });

  it('leaves lines the daemon holds alone; warns on simulated lights; skips gpio.driver: none', async () => {
    const root = ledsRoot();
    const held = await gpioCheck(gpioSettings(root), { ...opts, daemonRunning: true });
    expect(held).toMatchObject({ status: 'ok', values: { opened: false } });
    expect(readFileSync(join(root, 'class/leds/qrkiosk-red/brightness'), 'utf8')).toBe('1');
    expect((await gpioCheck(gpioSettings(root, 'sim'), opts)).status).toBe('warn');
    expect((await gpioCheck(gpioSettings(root, 'none'), opts)).status).toBe('skip');
  });
});

describe('doctor: disk and SD writes', () => {
  it('measures free space by statfs and the write_bytes of a running process', () => {
    const dir = makeTempDir('doctor-disk-');
    const d = diskCheck(dir);
    expect(d.status).not.toBe('skip');
    expect(Number(d.values.freeBytes)).toBeGreaterThan(0);
    // This very process stands in for the daemon's MainPID: its /proc entry is real.
    const w = sdWritesCheck(process.pid);
    expect(w.status).toBe('ok');
    expect(w.values.daemonWriteBytes).toBeTypeOf('number');
    const none = sdWritesCheck(null, { sys: makeTempDir('doctor-sys-') });
    expect(none.status).toBe('skip');
  });
});
