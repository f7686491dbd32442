/**
 * A sealed date of birth as the ward's team reads it: the gateway seals what the card says in ISO
 * form — YYYY-MM-DD, or YYYY-MM / YYYY when the card has no more — and Vietnamese papers write
 * dd/MM/yyyy (MM/yyyy, yyyy). Anything else is shown as it is.
 */
export function vnDob(iso: string): string {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(iso);
  if (!m) return iso;
  return [m[3], m[2], m[1]].filter((p) => p !== undefined).join('/');
}
