/**
 * Printed passes (issue #20): tokens and pass lists checked against an independent reading written from
 * docs/protocol.md with Python's base64 (RFC 4648 base32) and the `cryptography` package's Ed25519
 * (test/oracles/qrkiosk_pass.py), in both directions; malformed, altered and foreign input refused with a code.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  encodePassList,
  FLEET_KINDS,
  findPass,
  KeyRing,
  keyId,
  newPassId,
  PASS_PREFIX,
  type Pass,
  PassError,
  PassListError,
  parsePass,
  passKey,
  passValidity,
  peekPassListHeader,
  signPass,
  verifyPass,
  verifyPassList,
} from '../src/index.js';

const python = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const oracle = join(import.meta.dirname, 'oracles', 'qrkiosk_pass.py');
const py = (...args: string[]) => execFileSync(python, [oracle, ...args], { encoding: 'utf8' }).trim();

const pair = () => generateKeyPairSync('ed25519');
const rawPublic = (k: KeyObject) => k.export({ format: 'der', type: 'spki' }).subarray(-32).toString('hex');
const seed = (k: KeyObject) => Buffer.from(k.export({ format: 'jwk' }).d!, 'base64url').toString('hex');
const hub = pair();
const hubId = keyId(hub.publicKey);
const ring = new KeyRing();
ring.add(hub.publicKey);

const sample = (over: Partial<Omit<Pass, 'keyId'>> = {}): Omit<Pass, 'keyId'> => ({
  passId: '0123456789abcdef0123',
  scope: { kind: 'ward', id: '26881' },
  validFrom: '2021-10-01',
  validUntil: '2022-09-30',
  ...over,
});

describe('pass token', () => {
  it('is QRKP1: + base32 that Python reads, with a signature that cryptography accepts', () => {
    for (const p of [
      sample(),
      sample({
        scope: { kind: 'site', id: 'cho-ben-thanh_cong-2' },
        validFrom: '2020-01-01',
        validUntil: '2020-01-01',
      }),
      sample({
        passId: newPassId(),
        scope: { kind: 'province', id: 'a'.repeat(64) },
        validUntil: '2199-06-06',
      }),
    ]) {
      const token = signPass(p, hub.privateKey, hubId);
      expect(token.startsWith(PASS_PREFIX)).toBe(true);
      // QR alphanumeric mode: upper-case letters, digits and ':' only.
      expect(token).toMatch(/^[A-Z0-9:]+$/);
      const read = JSON.parse(py('read', token, rawPublic(hub.publicKey)));
      expect(read).toEqual({ version: 1, ...p, keyId: hubId, passKey: passKey(p.passId).toString('hex') });
      expect(verifyPass(token, ring)).toEqual({ ...p, keyId: hubId });
    }
  });

  it('verifies a token Python built and signed', () => {
    const p = { ...sample({ scope: { kind: 'site', id: 'ubnd-phuong-7' } }), keyId: hubId };
    const token = py('make', JSON.stringify(p), seed(hub.privateKey));
    expect(verifyPass(token, ring)).toEqual(p);
  });

  it('is short enough for a small QR: ≤ 180 characters with a 10-character scope id', () => {
    expect(
      signPass(sample({ scope: { kind: 'ward', id: 'phuong-5-q' } }), hub.privateKey, hubId).length,
    ).toBeLessThanOrEqual(180);
  });

  it('refuses an altered token, a foreign key and an unknown signer with their codes', () => {
    const token = signPass(sample(), hub.privateKey, hubId);
    const body = base32Decode(token.slice(PASS_PREFIX.length))!;
    body[body.length - 73]! ^= 1; // the validUntil day (the body ends with it and the 8-byte key id)
    const altered = PASS_PREFIX + base32Encode(body);
    expect(() => verifyPass(altered, ring)).toThrow(expect.objectContaining({ code: 'bad-signature' }));
    const other = pair();
    // Signed by another key but naming the hub's: bad signature; naming its own: unknown key.
    expect(() => verifyPass(signPass(sample(), other.privateKey, hubId), ring)).toThrow(
      expect.objectContaining({ code: 'bad-signature' }),
    );
    expect(() => verifyPass(signPass(sample(), other.privateKey, keyId(other.publicKey)), ring)).toThrow(
      expect.objectContaining({ code: 'unknown-key' }),
    );
  });

  it('refuses malformed text with code format, never another error', () => {
    const token = signPass(sample(), hub.privateKey, hubId);
    const bad = [
      '',
      'QRKP1:',
      'QRKP1:A',
      `qrkp1:${token.slice(6)}`,
      `${token.slice(0, 6)}${token.slice(6).toLowerCase()}`,
      `${token}=`,
      `${token}A`,
      token.slice(0, -1),
      `QRKP1:${'A'.repeat(600)}`,
      `QRKP1:${base32Encode(Buffer.from([2, ...base32Decode(token.slice(6))!.subarray(1)]))}`,
      `QRKP1:${base32Encode(Buffer.alloc(120))}`,
      `QRKP1:${base32Encode(Buffer.alloc(120, 0xff))}`,
    ];
    for (const text of bad) {
      let error: unknown;
      try {
        parsePass(text);
      } catch (err) {
        error = err;
      }
      expect(error, text).toBeInstanceOf(PassError);
      expect((error as PassError).code).toBe('format');
    }
  });

  it('refuses to sign what it could not print', () => {
    expect(() => signPass(sample({ passId: 'xyz' }), hub.privateKey, hubId)).toThrow(PassError);
    expect(() =>
      signPass(sample({ scope: { kind: 'ward', id: 'Phường 5' } }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() =>
      signPass(sample({ scope: { kind: 'ward', id: 'a'.repeat(65) } }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() =>
      signPass(sample({ validFrom: '2022-01-02', validUntil: '2022-01-01' }), hub.privateKey, hubId),
    ).toThrow(PassError);
    expect(() => signPass(sample({ validFrom: '2019-12-31' }), hub.privateKey, hubId)).toThrow(PassError);
    expect(() => signPass(sample({ validUntil: '2022-02-30' }), hub.privateKey, hubId)).toThrow(PassError);
  });

  it('judges the Vietnam day against validity, both ends inclusive', () => {
    const p = sample();
    expect(passValidity(p, '2021-09-30')).toBe('not-yet-valid');
    expect(passValidity(p, '2021-10-01')).toBe('valid');
    expect(passValidity(p, '2022-09-30')).toBe('valid');
    expect(passValidity(p, '2022-10-01')).toBe('expired');
  });

  it('is a fleet kind (its revocations travel in the pass list, not the DCC revocation list)', () => {
    expect(FLEET_KINDS).toContain('passes');
  });
});

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
    // A list without linkCount, or with a bad one, is not this format.
    const { linkCount: _, ...noLinks } = base;
    for (const h of [noLinks, { ...base, linkCount: -1 }, { ...base, linkCount: 1.5 }])
      expect(code(() => verifyPassList(header({ ...h, province: null }), ring))).toBe('format');
  });
});
