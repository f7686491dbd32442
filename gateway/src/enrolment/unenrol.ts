import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '@qrkiosk/protocol';
import { isMap, isScalar, parseDocument } from 'yaml';
import { stagedPasswordFile } from '../uplink/password.js';

/**
 * The hub revoked this kiosk's enrolment (`revoke-enrolment`): kiosk.yaml loses what enrolment wrote
 * into it — `kiosk:` (so the next start is an unenrolled kiosk: enrolment/pending.ts), the broker
 * login and its password files — and keeps the rest (scanner, GPIO, screen, data folder; the journal
 * stays on disk). The file is replaced whole and durably, comments kept. Returns the files removed.
 */
export function unenrolConfig(file: string, passwordFile: string | undefined): string[] {
  const doc = parseDocument(readFileSync(file, 'utf8'));
  if (doc.errors.length > 0 || !isMap(doc.contents)) throw new Error(`${file}: not a YAML mapping`);
  // A comment above `kiosk:` belongs to the file (the technician's header, often): it stays.
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === 'kiosk');
  const above = pair && isScalar(pair.key) ? pair.key.commentBefore : undefined;
  doc.delete('kiosk');
  if (above) doc.commentBefore = doc.commentBefore ? `${doc.commentBefore}\n${above}` : above;
  doc.deleteIn(['mqtt', 'username']);
  doc.deleteIn(['mqtt', 'passwordFile']);
  writeDurably(file, doc.toString(), { mode: 0o644 });
  const removed: string[] = [];
  for (const secret of passwordFile ? [passwordFile, stagedPasswordFile(passwordFile)] : []) {
    rmSync(secret, { force: true });
    removed.push(secret);
  }
  return removed;
}

/**
 * Left in the data folder when a revocation could not rewrite kiosk.yaml: the kiosk would otherwise come
 * back enrolled after a restart and decide again on its old login (review #4). While it is there the
 * Controller starts with the `enrolment-revoked` fault (deciding nothing); a new enrolment removes it
 * (write-config.ts) — that takes a new code from an admin.
 */
export const REVOKED_MARKER = 'enrolment-revoked.json';

export function markRevoked(dataDir: string, at: Date): void {
  writeDurably(join(dataDir, REVOKED_MARKER), `${JSON.stringify({ revokedAt: at.toISOString() })}\n`, {
    mode: 0o640,
  });
}

export const isMarkedRevoked = (dataDir: string): boolean => existsSync(join(dataDir, REVOKED_MARKER));

export function clearRevokedMark(dataDir: string): void {
  rmSync(join(dataDir, REVOKED_MARKER), { force: true });
}
