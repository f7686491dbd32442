import { vnDay, vnTimeOn } from '@qrkiosk/protocol';

/**
 * Quiet hours, Vietnam time (hub.yaml `notify.quietHours`, e.g. 22:00–06:00). The decision: a
 * critical alert (a kiosk gone silent, its scanner lost, its disk full — someone is not being
 * checked in right now) goes out at once, quiet hours or not; everything else (warnings, their
 * clears, the daily report) is held and goes out when the quiet hours end. Held, never dropped: an
 * officer reads in the morning what happened overnight.
 */
export interface QuietHours {
  from: string;
  to: string;
}

const minutes = (hhmm: string) => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** When a message made at `now` may go out: `now`, or the end of the quiet hours it falls in. */
export function releaseTime(now: Date, quiet: QuietHours, urgent: boolean): Date {
  if (urgent || !quiet.from || !quiet.to || quiet.from === quiet.to) return now;
  const day = vnDay(now);
  const from = minutes(quiet.from);
  const to = minutes(quiet.to);
  const start = vnTimeOn(day, 0, 0).getTime();
  const nowMin = (now.getTime() - start) / 60_000;
  const endToday = vnTimeOn(day, Math.floor(to / 60), to % 60);
  if (from < to) return nowMin >= from && nowMin < to ? endToday : now;
  // Across midnight (22:00–06:00): late evening waits for tomorrow's end, early morning for today's.
  if (nowMin >= from) return new Date(endToday.getTime() + 86_400_000);
  if (nowMin < to) return endToday;
  return now;
}
