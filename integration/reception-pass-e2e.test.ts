/**
 * Issue #20's "done when", end to end on real parts: a real Mosquitto with the ACL `qrkiosk-hub kiosk acl`
 * writes and per-kiosk logins, the real Hub, two compiled kiosk daemons of site s-001 (A at reception, B at the
 * gate). A receptionist enters a delivery worker by hand once at A and presses Print pass; A's own print page,
 * printed to PDF by Chromium and rasterised by poppler, decodes with Debian's zbarimg to a token the hub's key
 * signed. B gets the hub's pass list, is then cut off from the broker, and recognises the card offline as the
 * same person as A's manual entry (the same keyed hash; B's own reception then refuses a manual entry of that
 * name and phone as "just checked in": B's duplicate window counts the card as that person). A second card,
 * printed from a CCCD scanned at A, carries the CCCD's former CMND number as a link: once the hub's facts list
 * that CMND as F0, B refuses the card red offline, as it would the CCCD (review 2, finding 1). The first card
 * is revoked at the hub; B, back online, gets the new list and refuses it (REVIEW pass-revoked).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Hub } from '@qrkiosk/hub';
import {
  hashIdentity,
  KeyRing,
  keyId,
  loadPrivateKey,
  loadPublicKey,
  signPass,
  verifyPass,
} from '@qrkiosk/protocol';
import { CHROMIUM_ARGS, freePort, makeTempDir, REPO_ROOT, requireChromium, waitFor } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import pino from 'pino';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { startKiosk } from './kiosk-daemon.js';
import { PASSWORDS, secureBroker } from './secure-broker.js';
import { tcpCut } from './tcp-cut.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');

/** A kiosk journal's stored check-in by id (its own SQLite file, opened read-only beside the daemon). */
function journaled(
  dataDir: string,
  id: string,
): { document: { kind: string; idHash: string; links?: string[] } } {
  const db = new Database(join(dataDir, 'journal.db'), { readonly: true });
  try {
    const row = db.prepare('SELECT message FROM checkins WHERE id = ?').get(id) as { message: string };
    return JSON.parse(row.message);
  } finally {
    db.close();
  }
}

