import type { KeyObject } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import {
  SOFTWARE_VERSION_PATTERN,
  type SoftwareAnnouncement,
  signSoftwareAnnouncement,
} from '@qrkiosk/protocol';
import type { RolloutRow } from '../storage/index.js';
import type { HubStore } from '../store.js';
import { UpdatesError } from './errors.js';
import {
  canaryStage,
  kioskUpdates,
  parseStage,
  type RolloutStage,
  type StageProgress,
  stageProgress,
  targetsUpTo,
} from './rollout-model.js';

export interface StartRollout {
  version: string;
  canary: string[];
  /** Later stages in order: "site:s-001,district:760", "all" (the CLI's --then). */
  after?: string[];
  minHealthy?: number;
}

export interface RolloutView extends Omit<RolloutRow, 'stages' | 'revision'> {
  stages: Array<RolloutStage & { progress: StageProgress }>;
}

/**
 * Staged software rollouts (Mender's deployments, apt's phased updates): the same use case for the CLI
 * (`qrkiosk-hub rollout …`) and HTTP (/api/rollouts). start/pause/resume only write the rollout; the engine
 * (RolloutEngine, in the hub process) publishes and advances it, so the CLI needs neither broker nor signing key.
 */
export class Rollouts {
  constructor(private readonly store: HubStore) {}

  async start(s: StartRollout, actor: string): Promise<RolloutRow> {
    // A release recorded before the 32-character cap could never be reported healthy (telemetry keeps 32).
    if (!SOFTWARE_VERSION_PATTERN.test(s.version))
      throw new UpdatesError('version', {
        vi: `phiên bản "${s.version.slice(0, 40)}" không hợp lệ (tối đa 32 ký tự 0-9 A-Z a-z . + _ -)`,
        en: `version "${s.version.slice(0, 40)}" not valid (at most 32 characters of 0-9 A-Z a-z . + _ -)`,
      });
    const releases = (await this.store.repo.releases.list()).filter((r) => r.version === s.version);
    if (releases.length === 0)
      throw new UpdatesError('no-release', {
        vi: `chưa có bản phát hành ${s.version} (qrkiosk-hub release add)`,
        en: `no release ${s.version} added (qrkiosk-hub release add)`,
      });
    if (s.minHealthy !== undefined && !(Number.isInteger(s.minHealthy) && s.minHealthy >= 1))
      throw new UpdatesError('min-healthy', {
        vi: '--min-healthy: số nguyên ≥ 1',
        en: '--min-healthy: an integer ≥ 1',
      });
    const stages = [canaryStage(s.canary), ...(s.after ?? []).map(parseStage)];
    const active = (await this.store.repo.releases.rollouts()).filter(
      (r) => r.state === 'running' || r.state === 'paused',
    );
    if (active.length > 0)
      throw new UpdatesError(
        'active',
        {
          vi: `đợt triển khai ${active[0]?.id} (${active[0]?.version}) đang chạy hoặc tạm dừng; hãy chờ xong`,
          en: `rollout ${active[0]?.id} (${active[0]?.version}) is running or paused; let it finish first`,
        },
        409,
      );
    const now = new Date().toISOString();
    // A halted rollout gives the topic up to the new one.
    for (const r of await this.store.repo.releases.rollouts())
      if (r.state === 'halted')
        await this.set(r, { state: 'cancelled', detail: `${r.detail ?? ''} (superseded)` });
    const row: RolloutRow = {
      id: `r-${now.slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`,
      version: s.version,
      state: 'running',
      stages: JSON.stringify(stages),
      stage: 0,
      minHealthy: s.minHealthy ?? null,
      detail: null,
      createdAt: now,
      createdBy: actor,
      updatedAt: now,
      revision: 0,
    };
    await this.store.repo.releases.addRollout(row);
    await this.store.audit(actor, 'rollout-start', {
      id: row.id,
      version: s.version,
      stages: stages.map((x) => x.name),
      minHealthy: row.minHealthy,
    });
    return row;
  }

  async pause(id: string, actor: string): Promise<RolloutRow> {
    const r = await this.one(id);
    if (r.state !== 'running') throw this.notIn(r, 'running');
    const next = await this.set(r, { state: 'paused', detail: `paused by ${actor}` });
    await this.store.audit(actor, 'rollout-pause', { id });
    return next;
  }

