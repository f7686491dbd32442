/**
 * Hostile input: whatever a scanner delivers — random text, random bytes read as UTF-8 or Latin-1,
 * mutations of real codes, up to 64 KB — the decoder returns a well-formed result and never throws.
 * Bounded runs (seeded) so CI time stays fixed; a hang would trip the test timeout.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createDccSigner, sampleVaccination } from '@qrkiosk/firmware-sim';
import { KeyRing, RevocationListError, signRevocationList } from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { RevocationInputError, requestRevocation } from '../src/cli/decode-revocation.js';
import {
  DECODE_ERRORS,
  type DecodeResult,
  decodePayload,
  TrustStore,
  WINDOWS_1252,
} from '../src/decode/index.js';
import { toFrame } from '../src/frame/index.js';
import { factsFromDcc } from '../src/lookup/index.js';
import { installRevocationList, RevocationList, revocationFile } from '../src/revocation/index.js';

const KINDS = new Set(['cccd', 'bhyt', 'personal-qr', 'dcc', 'location', 'unknown', 'pass']);

function assertWellFormed(r: DecodeResult): void {
  expect(KINDS.has(r.kind)).toBe(true);
  expect(typeof r.ok).toBe('boolean');
  if (r.ok) {
    expect(r.error).toBeUndefined();
    expect(r.identity).toBeDefined();
  } else {
    expect(r.error?.code && r.error.code in DECODE_ERRORS).toBe(true);
    // The catch-all in decodePayload must stay unreached: reaching it means a decoder threw.
    expect(r.error?.code).not.toBe('internal-error');
    expect(r.error?.message).toMatch(/ \/ /);
  }
  if (r.identity) {
    expect(typeof r.identity.name).toBe('string');
    if (r.identity.dateOfBirth !== null)
      expect(r.identity.dateOfBirth).toMatch(/^(\d{4}(-\d{2}(-\d{2})?)?)?$/);
    expect([null, 'M', 'F']).toContain(r.identity.sex);
  }
  // Results go to JSON (CLI, MQTT): they must serialise.
  expect(() => JSON.stringify(r)).not.toThrow();
}

const CCCD = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';
const BHYT =
  'GD4795612345678|4e677579e1bb856e2056c4836e20416e|15/08/1990|1|3132|79 - 005|01/01/2021|31/12/2021|01/01/2021|7901234567|-|4|01/01/2026|4641c59ff02659c3-1202|$';
const PERSONAL = '******001234|NGUYEN VAN AN|1990-08-15|0|162979388586171100|1<GD4795612345678<0912******';

/** Real codes with characters replaced, inserted, deleted or the tail cut. */
const mutated = (seed: string) =>
  fc
    .tuple(
      fc.nat({ max: seed.length }),
      fc.nat({ max: seed.length }),
      fc.string({ maxLength: 4 }),
      fc.constantFrom('replace', 'insert', 'delete', 'cut'),
    )
    .map(([i, j, s, op]) => {
      const [a, b] = [Math.min(i, j), Math.max(i, j)];
      if (op === 'replace') return seed.slice(0, a) + s + seed.slice(a + s.length);
      if (op === 'insert') return seed.slice(0, a) + s + seed.slice(a);
      if (op === 'delete') return seed.slice(0, a) + seed.slice(b);
      return seed.slice(0, a);
    });

