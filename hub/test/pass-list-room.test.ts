/**
 * Issuing refuses a pass the list has no room for (review 3 finding 4): with the broker's message made
 * small (BROKER_MAX_PACKET_BYTES mocked to 80 KiB, so the list's cap is 16 KiB), reception passes with
 * four links each (163 bytes in the list) are issued until one is refused with `list-full` in vi/en;
 * nothing of the refused one is stored, and the list of what was stored is still signed and sent, under
 * the cap, and verifies. Without the refusal the last issue would be stored and every publish would throw.
 */
import { generateKeyPairSync } from 'node:crypto';
import { KeyRing, verifyPassList } from '@qrkiosk/protocol';
import { describe, expect, it, vi } from 'vitest';
import { PassIssueError } from '../src/passes/errors.js';
import { MAX_LIST_BYTES } from '../src/use-cases/pass-list.js';
import { issuePass, publishPassList } from '../src/use-cases/passes.js';
import { openStore } from './engines.js';

vi.mock('@qrkiosk/protocol', async (original) => ({
  ...(await original<typeof import('@qrkiosk/protocol')>()),
  BROKER_MAX_PACKET_BYTES: 80 * 1024,
}));

describe('a pass list with no room left', () => {
  it('refuses the issue, not every later publish', async () => {
    expect(MAX_LIST_BYTES).toBe(16 * 1024);
    const signing = generateKeyPairSync('ed25519');
    const { store } = await openStore('sqlite');
    try {
      await store.registerSites([{ site: 's-001', name: 'Chợ Hà Đông', district: 'd-268', ward: 'w-09556' }]);
      const deps = { store, signing };
      const hex = (n: number, k: number) => (n * 8 + k).toString(16).padStart(32, '0');
      let refused: unknown;
      let stored = 0;
      for (let n = 1; n <= 200 && !refused; n++) {
        try {
          await issuePass(deps, {
            idHash: hex(n, 0),
            links: [1, 2, 3, 4].map((k) => hex(n, k)),
            nameMasked: 'N***',
            scope: { kind: 'site', id: 's-001' },
            issuedBy: 'kiosk:s-001/k-01',
          });
          stored = n;
        } catch (err) {
          refused = err;
        }
      }
      expect(refused).toBeInstanceOf(PassIssueError);
      expect(refused).toMatchObject({
        code: 'list-full',
        text: { vi: expect.stringMatching(/Không cấp thêm được/), en: expect.stringMatching(/cannot issue/) },
      });
      // (16 KiB − 4 KiB of header room) / 163 bytes a pass: about 75 passes fit.
      expect(stored).toBeGreaterThan(60);
      expect(await store.repo.passes.list({ revoked: true })).toHaveLength(stored);
      let sent: Buffer | undefined;
      const r = await publishPassList({
        ...deps,
        send: async (file) => {
          sent = file;
        },
      });
      expect(r.count).toBe(stored);
      expect(r.bytes).toBeLessThanOrEqual(MAX_LIST_BYTES);
      const ring = new KeyRing();
      ring.add(signing.publicKey);
      expect(verifyPassList(sent as Buffer, ring).header.linkCount).toBe(4 * stored);
    } finally {
      await store.close();
    }
  });
});
