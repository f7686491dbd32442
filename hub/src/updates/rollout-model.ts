import type { KioskRow, SiteInfo } from '../storage/index.js';
import { UpdatesError } from './errors.js';

/**
 * A rollout's stages, as stored (rollouts.stages, JSON): the canary set first, then areas. A stage is published
 * (the announcement's targets widen to it) only once every stage before it is done: enough of its kiosks report
 * the version healthy. Pure functions: the engine (rollouts.ts) reads the store and publishes.
 */
export interface RolloutStage {
  /** As the operator wrote it: "canary", "site:s-001,district:760", "all". */
  name: string;
  kiosks: string[];
  sites: string[];
  districts: string[];
  all: boolean;
  publishedAt: string | null;
  doneAt: string | null;
  /**
   * Kiosks whose failure an operator accepted by resuming a halted rollout: they stay on their previous version,
   * no longer halt it, and no longer count towards the stage (absent in rows written before it existed).
   */
  accepted?: string[];
}

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/** "site:s-001,district:760" or "all" → a stage; a bad entry is a clear bilingual error. */
export function parseStage(spec: string): RolloutStage {
  const stage: RolloutStage = {
    name: spec,
    kiosks: [],
    sites: [],
    districts: [],
    all: false,
    publishedAt: null,
    doneAt: null,
  };
  for (const part of spec.split(',').map((p) => p.trim())) {
    if (part === 'all') stage.all = true;
    else if (part.startsWith('site:') && ID.test(part.slice(5))) stage.sites.push(part.slice(5));
    else if (part.startsWith('district:') && part.length > 9) stage.districts.push(part.slice(9));
    else if (part.startsWith('kiosk:') && ID.test(part.slice(6))) stage.kiosks.push(part.slice(6));
    else
      throw new UpdatesError('stage', {
        vi: `giai đoạn "${spec}": "${part}" không hiểu (dùng site:…, district:…, kiosk:… hoặc all)`,
        en: `stage "${spec}": "${part}" not understood (use site:…, district:…, kiosk:… or all)`,
      });
  }
  return stage;
}

export function canaryStage(kiosks: readonly string[]): RolloutStage {
  const bad = kiosks.find((k) => !ID.test(k));
  if (kiosks.length === 0 || bad !== undefined)
    throw new UpdatesError('canary', {
      vi: `nhóm thử (canary) cần mã kiosk hợp lệ${bad !== undefined ? `, không phải "${bad}"` : ''}`,
      en: `the canary needs valid kiosk ids${bad !== undefined ? `, not "${bad}"` : ''}`,
    });
  return { ...parseStage('all'), name: 'canary', all: false, kiosks: [...new Set(kiosks)] };
}

/** The sites a stage names, districts expanded through the site register. */
export function stageSites(stage: RolloutStage, directory: ReadonlyMap<string, SiteInfo>): string[] {
  const sites = new Set(stage.sites);
  for (const s of directory.values()) if (stage.districts.includes(s.district)) sites.add(s.site);
  return [...sites].sort();
}

/** Targets of the announcement while `upTo` is the stage in progress: everything published so far. */
export function targetsUpTo(
  stages: readonly RolloutStage[],
  upTo: number,
  directory: ReadonlyMap<string, SiteInfo>,
) {
  const kiosks = new Set<string>();
  const sites = new Set<string>();
  let all = false;
  for (const s of stages.slice(0, upTo + 1)) {
    all ||= s.all;
    for (const k of s.kiosks) kiosks.add(k);
    for (const site of stageSites(s, directory)) sites.add(site);
  }
  return { all, kiosks: [...kiosks].sort(), sites: [...sites].sort() };
}

export interface KioskUpdate {
  kiosk: string;
  site: string;
  software: string | null;
  update: { state: string; version?: string; previous?: string; rollout?: string; detail?: string } | null;
}

