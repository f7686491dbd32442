/**
 * CWT NumericDate (seconds since the epoch) → ISO 8601 text, exactly as `Date.prototype.toISOString`
 * writes it. Every DCC carries two (iat, exp) and the kiosk decodes one per scan; formatting whole seconds
 * in 0000–9999 by arithmetic costs a third of allocating a Date and calling toISOString, which the
 * remaining cases (fractions, years outside 0–9999) still use.
 */
const LAST_FAST = 253402300799; // 9999-12-31T23:59:59Z

const two = (n: number): string => (n < 10 ? `0${n}` : `${n}`);

export function isoFromSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > LAST_FAST)
    return new Date(seconds * 1000).toISOString();
  // Civil date from days since 1970-01-01 (H. Hinnant, "chrono-compatible low-level date algorithms").
  const days = Math.floor(seconds / 86400);
  let rest = seconds - days * 86400;
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor(
    (doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365,
  );
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  const hours = Math.floor(rest / 3600);
  rest -= hours * 3600;
  const minutes = Math.floor(rest / 60);
  const secs = rest - minutes * 60;
  const y = year < 10 ? `000${year}` : year < 100 ? `00${year}` : year < 1000 ? `0${year}` : `${year}`;
  return `${y}-${two(month)}-${two(day)}T${two(hours)}:${two(minutes)}:${two(secs)}.000Z`;
}
