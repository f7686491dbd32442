/**
 * The passes use case (issue #20) on both engines, every output read by an independent party: tokens
 * and the signed pass list by protocol's Python oracle (test/oracles/qrkiosk_pass.py: RFC 4648 base32
 * by Python's base64, Ed25519 by the `cryptography` package), a CSV's keyed hashes by Python's hmac.
 * A revoked pass is read back from the pass list itself: flagged, its holder hash zero.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { passKey } from '@qrkiosk/protocol';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { PassIssueError } from '../src/passes/errors.js';
import {
  issuePass,
  issuePassesFromCsv,
  passCards,
  passListFile,
  revokePass,
} from '../src/use-cases/passes.js';
import { ENGINES, openStore } from './engines.js';

const ORACLE = join(REPO_ROOT, 'protocol', 'test', 'oracles', 'qrkiosk_pass.py');
const py = (...args: string[]) => execFileSync('python3', [ORACLE, ...args], { encoding: 'utf8' }).trim();
const signing = generateKeyPairSync('ed25519');
const rawPublic = signing.publicKey.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const hashKey = randomBytes(32);
/** HMAC-SHA-256(key, "type:value")[:16] by Python's hmac: the keyed hash every kiosk computes. */
const pyHash = (type: string, value: string) =>
  execFileSync(
    'python3',
    [
      '-c',
      'import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), sys.argv[2].encode(), hashlib.sha256).digest()[:16].hex())',
      hashKey.toString('hex'),
      `${type}:${value}`,
    ],
    { encoding: 'utf8' },
  ).trim();

