/**
 * The Updates view (hub/public/app/views/updates.js) in real Chromium against a real hub: the release the hub
 * took (openssl-signed bundle), a rollout started from the page's form, paused and resumed with its buttons —
 * the page calls the same /api/rollouts use case the CLI does, with the session's CSRF token.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHROMIUM_ARGS,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  requireChromium,
  startMosquitto,
} from '@qrkiosk/testkit';
import pino from 'pino';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, opensslKey } from '../../integration/release-bundles.js';
import { Hub } from '../src/index.js';
import { addRelease, readReleaseKeys } from '../src/updates/releases.js';
import { newDatabase } from './engines.js';

const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');

describe('Updates view in Chromium', () => {
  let hub: Hub;
  let address: string;
  let browser: Browser;
  let broker: RunningMosquitto;
  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    broker = await startMosquitto();
    const { database, dataDir } = await newDatabase('sqlite');
    hub = new Hub({
      mqtt: { url: broker.url, protocolVersion: 5 },
      database,
      dataDir,
      http: { host: '127.0.0.1', port: 0 },
      log: pino({ level: 'silent' }),
    });
    address = await hub.start();
    const store = hub.store;
    if (!store) throw new Error('no store');
    await store.users.add('0900000001', 'admin-password', 'admin', ['*']);
    const dir = makeTempDir('updates-view-');
    const release = opensslKey(dir);
    const bundle = buildBundle({
      out: dir,
      version: '2.0.0',
      key: release.key,
      arch: 'arm64',
      fill: (d) => mkdirSync(join(d, 'bin')),
    });
    await addRelease(store, {
      bundle: bundle.tarball,
      keys: readReleaseKeys([release.pub]),
      dataDir,
      actor: 'kythuat@cli',
    });
    browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await hub?.stop();
    await broker?.stop();
  });

  it('lists the release, starts a rollout from the form, pauses and resumes it', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => process.env.QRKIOSK_DEBUG && console.log('pageerror:', e.message));
    page.on('console', (m) => process.env.QRKIOSK_DEBUG && console.log('page:', m.text()));
    await page.goto(address);
    await page.waitForSelector('#login:not([hidden])');
    await page.fill('#phone', '0900000001');
    await page.fill('#password', 'admin-password');
    await page.click('#loginForm button');
    await page.waitForSelector('#app:not([hidden])');
    await page.goto(`${address}/#/updates`);
    await page.waitForFunction(() => document.body.textContent?.includes('kythuat@cli'));
    expect(await page.textContent('body')).toContain('Chưa có đợt triển khai nào.');

    await page.selectOption('select[name=version]', '2.0.0');
    await page.fill('input[name=canary]', 'k-001, k-002');
    await page.fill('textarea[name=after]', 'site:s-001\nall');
    await page.click('#rolloutForm button[type=submit]');
    const card = page.locator('article.rollout');
    await card.waitFor();
    expect(await card.getAttribute('data-state')).toBe('running');
    const text = await card.textContent();
    expect(text).toContain('đang chạy');
    expect(text).toContain('canary');
    expect(text).toContain('site:s-001');
    expect(text).toContain('0/2 khỏe');

    await card.locator('button', { hasText: 'Tạm dừng' }).click();
    await page.waitForSelector('article.rollout[data-state=paused]');
    await page.locator('article.rollout button', { hasText: 'Tiếp tục' }).click();
    await page.waitForSelector('article.rollout[data-state=running]');
    await page.screenshot({ path: join(ARTIFACTS, 'updates-view-1366x768.png'), fullPage: true });

    // The same start again is refused by the hub (one rollout at a time), and the page says why in Vietnamese.
    await page.click('#rolloutForm button[type=submit]');
    await page.waitForSelector('#updatesMessage:not([hidden])');
    expect(await page.textContent('#updatesMessage')).toContain('đang chạy hoặc tạm dừng');
    const audit = (await hub.store?.repo.auditLog(20))?.map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['rollout-start', 'rollout-pause', 'rollout-resume']));
  });
});
