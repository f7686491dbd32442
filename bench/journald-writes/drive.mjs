// The kiosk side of bench/journald-writes/run.sh: the real daemon under systemd-cat (its stdout into
// journald), a real Mosquitto and a receipting subscriber (firmware-sim's receiptCheckins, a stand-in for
// the hub), N scans PACE ms apart on a virtual scanner. `--conf` prints the journald drop-in that
// hardware/cloud-init/user-data installs.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connectAsync } from 'mqtt';
import { parse } from 'yaml';
import { cccdFor, receiptCheckins, VirtualSerialScanner } from '../../firmware-sim/dist/index.js';
import { HUB_FILTERS } from '../../protocol/dist/index.js';
import { REPO_ROOT, startMosquitto } from '../../testkit/dist/index.js';

if (process.argv[2] === '--conf') {
  const userData = parse(readFileSync(join(REPO_ROOT, 'hardware/cloud-init/user-data'), 'utf8'));
  const dropIn = userData.write_files.find((f) => f.path === '/etc/systemd/journald.conf.d/60-qrkiosk.conf');
  process.stdout.write(dropIn.content);
  process.exit(0);
}
const N = Number(process.env.N ?? 20);
const PACE = Number(process.env.PACE ?? 15000);
const OFFLINE = process.env.OFFLINE === '1';
const dir = process.argv[2];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const scanner = new VirtualSerialScanner();
await scanner.plugIn();
const broker = OFFLINE ? undefined : await startMosquitto();
const hub = broker ? await connectAsync(broker.url, { protocolVersion: 5 }) : undefined;
if (hub) {
  await hub.subscribeAsync(HUB_FILTERS.checkin, { qos: 1 });
  receiptCheckins(hub);
}
mkdirSync(join(dir, 'data'), { recursive: true });
writeFileSync(
  join(dir, 'kiosk.yaml'),
  [
    'kiosk: { id: k-001, site: s-001, direction: in }',
    `scanner: { type: serial, path: "${scanner.path}", terminator: CR }`,
    'gpio: { driver: sim }',
    'ui: { port: 0 }',
    `mqtt: { url: "${broker ? broker.url : 'mqtt://127.0.0.1:1'}" }`,
    `data: { dir: "${join(dir, 'data')}" }`,
    'rules: { duplicateWindowSeconds: 0 }',
    'log: { level: info }',
  ].join('\n'),
);
const cli = join(REPO_ROOT, 'gateway/dist/cli/main.js');
const child = spawn(
  'systemd-cat',
  ['-t', 'qrkiosk', process.execPath, cli, 'run', '--config', join(dir, 'kiosk.yaml')],
  {
    stdio: 'inherit',
  },
);
await sleep(5000);
for (let n = 0; n < N; n++) {
  await scanner.scan(cccdFor(n));
  await sleep(PACE);
}
child.kill('SIGTERM');
await new Promise((r) => child.once('exit', r));
await scanner.unplug();
if (hub) await hub.endAsync();
if (broker) await broker.stop();
