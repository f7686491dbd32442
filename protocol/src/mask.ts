/**
 * Masking for screens, logs and masked uplink. One place, so that no part of qrkiosk prints
 * a full ID number or name by accident.
 */

/**
 * Keeps the last 4 characters: `079090001234` → `********1234`. Short values are fully starred;
 * long ones (an 80-character vaccine-certificate id) get at most 16 stars, so the result always fits
 * the check-in schema. Safe on values that arrive already masked (`******001234`).
 */
export function maskNumber(value: string): string {
  const v = value.trim();
  if (v.length <= 4) return '*'.repeat(v.length);
  return '*'.repeat(Math.min(v.length - 4, 16)) + v.slice(-4);
}

/**
 * Keeps the family name and the first letter of every other word, upper-cased:
 * `Nguyễn Văn An` → `NGUYỄN V** A*`. Enough for a guard to match a face to a screen,
 * not enough to identify a stranger.
 */
export function maskName(name: string): string {
  // Bounded (12 words, 120 characters in all): enough for any real name, and it always fits screens and the schema.
  const words = name
    .normalize('NFC')
    .trim()
    .toLocaleUpperCase('vi')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 12)
    .map((w) => [...w].slice(0, 40).join(''));
  const masked = words
    .map((word, i) => {
      if (i === 0) return word;
      const letters = [...word];
      return letters[0] + '*'.repeat(letters.length - 1);
    })
    .join(' ');
  return [...masked].slice(0, 120).join('');
}
