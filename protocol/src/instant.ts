/**
 * Instants every database the hub runs on stores alike: years 1–9999 (SQLite's ISO text and
 * PostgreSQL's timestamptz agree there; JavaScript's Date reaches far further and `toISOString`
 * throws past ±8.64e15 ms). One check for every message's `at` and every time the hub computes.
 */
export function isStorableInstant(ms: number): boolean {
  if (!Number.isFinite(ms)) return false;
  const year = new Date(ms).getUTCFullYear();
  return Number.isFinite(year) && year >= 1 && year <= 9999;
}

/** Why a message's `at` is refused, or undefined when it is storable (the validators' shared check). */
export function unstorableAt(at: string): string | undefined {
  return isStorableInstant(Date.parse(at)) ? undefined : `/at ${at} is not a storable instant`;
}

/**
 * The wall time of a moment on a boot's monotonic clock (hub re-timing: the boot's start plus the
 * uptime a message reported), or undefined when that is no storable instant — a hostile or broken
 * kiosk's number must leave its row as reported, never stop the re-timing of the whole boot.
 */
export function bootInstant(beganMs: number, uptimeMs: number): string | undefined {
  const ms = beganMs + uptimeMs;
  return isStorableInstant(ms) ? new Date(ms).toISOString() : undefined;
}
