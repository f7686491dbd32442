/**
 * The kiosk's /metrics on real parts: a pty scanner (firmware-sim), the real Controller with its
 * screens server and uplink, a real Mosquitto and hub that receipt the check-in. The exposition is
 * judged by `promtool check metrics`; values are read back after the scans. The Grafana dashboard's
 * exprs are parsed by `promtool check rules` and every metric they name must be in the kiosk's or the
 * hub's exposition.
 */
import { writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import {
  Cleanups,
  exposedMetrics,
  freePort,
  kioskYaml,
  makeTempDir,
  promtoolCheck,
  REPO_ROOT,
  sampleValue,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboardExprs, metricNamesIn, promtoolRules } from './grafana-dashboard.js';

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1|20042021';
const TOKEN = 'kiosk-metrics-token-0123456789';
const HUB_TOKEN = 'hub-metrics-token-0123456789ab';

function get(
  port: number,
  path: string,
  headers: Record<string, string> = {},
  from?: string,
): Promise<{ status: number; text: string; type: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, headers, ...(from ? { localAddress: from } : {}) },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text, type: String(res.headers['content-type']) }),
        );
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('kiosk /metrics after real scans', () => {
  const cleanups = new Cleanups();
  let controller: Controller;
  let scanner: VirtualSerialScanner;
  let hub: Hub;
  let hubPort: number;
  let port: number;

  beforeAll(async () => {
    const broker = await startMosquitto();
    cleanups.push(() => broker.stop());
    hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      dataDir: makeTempDir('metrics-hub-'),
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
      metricsAccess: { token: HUB_TOKEN },
    });
    hubPort = Number(new URL(await hub.start()).port);
    cleanups.push(() => hub.stop());
    scanner = new VirtualSerialScanner({ terminator: 'CR' });
    await scanner.plugIn();
    cleanups.push(() => scanner.unplug());
    const tokenFile = join(makeTempDir('metrics-token-'), 'metrics.token');
    writeFileSync(tokenFile, `${TOKEN}\n`, { mode: 0o600 });
    const pinFile = join(makeTempDir('metrics-pin-'), 'reception.pin');
    writeFileSync(pinFile, '246810\n', { mode: 0o600 });
    port = await freePort();
    const loaded = settingsFromText(
      kioskYaml({
        direction: 'in',
        dataDir: makeTempDir('metrics-kiosk-'),
        lines: [
          `scanner: { type: serial, path: "${scanner.path}", baudRate: 9600, terminator: CR }`,
          `ui: { port: ${port}, host: 127.0.0.1, metricsTokenFile: "${tokenFile}", receptionPinFile: "${pinFile}" }`,
          `mqtt: { url: "${broker.url}" }`,
        ],
      }),
      'metrics kiosk.yaml',
      {},
    );
    controller = new Controller(loaded, { gpio: new SimGpio() });
    const ready = (event: 'scanner.status' | 'uplink.status') =>
      new Promise<void>((resolve) =>
        controller.bus.on(event, (s) => {
          if (s.connected) resolve();
        }),
      );
    const connected = Promise.all([ready('scanner.status'), ready('uplink.status')]);
    await controller.start();
    cleanups.push(() => controller.stop());
    await connected;
  });
  afterAll(() => cleanups.run());

  it('counts scans by kind and verdict, times frame to light, and promtool accepts it', async () => {
    const shown: string[] = [];
    controller.bus.on('scan.decided', (o) => shown.push(o.decoded.kind));
    await scanner.scan(CCCD);
    await scanner.scan(CCCD); // inside the duplicate window: a repeat, nothing recorded
    await scanner.scan('not a code anyone issues');
    await waitFor(() => shown.length === 3 || undefined, 5000, 'three scans decided');
    await waitFor(
      async () => ((await hub.store?.checkinCount()) === 1 ? true : undefined),
      10_000,
      'the check-in at the hub',
    );
    await waitFor(() => controller.telemetry().outboxDepth === 0 || undefined, 10_000, 'receipted');

    const r = await get(port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const body = r.text;
    expect(promtoolCheck(body)).toEqual({ status: 0, output: '' });
    // An unknown person gets the site's verdict for the unknown, REVIEW by default; the repeat keeps it.
    expect(sampleValue(body, 'qrkiosk_kiosk_scans_total', { kind: 'cccd', verdict: 'REVIEW' })).toBe(2);
    expect(sampleValue(body, 'qrkiosk_kiosk_scans_total', { kind: 'unknown', verdict: 'REVIEW' })).toBe(1);
    expect(sampleValue(body, 'qrkiosk_kiosk_scan_repeats_total')).toBe(1);
    // No refusal held the door: every scan lit inside its own scan() and was timed.
    expect(sampleValue(body, 'qrkiosk_kiosk_scan_to_light_seconds_count')).toBe(3);
    expect(sampleValue(body, 'qrkiosk_kiosk_scan_to_light_seconds_sum')).toBeGreaterThan(0);
    expect(sampleValue(body, 'qrkiosk_kiosk_checkins_delivered_total')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_kiosk_outbox_depth')).toBe(0);
    expect(sampleValue(body, 'qrkiosk_kiosk_broker_connected')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_kiosk_scanner_connected')).toBe(1);
    expect(sampleValue(body, 'qrkiosk_kiosk_fault', { code: 'disk-full' })).toBe(0);
    expect(sampleValue(body, 'qrkiosk_kiosk_faults_raised_total', { code: 'disk-full' })).toBe(0);
    expect(sampleValue(body, 'qrkiosk_kiosk_clock_synced')).toBe(1);
    // No cache update applied yet: its age is unknown, so no sample rather than a made-up 0.
    expect(sampleValue(body, 'qrkiosk_kiosk_cache_age_seconds')).toBeUndefined();
    expect(body).toContain('qrkiosk_kiosk_info{kiosk="k-001",site="s-001",version="');
    expect(body).not.toContain('079090001234');
    expect(body).not.toContain('Nguyễn');
  });

  it('serves this machine; another one only with the bearer token, never with the reception PIN', async () => {
    const refused = await get(port, '/metrics', {}, '127.0.0.2');
    expect(refused.status).toBe(401);
    // The metrics' own refusal, not the reception PIN form's (`pin: true`): a PIN cookie opens nothing here.
    expect(JSON.parse(refused.text)).toEqual({
      error: { vi: 'Cần mã đọc số liệu (Bearer)', en: 'Metrics token required (Bearer)' },
    });
    // The pages still ask another machine for the PIN.
    expect((await get(port, '/reception', {}, '127.0.0.2')).status).toBe(401);
    expect(
      (await get(port, '/metrics', { authorization: 'Bearer wrong-wrong-wrong-wrong' }, '127.0.0.2')).status,
    ).toBe(401);
    const withToken = await get(port, '/metrics', { authorization: `Bearer ${TOKEN}` }, '127.0.0.2');
    expect(withToken.status).toBe(200);
    expect(promtoolCheck(withToken.text).status).toBe(0);
  });

  it('the Grafana dashboard: promtool parses every expr, and every metric it names is exposed', async () => {
    const kiosk = (await get(port, '/metrics')).text;
    const hubBody = (await get(hubPort, '/metrics', { authorization: `Bearer ${HUB_TOKEN}` })).text;
    const exposed = new Set([...exposedMetrics(kiosk), ...exposedMetrics(hubBody)]);
    const exprs = dashboardExprs(join(REPO_ROOT, 'hardware/grafana/qrkiosk.json'));
    expect(exprs.length).toBeGreaterThan(20);
    expect(promtoolRules(exprs)).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
    const missing = exprs.flatMap((e) => metricNamesIn(e).filter((name) => !exposed.has(name)));
    expect(missing).toEqual([]);
    // …and the dashboard shows what issue #17 asks for.
    const named = new Set(exprs.flatMap(metricNamesIn));
    for (const wanted of [
      'qrkiosk_kiosk_scans_total',
      'qrkiosk_kiosk_scan_to_light_seconds',
      'qrkiosk_kiosk_outbox_depth',
      'qrkiosk_kiosk_cache_age_seconds',
      'qrkiosk_kiosk_rules_age_seconds',
      'qrkiosk_kiosk_broker_connected',
      'qrkiosk_hub_checkins_stored_total',
      'qrkiosk_hub_ingest_lag_seconds',
      'qrkiosk_hub_dead_letters_total',
      'qrkiosk_hub_db_duration_seconds',
      'qrkiosk_hub_broker_connected',
      'qrkiosk_hub_alerts_active',
    ])
      expect(named).toContain(wanted);
  });
});
