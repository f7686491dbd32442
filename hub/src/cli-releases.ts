import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { out } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';
import { UpdatesError } from './updates/errors.js';
import { addRelease, readReleaseKeys } from './updates/releases.js';
import { Rollouts } from './updates/rollouts.js';

export const RELEASE_USAGE = [
  'qrkiosk-hub release add --bundle qrkiosk-<v>-linux-<arch>.tar.gz [--sig FILE.sig]   (checked against releases.publicKeyFiles, kept in <data-dir>/releases, served at /releases/<file>)',
  'qrkiosk-hub release list [--json]',
  'qrkiosk-hub rollout start --version V --canary k-001,k-002 [--then site:s-001,district:760]… [--then all] [--min-healthy N]',
  'qrkiosk-hub rollout pause|resume --id ID      qrkiosk-hub rollout status [--json]',
];

/**
 * `release add|list` and `rollout start|pause|resume|status`: the same use cases as /api/releases and
 * /api/rollouts (updates/). The running hub's engine publishes and advances what is written here.
 */
export async function releaseCommand(
  cmd: 'release' | 'rollout',
  argv: string[],
  settings: HubSettings,
): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      ...storeFlags(settings),
      bundle: { type: 'string' },
      sig: { type: 'string' },
      version: { type: 'string' },
      canary: { type: 'string' },
      // biome-ignore lint/suspicious/noThenProperty: parseArgs' option key is the flag's name (--then)
      then: { type: 'string', multiple: true },
      'min-healthy': { type: 'string' },
      id: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const usage = () => {
    process.stderr.write(`${RELEASE_USAGE.join('\n')}\n`);
    return 2;
  };
  const known = cmd === 'release' ? ['add', 'list'] : ['start', 'pause', 'resume', 'status'];
  if (!known.includes(action ?? '')) return usage();
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  const actor = `${userInfo().username}@cli`;
  const rollouts = new Rollouts(store);
  try {
    if (cmd === 'release' && action === 'add') {
      if (!values.bundle) return usage();
      const row = await addRelease(store, {
        bundle: values.bundle,
        ...(values.sig ? { signature: values.sig } : {}),
        keys: readReleaseKeys(settings.releases.publicKeyFiles),
        dataDir: values['data-dir'],
        actor,
      });
      out(
        values.json
          ? JSON.stringify(row)
          : `Đã thêm bản phát hành / release added: ${row.file} ${row.version} ${row.arch} sha256 ${row.sha256}`,
      );
      return 0;
    }
    if (cmd === 'release') {
      const rows = await store.repo.releases.list();
      out(
        values.json
          ? JSON.stringify(rows)
          : rows.map((r) => `${r.version}\t${r.arch}\t${r.sha256}\t${r.addedAt}`).join('\n'),
      );
      return 0;
    }
    if (action === 'start') {
      if (!values.version || !values.canary) return usage();
      const min = values['min-healthy'] === undefined ? undefined : Number(values['min-healthy']);
      const row = await rollouts.start(
        {
          version: values.version,
          canary: values.canary
            .split(',')
            .map((k) => k.trim())
            .filter(Boolean),
          ...(values.then ? { after: values.then } : {}),
          ...(min !== undefined ? { minHealthy: min } : {}),
        },
        actor,
      );
      out(values.json ? JSON.stringify(row) : `Đã bắt đầu / rollout started: ${row.id} ${row.version}`);
      return 0;
    }
    if (action === 'pause' || action === 'resume') {
      if (!values.id) return usage();
      const row = await rollouts[action](values.id, actor);
      out(values.json ? JSON.stringify(row) : `${row.id}: ${row.state}`);
      return 0;
    }
    const list = await rollouts.list();
    if (values.json) out(JSON.stringify(list));
    else
      for (const r of list) {
        out(`${r.id}  ${r.version}  ${r.state}${r.detail ? `  (${r.detail})` : ''}`);
        r.stages.forEach((s, i) => {
          out(
            `  ${i === r.stage && r.state !== 'done' ? '→' : ' '} ${s.name}: ${s.progress.healthy.length}/${s.progress.need} khỏe/healthy${s.progress.failed.length ? `, ${s.progress.failed.length} lỗi/failed` : ''}${s.doneAt ? ' ✓' : ''}`,
          );
        });
      }
    return 0;
  } catch (err) {
    if (!(err instanceof UpdatesError)) throw err;
    process.stderr.write(`${err.text.vi} / ${err.text.en}\n`);
    return err.status === 409 ? 1 : 2;
  } finally {
    await store.close();
  }
}
