// Scan → hub page latency (issue 8, "a scan on the dashboard within a second"). Run: npm run bench -- dashboard
// A real pty carries CCCD scans into the gateway; the check-in goes through a real Mosquitto to the hub
// (shared subscription, 32 lanes, SQLite) and over its WebSocket to the page in real Chromium. For each
// scan: time from writing the code on the pty to the row appearing in the page's table (a
// MutationObserver stamps it; both clocks are this machine's Date.now()).
// QRKIOSK_BENCH_DASHBOARD_SCANS (default 100), one every 250 ms (a busy entrance: 4 people a second).
import { cpus } from 'node:os';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { VirtualSerialScanner } from '../firmware-sim/dist/index.js';
import { Controller, SimGpio, settingsFromText } from '../gateway/dist/index.js';
import { Hub } from '../hub/dist/index.js';
import { CHROMIUM_ARGS, makeTempDir, requireChromium, startMosquitto } from '../testkit/dist/index.js';

const SCANS = Number(process.env.QRKIOSK_BENCH_DASHBOARD_SCANS ?? 100);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const broker = await startMosquitto();
const hub = new Hub({
  mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 32 },
  dataDir: makeTempDir('bench-dash-hub-'),
  http: { host: '127.0.0.1', port: 0 },
  log: pino({ level: 'silent' }),
});
const address = await hub.start();
await hub.store.users.add('0900000001', 'admin-password', 'admin', ['*']);
const scanner = new VirtualSerialScanner({ terminator: 'CR' });
await scanner.plugIn();
const controller = new Controller(
  settingsFromText(
    [
      'kiosk: { id: k-001, site: s-001, direction: in }',
      `scanner: { type: serial, path: "${scanner.path}", baudRate: 115200, terminator: CR }`,
      'gpio: { driver: sim }',
      'ui: { port: 0 }',
      `mqtt: { url: "${broker.url}" }`,
      `data: { dir: "${makeTempDir('bench-dash-kiosk-')}" }`,
      'rules: { duplicateWindowSeconds: 0 }',
      'log: { level: silent }',
    ].join('\n'),
    'bench kiosk.yaml',
    {},
  ),
  { gpio: new SimGpio() },
);
const connected = new Promise((resolve) =>
  controller.bus.on('scanner.status', (s) => s.connected && resolve()),
);
await controller.start();
await connected;
const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
const page = await browser.newPage();
await page.goto(address);
await page.fill('#phone', '0900000001');
await page.fill('#password', 'admin-password');
await page.click('#loginForm button');
await page.waitForFunction(() => document.getElementById('conn')?.textContent === '● Đang nhận dữ liệu');
await page.evaluate(() => {
  // The page's own global, for this benchmark only.
  const w = /** @type {any} */ (window);
  w.seen = {};
  new MutationObserver(() => {
    for (const tr of document.querySelectorAll('#checkins tbody tr')) {
      const n = tr.children[6]?.textContent ?? '';
      w.seen[n] ??= Date.now();
    }
  }).observe(document.querySelector('#checkins tbody'), { childList: true });
});
const sent = new Map();
for (let i = 0; i < SCANS; i++) {
  const number = `079090${String(100000 + i)}`;
  sent.set(`********${number.slice(-4)}`, Date.now());
  await scanner.scan(`${number}|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021`);
  await sleep(250);
}
await page.waitForFunction((n) => Object.keys(/** @type {any} */ (window).seen).length >= n, SCANS, {
  timeout: 30_000,
});
const seen = await page.evaluate(() => /** @type {any} */ (window).seen);
const latencies = [...sent].map(([masked, t]) => seen[masked] - t).sort((a, b) => a - b);
const p = (x) => latencies[Math.floor(x * (latencies.length - 1))];
console.log(
  `scan → hub page: ${SCANS} scans, p50 ${p(0.5)} ms, p95 ${p(0.95)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms; ${latencies.filter((l) => l <= 1000).length}/${SCANS} within 1 s`,
);
console.log(`machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}`);
await browser.close();
await controller.stop();
await scanner.unplug();
await hub.stop();
await broker.stop();
