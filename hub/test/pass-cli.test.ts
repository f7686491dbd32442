/**
 * `qrkiosk-hub pass …` as an officer runs it (the built hub/dist/cli.js): issue one person by number
 * (hashed as a kiosk hashes it: checked by Python's hmac), a CSV batch refused whole for one bad row,
 * the list without hashes and with dd/MM/yyyy dates, a print page, and an issue, a CSV batch and a revocation
 * that each publish the pass list themselves (read back from the retained message by protocol's verifier),
 * each with --json printing exactly one JSON document.
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
import { issuePass } from '../src/use-cases/passes.js';

/** A 32-hex keyed hash, the holder's or a link's (no field of a pass as shown is 32 hex). */
const KEYED_HASH = /[0-9a-f]{32}/;

/** The pass list retained on fleet/passes, verified with the hub's key. */
async function retainedList(url: string, signingFile: string) {
  const client = await connectAsync(url);
  const got: Buffer[] = [];
  client.on('message', (t, p) => {
    if (t === fleetTopic('passes')) got.push(p);
  });
  await client.subscribeAsync(fleetTopic('passes'), { qos: 1 });
  await waitFor(() => got[0], 5000, 'retained pass list');
  await client.endAsync();
  const keys = new KeyRing();
  keys.add(readSigningKey(signingFile).publicKey);
  return verifyPassList(got[0] as Buffer, keys);
}

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

  it('issues, lists and prints', async () => {
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
      // No broker there: the pass is stored, the officer told on stderr that the list did not go out.
      '--mqtt',
      'mqtt://127.0.0.1:1',
    );
    expect(issued.stderr).toMatch(/Đã cấp thẻ nhưng chưa gửi được danh sách thẻ .*pass list was not sent/);
    expect(issued.status).toBe(0);
    // One JSON document on stdout, `list` null (review 2 finding 10's rule, for issue too).
    const pass = JSON.parse(issued.stdout);
    expect(issued.stderr).toContain('print page of 1 cards');
    expect(pass.list).toBeNull();
    expect(pass).toMatchObject({ nameMasked: 'TRẦN V** B***', scope: { kind: 'site', id: 's-001' } });
    expect(pass.token).toMatch(/^QRKP1:[A-Z2-7]+$/);
    expect(existsSync(html)).toBe(true);
    expect(readFileSync(html, 'utf8')).toContain('Chợ Hà Đông');

    // A reception pass from a CCCD scan carries the holder's other keys (CMND, BHXH) as links.
    const linked = await (async () => {
      const store = await HubStore.open(base[1], dir);
      try {
        return await issuePass(
          { store, signing: readSigningKey(signingFile) },
          {
            idHash: 'ab'.repeat(16),
            links: ['cd'.repeat(16), 'ef'.repeat(16)],
            nameMasked: 'N***',
            scope: { kind: 'site', id: 's-001' },
            issuedBy: 'kiosk:s-001/k-01',
          },
        );
      } finally {
        await store.close();
      }
    })();
    const listed = cli('pass', 'list', ...base, '--json');
    expect(listed.status).toBe(0);
    const rows = JSON.parse(listed.stdout);
    expect(rows.map((r: { passId: string }) => r.passId).sort()).toEqual([pass.passId, linked.passId].sort());
    // No keyed hash of any kind, the holder's or a link (review 3 finding 2); the database holds the
    // one a kiosk computes for "phone:0912345678".
    expect(listed.stdout).not.toMatch(KEYED_HASH);
    expect(listed.stdout).not.toMatch(/idHash|links/);
    // Its revoke --json (no broker: exit 2, the list not sent) shows the pass without them either.
    const gone = cli(
      'pass',
      'revoke',
      ...base,
      '--pass-id',
      linked.passId,
      '--reason',
      'mất thẻ',
      '--json',
      '--mqtt',
      'mqtt://127.0.0.1:1',
    );
    expect(gone.status, gone.stderr).toBe(2);
    expect(JSON.parse(gone.stdout)).toMatchObject({
      revoked: true,
      pass: { passId: linked.passId },
      list: null,
    });
    expect(gone.stdout).not.toMatch(KEYED_HASH);
    expect(gone.stdout).not.toMatch(/idHash|links/);
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

    // Dates as the card prints them (review finding 11), never a hash (finding 9).
    const text = cli('pass', 'list', ...base);
    const [y, m, d] = pass.validUntil.split('-');
    expect(text.stdout).toContain(`${d}/${m}/${y}`);
    expect(text.stdout).not.toContain(pyHash);
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

  it('publishes the signed pass list retained on fleet/passes, versions rising; a revoke publishes it', async () => {
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
        '--mqtt',
        broker.url,
      );
      expect(issued.status, issued.stderr).toBe(0);
      // The issue sent the list itself (review 2 finding 11): one JSON document naming it.
      const pass = JSON.parse(issued.stdout);
      expect(pass.list).toMatchObject({ count: expect.any(Number) });
      const onIssue = await retainedList(broker.url, signingFile);
      expect(onIssue.header.version).toBe(pass.list.version);
      expect(findPass(onIssue, passKey(pass.passId))).toMatchObject({ revoked: false });
      // A CSV batch: sent once, its passes in the list.
      const csv = join(dir, 'batch.csv');
      writeFileSync(csv, 'id_type,id,name\ncccd,001099000011,Nguyễn Văn An\ncccd,001099000012,Lê Thị Bình\n');
      const batch = cli(
        'pass',
        'issue-csv',
        ...base,
        '--csv',
        csv,
        '--scope',
        'site:s-001',
        '--json',
        '--mqtt',
        broker.url,
      );
      expect(batch.status, batch.stderr).toBe(0);
      const b = JSON.parse(batch.stdout);
      expect(b.issued).toHaveLength(2);
      expect(b.list.version).toBeGreaterThan(pass.list.version);
      const onBatch = await retainedList(broker.url, signingFile);
      for (const p of b.issued)
        expect(findPass(onBatch, passKey(p.passId))).toMatchObject({ revoked: false });
      const publish = () => cli('pass', 'publish', ...base, '--mqtt', broker.url);
      const first = publish();
      expect(first.status, first.stderr).toBe(0);
      const second = publish();
      expect(second.status, second.stderr).toBe(0);
      const version = (r: { stdout: string }) => Number(/phiên bản (\d+)/.exec(r.stdout)?.[1]);
      // Each list a higher version (even two in one second): a kiosk installs only a newer one.
      expect(version(second)).toBeGreaterThan(version(first));
      const list = await retainedList(broker.url, signingFile);
      expect(list.header.version).toBe(version(second));
      expect(list.header.areas['s-001']).toEqual({ ward: 'w-09556', district: 'd-268' });
      expect(findPass(list, passKey(pass.passId))).toMatchObject({
        validUntil: pass.validUntil,
        revoked: false,
      });
      // No state file: the versions live in the database (review finding 3).
      expect(existsSync(join(dir, 'fleet', 'passes.version'))).toBe(false);

      // A lost card: revoked and the list sent by the same command, no holder hash printed.
      const revoked = cli(
        'pass',
        'revoke',
        ...base,
        '--pass-id',
        pass.passId,
        '--reason',
        'mất thẻ',
        '--mqtt',
        broker.url,
        '--json',
      );
      expect(revoked.status, revoked.stderr).toBe(0);
      expect(revoked.stdout).not.toContain('idHash');
      // Exactly one JSON document (review 2 finding 10): the revoke, the pass, the list sent (revoked:
      // this pass and the first test's linked one).
      const done = JSON.parse(revoked.stdout);
      expect(done).toMatchObject({ revoked: true, pass: { passId: pass.passId }, list: { revoked: 2 } });
      const after = await retainedList(broker.url, signingFile);
      expect(after.header.version).toBe(done.list.version);
      expect(after.header.version).toBeGreaterThan(version(second));
      expect(findPass(after, passKey(pass.passId))).toMatchObject({ revoked: true });
      // publish-fresh, with no database of its own, reads the pass list's version back from the broker.
      const fresh = cli(
        'publish-fresh',
        '--signing-key',
        signingFile,
        '--data-dir',
        dir,
        '--state-dir',
        join(dir, 'fresh-state'),
        '--mqtt',
        broker.url,
      );
      expect(fresh.status, fresh.stderr).toBe(0);
      expect(fresh.stdout).toContain(`passes ${after.header.version}`);
    } finally {
      await broker.stop();
    }
  });
});
