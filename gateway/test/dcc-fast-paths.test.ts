/**
 * The DCC hot path's shortcuts (bench/decode.mjs, docs/benchmarks.md) must give exactly what the plain
 * code gives. Oracles: V8's own Date.prototype.toISOString, the full clean-up path of decodePayload, and
 * the dgc-testdata vectors (../shared/testdata/dcc).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '@qrkiosk/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { base45Decode } from '../src/decode/dcc/base45.js';
import { toPlain } from '../src/decode/dcc/cbor.js';
import { isoFromSeconds } from '../src/decode/dcc/iso.js';
import { decodePayload, TrustStore } from '../src/decode/index.js';

function dgcCases(): Array<{ file: string; code: string; cert: string; at: Date }> {
  const root = join(sharedDir(), 'testdata/dcc');
  const out: Array<{ file: string; code: string; cert: string; at: Date }> = [];
  const walk = (dir: string): void => {
    for (const f of readdirSync(dir).sort()) {
      const p = join(dir, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.json')) {
        let j: {
          PREFIX?: unknown;
          TESTCTX?: { CERTIFICATE?: string; VALIDATIONCLOCK?: string };
        };
        try {
          j = JSON.parse(readFileSync(p, 'utf8'));
        } catch {
          continue;
        }
        if (typeof j.PREFIX !== 'string' || !j.TESTCTX?.CERTIFICATE) continue;
        const clock = j.TESTCTX.VALIDATIONCLOCK;
        out.push({
          file: p.slice(root.length + 1),
          code: j.PREFIX,
          cert: j.TESTCTX.CERTIFICATE,
          at: new Date(clock ? (/(Z|[+-]\d\d:?\d\d)$/i.test(clock) ? clock : `${clock}Z`) : 0),
        });
      }
    }
  };
  walk(root);
  return out;
}

describe('isoFromSeconds', () => {
  const oracle = (s: number) => new Date(s * 1000).toISOString();
  it('writes what Date.prototype.toISOString writes, at the edges of its fast range', () => {
    for (const s of [
      0, 1, 59, 86399, 86400, 951782400 /* 2000-02-29 */, 4107542400 /* 2100-03-01 */, 1623974400,
      253402300799 /* 9999-12-31T23:59:59 */, 253402300800, -1, -86400, -62167219200 /* year 0 */, 1.5,
      1623974400.25, 99999999999, -99999999999,
    ])
      expect(isoFromSeconds(s), String(s)).toBe(oracle(s));
  });
  it('writes what Date.prototype.toISOString writes for any whole second in years 0000–9999', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 253402300799 }), (s) => isoFromSeconds(s) === oracle(s)),
      { numRuns: 20000 },
    );
  });
  it('writes what Date.prototype.toISOString writes for fractions and years outside 0–9999', () => {
    fc.assert(
      fc.property(fc.double({ min: -1e11, max: 1e11, noNaN: true }), (s) => isoFromSeconds(s) === oracle(s)),
      { numRuns: 5000 },
    );
  });
});

describe('base45Decode from an offset', () => {
  it('decodes exactly what the sliced text decodes, and names the bad character relative to the offset', () => {
    for (const { code } of dgcCases().slice(0, 40))
      if (code.startsWith('HC1:')) {
        let sliced: Buffer | Error;
        try {
          sliced = base45Decode(code.slice(4));
        } catch (err) {
          sliced = err as Error;
        }
        if (sliced instanceof Error) expect(() => base45Decode(code, 4)).toThrow(sliced.message);
        else expect(base45Decode(code, 4).equals(sliced)).toBe(true);
      }
    expect(() => base45Decode('HC1:QEDẞWEX0', 4)).toThrow('invalid base45 character at 3');
    expect(() => base45Decode('HC1:QED8WEX0AB', 4)).toThrow('lone character');
    expect(() => base45Decode('HC1:QED8WEXa', 4)).toThrow('invalid base45 character at 7');
  });
});

describe('toPlain', () => {
  it('keeps a __proto__ key as an own, enumerable property and never sets the prototype', () => {
    const plain = toPlain(
      new Map<unknown, unknown>([
        ['__proto__', new Map([['polluted', true]])],
        ['a', 1],
        [2, [new Map([['b', 3n]])]],
      ]),
    ) as Record<string, unknown>;
    expect(Object.getPrototypeOf(plain)).toBe(Object.prototype);
    expect(Object.keys(plain)).toEqual(['2', '__proto__', 'a']);
    expect(Object.getOwnPropertyDescriptor(plain, '__proto__')?.value).toEqual({ polluted: true });
    expect(plain['2']).toEqual([{ b: 3 }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodePayload shortcut for clean DCC text', () => {
  it('gives every dgc-testdata code the result the full clean-up path gives it', () => {
    const cases = dgcCases();
    const trust = new TrustStore();
    for (const c of cases) trust.add(c.cert, c.file);
    let shortcut = 0;
    for (const c of cases) {
      const fast = decodePayload(c.code, { at: c.at, trust });
      // A trailing line end is outside printable ASCII, so this one goes through cleanPayload.
      const full = decodePayload(`${c.code}\r\n`, { at: c.at, trust });
      expect(fast, c.file).toEqual(full);
      if (
        c.code.startsWith('HC1:') &&
        decodePayload(c.code, { at: c.at, trust }).error?.code !== 'dcc-base45'
      )
        shortcut++;
    }
    expect(shortcut).toBeGreaterThan(150);
  });
});
