/**
 * The page's date and time formatting (hub/public/app/fmt.js, plain browser ES module) against ICU's
 * own Vietnam time zone through Intl.DateTimeFormat — an oracle nobody here wrote: dd/MM/yyyy HH:mm in
 * Asia/Ho_Chi_Minh for instants across years, leap days and every hour; and typed days accepted
 * exactly when they are real calendar days.
 */
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

interface Fmt {
  fmtDate(value: string): string;
  fmtDateTime(value: string): string;
  vnHour(iso: string): number;
  vnToday(ms?: number): string;
  parseDayInput(text: string): string | null;
  fmtAgo(iso: string, lang: 'vi' | 'en', now?: number): string;
}

const ICU = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Asia/Ho_Chi_Minh',
  day: '2-digit',
  month: '2-digit',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
const icu = (ms: number) => {
  const p = Object.fromEntries(ICU.formatToParts(new Date(ms)).map((x) => [x.type, x.value]));
  return { date: `${p.day}/${p.month}/${p.year}`, time: `${p.hour}:${p.minute}`, hour: Number(p.hour) };
};

describe('page formatting against ICU (Asia/Ho_Chi_Minh)', () => {
  let fmt: Fmt;
  beforeAll(async () => {
    fmt = (await import(pathToFileURL(`${import.meta.dirname}/../public/app/fmt.js`).href)) as Fmt;
  });

  it('formats instants as dd/MM/yyyy HH:mm in Vietnam time, whatever the machine zone', () => {
    // Every 7 h 13 min from 2019 to 2031: all hours, month ends and leap days are crossed.
    for (let ms = Date.UTC(2019, 0, 1); ms < Date.UTC(2031, 0, 1); ms += 7 * 3600_000 + 13 * 60_000) {
      const iso = new Date(ms).toISOString();
      const want = icu(ms);
      expect(fmt.fmtDateTime(iso), iso).toBe(`${want.date} ${want.time}`);
      expect(fmt.fmtDate(iso), iso).toBe(want.date);
      expect(fmt.vnHour(iso), iso).toBe(want.hour);
      expect(fmt.vnToday(ms).split('-').reverse().join('/'), iso).toBe(want.date);
    }
    expect(fmt.fmtDate('2024-02-29')).toBe('29/02/2024');
  });

  it('accepts a typed day exactly when it is a real calendar day', () => {
    for (let y = 2023; y <= 2025; y++)
      for (let m = 1; m <= 12; m++)
        for (let d = 1; d <= 31; d++) {
          const text = `${String(d).padStart(2, '0')}/${String(m).padStart(2, '0')}/${y}`;
          const real = new Date(Date.UTC(y, m - 1, d)).getUTCDate() === d;
          expect(fmt.parseDayInput(text), text).toBe(
            real ? `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}` : null,
          );
        }
    expect(fmt.parseDayInput('1/2/2024')).toBe('2024-02-01');
    for (const bad of ['2024-02-01', '01/02/24', '01.02.2024', '', '32/01/2024', '00/01/2024', '01/13/2024'])
      expect(fmt.parseDayInput(bad), bad).toBeNull();
  });

  it('says how long ago in each language', () => {
    const now = Date.UTC(2026, 10, 26, 12);
    const ago = (s: number) => new Date(now - s * 1000).toISOString();
    expect([5, 42, 120, 7200, 3 * 86400].map((s) => fmt.fmtAgo(ago(s), 'vi', now))).toEqual([
      'vừa xong',
      '42 giây trước',
      '2 phút trước',
      '2 giờ trước',
      '3 ngày trước',
    ]);
    expect([5, 42, 120, 7200, 3 * 86400].map((s) => fmt.fmtAgo(ago(s), 'en', now))).toEqual([
      'just now',
      '42 s ago',
      '2 min ago',
      '2 h ago',
      '3 d ago',
    ]);
  });
});
