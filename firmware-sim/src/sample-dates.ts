import { type Facts, NO_FACTS as GATEWAY_NO_FACTS } from '@qrkiosk/gateway';
import { vnDay } from '@qrkiosk/protocol';

export const NO_FACTS: Facts = GATEWAY_NO_FACTS;

/** The Vietnam-local date `days` away from `now`, as `YYYY-MM-DD`. */
export function vnDayOffset(now: Date, days: number): string {
  return vnDay(new Date(now.getTime() + days * 86_400_000));
}
