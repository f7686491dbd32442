import { execFile } from 'node:child_process';
import type { DoctorCheck, DoctorCheckId, DoctorStatus } from '@qrkiosk/protocol';

export type Said = { vi: string; en: string };
export type Values = DoctorCheck['values'];

/** Nothing to do. */
export const NO_FIX: Said = { vi: '', en: '' };

/** One check's answer, as the report carries it. */
export function checked(
  id: DoctorCheckId,
  status: DoctorStatus,
  message: Said,
  fix: Said = NO_FIX,
  values: Values = {},
): DoctorCheck {
  return { id, status, message, fix, values };
}

/** A check that cannot apply here; `why` is the message. */
export const skipped = (id: DoctorCheckId, why: Said, values: Values = {}): DoctorCheck =>
  checked(id, 'skip', why, NO_FIX, values);

export interface ExecResult {
  /** Exit code; null when the program could not be run or was killed. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The program is not installed (ENOENT). */
  missing: boolean;
}

/** Runs a program (no shell). Injected so a check's parsing can be tested on a machine without systemd. */
export type Exec = (file: string, args: string[]) => Promise<ExecResult>;

/** The real one: 5 s at most per program (a hung D-Bus must not hang the doctor). */
export const systemExec: Exec = (file, args) =>
  new Promise((resolve) => {
    execFile(file, args, { timeout: 5000, encoding: 'utf8' }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr, missing: (err as NodeJS.ErrnoException | null)?.code === 'ENOENT' });
    });
  });

/** Seconds from `iso` to `now`, null for none or an unreadable time. */
export function ageSeconds(iso: string | null | undefined, now: Date): number | null {
  if (!iso) return null;
  const at = Date.parse(iso);
  return Number.isNaN(at) ? null : Math.round((now.getTime() - at) / 1000);
}

/** "3 d 4 h" / "12 min": an age a technician reads at a glance (same words in both languages). */
export function humanAge(seconds: number): string {
  const s = Math.abs(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${Math.round(s / 3600)} h`;
  return `${Math.floor(s / 86_400)} d ${Math.round((s % 86_400) / 3600)} h`;
}

/** Bytes as MB with one decimal (the unit `cache status` uses). */
export const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

/** First line of a program's complaint, for a skip's reason. */
export const firstLine = (text: string) => text.trim().split('\n')[0] ?? '';
