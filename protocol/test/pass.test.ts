/**
 * Pass lists (issue #20): QRKPL1 lists checked against an independent reading written from
 * docs/protocol.md with the `cryptography` package's Ed25519 (test/oracles/qrkiosk_pass.py), in both
 * directions, links included; malformed, altered and foreign lists refused with a code. Tokens are in
 * pass-token.test.ts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodePassList,
  findPass,
  newPassId,
  PassListError,
  passKey,
  peekPassListHeader,
  verifyPassList,
} from '../src/index.js';
import { hub, hubId, pair, py, rawPublic, ring, seed } from './pass-oracle.js';

describe('pass list', () => {
  // Every fifth pass revoked (a lost card): its holder must not travel.
  const records = Array.from({ length: 50 }, (_, i) => {
    const id = newPassId();
    return {
      passId: id,
      passKey: passKey(id),
      idHash: Buffer.alloc(16, i + 1),
      // Every third pass's holder has other keys too (a CCCD's former CMND, a BHYT's BHXH), given out of
      // order and once twice: the encoder sorts them, drops the repeat, and drops a revoked pass's.
      links:
        i % 3 === 0 ? [Buffer.alloc(16, 200 + i), Buffer.alloc(16, 100 + i), Buffer.alloc(16, 200 + i)] : [],
      validUntil: '2022-09-30',
      revoked: i % 5 === 0,
    };
  });
  /** The links a kiosk must find for a record (hex, ascending; none for a revoked pass). */
  const linksOf = (r: (typeof records)[number]) =>
    r.revoked || r.links.length === 0
      ? []
      : [Buffer.alloc(16, 100 + records.indexOf(r)), Buffer.alloc(16, 200 + records.indexOf(r))].map((b) =>
          b.toString('hex'),
        );
  const linkCount = records.reduce((n, r) => n + linksOf(r).length, 0);
  // Site ids as the hub's register allows them: upper case and 64 characters too.
  const areas = {
    'cho-ben-thanh': { ward: '26743', district: '760' },
    'ubnd-p7': { ward: null, district: null },
    [`UBND_P${'x'.repeat(58)}`]: { ward: 'W26743', district: null },
  };
  const options = { version: 7, areas, province: '79' };
  const list = encodePassList(records, options, hub, new Date('2021-10-05T01:00:00Z'));
  const none = { version: 1, areas: {}, province: null };
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return err instanceof PassListError ? err.code : 'other';
    }
    return 'accepted';
  };
  /** A list signed by the Python oracle with these entries in this order (not sorted by qrkiosk's encoder). */
  const pythonList = (
    entries: Array<{ passKey: Buffer; idHash: Buffer; validUntil: string; flags: number }>,
    links: Array<{ passKey: Buffer; hash: Buffer }> = [],
  ): Buffer => {
    const dir = mkdtempSync(join(tmpdir(), 'passlist-'));
    const header = {
      version: 3,
      createdAt: '2021-10-05T01:00:00.000Z',
      keyId: hubId,
      count: entries.length,
      linkCount: links.length,
      areas: {},
      province: null,
    };
    const json = entries.map((e) => ({
      passKey: e.passKey.toString('hex'),
      idHash: e.idHash.toString('hex'),
      validUntil: e.validUntil,
      flags: e.flags,
    }));
    const linkJson = links.map((l) => ({ passKey: l.passKey.toString('hex'), hash: l.hash.toString('hex') }));
    py(
      'make-list',
      JSON.stringify(header),
      JSON.stringify(json),
      seed(hub.privateKey),
      join(dir, 'list'),
      JSON.stringify(linkJson),
    );
    return readFileSync(join(dir, 'list'));
  };
  const sorted = [...records].sort((a, b) => Buffer.compare(a.passKey, b.passKey));
  const entry = (r: (typeof records)[number], flags = 0) => ({ ...r, flags });

  it('is signed, sorted and read back by Python the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'passlist-'));
    writeFileSync(join(dir, 'list'), list);
    const read = JSON.parse(py('list', join(dir, 'list'), rawPublic(hub.publicKey)));
    expect(read.header).toEqual({
      version: 7,
      createdAt: '2021-10-05T01:00:00.000Z',
      keyId: hubId,
      count: 50,
      linkCount,
      areas,
      province: '79',
    });
    const expected = records
      .map((r) => ({
        passKey: r.passKey.toString('hex'),
        idHash: r.revoked ? '0'.repeat(32) : r.idHash.toString('hex'),
        validUntil: r.validUntil,
        revoked: r.revoked,
        links: linksOf(r),
      }))
      .sort((a, b) => (a.passKey < b.passKey ? -1 : 1));
    expect(linkCount).toBeGreaterThan(10);
    expect(read.entries).toEqual(expected);
  });

  it('finds every record by binary search and nothing else', () => {
    const opened = verifyPassList(list, ring);
    expect(opened.header.count).toBe(50);
    for (const r of records)
      expect(findPass(opened, r.passKey)).toEqual({
        idHash: r.revoked ? '0'.repeat(32) : r.idHash.toString('hex'),
        validUntil: '2022-09-30',
        revoked: r.revoked,
        links: linksOf(r),
      });
    expect(findPass(opened, passKey(newPassId()))).toBeUndefined();
    expect(
      findPass(verifyPassList(encodePassList([], none, hub), ring), records[0]!.passKey),
    ).toBeUndefined();
    expect(peekPassListHeader(list)?.version).toBe(7);
    expect(opened.header.province).toBe('79');
  });

  it("reads a list Python signed, revoked flags and all (the oracle's bytes, not qrkiosk's encoder)", () => {
    const opened = verifyPassList(
      pythonList(
        sorted.map((r) => ({
          ...entry(r, r.revoked ? 1 : 0),
          idHash: r.revoked ? Buffer.alloc(16) : r.idHash,
        })),
      ),
      ring,
    );
    expect(opened.header.count).toBe(50);
    for (const r of records) expect(findPass(opened, r.passKey)?.revoked).toBe(r.revoked);
  });

  it('refuses a signed list that is unsorted, holds one pass twice, or sets an unknown flag (review finding 8)', () => {
    // The signature is right in every case: only the kiosk's own checks stand between it and a wrong search.
    expect(code(() => verifyPassList(pythonList(sorted.map((r) => entry(r))), ring))).toBe('accepted');
    const swapped = sorted.map((r) => entry(r));
    [swapped[10], swapped[11]] = [swapped[11]!, swapped[10]!];
    expect(code(() => verifyPassList(pythonList(swapped), ring))).toBe('format');
    const lastFirst = sorted.map((r) => entry(r));
    lastFirst.unshift(lastFirst.pop()!);
    expect(code(() => verifyPassList(pythonList(lastFirst), ring))).toBe('format');
    const twice = sorted.map((r) => entry(r));
    twice.splice(20, 0, twice[20]!);
    expect(code(() => verifyPassList(pythonList(twice), ring))).toBe('format');
    // The same pass twice, once revoked and once not: a kiosk must not pick whichever the search meets.
    const both = sorted.map((r) => entry(r));
    both.splice(21, 0, { ...both[20]!, flags: 1 });
    expect(code(() => verifyPassList(pythonList(both), ring))).toBe('format');
    for (const flags of [2, 3, 0x80]) {
      const odd = sorted.map((r) => entry(r));
      odd[30] = { ...odd[30]!, flags };
      expect(
        code(() => verifyPassList(pythonList(odd), ring)),
        `flags ${flags}`,
      ).toBe('format');
    }
  });

  /** Python-signed links, sorted as the format wants, for the unrevoked passes with any. */
  const pythonLinks = () =>
    sorted.flatMap((r) => linksOf(r).map((h) => ({ passKey: r.passKey, hash: Buffer.from(h, 'hex') })));

  it("finds the links of a list Python signed (the oracle's bytes)", () => {
    const opened = verifyPassList(
      pythonList(
        sorted.map((r) => ({
          ...entry(r, r.revoked ? 1 : 0),
          idHash: r.revoked ? Buffer.alloc(16) : r.idHash,
        })),
        pythonLinks(),
      ),
      ring,
    );
    expect(opened.header.linkCount).toBe(linkCount);
    for (const r of records) expect(findPass(opened, r.passKey)?.links).toEqual(linksOf(r));
  });

  it('refuses a signed list whose links are unsorted, duplicated, or name a missing or revoked pass (review 2, finding 1)', () => {
    const entries = sorted.map((r) => entry(r, r.revoked ? 1 : 0));
    const good = pythonLinks();
    expect(code(() => verifyPassList(pythonList(entries, good), ring))).toBe('accepted');
    const swapped = [...good];
    [swapped[3], swapped[4]] = [swapped[4]!, swapped[3]!];
    expect(code(() => verifyPassList(pythonList(entries, swapped), ring))).toBe('format');
    const twice = [...good];
    twice.splice(5, 0, twice[5]!);
    expect(code(() => verifyPassList(pythonList(entries, twice), ring))).toBe('format');
    const lastFirst = [...good];
    lastFirst.unshift(lastFirst.pop()!);
    expect(code(() => verifyPassList(pythonList(entries, lastFirst), ring))).toBe('format');
    // A link to a pass the list does not hold, or to a revoked one (a lost card names nobody).
    const stranger = [{ passKey: Buffer.alloc(16, 0xff), hash: Buffer.alloc(16, 1) }];
    expect(code(() => verifyPassList(pythonList(entries, [...good, ...stranger]), ring))).toBe('format');
    const lost = sorted.find((r) => r.revoked)!;
    const toLost = [...good, { passKey: lost.passKey, hash: Buffer.alloc(16, 9) }].sort((a, b) =>
      Buffer.compare(Buffer.concat([a.passKey, a.hash]), Buffer.concat([b.passKey, b.hash])),
    );
    expect(code(() => verifyPassList(pythonList(entries, toLost), ring))).toBe('format');
    // A link hash not 16 bytes never reaches a list.
    expect(code(() => encodePassList([{ ...records[1]!, links: [Buffer.alloc(15)] }], none, hub))).toBe(
      'format',
    );
  });

  it('refuses altered, unsigned and foreign lists, and bad areas or province, with their codes', () => {
    const altered = Buffer.from(list);
    altered[altered.length - 100]! ^= 1;
    expect(code(() => verifyPassList(altered, ring))).toBe('bad-signature');
    expect(code(() => verifyPassList(list.subarray(0, -64), ring))).toBe('unsigned');
    expect(code(() => verifyPassList(list.subarray(0, -1), ring))).toBe('format');
    expect(code(() => verifyPassList(encodePassList([], none, pair()), ring))).toBe('unknown-key');
    expect(code(() => verifyPassList(Buffer.from('QRKR1\n....'), ring))).toBe('format');
    expect(code(() => verifyPassList(Buffer.alloc(3), ring))).toBe('format');
    expect(code(() => encodePassList([records[0]!, records[0]!], none, hub))).toBe('format');
    for (const site of ['Bad Site', '', 'x'.repeat(65), 'phường-7'])
      expect(
        code(() => encodePassList([], { ...none, areas: { [site]: { ward: null, district: null } } }, hub)),
        site,
      ).toBe('format');
    for (const province of ['', 'Tỉnh 79', 'x'.repeat(65)])
      expect(
        code(() => encodePassList([], { ...none, province }, hub)),
        province,
      ).toBe('format');
    // A header without `province` (or with a number there) is not this format.
    const header = (h: object) => {
      const bytes = Buffer.from(JSON.stringify(h));
      const length = Buffer.alloc(4);
      length.writeUInt32LE(bytes.length);
      return Buffer.concat([Buffer.from('QRKPL1\n'), length, bytes, Buffer.alloc(64)]);
    };
    const base = {
      version: 1,
      createdAt: '2021-10-05T01:00:00.000Z',
      keyId: hubId,
      count: 0,
      linkCount: 0,
      areas: {},
    };
    expect(code(() => verifyPassList(header(base), ring))).toBe('format');
    expect(code(() => verifyPassList(header({ ...base, province: 79 }), ring))).toBe('format');
    // A list without linkCount, or with a bad one, is not this format: refused by the header's own check
    // (its message names linkCount). null and "0" would otherwise give a length that matches (0 links)
    // and reach the signature, so without that check they are bad-signature, not format.
    const why = (h: object) => {
      try {
        verifyPassList(header({ ...h, province: null }), ring);
      } catch (err) {
        return err instanceof PassListError ? `${err.code}: ${err.message}` : 'other';
      }
      return 'accepted';
    };
    expect(why(base)).toMatch(/^bad-signature/);
    const { linkCount: _, ...noLinks } = base;
    for (const linkCount of [null, '0', -1, 1.5])
      expect(why({ ...base, linkCount }), String(linkCount)).toMatch(/^format: .*linkCount/);
    expect(why(noLinks)).toMatch(/^format: .*linkCount/);
  });
});