const SITES = [
  { site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' },
  { site: 'HD-Cho-Lon-2', name: 'Chợ Lớn 2', district: 'd-268', ward: 'w-09556' },
  { site: 's-002', name: 'Trường THCS Lê Lợi', district: 'd-268', ward: 'w-09556' },
  { site: 's-003', name: 'Bến xe', district: 'Hà Đông', ward: 'Phường Yết Kiêu' },
];
// 03:00 UTC on 27 Nov is 10:00 in Vietnam: the pass is valid from that Vietnam day.
const NOW = new Date('2026-11-27T03:00:00.000Z');

describe.each(ENGINES)('passes use case (%s)', (engine) => {
  it('issues a signed pass Python reads back, lists it for kiosks, revokes it through the pass list', async () => {
    const { store } = await openStore(engine);
    try {
      await store.registerSites(SITES);
      const deps = { store, signing, hashKey, now: () => NOW };
      const idHash = pyHash('phone', '0912345678');
      const issued = await issuePass(deps, {
        idHash,
        nameMasked: 'TRẦN V** B*',
        scope: { kind: 'ward', id: 'w-09556' },
        validDays: 30,
        issuer: 'UBND phường Yết Kiêu',
        issuedBy: '0900000001',
      });
      expect(issued.validFrom).toBe('2026-11-27');
      expect(issued.validUntil).toBe('2026-12-26');
      const read = JSON.parse(py('read', issued.token, rawPublic));
      expect(read).toMatchObject({
        version: 1,
        passId: issued.passId,
        scope: { kind: 'ward', id: 'w-09556' },
        validFrom: '2026-11-27',
        validUntil: '2026-12-26',
      });
      // The QR carries no name, no number and no hash of either.
      expect(issued.token).not.toContain(idHash.toUpperCase());

      // A reprint signs again and gets the very same token (Ed25519 is deterministic).
      const row = await store.repo.passes.get(issued.passId);
      expect(row?.idHash).toBe(idHash);
      const [printed] = await passCards(deps, row ? [row] : []);
      expect(printed?.token).toBe(issued.token);
      // The card names the ward as the officer gave it, not its code (review finding 10).
      expect(printed?.issuer).toBe('UBND phường Yết Kiêu');

      // The signed list: Python verifies it and finds the holder's hash under the pass key.
      const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-passes-'));
      const list = await passListFile({ ...deps, province: '01' }, 7);
      writeFileSync(join(dir, 'list'), list.file);
      const seen = JSON.parse(py('list', join(dir, 'list'), rawPublic));
      expect(seen.header.version).toBe(7);
      expect(seen.header.province).toBe('01');
      expect(seen.header.areas['s-001']).toEqual({ ward: 'w-09556', district: 'd-268' });
      // The register allows upper case and 64 characters: the site keeps its area (review finding 6).
      expect(seen.header.areas['HD-Cho-Lon-2']).toEqual({ ward: 'w-09556', district: 'd-268' });
      // A site whose register names its ward rather than coding it: no ward for kiosks there, and said.
      expect(seen.header.areas['s-003']).toEqual({ ward: null, district: null });
      expect(list.uncoded).toEqual(['s-003']);
      expect(seen.entries).toEqual([
        { passKey: read.passKey, idHash, validUntil: '2026-12-26', revoked: false, links: [] },
      ]);

      // Revoked: in the next pass list, flagged, the holder's hash zeroed.
      const r = await revokePass(deps, { passId: issued.passId, reason: 'mất thẻ', revokedBy: '0900000001' });
      expect(r.revoked).toBe(true);
      expect(
        (await revokePass(deps, { passId: issued.passId, reason: 'again', revokedBy: 'x' })).revoked,
      ).toBe(false);
      const after = await passListFile(deps, 8);
      expect(after.revoked).toBe(1);
      writeFileSync(join(dir, 'list8'), after.file);
      const seen8 = JSON.parse(py('list', join(dir, 'list8'), rawPublic));
      expect(seen8.header.province).toBeNull();
      expect(seen8.entries).toEqual([
        { passKey: read.passKey, idHash: '0'.repeat(32), validUntil: '2026-12-26', revoked: true, links: [] },
      ]);
      expect(passKey(issued.passId).toString('hex')).toBe(read.passKey);
      // Once expired it leaves the list: a kiosk refuses it by its dates.
      const later = { ...deps, now: () => new Date('2026-12-27T03:00:00.000Z') };
      expect((await passListFile(later, 9)).count).toBe(0);

      const audit = (await store.repo.auditLog(10)).map((a) => a.action);
      expect(audit).toEqual(expect.arrayContaining(['pass-issue', 'pass-revoke']));
    } finally {
      await store.close();
    }
  });

  it('issues a ward batch from a CSV with hashes Python computes, or nothing when a row is bad', async () => {
    const { store } = await openStore(engine);
    try {
      await store.registerSites(SITES);
      const deps = { store, signing, hashKey, now: () => NOW };
      const common = {
        scope: { kind: 'ward' as const, id: 'w-09556' },
        issuer: 'UBND phường Yết Kiêu',
        issuedBy: '0900000001',
      };
      // Excel's plain CSV on Vietnamese Windows (cp1258, encoded by Python's codec), read as UTF-8.
      const cp1258 = execFileSync('python3', [
        '-c',
        'import sys; sys.stdout.buffer.write("id_type,id,name\\ncccd,001099000001,Lê Văn An\\n".encode("cp1258"))',
      ]);
      const garbled = await issuePassesFromCsv(deps, cp1258.toString('utf8'), common).catch((e) => e);
      expect(garbled).toBeInstanceOf(PassIssueError);
      expect(garbled.code).toBe('bad-encoding');
      expect(garbled.text.en).toContain('CSV UTF-8');
      const bad = 'id_type,id,name\ncccd,001099000001,Nguyễn Văn An\ncccd,12345,Lê Thị Bình\n';
      const refused = await issuePassesFromCsv(deps, bad, common);
      expect(refused.issued).toEqual([]);
      expect(refused.problems).toEqual([{ line: 3, message: expect.stringContaining('cccd') }]);
      expect(await store.repo.passes.list()).toEqual([]);

      const good =
        '\uFEFFid_type,id,name\r\ncccd,001099000001,Nguyễn Văn An\r\nphone,+84 912 345 678,"Lê Thị, Bình"\r\n';
      const { issued } = await issuePassesFromCsv(deps, good, common);
      // The quoted name keeps its comma (masked with the word it ends).
      expect(issued.map((p) => p.nameMasked)).toEqual(['NGUYỄN V** A*', 'LÊ T*** B***']);
      const rows = await store.repo.passes.list();
      expect(rows.map((r) => r.idHash).sort()).toEqual(
        [pyHash('cccd', '001099000001'), pyHash('phone', '0912345678')].sort(),
      );
      // Nothing of the number or the full name is kept.
      expect(JSON.stringify(rows)).not.toMatch(/001099000001|0912345678|Nguyễn Văn An/);
    } finally {
      await store.close();
    }
  });

  it('refuses an unknown scope, bad days and a bad hash with a code', async () => {
    const { store } = await openStore(engine);
    try {
      await store.registerSites(SITES);
      const deps = { store, signing, hashKey, now: () => NOW };
      const base = { idHash: 'ab'.repeat(16), nameMasked: 'X', issuedBy: 'a', issuer: 'UBND' };
      const code = (p: Promise<unknown>) =>
        p.then(
          () => 'issued',
          (e) => (e instanceof PassIssueError ? e.code : String(e)),
        );
      expect(await code(issuePass(deps, { ...base, scope: { kind: 'site', id: 's-999' } }))).toBe(
        'unknown-scope',
      );
      expect(await code(issuePass(deps, { ...base, scope: { kind: 'ward', id: 'Phường X' } }))).toBe(
        'bad-scope',
      );
      expect(
        await code(issuePass(deps, { ...base, scope: { kind: 'site', id: 's-001' }, validDays: 0 })),
      ).toBe('bad-days');
      const hn = { ...deps, province: 'hn' };
      expect(
        await code(issuePass(hn, { ...base, idHash: 'nope', scope: { kind: 'province', id: 'hn' } })),
      ).toBe('bad-hash');
      // A province pass only for the hub's own province (hub.yaml passes.province; review finding 13).
      expect(await code(issuePass(hn, { ...base, scope: { kind: 'province', id: 'hcm' } }))).toBe(
        'unknown-scope',
      );
      expect(await code(issuePass(deps, { ...base, scope: { kind: 'province', id: 'hn' } }))).toBe(
        'unknown-scope',
      );
      // A ward or province card must name its issuer; a site's defaults to the register's name.
      const { issuer: _, ...unnamed } = base;
      expect(await code(issuePass(deps, { ...unnamed, scope: { kind: 'ward', id: 'w-09556' } }))).toBe(
        'bad-issuer',
      );
      expect(await code(issuePass({ store }, { ...base, scope: { kind: 'province', id: 'hn' } }))).toBe(
        'no-key',
      );
      expect(await code(revokePass(deps, { passId: 'ff'.repeat(10), reason: '', revokedBy: 'a' }))).toBe(
        'no-pass',
      );
      expect(await store.repo.passes.list()).toEqual([]);
      const site = await issuePass(deps, { ...unnamed, scope: { kind: 'site', id: 's-002' } });
      expect(site.issuer).toBe('Trường THCS Lê Lợi');
      // A hash typed by a technician is kept in the audit (review finding 7); a computed one is not.
      await issuePass(deps, { ...unnamed, hashGiven: true, scope: { kind: 'site', id: 's-001' } });
      const issues = (await store.repo.auditLog(10)).filter((a) => a.action === 'pass-issue');
      expect(issues.map((a) => (JSON.parse(a.detail) as { idHash?: string }).idHash ?? null).sort()).toEqual([
        'ab'.repeat(16),
        null,
      ]);
    } finally {
      await store.close();
    }
  });
});