describe('a pass printed at reception works at the gate offline, and not once revoked', () => {
  it("issue #20's done-when", async () => {
    const broker = await secureBroker();
    const dir = makeTempDir('reception-pass-e2e-');
    expect(spawnSync(process.execPath, [HUB_CLI, 'keygen', '--out', join(dir, 'keys')]).status).toBe(0);
    const keyFile = join(dir, 'keys/hub-signing.key');
    const pubFile = join(dir, 'keys/hub-signing.pub');
    const signing = {
      privateKey: loadPrivateKey(readFileSync(keyFile)),
      publicKey: loadPublicKey(readFileSync(pubFile)),
    };
    const hashKey = join(dir, 'identity.key');
    writeFileSync(hashKey, randomBytes(32).toString('hex'), { mode: 0o600 });
    const secret = (name: keyof typeof PASSWORDS) => {
      const file = join(dir, `${name}.password`);
      writeFileSync(file, PASSWORDS[name], { mode: 0o600 });
      return file;
    };
    const hubData = join(dir, 'hub');
    const stateDir = join(dir, 'fleet-state');
    const hubYaml = join(dir, 'hub.yaml');
    writeFileSync(
      hubYaml,
      [
        `dataDir: ${hubData}`,
        `mqtt: { url: "${broker.url}", username: hub, passwordFile: ${secret('hub')} }`,
        `fleet: { signingKeyFile: ${keyFile}, stateDir: ${stateDir} }`,
      ].join('\n'),
    );
    const hub = new Hub({
      mqtt: {
        url: broker.url,
        username: 'hub',
        password: PASSWORDS.hub,
        protocolVersion: 5,
        shareGroup: 'hub',
        lanes: 1,
      },
      dataDir: hubData,
      http: { host: '127.0.0.1', port: 0 },
      freshness: { stateDir, everyMs: 3_600_000, signing },
      log: pino({ level: process.env.QRKIOSK_TEST_LOG ?? 'silent' }),
    });
    const uiPort = await freePort();
    const uiPortB = await freePort();
    const cut = await tcpCut({ host: '127.0.0.1', port: broker.port });
    const browser = await chromium.launch({ executablePath: requireChromium(), args: CHROMIUM_ARGS });
    const started: Array<{ close(): Promise<void> }> = [];
    try {
      await hub.start();
      await hub.store?.registerSites([
        { site: 's-001', name: 'Chợ Hà Đông', district: '268', ward: '09556' },
      ]);
      const a = await startKiosk(dir, broker, 'k-001', hashKey, [pubFile], {
        uiPort,
        login: { username: 'k-001', passwordFile: secret('k-001') },
        rules: '{ duplicateWindowSeconds: 0, level: 2, unknownPerson: ALLOW }',
      });
      started.push(a);
      const b = await startKiosk(dir, broker, 'k-002', hashKey, [pubFile], {
        mqttUrl: cut.url,
        uiPort: uiPortB,
        login: { username: 'k-002', passwordFile: secret('k-002') },
        rules: '{ duplicateWindowSeconds: 600, level: 2, unknownPerson: ALLOW }',
      });
      started.push(b);

      // Reception at A: the delivery worker by hand, once; then Print pass, as the page sends them.
      const origin = `http://127.0.0.1:${uiPort}`;
      const page = await (await fetch(`${origin}/reception`)).text();
      const headers = {
        'content-type': 'application/json',
        origin,
        'x-qrkiosk-token': /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '',
      };
      const manual = await fetch(`${origin}/api/manual`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ name: 'Nguyễn Văn Giao', phone: '0912 345 678' }),
      });
      expect(manual.status).toBe(200);
      const entry = ((await manual.json()) as { checkin: { id: string } }).checkin.id;
      // The receptionist presses "In thẻ QR" on that row of A's reception page; the card opens in a tab of its own.
      const context = await browser.newContext();
      const reception = await context.newPage();
      await reception.goto(`${origin}/reception`);
      const opened = context.waitForEvent('page', { timeout: 15_000 });
      await reception.click(`tr[data-id="${entry}"] button.print`);
      const tab = await opened;
      await tab.waitForLoadState();
      const passId = /\/reception\/pass\/([0-9a-f]{20})$/.exec(tab.url())?.[1] ?? '';
      expect(passId, tab.url()).toMatch(/^[0-9a-f]{20}$/);
      expect(await reception.locator('#passStatus').textContent()).toMatch(
        /^Đã cấp thẻ — mở thẻ để in: NGUY/,
      );
      expect(await tab.locator('.card').textContent()).toContain('Chợ Hà Đông');
      const card = { passId };

      // A second person shows a CCCD at A (no facts yet: the site admits unknown people) and gets a card too.
      const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|Huế|20042021';
      const scanned = await a.scan(CCCD);
      expect(scanned).toMatchObject({ kind: 'cccd', verdict: 'ALLOW' });
      const cccdEntry = journaled(join(dir, 'k-001-data'), String(scanned.checkin));
      const hashFile = readFileSync(hashKey, 'utf8').trim();
      const cmnd = hashIdentity(Buffer.from(hashFile, 'hex'), 'cmnd', '272345678').toString('hex');
      expect(cccdEntry.document.links).toEqual([cmnd]);
      const second = await fetch(`${origin}/api/pass`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ checkinId: scanned.checkin }),
      });
      expect(second.status).toBe(200);
      const secondId = ((await second.json()) as { passId: string }).passId;
      const row = await hub.store?.repo.passes.get(secondId);
      expect(row).toMatchObject({ idHash: cccdEntry.document.idHash, links: cmnd });
      // Its token as the hub signs it (Ed25519 is deterministic: the card's QR is these bytes).
      const secondToken = signPass(
        {
          passId: secondId,
          scope: { kind: 'site', id: 's-001' },
          validFrom: row?.validFrom ?? '',
          validUntil: row?.validUntil ?? '',
        },
        signing.privateKey,
        keyId(signing.publicKey),
      );

      // A's print page, printed by Chromium (A6 PDF), rasterised at 300 dpi, read by zbarimg.
      const pdf = join(dir, 'card.pdf');
      await tab.pdf({ path: pdf, preferCSSPageSize: true, printBackground: true });
      await context.close();
      const info = execFileSync('pdfinfo', [pdf], { encoding: 'utf8' });
      expect(info).toMatch(/Pages:\s+1\b/);
      // A6 (105 × 148 mm = 297.6 × 419.5 pt), within Chromium's rounding to whole CSS pixels.
      const [w, h] = (/Page size:\s+([\d.]+) x ([\d.]+) pts/.exec(info) ?? []).slice(1).map(Number);
      expect(Math.abs((w ?? 0) - 297.64)).toBeLessThan(1);
      expect(Math.abs((h ?? 0) - 419.53)).toBeLessThan(1);
      execFileSync('pdftoppm', ['-r', '300', '-png', '-singlefile', pdf, join(dir, 'card')]);
      const decoded = execFileSync('/usr/bin/zbarimg', ['--raw', '-q', join(dir, 'card.png')], {
        encoding: 'utf8',
      })
        .split('\n')
        .filter(Boolean);
      expect(decoded).toHaveLength(1);
      const token = decoded[0] as string;
      const ring = new KeyRing();
      ring.add(signing.publicKey);
      expect(verifyPass(token, ring)).toMatchObject({
        passId: card.passId,
        scope: { kind: 'site', id: 's-001' },
      });

      // B holds the hub's list with both passes, and the hub's facts: the CCCD holder is F0 under the CMND only.
      await waitFor(
        () => b.lines().find((l) => l.msg === 'pass list installed' && Number(l.passes) >= 2),
        15_000,
        'B installs the pass list',
      );
      const csv = join(dir, 'facts.csv');
      writeFileSync(
        csv,
        [
          'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until',
          'cmnd,272345678,2,1,2021-07-01,2021-08-01,,,,f0,2099-12-31',
        ].join('\n'),
      );
      const published = spawnSync(
        process.execPath,
        [
          HUB_CLI,
          'publish-cache',
          '--csv',
          csv,
          '--key-file',
          hashKey,
          '--signing-key',
          keyFile,
          '--seq',
          '7',
          '--state-dir',
          join(dir, 'cache-state'),
          '--mqtt',
          broker.url,
          '--username',
          'hub',
          '--password-file',
          secret('hub'),
        ],
        { encoding: 'utf8' },
      );
      expect(published.status, published.stderr).toBe(0);
      await waitFor(() => (b.status().version === 7 ? true : undefined), 15_000, 'B installs the facts');
      const installed = b.count('pass list installed');
      await cut.cut();
      await waitFor(
        () => (b.lines().some((l) => l.msg === 'uplink error') ? true : undefined),
        15_000,
        'B offline',
      );

      // Offline at B: the card is the person A entered by hand.
      const first = await b.scan(token);
      expect(first).toMatchObject({ kind: 'pass', verdict: 'ALLOW' });
      const atB = journaled(join(dir, 'k-002-data'), String(first.checkin));
      const atA = journaled(join(dir, 'k-001-data'), entry);
      expect(atA.document.kind).toBe('manual');
      expect(atB.document).toMatchObject({ kind: 'pass', idHash: atA.document.idHash });
      // B's duplicate window is that person's: B's own reception entering the same name and phone by hand
      // is told the visitor was just checked in (the card's check-in is under the phone's hash).
      const originB = `http://127.0.0.1:${uiPortB}`;
      const pageB = await (await fetch(`${originB}/reception`)).text();
      const manualB = await fetch(`${originB}/api/manual`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          origin: originB,
          'x-qrkiosk-token': /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(pageB)?.[1] ?? '',
        },
        body: JSON.stringify({ name: 'Nguyễn Văn Giao', phone: '0912 345 678' }),
      });
      expect(await manualB.text()).toContain('This visitor was just checked in');
      expect(manualB.status).toBeGreaterThanOrEqual(400);

      // The CCCD holder's card at B, offline: F0 under the former CMND reaches the card through its link.
      const byCard = await b.scan(secondToken);
      expect(byCard).toMatchObject({ kind: 'pass', verdict: 'REFUSE', colour: 'red' });
      expect(journaled(join(dir, 'k-002-data'), String(byCard.checkin)).document).toMatchObject({
        kind: 'pass',
        idHash: cccdEntry.document.idHash,
        links: [cmnd],
      });

      // Revoked at the hub (a lost card); B comes back online and gets the list that says so.
      const hubCli = (...args: string[]) => {
        const r = spawnSync(process.execPath, [HUB_CLI, ...args, '--config', hubYaml], { encoding: 'utf8' });
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      };
      // The CLI's revoke publishes the pass list itself (retained on fleet/passes, the revoked entry flagged).
      hubCli('pass', 'revoke', '--pass-id', card.passId, '--reason', 'mất thẻ / lost');
      await cut.restore();
      await waitFor(
        () => (b.count('pass list installed') > installed ? true : undefined),
        20_000,
        'B installs the list with the revocation',
      );
      expect(await b.scan(token)).toMatchObject({ kind: 'pass', verdict: 'REVIEW', reason: 'pass-revoked' });
    } finally {
      for (const k of started) await k.close();
      await browser.close();
      await cut.close();
      await hub.stop();
      await broker.stop();
    }
  }, 120_000);
});
