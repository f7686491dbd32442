// Dates and times as Vietnam reads them: dd/MM/yyyy, 24-hour clock, Vietnam time (UTC+7, no DST),
// whatever the viewer's own time zone or browser locale.
const VN_OFFSET_MS = 7 * 3600e3;
const pad = (n) => String(n).padStart(2, '0');

/** A Date shifted so that its UTC fields read Vietnam's wall clock. */
const vn = (iso) => new Date(Date.parse(iso) + VN_OFFSET_MS);

/** 'yyyy-MM-dd' (a calendar day) or an instant → 'dd/MM/yyyy'; '' for nothing, the text for junk. */
export function fmtDate(value) {
  if (value === null || value === undefined || value === '') return '';
  const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (day) return `${day[3]}/${day[2]}/${day[1]}`;
  const d = vn(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** An instant → 'dd/MM/yyyy HH:mm' (Vietnam time). */
export function fmtDateTime(value, seconds = false) {
  if (!value) return '';
  const d = vn(value);
  if (Number.isNaN(d.getTime())) return String(value);
  const time = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds ? `:${pad(d.getUTCSeconds())}` : ''}`;
  return `${fmtDate(value)} ${time}`;
}

/** The Vietnam hour (0–23) of an instant. */
export const vnHour = (iso) => vn(iso).getUTCHours();

/** Today's (or `ms`'s) Vietnam calendar day as 'yyyy-MM-dd'. */
export const vnToday = (ms = Date.now()) => new Date(ms + VN_OFFSET_MS).toISOString().slice(0, 10);

/** A day shifted by n days ('yyyy-MM-dd'). */
export const addDays = (day, n) =>
  new Date(Date.parse(`${day}T00:00:00Z`) + n * 86400e3).toISOString().slice(0, 10);

const UNITS = [
  [86400, { vi: 'ngày', en: 'd' }],
  [3600, { vi: 'giờ', en: 'h' }],
  [60, { vi: 'phút', en: 'min' }],
  [1, { vi: 'giây', en: 's' }],
];

/** A duration in seconds, largest unit only: '3 giờ' / '3 h'. */
export function fmtDuration(seconds, lang) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return '';
  const s = Math.max(0, Math.round(seconds));
  for (const [size, name] of UNITS)
    if (s >= size || size === 1) return `${Math.floor(s / size)} ${name[lang]}`;
  return '';
}

/** How long ago an instant was: '2 phút trước' / '2 min ago'; 'vừa xong' / 'just now' under 10 s. */
export function fmtAgo(iso, lang, now = Date.now()) {
  if (!iso) return '';
  const s = (now - Date.parse(iso)) / 1000;
  if (Number.isNaN(s)) return String(iso);
  if (s < 10) return lang === 'vi' ? 'vừa xong' : 'just now';
  return lang === 'vi' ? `${fmtDuration(s, lang)} trước` : `${fmtDuration(s, lang)} ago`;
}

/**
 * A day typed as dd/MM/yyyy → 'yyyy-MM-dd', or null when it is not a real calendar day (31/02, 2/13…).
 * One- or two-digit day and month are taken; the year has four digits.
 */
export function parseDayInput(text) {
  const m = /^\s*(\d{1,2})\/(\d{1,2})\/(\d{4})\s*$/.exec(text ?? '');
  if (!m) return null;
  const day = `${m[3]}-${pad(Number(m[2]))}-${pad(Number(m[1]))}`;
  const d = new Date(`${day}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === day ? day : null;
}