export function kioskUpdates(rows: readonly KioskRow[]): KioskUpdate[] {
  return rows.map((r) => {
    let t: { software?: string; update?: KioskUpdate['update'] } = {};
    try {
      t = r.telemetry ? JSON.parse(r.telemetry) : {};
    } catch {
      // An unreadable row counts as not updated: it neither advances nor halts a rollout.
    }
    return { kiosk: r.kiosk, site: r.site, software: t.software ?? null, update: t.update ?? null };
  });
}

/** The kiosks a stage covers: the canary's listed ids (seen or not), or the registered kiosks of its sites. */
export function stageMembers(
  stage: RolloutStage,
  fleet: readonly KioskUpdate[],
  directory: ReadonlyMap<string, SiteInfo>,
): string[] {
  const sites = new Set(stageSites(stage, directory));
  const members = new Set(stage.kiosks);
  for (const k of fleet) if (stage.all || sites.has(k.site)) members.add(k.kiosk);
  return [...members].sort();
}

export type Health = 'healthy' | 'failed' | 'pending' | 'unsupported';

/**
 * One kiosk's word on `version` in rollout `rollout`: installed and checked, rolled back / failed, has no bundle
 * for its CPU, or not yet. An update state that names another rollout (issue #17 review #6: the same version
 * rolled out again after a halt) says nothing about this one; one without a rollout id (a kiosk from before it
 * was reported) is taken as it is.
 */
export function healthOf(k: KioskUpdate | undefined, version: string, rollout?: string): Health {
  if (!k) return 'pending';
  const u = k.update;
  const ours =
    u?.version === version && (rollout === undefined || u.rollout === undefined || u.rollout === rollout);
  // refused: the kiosk's installer would not take the bundle (signature, manifest, sha256, downgrade) — a bad
  // release or a tampered copy, either way not one to push further. download-failed is not here: it may pass
  // (the hub's address unreachable for a while); the stage waits and the kiosk page shows why.
  if (ours && (u.state === 'rolled-back' || u.state === 'failed' || u.state === 'refused')) return 'failed';
  if (k.software === version && (!ours || u?.state === 'healthy')) return 'healthy';
  if (ours && u.state === 'no-bundle') return 'unsupported';
  return 'pending';
}

export interface StageProgress {
  members: string[];
  healthy: string[];
  failed: Array<{ kiosk: string; detail: string }>;
  /** Members whose CPU the release has no bundle for: left out of `need`, named in the rollout's detail. */
  unsupported: Array<{ kiosk: string; detail: string }>;
  need: number;
}

/**
 * How far a stage is. `minHealthy` holds for every stage but the last (`last`): the last one is where the
 * announcement stays retained for everyone, and the rollout is done — no longer watched for roll-backs — only
 * when every member that can install reported healthy (issue #17 review #2).
 */
export function stageProgress(
  stage: RolloutStage,
  version: string,
  minHealthy: number | null,
  fleet: readonly KioskUpdate[],
  directory: ReadonlyMap<string, SiteInfo>,
  o: { rollout?: string; last?: boolean } = {},
): StageProgress {
  const byId = new Map(fleet.map((k) => [k.kiosk, k]));
  const accepted = new Set(stage.accepted ?? []);
  const members = stageMembers(stage, fleet, directory).filter((m) => !accepted.has(m));
  const healthy: string[] = [];
  const failed: StageProgress['failed'] = [];
  const unsupported: StageProgress['unsupported'] = [];
  for (const m of members) {
    const k = byId.get(m);
    const h = healthOf(k, version, o.rollout);
    if (h === 'healthy') healthy.push(m);
    const detail = `${k?.update?.state}: ${k?.update?.detail ?? ''}`.trim();
    if (h === 'failed') failed.push({ kiosk: m, detail });
    if (h === 'unsupported') unsupported.push({ kiosk: m, detail });
  }
  const able = members.length - unsupported.length;
  const need = o.last ? able : Math.min(minHealthy ?? able, able);
  return { members, healthy, failed, unsupported, need };
}
