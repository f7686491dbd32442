// Metrics on the scan path (issue #17): what KioskMetrics adds to a scan, against the scan itself.
//  1. the scan path as the daemon runs it — the scanner input's callback wrapped by
//     KioskMetrics.frames(), a real Controller, a real journal commit (fsync) per scan;
//  2. the metrics' own work per scan, alone: the same two events (`scan.decided`, `scan.shown`)
//     emitted with a real outcome through frames(), on a bus with KioskMetrics listening, minus the
//     same on a bus without it.
// Metrics on / off = (1) / ((1) − (2)). Run: npm run bench -- metrics (BENCH_SCANS, default 3000).

import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { Controller, EventBus, SimGpio, settingsFromText } from '../gateway/dist/index.js';
import { KioskMetrics } from '../gateway/dist/metrics/index.js';
import { kioskYaml, makeTempDir } from '../testkit/dist/index.js';

const SCANS = Number(process.env.BENCH_SCANS ?? 3000);
const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1|20042021';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function timed(fn, runs) {
  const t = [];
  for (let i = 0; i < runs; i++) {
    const s = performance.now();
    fn(i);
    t.push((performance.now() - s) * 1000);
  }
  return t;
}

const dir = makeTempDir('bench-metrics-');
const loaded = settingsFromText(
  kioskYaml({
    dataDir: dir,
    // Every scan recorded (no duplicate window): the path with its commit, as most scans are.
    lines: ['ui: { port: 0 }', 'rules: { duplicateWindowSeconds: 0 }'],
  }),
  'bench kiosk.yaml',
  {},
);
const controller = new Controller(loaded, { gpio: new SimGpio(), withoutScanner: true, withoutUplink: true });
await controller.start();
let outcome;
controller.bus.on('scan.decided', (o) => {
  outcome = o;
});
const input = controller.metrics.frames(controller);
timed(() => input(CCCD), 200); // warm-up
const path = timed(() => input(CCCD), SCANS);
await controller.stop();

// The metrics' work alone: a target that only emits what scan() emits, with the outcome it decided.
const shown = { outcome, queued: false };
const emitter = (bus) => ({
  /** @param {string} _raw */
  scan(_raw) {
    bus.emit('scan.shown', shown);
    bus.emit('scan.decided', outcome);
  },
});
const withMetrics = new EventBus();
const metrics = new KioskMetrics({
  bus: withMetrics,
  faults: { list: () => [] },
  telemetry: () => controller.telemetry(),
});
metrics.start();
const on = metrics.frames(emitter(withMetrics));
const plainBus = new EventBus();
const plain = emitter(plainBus);
const off = (raw) => plain.scan(raw);
const ROUNDS = 200_000;
const batch = (fn) => {
  const s = performance.now();
  for (let i = 0; i < ROUNDS; i++) fn(CCCD);
  return ((performance.now() - s) * 1e6) / ROUNDS; // ns per scan
};
batch(on);
batch(off);
const onNs = median([batch(on), batch(on), batch(on)]);
const offNs = median([batch(off), batch(off), batch(off)]);
const overheadUs = Math.max(0, onNs - offNs) / 1000;
const pathUs = median(path);

console.log(`machine: ${cpus()[0]?.model ?? 'unknown'} × ${cpus().length}, Node ${process.version}`);
console.log(`scan path with metrics (frames → commit → light), median of ${SCANS}: ${pathUs.toFixed(1)} µs`);
console.log(`metrics' work per scan (listeners + 2 × performance.now()): ${(onNs - offNs).toFixed(0)} ns`);
console.log(`metrics on / off: ${(pathUs / (pathUs - overheadUs)).toFixed(4)}`);
