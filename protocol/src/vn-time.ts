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

/** The calendar day in Vietnam, as `YYYY-MM-DD` (for day counts and daily reports). */
export function vnDay(at: Date): string {
  const d = shifted(at);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}