  async resume(id: string, actor: string): Promise<RolloutRow> {
    const r = await this.one(id);
    if (r.state !== 'paused' && r.state !== 'halted') throw this.notIn(r, 'paused / halted');
    // Publish the stage in progress again: pausing cleared the announcement. Resuming a halted rollout accepts the
    // failures that halted it: those kiosks stay on their previous version and no longer hold the stage back.
    const stages = JSON.parse(r.stages) as RolloutStage[];
    const [kiosks, directory] = await Promise.all([this.store.activeKiosks(), this.store.siteDirectory()]);
    const fleet = kioskUpdates(kiosks);
    const failed = stages.slice(0, r.stage + 1).flatMap((s, i) =>
      stageProgress(s, r.version, r.minHealthy, fleet, directory, {
        rollout: r.id,
        last: i === stages.length - 1,
      }).failed.map((f) => f.kiosk),
    );
    // Into every stage, later ones too: an area stage covers the canary's kiosks again.
    if (failed.length)
      for (const s of stages) s.accepted = [...new Set([...(s.accepted ?? []), ...failed])].sort();
    const current = stages[r.stage];
    if (current) current.publishedAt = null;
    const next = await this.set(r, { state: 'running', detail: null, stages: JSON.stringify(stages) });
    await this.store.audit(actor, 'rollout-resume', { id, after: r.state });
    return next;
  }

  /** Every rollout, newest first, each stage with its members and who reported the version healthy. */
  async list(): Promise<RolloutView[]> {
    const [rows, kiosks, directory] = await Promise.all([
      this.store.repo.releases.rollouts(),
      this.store.activeKiosks(),
      this.store.siteDirectory(),
    ]);
    const fleet = kioskUpdates(kiosks);
    return rows.map(({ revision: _r, ...r }) => ({
      ...r,
      stages: (JSON.parse(r.stages) as RolloutStage[]).map((s, i, all) => ({
        ...s,
        progress: stageProgress(s, r.version, r.minHealthy, fleet, directory, {
          rollout: r.id,
          last: i === all.length - 1,
        }),
      })),
    }));
  }

  async one(id: string): Promise<RolloutRow> {
    const r = (await this.store.repo.releases.rollouts()).find((x) => x.id === id);
    if (!r)
      throw new UpdatesError('unknown', { vi: `không có đợt triển khai ${id}`, en: `no rollout ${id}` }, 404);
    return r;
  }

  /** Compare-and-set on the row's revision; a lost race (the engine moved it) is a 409 to try again. */
  async set(
    r: RolloutRow,
    change: Partial<Pick<RolloutRow, 'state' | 'stages' | 'stage' | 'detail'>>,
  ): Promise<RolloutRow> {
    const next = { ...r, ...change, updatedAt: new Date().toISOString() };
    const ok = await this.store.repo.releases.changeRollout(r.id, r.revision, next);
    if (!ok)
      throw new UpdatesError(
        'changed',
        { vi: 'đợt triển khai vừa thay đổi; hãy thử lại', en: 'the rollout just changed; try again' },
        409,
      );
    return { ...next, revision: r.revision + 1 };
  }

  private notIn(r: RolloutRow, want: string) {
    return new UpdatesError(
      'state',
      {
        vi: `đợt ${r.id} đang ở trạng thái ${r.state}, cần ${want}`,
        en: `rollout ${r.id} is ${r.state}, not ${want}`,
      },
      409,
    );
  }
}

/** How a halt names what the kiosk did with the version (its update state). */
const VERB: Record<string, string> = {
  'rolled-back': 'rolled back',
  failed: 'failed on',
  refused: 'refused',
};

export interface EngineOptions {
  /** Publishes `fleet/software` retained (publish.ts publishFleet over the hub's broker login). */
  publish: (payload: string) => Promise<void>;
  signing: { privateKey: KeyObject; publicKey: KeyObject };
  /** Where kiosks download from: the hub's address as they reach it, e.g. https://hub.example.vn */
  baseUrl: string;
  onError: (err: unknown) => void;
  onChange?: (r: RolloutRow, what: string) => void;
}

/**
 * Moves running rollouts along, from the hub process: publishes the stage in progress (the announcement's targets
 * widen to it), then, as kiosks' telemetry reports the version, marks the stage done and publishes the next — or
 * halts the rollout at the first kiosk that rolled back (cleared announcement: nobody else starts; the rollout's
 * detail says which kiosk and why, for the page and the alerts). Several hub processes may run it: every step is a
 * compare-and-set, and publishing the same retained message twice changes nothing.
 */
export class RolloutEngine {
  private running = false;
  /** What this engine last put on fleet/software (null: nothing yet since it started). */
  private published: string | null = null;
  constructor(
    private readonly store: HubStore,
    private readonly rollouts: Rollouts,
    private readonly o: EngineOptions,
  ) {}

