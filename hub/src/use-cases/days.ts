/**
 * The start of a Vietnam calendar day (UTC+7, no daylight saving) as an instant. The hub's one
 * writer of `${day}T00:00:00+07:00`; when protocol gains its own Vietnam-day helper (issue 15,
 * gateway part) this becomes a re-export of it.
 */
export function vnDayStart(day: string): Date {
  return new Date(`${day}T00:00:00+07:00`);
}

const DAY_MS = 86_400_000;

/** The instant after a Vietnam day: `[vnDayStart(day), vnDayEnd(day))` is the whole day. */
export function vnDayEnd(day: string): Date {
  return new Date(vnDayStart(day).getTime() + DAY_MS);
}
