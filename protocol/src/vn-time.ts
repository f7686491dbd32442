/** Vietnam has no daylight saving time: local time is always UTC+7. */
export const VN_OFFSET_MINUTES = 7 * 60;

const pad = (n: number) => String(n).padStart(2, '0');

function shifted(at: Date): Date {
  return new Date(at.getTime() + VN_OFFSET_MINUTES * 60_000);
}

/** `dd/MM/yyyy` in Vietnam time. */
export function formatVnDate(at: Date): string {
  const d = shifted(at);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** `dd/MM/yyyy HH:mm:ss` in Vietnam time. */
export function formatVnDateTime(at: Date): string {
  const d = shifted(at);
  return `${formatVnDate(at)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A Vietnam calendar day `YYYY-MM-DD` as people read it, `dd/MM/yyyy` (cards, CLI, pages). */
export function formatVnDay(day: string): string {
  return day.split('-').reverse().join('/');
}

/** The calendar day in Vietnam, as `YYYY-MM-DD` (for day counts and daily reports). */
export function vnDay(at: Date): string {
  const d = shifted(at);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/**
 * The instant a Vietnam calendar day (`YYYY-MM-DD`) begins: 00:00 at UTC+7, i.e. 17:00 UTC the day
 * before. The one place that spells the offset for day boundaries (counts, reports, retention).
 */
export function vnDayStart(day: string): Date {
  return new Date(`${day}T00:00:00+07:00`);
}

/** The instant the Vietnam calendar day containing `at` began. */
export function vnDayStartOf(at: Date): Date {
  return vnDayStart(vnDay(at));
}

/** The instant the Vietnam calendar day `YYYY-MM-DD` ends (the next day's start; Vietnam has no DST). */
export function vnDayEnd(day: string): Date {
  return new Date(vnDayStart(day).getTime() + 86_400_000);
}

/** The Vietnam calendar day before the one containing `at` (`YYYY-MM-DD`): a morning report's day. */
export function vnYesterday(at: Date): string {
  return vnDay(new Date(vnDayStartOf(at).getTime() - 1));
}

/** The instant it is `hh:mm` Vietnam time on the day `YYYY-MM-DD`. */
export function vnTimeOn(day: string, hh: number, mm: number): Date {
  return new Date(vnDayStart(day).getTime() + (hh * 60 + mm) * 60_000);
}

/**
 * A calendar day as `YYYY-MM-DD`, checked strictly: the shape, and that it names a real day
 * (`2021-02-30` and `2021-13-45` are refused — `Date` would roll the first into March and make the
 * second an invalid date that throws later). The one validator for every route and command that
 * takes a day. Returns the day, or null.
 */
export function parseDay(text: unknown): string | null {
  if (typeof text !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(text)) return null;
  const d = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === text ? text : null;
}

/** The bilingual refusal for a day that `parseDay` refused (`what`: the parameter's name). */
export function badDayMessage(what: string, value: unknown): { vi: string; en: string } {
  const shown = String(value).slice(0, 40);
  return {
    vi: `${what}: "${shown}" không phải là ngày hợp lệ (YYYY-MM-DD, ví dụ 2021-10-30)`,
    en: `${what}: "${shown}" is not a real day (YYYY-MM-DD, e.g. 2021-10-30)`,
  };
}
