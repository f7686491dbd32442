/**
 * The tracing key pair (`qrkiosk-hub tracing-key init`) and what leaves the hub for a page: the built CLI run
 * as an operator runs it, and the page API and live WebSocket of a real hub, which must never carry a check-in's
 * sealed identity or its links (they leave the hub only through an audited reveal).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CheckinMessage,
  generateTracingKeys,
  openIdentity,
  readTracingPrivateKey,
  readTracingPublicKey,
  sealIdentity,
} from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const cli = join(REPO_ROOT, 'hub/dist/cli.js');
const hubCli = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('qrkiosk-hub tracing-key init', () => {
  it('writes DIR/tracing.key (0600) and DIR/tracing.pub, prints both paths and the kid', () => {
    const dir = makeTempDir('tracing-key-');
    const r = hubCli(['tracing-key', 'init', '--out', dir]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const keyFile = join(dir, 'tracing.key');
    const pubFile = join(dir, 'tracing.pub');
    const pub = readTracingPublicKey(readFileSync(pubFile));
    expect(readTracingPrivateKey(readFileSync(keyFile)).kid).toBe(pub.kid);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(r.stdout).toContain(keyFile);
    expect(r.stdout).toContain(pubFile);
    expect(r.stdout).toContain(pub.kid);
  });
  it('exits 2 with a bilingual line when a key file exists (never overwritten) or DIR is not writable', () => {
    const dir = makeTempDir('tracing-key-');
    expect(hubCli(['tracing-key', 'init', '--out', dir]).status).toBe(0);
    const before = readFileSync(join(dir, 'tracing.key'), 'utf8');
    const again = hubCli(['tracing-key', 'init', '--out', dir]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/đã có — không ghi đè.* \/ .*exists already/);
    expect(readFileSync(join(dir, 'tracing.key'), 'utf8')).toBe(before);
    // A file where the folder should be: not writable as a folder, even for root.
    const notDir = join(makeTempDir('tracing-key-'), 'plain-file');
    writeFileSync(notDir, '');
    const bad = hubCli(['tracing-key', 'init', '--out', notDir]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/không ghi được vào thư mục .*plain-file.* \/ cannot write to the folder/);
  });
  it('without --out or init: the usage, exit 2; the hub usage lists the command', () => {
    const r = hubCli(['tracing-key', 'init']);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('tracing-key init --out DIR');
    expect(hubCli(['tracing-key', 'make', '--out', '/tmp']).status).toBe(2);
    expect(hubCli(['--help']).stdout).toContain('qrkiosk-hub tracing-key init --out DIR');
  });
});

describe('a page never gets the sealed identity or the links', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let cookie: string;
  const keys = generateTracingKeys(makeTempDir('tracing-page-'));
  const pub = readTracingPublicKey(readFileSync(keys.publicFile));
  const sealed = (): CheckinMessage => {
    const id = ulid();
    return sampleCheckin({
      id,
      document: {
        idHash: 'a'.repeat(32),
        links: ['b'.repeat(32)],
        sealed: sealIdentity(pub, id, { v: 1, kind: 'cccd', number: '079090001234', name: 'Nguyễn Văn An' }),
      },
    });
  };
  const stored = sealed();

  beforeAll(async () => {
    hub = await httpHub('sqlite');
    await hub.store.users.add('0900000001', 'page-password', 'admin', ['*']);
    cookie = (await logIn(hub.address, '0900000001', 'page-password')).cookie;
    expect(await hub.store.addCheckin(stored, new Date())).toBe(true);
  });
  afterAll(() => hub.stop());

  it('the hub keeps the box (for a reveal), /api/checkins leaves it out', async () => {
    const [kept] = await hub.store.recent(1);
    const priv = readTracingPrivateKey(readFileSync(keys.privateFile));
    expect(openIdentity([priv], stored.id, kept!.document.sealed!).number).toBe('079090001234');
    const r = await fetch(`${hub.address}/api/checkins`, { headers: { cookie } });
    expect(r.status).toBe(200);
    const page = (await r.json()) as CheckinMessage[];
    expect(page.map((c) => c.id)).toEqual([stored.id]);
    expect(page[0]?.document).toEqual({
      kind: stored.document.kind,
      numberMasked: stored.document.numberMasked,
      nameMasked: stored.document.nameMasked,
      idHash: stored.document.idHash,
    });
  });

  it('the live WebSocket leaves it out of the snapshot and of each new check-in', async () => {
    const ws = new WebSocket(`${hub.address.replace('http', 'ws')}/live`, { headers: { cookie } });
    const texts: string[] = [];
    const live = sealed();
    await new Promise<void>((resolve, reject) => {
      ws.on('error', reject);
      ws.on('message', (data) => {
        texts.push(String(data));
        if (texts.length === 1) hub.ingest.emit('checkin', live);
        if (texts.length === 2) resolve();
      });
    });
    ws.close();
    const [snapshot, news] = texts.map((t) => JSON.parse(t));
    expect(snapshot.type).toBe('snapshot');
    expect(snapshot.checkins.map((c: CheckinMessage) => c.id)).toEqual([stored.id]);
    expect(news).toMatchObject({ type: 'checkin', checkin: { id: live.id } });
    // The message the ingest emitted keeps its box (other listeners, the store): only the page's copy is cut.
    expect(live.document.sealed).toBeDefined();
    for (const text of texts) {
      expect(text).not.toContain('"sealed"');
      expect(text).not.toContain('"links"');
    }
  });
});