describe('decoder under hostile input', () => {
  let dcc = '';
  let trust: TrustStore;
  beforeAll(async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    trust = new TrustStore();
    trust.add(signer.certificateDer, 'signer');
    dcc = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
  });
  const at = new Date('2021-11-01T00:00:00Z');
  const check = (payload: string) => assertWellFormed(decodePayload(payload, { at, trust }));

  it('random unicode text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 2000 }), check), {
      numRuns: 1500,
      seed: 4201,
    });
  });
  it('random bytes read as UTF-8 and as Latin-1, up to 64 KB', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 65536 }), (bytes) => {
        const buf = Buffer.from(bytes);
        check(buf.toString('utf8'));
        check(buf.toString('latin1'));
      }),
      { numRuns: 200, seed: 4202 },
    );
  });
  it('text in the shapes of real codes', () => {
    const fields = fc.array(
      fc.oneof(
        fc.string({ maxLength: 20 }),
        fc.stringMatching(/^\d{1,14}$/),
        fc.constantFrom('', '-', '$', 'Nam', 'Nữ', '1990-**-**'),
      ),
      {
        maxLength: 20,
      },
    );
    fc.assert(
      fc.property(fields, (f) => check(f.join('|'))),
      { numRuns: 2000, seed: 4203 },
    );
    fc.assert(fc.property(fc.stringMatching(/^HC1:[0-9A-Z $%*+\-./:]{0,600}$/), check), {
      numRuns: 1000,
      seed: 4204,
    });
  });
  it('mutations of valid CCCD, BHYT, personal QR and DCC codes', () => {
    for (const [seed, runs] of [
      [CCCD, 1500],
      [BHYT, 1500],
      [PERSONAL, 1500],
      [dcc, 600],
    ] as const) {
      fc.assert(fc.property(mutated(seed), check), { numRuns: runs, seed: 4205 });
    }
  });
  it('the tolerant paths: starred birth dates never fail a personal QR', () => {
    const starred = (n: number) =>
      fc.stringMatching(new RegExp(`^[0-9*]{${n}}$`)).filter((s) => s.includes('*'));
    const month = fc.oneof(
      fc.constant('**'),
      fc.integer({ min: 1, max: 12 }).map((m) => String(m).padStart(2, '0')),
    );
    const day = fc.oneof(
      fc.constant('**'),
      fc.integer({ min: 1, max: 28 }).map((d) => String(d).padStart(2, '0')),
    );
    const birth = fc.oneof(
      fc.tuple(starred(4), month, day).map(([y, m, d]) => `${y}-${m}-${d}`),
      fc.tuple(day, month, starred(4)).map(([d, m, y]) => `${d}/${m}/${y}`),
    );
    fc.assert(
      fc.property(birth, fc.constantFrom('0', '1'), (b, type) => {
        const r = decodePayload(`******001234|NGUYEN VAN AN|${b}|${type}|162979388586171100|1<0912******`);
        assertWellFormed(r);
        expect(r).toMatchObject({ kind: 'personal-qr', ok: true, identity: { dateOfBirth: null } });
      }),
      { numRuns: 1500, seed: 4207 },
    );
    // Anything in the birth field: a well-formed result, and a personal QR only fails on its date.
    fc.assert(
      fc.property(fc.stringMatching(/^[0-9*]{0,5}[-/][0-9*]{0,3}[-/][0-9*]{0,5}$/), (b) => {
        const r = decodePayload(`******001234|NGUYEN VAN AN|${b}|0|162979388586171100`);
        assertWellFormed(r);
        if (r.kind === 'personal-qr' && !r.ok) expect(r.error?.code).toBe('personal-date');
      }),
      { numRuns: 1500, seed: 4208 },
    );
  });
  it('the tolerant paths: CCCD-shaped lines with numbers of 9 to 14 digits', () => {
    const field = fc.oneof(
      fc.string({ maxLength: 12 }),
      fc.constantFrom('', 'Nam', 'Nữ', '15081990', '15/08/1990'),
    );
    // Half the lines in the card's own layout (so the 11/13-digit path is reached), half anything.
    const card = fc
      .tuple(
        fc.constantFrom('', '272345678'),
        field,
        fc.constantFrom('15081990', '31021990'),
        fc.constantFrom('Nam', 'Nữ', 'X'),
        field,
      )
      .map(([former, name, dob, sex, address]) => [former, name, dob, sex, address, '20042021']);
    const line = fc.tuple(
      fc.stringMatching(/^\d{9,14}$/),
      fc.oneof(card, fc.array(field, { minLength: 4, maxLength: 12 })),
    );
    const seen = { cccd: 0, other: 0 };
    fc.assert(
      fc.property(line, ([number, rest]) => {
        const r = decodePayload([number, ...rest].join('|'));
        assertWellFormed(r);
        if (r.kind === 'cccd' && number.length !== 12) {
          expect(r.error?.code).toBe('cccd-number');
          seen.cccd++;
        } else if (number.length !== 12) seen.other++;
      }),
      { numRuns: 2000, seed: 4209 },
    );
    expect(seen.cccd).toBeGreaterThan(50);
    expect(seen.other).toBeGreaterThan(50);
  });
  it('the tolerant paths: signed DCCs with any date or date-time in dt', async () => {
    const signer = await createDccSigner({ alg: 'ES256' });
    const store = new TrustStore();
    store.add(signer.certificateDer, 'signer');
    const seen = { ok: 0, refused: 0 };
    const dt = fc.oneof(
      fc
        .tuple(
          fc.date({ min: new Date('2020-01-01'), max: new Date('2022-12-31'), noInvalidDate: true }),
          fc.constantFrom('', 'Z', '+02:00', '-05:30', '.5+07:00'),
        )
        .map(([d, zone]) =>
          zone === '' && d.getUTCSeconds() % 2
            ? d.toISOString().slice(0, 10)
            : d.toISOString().slice(0, 19) + zone,
        ),
      fc.stringMatching(/^\d{4}-\d{2}-\d{2}[T ]?[0-9:+\-.Z]{0,16}$/),
      fc.string({ maxLength: 30 }),
    );
    fc.assert(
      fc.property(dt, (value) => {
        const hcert = sampleVaccination();
        const v = { ...(hcert.v as Array<Record<string, unknown>>)[0], dt: value };
        const code = signer.issue({
          hcert: { ...hcert, v: [v] },
          issuedAt: new Date('2021-10-01'),
          expiresAt: new Date('2022-10-01'),
        });
        const r = decodePayload(code, { at, trust: store });
        assertWellFormed(r);
        expect(r.kind).toBe('dcc');
        seen[r.ok ? 'ok' : 'refused']++;
        if (r.ok) {
          expect(value).toMatch(/^\d{4}-\d{2}-\d{2}/);
          expect(factsFromDcc(r.dcc!, '2021-11-01')?.lastDoseDate).toBe(value.slice(0, 10));
        } else expect(r.error?.code).toBe('dcc-schema');
      }),
      { numRuns: 300, seed: 4210 },
    );
    expect(seen.ok).toBeGreaterThan(30);
    expect(seen.refused).toBeGreaterThan(30);
  });
  it('the mojibake path: any run of Windows-1252 characters', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WINDOWS_1252), { maxLength: 400 }), (chars) =>
        check(chars.join('')),
      ),
      { numRuns: 1500, seed: 4211 },
    );
  });
  it('the largest inputs: 64 KB of one character, of separators, and a 64 KB DCC-looking string', () => {
    for (const payload of [
      'A'.repeat(65536),
      '|'.repeat(65536),
      `HC1:${'0'.repeat(65532)}`,
      '\uFEFF'.repeat(65536),
    ]) {
      check(payload);
      const frame = toFrame(payload);
      if (frame) check(frame.text);
    }
  });
  it('the frame stage never makes an empty frame and bounds its length', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 10000 }), (raw) => {
        const f = toFrame(raw);
        if (f) {
          expect(f.text.trim()).not.toBe('');
          expect(f.text.length).toBeLessThanOrEqual(8193);
        }
      }),
      { numRuns: 1000, seed: 4206 },
    );
  });
});

