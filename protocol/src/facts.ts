/**
 * A person's Covid-card facts, as hub and kiosk exchange and store them. Unknown is null, never a
 * guess. Dates are Vietnam-local calendar days (`YYYY-MM-DD`); the test time is an instant.
 */
export interface Facts {
  dosesReceived: number | null;
  primarySeriesComplete: boolean | null;
  firstDoseDate: string | null;
  lastDoseDate: string | null;
  recoveredDate: string | null;
  /** ISO-8601 instant. */
  negativeTestAt: string | null;
  negativeTestType: 'pcr' | 'rat' | null;
  caseStatus: 'none' | 'f0' | 'f1';
  /** Last day the case status applies (inclusive); null = until further notice. */
  caseUntil: string | null;
  /** Where the facts came from: a technician's import, the hub's signed data, or a verified DCC. */
  source: 'import' | 'hub' | 'dcc';
  /** Day the facts were last updated. */
  updatedOn: string | null;
}

export const NO_FACTS: Facts = {
  dosesReceived: null,
  primarySeriesComplete: null,
  firstDoseDate: null,
  lastDoseDate: null,
  recoveredDate: null,
  negativeTestAt: null,
  negativeTestType: null,
  caseStatus: 'none',
  caseUntil: null,
  source: 'import',
  updatedOn: null,
};

/**
 * Fixed-width binary form, 16 bytes, so the kiosk cache stays compact (10M people in ~0.4 GB):
 *   0      doses received (255 = unknown)
 *   1      flags: bits 0–1 primary series (0 unknown, 1 no, 2 yes); 2–3 test type (0 none, 1 PCR,
 *          2 RAT); 4–5 case (0 none, 1 F0, 2 F1); 6–7 source (0 import, 1 hub, 2 DCC)
 *   2–3    first dose, 4–5 last dose, 6–7 recovery: days since 2019-12-01 (0 = unknown)
 *   8–11   negative test: seconds since 2019-12-01T00:00:00Z (0 = unknown)
 *   12–13  case until, 14–15 updated on: days since 2019-12-01 (0 = unknown / open-ended)
 */
export const FACTS_BYTES = 16;
const EPOCH_MS = Date.UTC(2019, 11, 1);
const DAY_MS = 86_400_000;

export class FactsError extends Error {}

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
// Imports repeat the same few hundred dates millions of times: remember their day numbers.
const dayCache = new Map<string, number>();

function dayNumber(date: string | null, field: string): number {
  if (date === null) return 0;
  const cached = dayCache.get(date);
  if (cached !== undefined) return cached;
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const [y, mo, d] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const valid =
    mo >= 1 && mo <= 12 && d >= 1 && d <= (DAYS_IN_MONTH[mo - 1] ?? 0) + (mo === 2 && leap ? 1 : 0);
  const n = valid ? (Date.UTC(y, mo - 1, d) - EPOCH_MS) / DAY_MS + 1 : 0;
  if (n < 1 || n > 0xffff) throw new FactsError(`${field}: not a date from 2019-12-01 on: ${date}`);
  if (dayCache.size < 100_000) dayCache.set(date, n);
  return n;
}

function dayString(n: number): string | null {
  return n === 0 ? null : new Date(EPOCH_MS + (n - 1) * DAY_MS).toISOString().slice(0, 10);
}

const PRIMARY = [null, false, true] as const;
const TEST = [null, 'pcr', 'rat'] as const;
const CASE = ['none', 'f0', 'f1'] as const;
const SOURCE = ['import', 'hub', 'dcc'] as const;

export function encodeFacts(f: Facts, out: Buffer = Buffer.alloc(FACTS_BYTES), offset = 0): Buffer {
  const doses = f.dosesReceived;
  if (doses !== null && (!Number.isInteger(doses) || doses < 0 || doses > 254))
    throw new FactsError(`dosesReceived: want 0–254: ${doses}`);
  let seconds = 0;
  if (f.negativeTestAt !== null) {
    const ms = Date.parse(f.negativeTestAt);
    seconds = Math.floor((ms - EPOCH_MS) / 1000) + 1;
    if (Number.isNaN(ms) || seconds < 1 || seconds > 0xffffffff)
      throw new FactsError(`negativeTestAt: not a time from 2019-12-01 on: ${f.negativeTestAt}`);
  }
  out[offset] = doses === null ? 255 : doses;
  out[offset + 1] =
    PRIMARY.indexOf(f.primarySeriesComplete) |
    (TEST.indexOf(f.negativeTestType) << 2) |
    (CASE.indexOf(f.caseStatus) << 4) |
    (SOURCE.indexOf(f.source) << 6);
  out.writeUInt16LE(dayNumber(f.firstDoseDate, 'firstDoseDate'), offset + 2);
  out.writeUInt16LE(dayNumber(f.lastDoseDate, 'lastDoseDate'), offset + 4);
  out.writeUInt16LE(dayNumber(f.recoveredDate, 'recoveredDate'), offset + 6);
  out.writeUInt32LE(seconds, offset + 8);
  out.writeUInt16LE(dayNumber(f.caseUntil, 'caseUntil'), offset + 12);
  out.writeUInt16LE(dayNumber(f.updatedOn, 'updatedOn'), offset + 14);
  return out;
}

export function decodeFacts(b: Uint8Array, offset = 0): Facts {
  const buf = Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const flags = buf[offset + 1] ?? 0;
  const seconds = buf.readUInt32LE(offset + 8);
  return {
    dosesReceived: buf[offset] === 255 ? null : (buf[offset] ?? null),
    primarySeriesComplete: PRIMARY[flags & 3] ?? null,
    negativeTestType: TEST[(flags >> 2) & 3] ?? null,
    caseStatus: CASE[(flags >> 4) & 3] ?? 'none',
    source: SOURCE[(flags >> 6) & 3] ?? 'import',
    firstDoseDate: dayString(buf.readUInt16LE(offset + 2)),
    lastDoseDate: dayString(buf.readUInt16LE(offset + 4)),
    recoveredDate: dayString(buf.readUInt16LE(offset + 6)),
    negativeTestAt: seconds === 0 ? null : new Date(EPOCH_MS + (seconds - 1) * 1000).toISOString(),
    caseUntil: dayString(buf.readUInt16LE(offset + 12)),
    updatedOn: dayString(buf.readUInt16LE(offset + 14)),
  };
}
