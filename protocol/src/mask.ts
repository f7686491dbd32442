/**
 * Masking for screens, logs and masked uplink. One place, so that no part of qrkiosk prints
 * a full ID number or name by accident.
 */

/** Keeps the last 4 characters: `079090001234` → `********1234`. Short values are fully starred. */
export function maskNumber(value: string): string {
  const v = value.trim();
  if (v.length <= 4) return '*'.repeat(v.length);
  return '*'.repeat(v.length - 4) + v.slice(-4);
}

/**
 * Keeps the family name and the first letter of every other word, upper-cased:
 * `Nguyễn Văn An` → `NGUYỄN V** A*`. Enough for a guard to match a face to a screen,
 * not enough to identify a stranger.
 */
export function maskName(name: string): string {
  const words = name.normalize('NFC').trim().toLocaleUpperCase('vi').split(/\s+/).filter(Boolean);
  return words
    .map((word, i) => {
      if (i === 0) return word;
      const letters = [...word];
      return letters[0] + '*'.repeat(letters.length - 1);
    })
    .join(' ');
}
