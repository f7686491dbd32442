import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The installer's last word, in `<root>/qrkiosk-update.json` (/opt/qrkiosk-update.json): written by `qrkiosk update apply` (root), read by the
 * daemon for its telemetry `update` field (protocol/src/telemetry.ts) — the hub's rollouts advance or halt on it.
 * States: installing → checking → healthy | rolled-back (the previous version runs again) | failed (nothing
 * could be restored: the service is down or on the new version) | refused (the bundle never got installed).
 */
export type UpdateStateName = 'installing' | 'checking' | 'healthy' | 'rolled-back' | 'failed' | 'refused';

export interface UpdateState {
  state: UpdateStateName;
  version?: string;
  previous?: string;
  /** The rollout id from the daemon's request (absent for a hand-run install). */
  rollout?: string;
  detail?: string;
  at: string;
}

export const stateFile = (root: string) => join(root, 'qrkiosk-update.json');

export function readUpdateState(root: string): UpdateState | null {
  try {
    const s = JSON.parse(readFileSync(stateFile(root), 'utf8')) as UpdateState;
    return typeof s?.state === 'string' ? s : null;
  } catch {
    return null;
  }
}

/** Written whole then renamed: a reader never sees half a file, even across a power cut mid-write. */
export function writeUpdateState(root: string, s: Omit<UpdateState, 'at'>, now = new Date()): UpdateState {
  const full: UpdateState = { ...s, at: now.toISOString() };
  const tmp = `${stateFile(root)}.tmp-${process.pid}`;
  writeFileSync(tmp, `${JSON.stringify(full)}\n`, { mode: 0o644 });
  renameSync(tmp, stateFile(root));
  return full;
}
