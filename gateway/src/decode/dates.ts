/** Calendar-date helpers. Dates on Vietnamese documents carry no time zone: they are local days. */

const pad = (n: number) => String(n).padStart(2, '0');

/** `YYYY-MM-DD` when the day exists in the calendar, else null. */
export function isoDate(year: number, month: number, day: number): string | null {
  if (!Number.isInteger(year) || year < 1880 || year > 2199) return null;
  if (month < 1 || month > 12 || day < 1) return null;
  const last = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > last) return null;
  return `${year}-${pad(month)}-${pad(day)}`;
}

/** `ddmmyyyy` (CCCD). */
export function parseDdmmyyyy(text: string): string | null {
  const m = /^(\d{2})(\d{2})(\d{4})$/.exec(text);
  return m ? isoDate(Number(m[3]), Number(m[2]), Number(m[1])) : null;
}

/** `dd/MM/yyyy` (BHYT, app re-renderings). */
export function parseSlashDate(text: string): string | null {
  const m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text.trim());
  return m ? isoDate(Number(m[3]), Number(m[2]), Number(m[1])) : null;
}
