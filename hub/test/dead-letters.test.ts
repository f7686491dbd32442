/**
 * Dead letters (issue #12, defect 17): listed and replayed from the CLI through the live ingest
 * path, purged with the check-ins' retention, on both engines. And the CLI's strict days (defect 16).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import { REPO_ROOT, sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { HubStore } from '../src/index.js';
import { ENGINES, newDatabase } from './engines.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], { encoding: 'utf8' });
const checkin = (site: string): CheckinMessage =>
  sampleCheckin({
    id: ulid(),
    site,
    at: '2021-10-30T02:00:00.000Z',
    document: { idHash: randomBytes(16).toString('hex') },
    versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
  });

describe.each(ENGINES)('dead letters on %s', (engine) => {
  it('are listed without their payload, replayed through the live checks, and the stored ones leave the list', async () => {
    const { database, dataDir } = await newDatabase(engine);
    let store = await HubStore.open(database, dataDir);
    const topic = kioskTopics('s-001', 'k-001').checkin;
    const good = checkin('s-001');
    const now = new Date();
    // A check-in the database refused at the time (it is valid: a replay stores it) …
    await store.deadLetter(topic, 'could not be stored: disk full', Buffer.from(JSON.stringify(good)), now);
    // … one that claims another site than its topic, and one that is not JSON.
    await store.deadLetter(
      topic,
      'site/kiosk in payload differ from topic',
      Buffer.from(JSON.stringify(checkin('s-999'))),
      now,
    );
    await store.deadLetter(topic, 'not JSON', Buffer.from('{"schema":'), now);
    await store.close();

    const listed = cli('dead-letters', 'list', '--database', database, '--json');
    expect(listed.status).toBe(0);
    const rows = JSON.parse(listed.stdout) as Array<{
      id: number;
      reason: string;
      topic: string;
      bytes: number;
    }>;
    expect(rows.map((r) => r.reason)).toEqual([
      'could not be stored: disk full',
      'site/kiosk in payload differ from topic',
      'not JSON',
    ]);
    expect(listed.stdout).not.toContain(good.document.idHash);

    const replay = cli('dead-letters', 'replay', '--database', database);
    expect(replay.status).toBe(1); // some are still refused
    expect(replay.stdout).toContain(`#${rows[0]?.id}: đã lưu / stored`);
    expect(replay.stdout).toContain('still refused: site/kiosk in payload differ from topic');
    store = await HubStore.open(database, dataDir);
    expect(await store.checkinCount()).toBe(1);
    expect((await store.recent(1))[0]?.id).toBe(good.id);
    // The refused ones stay, once each (a replay does not add copies).
    expect((await store.deadLetters()).map((r) => r.id)).toEqual([rows[1]?.id, rows[2]?.id]);
    expect((await store.auditLog(1))[0]).toMatchObject({ action: 'dead-letters-replay' });
    await store.close();

    const one = cli('dead-letters', 'replay', '--database', database, '--id', String(rows[2]?.id));
    expect(one.status).toBe(1);
    expect(one.stdout).toContain(`#${rows[2]?.id}: vẫn bị từ chối`);
    expect(cli('dead-letters', 'replay', '--database', database, '--id', '999999').status).toBe(2);
  });

  it('are purged with the check-ins, after the same retention period', async () => {
    const { database, dataDir } = await newDatabase(engine);
    let store = await HubStore.open(database, dataDir);
    const topic = kioskTopics('s-001', 'k-001').checkin;
    await store.deadLetter(topic, 'old', Buffer.from('x'), new Date(Date.now() - 30 * 86_400_000));
    await store.deadLetter(topic, 'recent', Buffer.from('y'), new Date(Date.now() - 86_400_000));
    await store.close();
    const r = cli('purge', '--database', database, '--retention-days', '21');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('1 dead letters');
    store = await HubStore.open(database, dataDir);
    expect((await store.deadLetters()).map((d) => d.reason)).toEqual(['recent']);
    await store.close();
  });
});

describe('qrkiosk-hub days', () => {
  it('refuses an impossible day in Vietnamese and English instead of crashing or rolling it over', async () => {
    const { database } = await newDatabase('sqlite');
    for (const args of [
      ['report', '--day', '2021-02-30'],
      ['report', '--day', '2021-13-45'],
      ['trace', '--key-file', '/dev/null', '--id', '079090001234', '--from', '2021-13-45'],
    ]) {
      const r = cli(...args, '--database', database);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr).toContain('không phải là ngày hợp lệ');
      expect(r.stderr).toContain('is not a real day');
    }
    expect(cli('report', '--day', '2024-02-29', '--database', database).status).toBe(0);
  });
});
