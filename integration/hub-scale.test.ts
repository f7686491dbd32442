/**
 * Several hub processes on one PostgreSQL behind a shared subscription, fed by the fleet load
 * generator through a real Mosquitto: every check-in is stored exactly once, even when one hub
 * process is killed (SIGKILL) in the middle and started again.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { publishFleetLoad } from '@qrkiosk/firmware-sim';
import {
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  type RunningPostgres,
  startMosquitto,
  startPostgres,
  waitFor,
} from '@qrkiosk/testkit';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

describe('two hub processes on PostgreSQL', () => {
  let broker: RunningMosquitto;
  let postgres: RunningPostgres;
  const hubs = new Map<string, ChildProcess>();
  beforeAll(async () => {
    [broker, postgres] = await Promise.all([
      startMosquitto({ extraConfig: ['max_queued_messages 0'] }),
      startPostgres(),
    ]);
  });
  afterAll(async () => {
    for (const h of hubs.values()) h.kill('SIGKILL');
    await broker?.stop();
    await postgres?.stop();
  });

  /** Starts `qrkiosk-hub run` as its own process; resolves when its page is up (it logs so). */
  const startHub = (name: string, database: string) =>
    new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [
          join(REPO_ROOT, 'hub/dist/cli.js'),
          'run',
          '--mqtt',
          broker.url,
          '--database',
          database,
          '--data-dir',
          makeTempDir(`hub-${name}-`),
          '--port',
          '0',
          '--share',
          'hub',
          '--lanes',
          '4',
          '--client-id',
          `qrkiosk-${name}`,
        ],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      hubs.set(name, child);
      let out = '';
      child.stdout?.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('hub page ready')) resolve();
      });
      child.stderr?.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.once('exit', (code) => reject(new Error(`hub ${name} exited ${code}: ${out}`)));
    });

  it('stores every check-in exactly once, also after one process is killed mid-ingest and restarted', async () => {
    const database = postgres.createDatabase('scale');
    await Promise.all([startHub('a', database), startHub('b', database)]);
    const db = new pg.Client({ connectionString: database });
    await db.connect();
    const count = async () => Number((await db.query('SELECT count(*) AS n FROM checkins')).rows[0].n);

    const load = publishFleetLoad({ url: broker.url, kiosks: 8, perKiosk: 400, duplicates: 0.05 });
    // Kill hub b once some check-ins are in: what the broker had handed to it but not had
    // acknowledged is redelivered to its session; what is queued for it waits for it.
    // Killed at the first stored check-in: b's share of what follows is still to come.
    await waitFor(async () => ((await count()) > 0 ? true : undefined), 20_000, 'first check-ins stored');
    hubs.get('b')?.kill('SIGKILL');
    const published = await load;
    expect(published.sent).toBeGreaterThan(3200);
    // The broker round-robins the share over both processes' sessions and keeps b's part queued
    // for it while it is down: hub a alone cannot have everything.
    expect(await count()).toBeLessThan(published.ids.length);
    await startHub('b', database);
    await waitFor(
      async () => ((await count()) === published.ids.length ? true : undefined),
      30_000,
      `${published.ids.length} check-ins stored`,
    );
    const stored = (await db.query<{ id: string }>('SELECT id FROM checkins ORDER BY id')).rows.map(
      (r) => r.id,
    );
    expect(stored).toEqual([...published.ids].sort());
    await db.end();
  });
});
