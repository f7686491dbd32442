import type { KeyObject } from 'node:crypto';
import { unwatchFile, watchFile } from 'node:fs';
import type { KeyRing } from '@qrkiosk/protocol';
import type { Logger } from '../log.js';
import type { Settings } from '../settings/index.js';
import { loadReleaseKeys } from './bundle.js';
import { type FleetFailure, SoftwareFleet } from './fleet.js';
import { readUpdateState, stateFile } from './state.js';

/**
 * The daemon's software-update receiver from kiosk.yaml: off (undefined) until `software.releaseKeyFiles` names a
 * key — a kiosk that trusts no release key installs nothing, whatever the hub announces. A key file that cannot be
 * read is logged and leaves updates off; the kiosk itself keeps scanning.
 */
export function softwareFleet(settings: Settings, hubKeys: KeyRing, log: Logger): SoftwareFleet | undefined {
  const s = settings.software;
  if (s.releaseKeyFiles.length === 0 || !settings.kiosk) return undefined;
  let releaseKeys: KeyObject[];
  try {
    releaseKeys = loadReleaseKeys(s.releaseKeyFiles);
  } catch (err) {
    log.error({ err }, 'software.releaseKeyFiles unreadable: software updates off');
    return undefined;
  }
  return new SoftwareFleet({
    kiosk: settings.kiosk,
    dataDir: settings.data.dir,
    hubKeys,
    releaseKeys,
    applyCommand: s.applyCommand,
    log,
  });
}

/**
 * Telemetry's `update` field: the installer's last state (qrkiosk-update.json), or the daemon's own failure to
 * download or verify a release when that is newer (state `download-failed`: the installer never ran; `no-bundle`:
 * the release has no bundle for this CPU), each with the rollout it belongs to.
 */
export function updateTelemetry(
  root: string,
  failure?: FleetFailure | null,
): { state: string; version?: string; previous?: string; rollout?: string; detail?: string } | undefined {
  const s = readUpdateState(root);
  if (failure && (!s || Date.parse(failure.at) > Date.parse(s.at)))
    return {
      state: failure.state,
      version: failure.version.slice(0, 32),
      rollout: failure.rollout.slice(0, 64),
      detail: failure.detail.slice(0, 300),
    };
  if (!s) return undefined;
  return {
    state: s.state,
    ...(s.version ? { version: s.version.slice(0, 32) } : {}),
    ...(s.previous ? { previous: s.previous.slice(0, 32) } : {}),
    ...(s.rollout ? { rollout: s.rollout.slice(0, 64) } : {}),
    ...(s.detail ? { detail: s.detail.slice(0, 300) } : {}),
  };
}

/**
 * Calls `changed` when the installer writes a new state, so telemetry tells the hub at once instead of at the next
 * tick (a rollout's next stage waits on it). Polled once a second (fs.watchFile: one stat, works whether or not the
 * file exists yet, and survives the installer replacing it by rename). Returns the stop function.
 */
export function watchUpdateState(root: string, changed: () => void): () => void {
  const file = stateFile(root);
  const listener = (now: { mtimeMs: number }, before: { mtimeMs: number }) => {
    if (now.mtimeMs !== before.mtimeMs && now.mtimeMs !== 0) changed();
  };
  watchFile(file, { interval: 1000, persistent: false }, listener);
  return () => unwatchFile(file, listener);
}