describe('revocation lists and requests under hostile input', () => {
  const hub = generateKeyPairSync('ed25519');
  const keys = new KeyRing();
  keys.add(hub.publicKey);
  const kid = randomBytes(8);
  const good = signRevocationList(
    [
      { kid, type: 'UCI', hashes: Array.from({ length: 40 }, () => randomBytes(16)) },
      { kid, type: 'SIGNATURE', hashes: Array.from({ length: 10 }, () => randomBytes(16)) },
    ],
    5,
    hub,
  );
  /** Refused with a RevocationListError (a code, a message) and nothing written — never another throw. */
  const refusedOrInstalled = (file: Buffer) => {
    const dir = makeTempDir('hostile-revocation-');
    try {
      const r = installRevocationList(dir, file, keys, 0);
      // Only the signed bytes themselves can get through.
      expect(r.installed && file.equals(good)).toBe(true);
    } catch (err) {
      expect(err).toBeInstanceOf(RevocationListError);
      expect((err as RevocationListError).message.length).toBeGreaterThan(0);
      expect(existsSync(revocationFile(dir))).toBe(false);
    }
  };

  it('random bytes and mutations of a signed list file are refused with a reason, never installed', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), (b) => refusedOrInstalled(Buffer.from(b))),
      {
        numRuns: 300,
        seed: 4301,
      },
    );
    const mutations = fc
      .tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 1, max: 255 }), fc.nat({ max: good.length }))
      .map(([i, x, cut]) => {
        const m = Buffer.from(good);
        m[i] = m[i]! ^ x;
        return x % 3 === 0 ? m.subarray(0, cut) : m;
      });
    fc.assert(fc.property(mutations, refusedOrInstalled), { numRuns: 300, seed: 4302 });
    // A header that claims more entries than the file holds, or a huge header length.
    const huge = Buffer.from(good);
    huge.writeUInt32LE(0xffffffff, 6);
    refusedOrInstalled(huge);
  });

  it('any JSON as a --jsonl "revocation" member is taken or refused with a RevocationInputError', () => {
    const b64 = fc.uint8Array({ minLength: 0, maxLength: 24 }).map((b) => Buffer.from(b).toString('base64'));
    const member = fc.oneof(
      fc.jsonValue(),
      fc.dictionary(
        fc.constantFrom('uci', 'countrycodeuci', 'signature', 'UCI', '__proto__', ''),
        fc.oneof(fc.array(fc.oneof(b64, fc.jsonValue()), { maxLength: 5 }), fc.jsonValue()),
      ),
    );
    fc.assert(
      fc.property(member, (value) => {
        try {
          expect(requestRevocation(value)).toBeInstanceOf(RevocationList);
        } catch (err) {
          expect(err).toBeInstanceOf(RevocationInputError);
        }
      }),
      { numRuns: 1500, seed: 4303 },
    );
  });

  it('mutated DCCs decoded with a revocation list in force stay well-formed', async () => {
    const signer = await createDccSigner({ alg: 'PS256' });
    const trust = new TrustStore();
    trust.add(signer.certificateDer, 'signer');
    const code = signer.issue({
      hcert: sampleVaccination(),
      issuedAt: new Date('2021-10-01'),
      expiresAt: new Date('2022-10-01'),
    });
    const revocation = new RevocationList([
      { kid: signer.kid, type: 'UCI', hashes: randomBytes(16 * 30) },
      { kid: null, type: 'SIGNATURE', hashes: randomBytes(16 * 30) },
    ]);
    const at = new Date('2021-11-01T00:00:00Z');
    fc.assert(
      fc.property(mutated(code), (p) => assertWellFormed(decodePayload(p, { at, trust, revocation }))),
      { numRuns: 600, seed: 4304 },
    );
  });
});
