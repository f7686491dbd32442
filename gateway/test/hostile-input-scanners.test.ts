/**
 * Hostile input on the scanner side of the input stage (issue #14 item 4), next to
 * hostile-input.test.ts which covers the decoder:
 *  - GM65 UART: random bytes and codes interleaved with the module's replies, cut into random reads.
 *    Nothing throws; every reply comes out as a reply (never inside a code) and every other byte
 *    comes out as code bytes, in order. Random bytes given to the module's command parser never throw.
 *  - HID report streams: random reports of any length, and real code streams with random reports
 *    spliced in, into HidPosAssembler, KeyboardWedgeDecoder (every layout) and the report feed the
 *    HID input uses. Nothing throws; lines stay bounded.
 * Bounded, seeded runs so CI time stays fixed.
 */
import { keyboardWedgeReports } from '@qrkiosk/firmware-sim';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Gm65Demux,
  gm65Reply,
  HidPosAssembler,
  hidPosReports,
  KeyboardWedgeDecoder,
  LAYOUTS,
  type LayoutName,
  makeReportFeed,
  parseGm65Command,
} from '../src/input/index.js';
import { settingsFromText } from '../src/settings/index.js';

type Segment = { kind: 'code' | 'noise'; bytes: Buffer } | { kind: 'reply'; data: Buffer; bytes: Buffer };

const segment: fc.Arbitrary<Segment> = fc.oneof(
  fc
    .string({ unit: 'grapheme', maxLength: 300 })
    .map((s) => ({ kind: 'code' as const, bytes: Buffer.from(`${s}\r`, 'utf8') })),
  fc.uint8Array({ maxLength: 64 }).map((b) => ({ kind: 'noise' as const, bytes: Buffer.from(b) })),
  // Replies the module sends: a write/save acknowledgement or a read of 1–16 zone bytes.
  fc.uint8Array({ minLength: 1, maxLength: 16 }).map((d) => {
    const data = Buffer.from(d);
    return { kind: 'reply' as const, data, bytes: gm65Reply(data) };
  }),
);

/** Cuts a buffer at random points, as USB-UART reads do. */
function cut(buf: Buffer, points: number[]): Buffer[] {
  const at = [...new Set(points.map((p) => p % (buf.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let from = 0;
  for (const p of at) {
    out.push(buf.subarray(from, p));
    from = p;
  }
  out.push(buf.subarray(from));
  return out;
}

describe('GM65 replies in a hostile serial stream', () => {
  it('replies are always replies, everything else is code bytes in order, nothing throws', () => {
    fc.assert(
      fc.property(
        fc.array(segment, { maxLength: 40 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (segments, points) => {
          const wire = Buffer.concat(segments.map((s) => s.bytes));
          const demux = new Gm65Demux();
          const code: Buffer[] = [];
          const replies: Buffer[] = [];
          for (const chunk of cut(wire, points)) {
            const r = demux.push(chunk);
            code.push(r.code);
            replies.push(...r.replies);
          }
          code.push(demux.flush());
          const expectedReplies = segments.flatMap((s) => (s.kind === 'reply' ? [s.data] : []));
          const expectedCode = Buffer.concat(segments.flatMap((s) => (s.kind === 'reply' ? [] : [s.bytes])));
          expect(replies).toEqual(expectedReplies);
          expect(Buffer.concat(code).equals(expectedCode)).toBe(true);
        },
      ),
      { numRuns: 3000, seed: 1401 },
    );
  });

  it('random bytes never throw in the command parser (the module side)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const buf = Buffer.from(bytes);
        for (let i = 0; i < Math.min(buf.length, 40); i++) parseGm65Command(buf.subarray(i));
      }),
      { numRuns: 2000, seed: 1402 },
    );
  });
});

const report = (maxLength: number) => fc.uint8Array({ maxLength }).map((b) => Buffer.from(b));
const LAYOUT_NAMES = Object.keys(LAYOUTS) as LayoutName[];
const scanner = (yaml: string) =>
  settingsFromText(`kiosk: { id: k-1, site: s-1 }\nscanner: ${yaml}\n`, 'test', {}).settings.scanner;

describe('HID report streams under hostile input', () => {
  it('HID-POS: random reports of any length never throw; codes stay bounded', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            report(80),
            report(64).map((r) => Buffer.concat([Buffer.of(0x02), r])),
          ),
          {
            maxLength: 400,
          },
        ),
        (reports) => {
          const a = new HidPosAssembler();
          for (const r of reports) {
            const code = a.push(r);
            if (code) expect(code.bytes.length).toBeLessThanOrEqual(16 * 1024 + 56);
          }
        },
      ),
      { numRuns: 1000, seed: 1403 },
    );
  });

  it('keyboard wedge, every layout: random 8-byte and odd-sized reports never throw', () => {
    const keyish = fc
      .tuple(fc.nat(255), fc.array(fc.integer({ min: 0, max: 0xe7 }), { minLength: 6, maxLength: 6 }))
      .map(([mod, keys]) => Buffer.from([mod, 0, ...keys]));
    fc.assert(
      fc.property(
        fc.constantFrom(...LAYOUT_NAMES),
        fc.array(fc.oneof(keyish, report(16)), { maxLength: 600 }),
        (layout, reports) => {
          const d = new KeyboardWedgeDecoder(layout);
          for (const r of reports) {
            const line = d.push(r);
            if (line !== null) expect(line.length).toBeLessThanOrEqual(8193 * 2);
          }
        },
      ),
      { numRuns: 1000, seed: 1404 },
    );
  });

  it('Alt+numpad sequences of any digits (code points past U+10FFFF) never throw', () => {
    const KEYPAD = [0x62, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61];
    fc.assert(
      fc.property(
        fc.array(fc.nat(9), { minLength: 1, maxLength: 9 }),
        fc.constantFrom(...LAYOUT_NAMES),
        (digits, layout) => {
          const d = new KeyboardWedgeDecoder(layout);
          for (const digit of digits) {
            d.push(Buffer.from([0x04, 0, KEYPAD[digit] ?? 0x62, 0, 0, 0, 0, 0]));
            d.push(Buffer.from([0x04, 0, 0, 0, 0, 0, 0, 0]));
          }
          d.push(Buffer.alloc(8));
          expect(typeof d.push(Buffer.from([0, 0, 0x28, 0, 0, 0, 0, 0]))).toBe('string');
        },
      ),
      { numRuns: 1000, seed: 1405 },
    );
  });

  it('real code streams with random reports spliced in, through the input feed, never throw', () => {
    const CODE = '079090001234|272345678|Nguyễn Văn An|15081990|Nam|123 Lê Lợi, Quận 1|20042021';
    const pos = hidPosReports(Buffer.from(CODE, 'utf8'));
    const wedge = keyboardWedgeReports(CODE, 'us', 8).map((t) => t.report);
    fc.assert(
      fc.property(
        fc.constantFrom('hid-pos', 'keyboard-wedge'),
        fc.array(fc.tuple(fc.nat(), report(70)), { maxLength: 20 }),
        (type, splices) => {
          const stream = [...(type === 'hid-pos' ? pos : wedge)];
          for (const [at, r] of splices) stream.splice(at % (stream.length + 1), 0, r);
          const lines: string[] = [];
          const feed = makeReportFeed(scanner(`{ type: ${type} }`), (l) => lines.push(l));
          for (const r of stream) feed(r);
          for (const l of lines) expect(typeof l).toBe('string');
          // With nothing spliced in, the code comes through intact.
          if (splices.length === 0) expect(lines).toEqual([CODE]);
        },
      ),
      { numRuns: 500, seed: 1406 },
    );
  });
});
