/**
 * Passes over the hub's HTTP API (issue #20): an officer issues for their ward and not for another,
 * a site owner cannot issue at all, the CSRF token is required, the list hides hashes, a revoke is
 * one-time, the pass list is asked for after every issue, CSV batch and revoke, the print page opens
 * only for the officer's own passes, no holder hash is accepted from a browser, and a batch of
 * 250 or a million Vietnamese characters fits its body limit.
 */
import { generateKeyPairSync } from 'node:crypto';
import { KeyRing, verifyPass } from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';
import { passError } from '../src/passes/errors.js';
import { issuePass } from '../src/use-cases/passes.js';
import { addUser } from '../src/use-cases/users.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const PW = 'correct horse battery';
const OFFICER = '0911000001';
const OWNER = '0911000002';

describe('passes over HTTP', () => {
  it('issues within the officer’s ward, lists without hashes, revokes once, prints', async () => {
    const signing = generateKeyPairSync('ed25519');
    let published = 0;
    const hub = await httpHub('sqlite', {
      passes: {
        signing,
        publisher: {
          request: async () => {
            published++;
            return { version: 1_900_000_000 + published };
          },
        },
      },
    });
    try {
      await hub.store.registerSites([
        { site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' },
        { site: 's-002', name: 'Chợ khác', district: 'd-269', ward: 'w-09999' },
      ]);
      await addUser(
        hub.store,
        'test',
        { phone: OFFICER, role: 'officer', sites: ['ward:w-09556'], password: PW },
        { replace: false },
      );
      await addUser(
        hub.store,
        'test',
        { phone: OWNER, role: 'site-owner', sites: ['s-001'], password: PW },
        { replace: false },
      );
      const officer = await logIn(hub.address, OFFICER, PW);
      const call = (method: string, path: string, who: { cookie: string; csrf: string }, body?: unknown) =>
        fetch(`${hub.address}${path}`, {
          method,
          headers: {
            cookie: who.cookie,
            'x-csrf-token': who.csrf,
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
      const person = { idType: 'phone', id: '0912345678', name: 'Trần Văn Bình' };

      // A ward card names its issuer: asked for in vi/en when missing (review finding 10).
      const unnamed = await call('POST', '/api/passes', officer, {
        ...person,
        scope: { kind: 'ward', id: 'w-09556' },
      });
      expect(unnamed.status).toBe(400);
      expect(((await unnamed.json()) as { error: { vi: string } }).error.vi).toMatch(/nơi cấp/);
      // No holder hash from a browser (review finding 7): the schema refuses the field.
      const byHash = await call('POST', '/api/passes', officer, {
        ...person,
        idHash: 'ab'.repeat(16),
        scope: { kind: 'ward', id: 'w-09556' },
        issuer: 'UBND phường Yết Kiêu',
      });
      expect(byHash.status).toBe(400);
      expect(published).toBe(0);
      const ok = await call('POST', '/api/passes', officer, {
        ...person,
        scope: { kind: 'ward', id: 'w-09556' },
        validDays: 90,
        issuer: 'UBND phường Yết Kiêu',
      });
      expect(ok.status).toBe(201);
      const issued = (await ok.json()) as { passId: string; token: string; nameMasked: string };
      expect(issued.nameMasked).toBe('TRẦN V** B***');
      const keys = new KeyRing();
      keys.add(signing.publicKey);
      expect(verifyPass(issued.token, keys).scope).toEqual({ kind: 'ward', id: 'w-09556' });
      expect(published).toBe(1);

      const other = await call('POST', '/api/passes', officer, {
        ...person,
        scope: { kind: 'ward', id: 'w-09999' },
      });
      expect(other.status).toBe(400);
      expect(((await other.json()) as { error: { en: string } }).error.en).toMatch(/outside your own/);
      const province = await call('POST', '/api/passes', officer, {
        ...person,
        scope: { kind: 'province', id: 'hn' },
      });
      expect(province.status).toBe(400);
      const noCsrf = await call(
        'POST',
        '/api/passes',
        { ...officer, csrf: 'x' },
        { ...person, scope: { kind: 'ward', id: 'w-09556' } },
      );
      expect(noCsrf.status).toBe(403);
      const owner = await logIn(hub.address, OWNER, PW);
      const byOwner = await call('POST', '/api/passes', owner, {
        ...person,
        scope: { kind: 'site', id: 's-001' },
      });
      expect(byOwner.status).toBe(403);

      const list = await call('GET', '/api/passes', officer);
      const rows = (await list.json()) as Array<Record<string, unknown>>;
      expect(rows.map((r) => r.passId)).toEqual([issued.passId]);
      expect(JSON.stringify(rows)).not.toContain('idHash');

      const page = await call('GET', `/passes/print?ids=${issued.passId}&layout=a6`, officer);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      const html = await page.text();
      expect(html).toContain('<svg class="qr"');
      expect(html).toContain('TRẦN V** B***');
      expect(html).toContain('UBND phường Yết Kiêu');

      const revoke = await call('POST', `/api/passes/${issued.passId}/revoke`, officer, {
        reason: 'mất thẻ',
      });
      expect(revoke.status).toBe(200);
      // The officer is told the list went out, and which (review 2 finding 5).
      expect(await revoke.json()).toMatchObject({
        revoked: true,
        list: {
          sent: true,
          version: 1_900_000_002,
          text: { vi: expect.stringContaining('Đã khóa và đã gửi') },
        },
      });
      // The revocation reaches kiosks in the pass list: asked for at once (review finding 1).
      expect(published).toBe(2);
      const again = await call('POST', `/api/passes/${issued.passId}/revoke`, officer, { reason: 'x' });
      expect(((await again.json()) as { revoked: boolean }).revoked).toBe(false);
      expect(published).toBe(2);
      // A revoked card is not printed again.
      expect((await call('GET', `/passes/print?ids=${issued.passId}`, officer)).status).toBe(404);

      // A ward's batch of 250: issued, one publish; printed in parts of at most 200 (the page's links).
      const csv = `id_type,id,name\n${Array.from(
        { length: 250 },
        (_, i) => `phone,09${String(10_000_000 + i)},Nguyễn Thị Hồng ${i}`,
      ).join('\n')}\n`;
      const batch = await call('POST', '/api/passes/csv', officer, {
        csv,
        scope: { kind: 'ward', id: 'w-09556' },
        issuer: 'UBND phường Yết Kiêu',
      });
      expect(batch.status).toBe(201);
      const ids = ((await batch.json()) as { issued: Array<{ passId: string }> }).issued.map((p) => p.passId);
      expect(ids.length).toBe(250);
      expect(published).toBe(3);
      for (const part of [ids.slice(0, 200), ids.slice(200)]) {
        const sheet = await call('GET', `/passes/print?ids=${part.join(',')}&layout=a4`, officer);
        expect(sheet.status).toBe(200);
        expect((await sheet.text()).match(/<svg class="qr"/g)?.length).toBe(part.length);
      }
      // The list page sees its ward's 250 passes and the revoked one (filtered in SQL).
      expect(((await (await call('GET', '/api/passes?all=true', officer)).json()) as unknown[]).length).toBe(
        251,
      );
      // A million Vietnamese characters (3 bytes each in UTF-8) reach the schema and the CSV check, not a 413.
      const huge = await call('POST', '/api/passes/csv', officer, {
        csv: `id_type,id,name\n${'ễ'.repeat(999_000)}\n`,
        scope: { kind: 'ward', id: 'w-09556' },
        issuer: 'UBND',
      });
      expect(huge.status).toBe(400);
      expect(((await huge.json()) as { problems: unknown[] }).problems.length).toBe(1);
    } finally {
      await hub.stop();
    }
  });
});

/** A 32-hex keyed hash, the holder's or a link's (no other field of a pass row is 32 hex). */
const KEYED_HASH = /[0-9a-f]{32}/;

describe('a revoke whose pass list is not sent, and a pass with links on the list', () => {
  // Review 3 finding 3: the officer is told which of the three it is, in vi/en.
  const cases = [
    {
      why: 'the broker is unreachable',
      request: async (): Promise<{ version: number }> => {
        throw new Error('connect ECONNREFUSED');
      },
      vi: 'mất kết nối máy chủ tin nhắn',
      en: 'broker unreachable',
    },
    {
      why: 'the list cannot be made',
      request: async (): Promise<{ version: number }> => {
        throw passError('too-many', 'quá nhiều thẻ', 'too many passes');
      },
      vi: 'KHÔNG tạo được danh sách thẻ: quá nhiều thẻ',
      en: 'could NOT be made: too many passes',
    },
    {
      why: 'the list is still being sent',
      request: () => new Promise<{ version: number }>(() => undefined),
      vi: 'ĐANG được gửi',
      en: 'STILL being sent',
    },
  ];
  it.each(cases)('says so in vi/en when $why', async ({ request, vi, en }) => {
    const signing = generateKeyPairSync('ed25519');
    const hub = await httpHub('sqlite', {
      passes: { signing, publisher: { request }, revokeWaitMs: 50 },
    });
    try {
      await hub.store.registerSites([
        { site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' },
      ]);
      // A reception pass from a CCCD scan: the holder's CMND and BHXH hashes ride along as links.
      const links = ['cd'.repeat(16), 'ef'.repeat(16)];
      const pass = await issuePass(
        { store: hub.store, signing },
        {
          idHash: 'ab'.repeat(16),
          links,
          nameMasked: 'N***',
          scope: { kind: 'site', id: 's-001' },
          issuedBy: 'test',
        },
      );
      expect((await hub.store.repo.passes.get(pass.passId))?.links).toBe(links.join(''));
      await addUser(
        hub.store,
        'test',
        { phone: OFFICER, role: 'officer', sites: ['ward:w-09556'], password: PW },
        { replace: false },
      );
      const officer = await logIn(hub.address, OFFICER, PW);
      const headers = { cookie: officer.cookie, 'x-csrf-token': officer.csrf };
      // Review 3 finding 2: no keyed hash of any kind reaches the officer, not the holder's, not a link.
      const listed = await (await fetch(`${hub.address}/api/passes`, { headers })).text();
      expect(JSON.parse(listed)).toMatchObject([{ passId: pass.passId, nameMasked: 'N***' }]);
      expect(listed).not.toMatch(KEYED_HASH);
      expect(listed).not.toMatch(/idHash|links/);
      const r = await fetch(`${hub.address}/api/passes/${pass.passId}/revoke`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify({ reason: 'mất thẻ' }),
      });
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({
        revoked: true,
        list: { sent: false, text: { vi: expect.stringContaining(vi), en: expect.stringContaining(en) } },
      });
      // Review 3 finding 6: a revoked pass keeps its row, not the holder's keyed hashes.
      expect(await hub.store.repo.passes.get(pass.passId)).toMatchObject({
        idHash: '0'.repeat(32),
        links: '',
        nameMasked: 'N***',
      });
    } finally {
      await hub.stop();
    }
  });
});
