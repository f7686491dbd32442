/**
 * `qrkiosk-hub pass …` as an officer runs it (the built hub/dist/cli.js): issue one person by number
 * (hashed as a kiosk hashes it: checked by Python's hmac), a CSV batch refused whole for one bad row,
 * the list without hashes, a print page, and a revocation that the next `publish-revocation` carries.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { findPass, fleetTopic, KeyRing, passKey, verifyPassList } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, startMosquitto, waitFor } from '@qrkiosk/testkit';
import { connectAsync } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import { HubStore } from '../src/index.js';
import { generateSigningKey, readSigningKey } from '../src/publish.js';
import { openStore } from './engines.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, QRKIOSK_HUB_CONFIG: '' },
  });

describe('qrkiosk-hub pass', () => {
  const hashKey = randomBytes(32);
  const dir = makeTempDir('pass-cli-');
  const keyFile = join(dir, 'deployment.key');
  let signingFile = '';
  let base: string[] = [];
  beforeAll(async () => {
    writeFileSync(keyFile, hashKey.toString('hex'), { mode: 0o600 });
    signingFile = generateSigningKey(join(dir, 'signing')).privateFile;
    const { store, database } = await openStore('sqlite');
    await store.registerSites([{ site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' }]);
    await store.close();
    base = ['--database', database, '--key-file', keyFile, '--signing-key', signingFile];
  });

  it('issues, lists, prints and revokes', async () => {
    const html = join(dir, 'card.html');
    const issued = cli(
      'pass',
      'issue',
      ...base,
      '--id-type',
      'phone',
      '--id',
      '+84 912 345 678',
      '--name',
      'Trần Văn Bình',
      '--scope',
      'site:s-001',
      '--json',
      '--print',
      html,
    );
    expect(issued.stderr).toBe('');
    expect(issued.status).toBe(0);
    const pass = JSON.parse(issued.stdout.split('\n')[0] ?? '');
    expect(pass).toMatchObject({ nameMasked: 'TRẦN V** B***', scope: { kind: 'site', id: 's-001' } });
    expect(pass.token).toMatch(/^QRKP1:[A-Z2-7]+$/);
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('Chợ Hà Đông');

    const listed = cli('pass', 'list', ...base, '--json');
    expect(listed.status).toBe(0);
    const rows = JSON.parse(listed.stdout);
    expect(rows).toHaveLength(1);
    // The list names no hash; the database holds the one a kiosk computes for "phone:0912345678".
    expect(listed.stdout).not.toContain('idHash');
    const pyHash = execFileSync(
      'python3',
      [
        '-c',
        'import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), b"phone:0912345678", hashlib.sha256).digest()[:16].hex())',
        hashKey.toString('hex'),
      ],
      { encoding: 'utf8' },
    ).trim();
    const store = await HubStore.open(base[1], dir);
    try {
      expect((await store.repo.passes.get(pass.passId))?.idHash).toBe(pyHash);
    } finally {
      await store.close();
    }

    const revoked = cli('pass', 'revoke', ...base, '--pass-id', pass.passId, '--reason', 'mất thẻ');
    expect(revoked.status).toBe(0);
    // The revoked pass reaches kiosks flagged in the pass list (hub/test/passes.test.ts), not in the DCC list.
    const store2 = await HubStore.open(base[1], dir);
    try {
      expect((await store2.repo.passes.get(pass.passId))?.revokedAt).not.toBeNull();
    } finally {
      await store2.close();
    }
  });

  it('refuses a CSV with a bad row whole, and an unknown scope, in both languages without a stack', () => {
    const csv = join(dir, 'ward.csv');
    writeFileSync(csv, 'id_type,id,name\ncccd,001099000001,Nguyễn Văn An\ncccd,12,Lê Thị Bình\n');
    const r = cli('pass', 'issue-csv', ...base, '--csv', csv, '--scope', 'ward:w-09556');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${csv}:3:`);
    expect(r.stderr).toMatch(/không cấp thẻ nào/);
    expect(r.stderr).toMatch(/no pass issued/);
    const u = cli(
      'pass',
      'issue',
      ...base,
      '--id-hash',
      'ab'.repeat(16),
      '--name',
      'A B',
      '--scope',
      'site:s-404',
    );
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/Không có địa điểm s-404/);
    expect(u.stderr).not.toMatch(/\n\s+at /);
  });

  it('publishes the signed pass list retained on fleet/passes, versions rising', async () => {
    const broker = await startMosquitto();
    try {
      const issued = cli(
        'pass',
        'issue',
        ...base,
        '--id-type',
        'cccd',
        '--id',
        '001099000007',
        '--name',
        'Phạm Thị Cúc',
        '--scope',
        'site:s-001',
        '--json',
      );
      expect(issued.status, issued.stderr).toBe(0);
      const pass = JSON.parse(issued.stdout.split('\n')[0] ?? '');
      const stateDir = join(dir, 'fleet-state');
      const publish = () => cli('pass', 'publish', ...base, '--state-dir', stateDir, '--mqtt', broker.url);
      const first = publish();
      expect(first.status, first.stderr).toBe(0);
      const second = publish();
      expect(second.status, second.stderr).toBe(0);
      const version = (r: { stdout: string }) => Number(/phiên bản (\d+)/.exec(r.stdout)?.[1]);
      // Each list a higher version (even two in one second): a kiosk installs only a newer one.
      expect(version(second)).toBeGreaterThan(version(first));
      const client = await connectAsync(broker.url);
      const got: Buffer[] = [];
      client.on('message', (t, p) => {
        if (t === fleetTopic('passes')) got.push(p);
      });
      await client.subscribeAsync(fleetTopic('passes'), { qos: 1 });
      await waitFor(() => got[0], 5000, 'retained pass list');
      await client.endAsync();
      const keys = new KeyRing();
      keys.add(readSigningKey(signingFile).publicKey);
      const list = verifyPassList(got[0] as Buffer, keys);
      const versions = readFileSync(join(stateDir, 'passes.version'), 'utf8').trim();
      expect(list.header.version).toBe(Number(versions));
      expect(list.header.version).toBe(version(second));
      expect(list.header.areas['s-001']).toEqual({ ward: 'w-09556', district: 'd-268' });
      expect(findPass(list, passKey(pass.passId))?.validUntil).toBe(pass.validUntil);
    } finally {
      await broker.stop();
    }
  });
});
