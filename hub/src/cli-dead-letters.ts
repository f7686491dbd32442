import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { out } from './cli-files.js';
import { storeFlags } from './cli-settings.js';
import { HubIngest } from './ingest.js';
import type { HubSettings } from './settings/index.js';
import { HubStore } from './store.js';

export const DEAD_LETTERS_USAGE = [
  'qrkiosk-hub dead-letters list [--json]                 (messages the hub refused or could not store, with the reason)',
  'qrkiosk-hub dead-letters replay [--id N]               (through the same checks as a live message; stored ones leave the list)',
];

/**
 * `dead-letters list|replay`. Replay hands each payload to HubIngest.replay — the live message path
 * itself, not a copy of it — and removes the dead letters it stored (or found already stored).
 */
export async function deadLettersCommand(argv: string[], settings: HubSettings): Promise<number> {
  const [action, ...rest] = argv;
  const { values } = parseArgs({
    args: rest,
    options: {
      ...storeFlags(settings),
      json: { type: 'boolean', default: false },
      id: { type: 'string' },
      limit: { type: 'string', default: '1000' },
    },
  });
  const id = values.id === undefined ? undefined : Number(values.id);
  const limit = Number(values.limit);
  if (
    (action !== 'list' && action !== 'replay') ||
    (id !== undefined && !(Number.isInteger(id) && id > 0)) ||
    !(Number.isInteger(limit) && limit > 0)
  ) {
    process.stderr.write(`${DEAD_LETTERS_USAGE.join('\n')}\n`);
    return 2;
  }
  const store = await HubStore.open(values.database || undefined, values['data-dir']);
  try {
    const rows = await store.deadLetters({ ...(id !== undefined ? { id } : {}), limit });
    if (id !== undefined && rows.length === 0) {
      process.stderr.write(`Không có thư lỗi số ${id} / no dead letter ${id}\n`);
      return 2;
    }
    if (action === 'list') {
      // No payload printed: it holds masked names and identity hashes; the reason says what failed.
      const list = rows.map((r) => ({
        id: r.id,
        receivedAt: r.receivedAt,
        topic: r.topic,
        reason: r.reason,
        bytes: r.payload.length,
      }));
      if (values.json) out(JSON.stringify(list));
      else {
        out(`Thư lỗi / dead letters: ${list.length}`);
        for (const r of list) out(`  #${r.id}  ${r.receivedAt}  ${r.topic}  (${r.bytes} B)  ${r.reason}`);
      }
      return 0;
    }
    const ingest = new HubIngest(
      { url: 'mqtt://unused', protocolVersion: 5 },
      store,
      pino({ level: 'silent' }),
    );
    let stored = 0;
    const refused: Array<{ id: number; reason: string }> = [];
    for (const r of rows) {
      let result: { ok: true } | { ok: false; reason: string };
      try {
        result = await ingest.replay(r.topic, r.payload);
      } catch (err) {
        result = { ok: false, reason: `could not be stored: ${(err as Error).message}` };
      }
      if (result.ok) {
        await store.deleteDeadLetter(r.id);
        stored++;
        out(`#${r.id}: đã lưu / stored`);
      } else {
        refused.push({ id: r.id, reason: result.reason });
        out(`#${r.id}: vẫn bị từ chối / still refused: ${result.reason}`);
      }
    }
    await store.audit(`${userInfo().username}@cli`, 'dead-letters-replay', {
      replayed: rows.length,
      stored,
      refused: refused.map((x) => x.id),
    });
    out(`Đã lưu / stored ${stored}; vẫn bị từ chối / still refused ${refused.length}`);
    return refused.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}