  async tick(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (const r of await this.store.repo.releases.rollouts()) {
        if (r.state === 'running') await this.advance(r);
        else if (r.state === 'paused' || r.state === 'halted') await this.withdraw();
      }
    } catch (err) {
      this.o.onError(err);
    } finally {
      this.running = false;
    }
  }

  private async advance(r: RolloutRow): Promise<void> {
    const stages = JSON.parse(r.stages) as RolloutStage[];
    const [kiosks, directory] = await Promise.all([this.store.activeKiosks(), this.store.siteDirectory()]);
    const fleet = kioskUpdates(kiosks);
    const stage = stages[r.stage];
    if (!stage) return;
    if (!stage.publishedAt) {
      await this.publish(await this.announcement(r, stages, r.stage, directory));
      stage.publishedAt = new Date().toISOString();
      r = await this.rollouts.set(r, { stages: JSON.stringify(stages) });
      this.o.onChange?.(r, `stage ${r.stage} published`);
    }
    const progress = (s: RolloutStage, i: number) =>
      stageProgress(s, r.version, r.minHealthy, fleet, directory, {
        rollout: r.id,
        last: i === stages.length - 1,
      });
    // Any failure in any published stage halts: a bad version is stopped at the canary, not after it.
    for (const [i, s] of stages.slice(0, r.stage + 1).entries()) {
      const p = progress(s, i);
      const failed = p.failed[0];
      if (failed) {
        const next = await this.rollouts.set(r, {
          state: 'halted',
          detail:
            `${failed.kiosk} ${VERB[failed.detail.split(':')[0] ?? ''] ?? 'failed on'} ${r.version}: ${failed.detail}`.slice(
              0,
              500,
            ),
        });
        await this.store.audit('hub', 'rollout-halt', {
          id: r.id,
          kiosk: failed.kiosk,
          detail: failed.detail,
        });
        this.o.onChange?.(next, 'halted');
        await this.withdraw();
        return;
      }
    }
    // Kiosks whose CPU the release has no bundle for cannot take it: the stage does not wait for them, and the
    // rollout's detail names them (issue #17 review #16) rather than leaving the page to look stalled.
    const unsupported = stages
      .slice(0, r.stage + 1)
      .flatMap((s, i) => progress(s, i).unsupported.map((u) => u.kiosk));
    const note = unsupported.length
      ? `no bundle for their CPU / không có gói cho CPU: ${[...new Set(unsupported)].sort().join(', ')}`.slice(
          0,
          500,
        )
      : null;
    if (note !== r.detail) r = await this.rollouts.set(r, { detail: note });
    const p = progress(stage, r.stage);
    if (p.healthy.length < p.need) return;
    stage.doneAt = new Date().toISOString();
    const last = r.stage === stages.length - 1;
    const next = await this.rollouts.set(r, {
      stages: JSON.stringify(stages),
      stage: last ? r.stage : r.stage + 1,
      state: last ? 'done' : 'running',
    });
    await this.store.audit('hub', last ? 'rollout-done' : 'rollout-stage-done', {
      id: r.id,
      stage: stage.name,
      healthy: p.healthy,
    });
    this.o.onChange?.(next, last ? 'done' : `stage ${r.stage} done`);
  }

  /**
   * Clears the retained announcement for a paused or halted rollout, once per engine (after a hub restart once
   * more, which changes nothing): kiosks that have not started yet will not.
   */
  private async withdraw(): Promise<void> {
    if (this.published === '') return;
    await this.publish('');
  }

  private async publish(payload: string): Promise<void> {
    await this.o.publish(payload);
    this.published = payload;
  }

  private async announcement(
    r: RolloutRow,
    stages: RolloutStage[],
    upTo: number,
    directory: Awaited<ReturnType<HubStore['siteDirectory']>>,
  ): Promise<string> {
    const bundles: SoftwareAnnouncement['bundles'] = {};
    for (const rel of await this.store.repo.releases.list())
      if (rel.version === r.version)
        bundles[rel.arch] = {
          url: `${this.o.baseUrl.replace(/\/$/, '')}/releases/${rel.file}`,
          sha256: rel.sha256,
        };
    return signSoftwareAnnouncement(
      {
        rollout: r.id,
        version: r.version,
        bundles,
        targets: targetsUpTo(stages, upTo, directory),
        createdAt: new Date().toISOString(),
      },
      this.o.signing,
    );
  }
}
