/**
 * `qrkiosk run --config FILE` as a real process, as systemd runs it: a scan on the pty reaches a
 * subscriber through a real Mosquitto; SIGTERM stops it cleanly and leaves the retained state
 * `offline`; env overrides reach the daemon.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { kioskTopics, validateCheckin } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { describe, expect, it } from 'vitest';

describe('qrkiosk run (the daemon process)', () => {
  it('checks in a scan, then stops on SIGTERM and announces itself offline', async () => {
    const broker = await startMosquitto();
    const scanner = new VirtualSerialScanner();
    await scanner.plugIn();
    const dir = makeTempDir('daemon-');
    const config = join(dir, 'kiosk.yaml');
    // The file names a wrong broker and scanner; the environment corrects both.
    writeFileSync(
      config,
      [
        'kiosk: { id: k-007, site: s-042, direction: out }',
        'scanner: { path: /dev/does-not-exist }',
        'gpio: { driver: sim }',
        'ui: { port: 0 }',
        'mqtt: { url: "mqtt://127.0.0.1:1" }',
        `data: { dir: "${join(dir, 'data')}" }`,
        'log: { level: info }',
      ].join('\n'),
    );
    const topics = kioskTopics('s-042', 'k-007');
    const sub = await connectAsync(broker.url);
    const seen: Array<{ topic: string; payload: string }> = [];
    sub.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }));
    await sub.subscribeAsync([topics.checkin, topics.state], { qos: 1 });

    const daemon = spawn(
      process.execPath,
      [join(REPO_ROOT, 'gateway/dist/cli/main.js'), 'run', '--config', config],
      {
        env: { ...process.env, QRKIOSK_MQTT_URL: broker.url, QRKIOSK_SCANNER_PATH: scanner.path },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let logs = '';
    daemon.stdout.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    daemon.stderr.on('data', (d: Buffer) => {
      logs += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    try {
      await waitFor(
        () => (logs.includes('scanner connected') ? true : undefined),
        10_000,
        'scanner connected',
      );
      await waitFor(
        () => seen.find((m) => m.topic === topics.state && m.payload === 'online'),
        10_000,
        'online',
      );
      await scanner.scan('001185012345||Trần Thị Bích Ngọc|02031985|Nữ|Hà Nội|10072021');
      const msg = await waitFor(() => seen.find((m) => m.topic === topics.checkin), 10_000, 'check-in');
      const checkin = JSON.parse(msg.payload);
      expect(validateCheckin(checkin).ok).toBe(true);
      expect(checkin).toMatchObject({ kiosk: 'k-007', site: 's-042', direction: 'out', verdict: 'REVIEW' });

      daemon.kill('SIGTERM');
      expect(await exited).toBe(0);
      await waitFor(
        () => seen.find((m) => m.topic === topics.state && m.payload === 'offline'),
        5000,
        'offline',
      );
      // JSON logs, and no full number or name in them.
      const lines = logs.trim().split('\n');
      expect(lines.every((l) => l.startsWith('{'))).toBe(true);
      expect(logs).not.toContain('001185012345');
      expect(logs).not.toContain('Bích Ngọc');
      expect(logs).toContain('********2345');
    } finally {
      daemon.kill('SIGKILL');
      await sub.endAsync();
      await scanner.unplug();
      await broker.stop();
    }
  });

  it('selftest names the driver, why it was chosen and the pins, then lights each output', async () => {
    const dir = makeTempDir('selftest-');
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      `kiosk: { id: k-1, site: s-1 }\ngpio: { driver: auto, sysfsRoot: "${dir}", pins: { relay: GPIO5 } }\n`,
    );
    const child = spawn(process.execPath, [
      join(REPO_ROOT, 'gateway/dist/cli/main.js'),
      '--lang',
      'en',
      'selftest',
      '-c',
      config,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(out).toMatch(/GPIO driver: sim \(no GPIO hardware found/);
    expect(out).toMatch(/Door relay\s+GPIO5/);
    expect(out.match(/→ .* ON/g)).toHaveLength(5);
  });

  it('selftest reports the door sensor and the movements it saw (none: check the wiring)', async () => {
    const dir = makeTempDir('selftest-door-');
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(
      config,
      'kiosk: { id: k-1, site: s-1 }\ngpio: { driver: sim, doorSensor: { pin: GPIO16 } }\nsignal: { doorEnterSeconds: 2 }\n',
    );
    const child = spawn(process.execPath, [
      join(REPO_ROOT, 'gateway/dist/cli/main.js'),
      '--lang',
      'en',
      'selftest',
      '-c',
      config,
    ]);
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(0);
    expect(out).toContain('door sensor GPIO16 (activeLow): at rest (door shut / turnstile still)');
    expect(out).toContain('The door sensor saw 0 movement(s) — check the wiring and activeLow');
  });

  it('refuses to start on a bad config: exit 2 and the reason', async () => {
    const dir = makeTempDir('daemon-');
    const config = join(dir, 'kiosk.yaml');
    writeFileSync(config, 'kiosk: { id: k-007 }\n');
    const daemon = spawn(process.execPath, [
      join(REPO_ROOT, 'gateway/dist/cli/main.js'),
      '--lang',
      'en',
      'run',
      '-c',
      config,
    ]);
    let stderr = '';
    daemon.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    expect(await new Promise((resolve) => daemon.on('exit', resolve))).toBe(2);
    expect(stderr).toContain('required key "kiosk.site" is missing');
  });
});
