/** Escaping for the hub's hand-made outputs (CSV and printable HTML): one definition for every view. */

/** A CSV cell; one starting with = + - @ would run as a spreadsheet formula, so it is quoted as text. */
export const csvCell = (v: unknown): string => {
  const s = String(v ?? '');
  const safe = /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
};

/** Text for HTML element content or a quoted attribute. */
export const esc = (v: unknown): string =>
  String(v ?? '').replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  );
