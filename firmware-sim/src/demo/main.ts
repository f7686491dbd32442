#!/usr/bin/env node
/**
 * `npm start`: the whole chain on one machine with nothing installed but socat —
 * virtual serial scanner (real pty) → gateway → embedded MQTT broker → hub live page.
 * Scans the sample people, then lets you paste codes. Ctrl-C (or end of input) stops everything.
 */
import { randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { Controller, hashIdentity, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import { maskName } from '@qrkiosk/protocol';
import { pino } from 'pino';
import pretty from 'pino-pretty';
import { walkThroughDoor } from '../door-walker.js';
import { SAMPLE_PEOPLE } from '../samples.js';
import { VirtualSerialScanner } from '../serial-scanner.js';
import { renderTimelineEntry } from '../timeline.js';
import { pickPort, startEmbeddedBroker } from './broker.js';
import { makeTempDir } from './tmp.js';

const { values } = parseArgs({
  options: {
    lang: { type: 'string', default: process.env.QRKIOSK_LANG ?? 'vi' },
    'hub-port': { type: 'string', default: '8090' },
    'mqtt-port': { type: 'string', default: '1883' },
    'kiosk-port': { type: 'string', default: '8080' },
    'gap-ms': { type: 'string', default: '2500' },
  },
});
const lang = values.lang?.startsWith('en') ? 'en' : 'vi';
const L = (vi: string, en: string) => (lang === 'vi' ? vi : en);
const out = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const dir = makeTempDir('demo-');
// One deployment key for kiosk and hub, so the hub can trace by number (see docs/security-privacy.md).
const hashKey = randomBytes(32);
writeFileSync(`${dir}/identity.key`, hashKey.toString('hex'), { mode: 0o600 });
const DEMO_USER = { phone: '0900000000', password: 'qrkiosk-demo' };
const broker = await startEmbeddedBroker(Number(values['mqtt-port']));
const log = pino({ level: 'warn' }, pretty({ colorize: true, destination: 2 }));
const hub = new Hub({
  mqtt: { url: `mqtt://127.0.0.1:${broker.port}`, protocolVersion: 4 },
  dataDir: `${dir}/hub`,
  http: { host: '127.0.0.1', port: Number(values['hub-port']) },
  hashKey,
  log,
});
const scanner = new VirtualSerialScanner({ terminator: 'CR' });
const gpio = new SimGpio();
let controller: Controller | undefined;
let hubAddress = '';

let stopping = false;
async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  out(L('\nĐang dừng…', '\nStopping…'));
  await controller?.stop().catch(() => undefined);
  await scanner.unplug().catch(() => undefined);
  await hub.stop().catch(() => undefined);
  await broker.stop().catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  hubAddress = await hub.start();
  await hub.store?.users.add(DEMO_USER.phone, DEMO_USER.password, 'admin', ['*']);
  // Three registered sites in two wards of Quận 1 (HCMC): the kiosk's own, and two without a kiosk,
  // so the report and the live page have a follow-up list from the start.
  await hub.store?.registerSites([
    { site: 's-001', name: 'Chợ Bến Thành (cổng chính)', district: '760', ward: '26743' },
    { site: 's-002', name: 'Bệnh viện Quận 1', district: '760', ward: '26740' },
    { site: 's-003', name: 'Trường THCS Văn Lang', district: '760', ward: '26740' },
  ]);
  await scanner.plugIn();
  const loaded = settingsFromText(
    [
      'kiosk: { id: k-001, site: s-001, direction: in }',
      `scanner: { type: serial, path: ${scanner.path}, baudRate: 9600, terminator: CR }`,
      // A simulated door contact (issue #19): the demo walks most admitted people through.
      'gpio: { driver: sim, doorSensor: { pin: GPIO16 } }',
      // 2 s to go through, under the demo's gap between scans: one entry waits at a time.
      'signal: { doorEnterSeconds: 2 }',
      // The demo opens no door and may run on a machine without NTP: show the decisions, not the clock.
      'clock: { assumeSynced: true }',
      `mqtt: { url: "mqtt://127.0.0.1:${broker.port}", protocolVersion: 4 }`,
      `data: { dir: "${dir}/kiosk" }`,
      'rules: { level: 2, duplicateWindowSeconds: 10 }',
      `ui: { port: ${await pickPort(Number(values['kiosk-port']))}, host: 127.0.0.1 }`,
      'log: { level: warn }',
      `privacy: { hashKeyFile: "${dir}/identity.key" }`,
    ].join('\n'),
    'demo kiosk.yaml',
  );
  controller = new Controller(loaded, { gpio, log });
  await controller.start();
} catch (err) {
  process.stderr.write(
    `${L('Không khởi động được bản demo', 'The demo could not start')}: ${(err as Error).message}\n`,
  );
  await shutdown(1);
}
const kiosk = controller!;

// The hub would publish signed facts to the kiosk; the demo seeds them directly.
const now = new Date();
kiosk.cache.upsert(
  SAMPLE_PEOPLE.flatMap((person) => {
    const facts = person.facts(now);
    return facts
      ? person.keys.map((k) => ({ key: hashIdentity(kiosk.identityHashKey(), k.type, k.value), facts }))
      : [];
  }),
);

gpio.onChange((entry) => {
  if (entry.value === 1) out(renderTimelineEntry(entry, lang));
});
kiosk.bus.on('scan.decided', (o) => {
  const who = o.decoded.identity ? maskName(o.decoded.identity.name) : o.decoded.kind;
  out(`  → ${o.decision.verdict}  ${o.decision.colour ?? '—'}  ${who}: ${o.decision.reason.text[lang]}`);
  if (o.checkin)
    out(
      L(
        `    đã ghi nhật ký ${o.checkin.id}, đang gửi MQTT…`,
        `    journaled ${o.checkin.id}, sending over MQTT…`,
      ),
    );
});
// Most people walk through the door the relay opened; every fourth turns away (marked "không vào").
walkThroughDoor(gpio, {
  skipEvery: 4,
  afterMs: 1200,
  onOpening: (walks) =>
    out(
      walks
        ? L('    🚶 người này đi qua cửa', '    🚶 this person walks through the door')
        : L('    ↩ người này không đi qua cửa', '    ↩ this person does not go through the door'),
    ),
});
kiosk.bus.on('outcome.recorded', (o) => {
  if (o.outcome === 'not-entered')
    out(
      L(
        `    ⚠ cửa không chuyển động: lượt ${o.checkin} được ghi "không vào"`,
        `    ⚠ the door did not move: ${o.checkin} marked "did not enter"`,
      ),
    );
});
kiosk.bus.on('checkin.delivered', ({ id }) =>
  out(L(`    ✓ trung tâm đã nhận ${id}`, `    ✓ hub acknowledged ${id}`)),
);

out('');
out(
  L(
    'qrkiosk — bản demo: máy quét ảo → kiosk → MQTT → trung tâm',
    'qrkiosk — demo: virtual scanner → kiosk → MQTT → hub',
  ),
);
out(
  L(
    `  Trang trung tâm (mở trong trình duyệt): ${hubAddress}`,
    `  Hub page (open in a browser): ${hubAddress}`,
  ),
);
out(
  L(
    `    đăng nhập: ${DEMO_USER.phone} / ${DEMO_USER.password}`,
    `    log in: ${DEMO_USER.phone} / ${DEMO_USER.password}`,
  ),
);
out(
  L(
    `  Màn hình kiosk: ${kiosk.screensAddress}/   Lễ tân: ${kiosk.screensAddress}/reception`,
    `  Kiosk screen: ${kiosk.screensAddress}/   Reception: ${kiosk.screensAddress}/reception`,
  ),
);
out(
  L(
    `  Broker MQTT nhúng: mqtt://127.0.0.1:${broker.port}`,
    `  Embedded MQTT broker: mqtt://127.0.0.1:${broker.port}`,
  ),
);
out(L(`  Máy quét ảo (pty thật): ${scanner.path}`, `  Virtual scanner (real pty): ${scanner.path}`));
out('');

for (const person of SAMPLE_PEOPLE) {
  if (stopping) break;
  out(`▶ ${person.label[lang]}`);
  await scanner.scan(person.payload);
  await sleep(Number(values['gap-ms']));
}

out('');
out(
  L(
    'Dán nội dung một mã QR rồi nhấn Enter để quét. Ctrl-C để thoát.',
    'Paste a QR payload and press Enter to scan it. Ctrl-C to quit.',
  ),
);
const input = createInterface({ input: process.stdin, terminal: false });
input.on('line', (line) => {
  if (line.trim()) void scanner.scan(line);
});
input.on('close', () => {
  // End of input (e.g. `npm start < /dev/null`): let the last scan finish, then stop.
  void sleep(1500).then(() => shutdown(0));
});
