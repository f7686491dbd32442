import { existsSync, readFileSync } from 'node:fs';
import { parseDocument } from 'yaml';
import { type LoadedSettings, settingsFromText } from '../settings/index.js';

/** The identity an unenrolled kiosk runs under until the hub gives it one (never sent anywhere). */
export const PENDING_ID = 'unenrolled';

/**
 * The rule for an unenrolled kiosk: its kiosk.yaml exists and has no `kiosk:` section. Only enrolment
 * (or a technician) writes one: the kiosk's id and site come from the hub. A file without `kiosk:` is
 * what the package installs with the scanner, GPIO and screen set for the hardware, and nothing more.
 * A kiosk that has `kiosk:` but no broker login is a hand-configured one (a local broker without
 * passwords): it runs normally.
 */
export function isUnenrolled(file: string): boolean {
  if (!existsSync(file)) return false;
  let doc: ReturnType<typeof parseDocument>;
  try {
    doc = parseDocument(readFileSync(file, 'utf8'));
  } catch {
    return false;
  }
  // A file the loader will refuse anyway (bad YAML) goes to the loader, which says where.
  if (doc.errors.length > 0) return false;
  const value: unknown = doc.toJSON();
  if (value === null || value === undefined) return true;
  return typeof value === 'object' && !Array.isArray(value) && !('kiosk' in value);
}

/**
 * The settings of an unenrolled kiosk: its file checked by the same loader and schema as always (errors
 * at the same YAML lines), with a placeholder kiosk section appended for the part only enrolment fills.
 */
export function loadPendingSettings(file: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const text = readFileSync(file, 'utf8');
  const placeholder = `kiosk: { id: ${PENDING_ID}, site: ${PENDING_ID} }\n`;
  return settingsFromText(
    text.trim() === '' ? placeholder : `${text.replace(/\n?$/, '\n')}${placeholder}`,
    file,
    env,
  );
}
