/**
 * The "done when", on real parts: a CCCD scanned on a real pty goes through the gateway, a
 * real Mosquitto and the hub (shared subscription, lanes) to the hub's page in real Chromium, masked.
 * How long that takes is measured by `npm run bench -- dashboard` (docs/benchmarks.md), not here.
 * And the other way (issue #17): a self-test pressed on the kiosk's page reaches the real kiosk as a
 * signed request and its lights run — never the relay.
 */

import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualSerialScanner } from '@qrkiosk/firmware-sim';
import { Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { Hub } from '@qrkiosk/hub';
import {
  CHROMIUM_ARGS,
  kioskYaml,
  makeTempDir,
  type RunningMosquitto,
  requireChromium,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Phường Bến Nghé, Quận 1|20042021';

describe('scan → gateway → Mosquitto → hub page', () => {
  let broker: RunningMosquitto;
  let hub: Hub;
  let address: string;
  let scanner: VirtualSerialScanner;
  let controller: Controller;
  let browser: Browser;
  let gpio: SimGpio;
  beforeAll(async () => {
    broker = await startMosquitto();
    // The hub signs requests with its enrolment key; the kiosk trusts that key (updates.publicKeyFiles).
    const signing = generateKeyPairSync('ed25519');
    hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5, shareGroup: 'hub', lanes: 4 },
      dataDir: makeTempDir('hub-e2e-'),
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
      enrolment: {
        publicUrl: 'http://127.0.0.1:1',
        brokerUrl: broker.url,
        signing,
        hashKey: randomBytes(32),
        codeHours: 1,
      },
    });
    address = await hub.start();
    await hub.store?.users.add('0900000001', 'admin-password', 'admin', ['*']);
    scanner = new VirtualSerialScanner({ terminator: 'CR' });
    await scanner.plugIn();
    const kioskDir = makeTempDir('kiosk-e2e-');
    const hubKey = join(makeTempDir('kiosk-e2e-keys-'), 'hub-key.pem');
    writeFileSync(hubKey, signing.publicKey.export({ type: 'spki', format: 'pem' }));
    const loaded = settingsFromText(
      kioskYaml({
        direction: 'in',
        dataDir: kioskDir,
        assumeSynced: false,
        lines: [
          `scanner: { type: serial, path: "${scanner.path}", baudRate: 9600, terminator: CR }`,
          'ui: { port: 0 }',
          `mqtt: { url: "${broker.url}" }`,
          `updates: { publicKeyFiles: ["${hubKey}"] }`,
        ],
      }),
      'e2e kiosk.yaml',
      {},
    );
    gpio = new SimGpio();
    controller = new Controller(loaded, { gpio });
    const connected = new Promise<void>((resolve) =>
      controller.bus.on('scanner.status', (s) => {
        if (s.connected) resolve();
      }),
    );
    await controller.start();
    await connected;
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await controller?.stop();
    await scanner?.unplug();
    await hub?.stop();
    await broker?.stop();
  });

  it('shows the scan on the logged-in dashboard, masked, and in the kiosk list; a self-test pressed on the kiosk page runs on the kiosk', async () => {
    const page = await browser.newPage();
    await page.goto(address);
    await page.fill('#phone', '0900000001');
    await page.fill('#password', 'admin-password');
    await page.click('#loginForm button');
    await page.waitForFunction(() => document.getElementById('conn')?.textContent === '● Đang nhận dữ liệu');
    await scanner.scan(CCCD);
    await page.waitForSelector('#checkins tbody tr', { timeout: 10_000 });
    const row = (await page.textContent('#checkins tbody tr')) ?? '';
    expect(row).toContain('s-001');
    expect(row).toContain('********1234');
    // No facts are cached for this person: the kiosk's verdict for an unknown person, shown as a badge.
    expect(await page.textContent('#checkins tbody tr .badge')).toMatch(/^(Cho vào|Từ chối|Kiểm tra)$/);
    const text = (await page.textContent('body')) ?? '';
    expect(text).not.toContain('079090001234');
    expect(text).not.toContain('Nguyễn Văn An');
    // The fleet is its own tab (#/kiosks): the kiosk that sent the scan is listed there, online.
    await page.click('#tabs a[data-view="kiosks"]');
    await page.waitForSelector('#fleet tbody tr[data-kiosk="k-001"]', { timeout: 10_000 });
    expect(await page.textContent('#fleet tbody tr[data-kiosk="k-001"]')).toContain('s-001');

    // The kiosk's page: its self-test button goes to the real kiosk (signed request over MQTT) and back.
    await page.click('#fleet tbody tr[data-kiosk="k-001"] a');
    await page.waitForSelector('#commandsBox .actions button[data-command="selftest"]');
    const before = gpio.timeline.length;
    await page.click('#commandsBox .actions button[data-command="selftest"]');
    await page.waitForFunction(() => document.getElementById('commandResult')?.className === 'ok', null, {
      timeout: 15_000,
    });
    expect(await page.textContent('#commandResult')).toMatch(/^Kiosk đã làm xong: Tự kiểm tra/);
    // The whole self-test played (every line it lit is off again) before the relay is judged.
    await waitFor(
      () => {
        const lit = gpio.timeline.slice(before);
        const last = new Map(lit.map((e) => [e.line, e.value]));
        return lit.length > 0 && [...last.values()].every((v) => v === 0) ? true : undefined;
      },
      10_000,
      'the self-test to finish',
    );
    const lit = gpio.timeline.slice(before);
    expect(lit.some((e) => e.value === 1)).toBe(true);
    expect(lit.filter((e) => e.line === 'relay' && e.value === 1)).toEqual([]);
    // Kept in the kiosk's command history, shown on the same page.
    await page.waitForFunction(() =>
      document.querySelector('#commands tbody')?.textContent?.includes('Tự kiểm tra'),
    );
    await page.close();
  });
});
