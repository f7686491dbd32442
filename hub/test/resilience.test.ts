/**
 * What must not lose a check-in, on a real Mosquitto: a database that fails for a while, a row the
 * database refuses, times no database stores alike, fewer lanes than the last run, a switch from a
 * plain to a shared subscription, a hub process taken out of service, a live page after logout.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { type CheckinMessage, kioskTopics } from '@qrkiosk/protocol';
import {
  Cleanups,
  REPO_ROOT,
  type RunningMosquitto,
  sampleCheckin,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import { connectAsync, type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { Hub, type HubOptions } from '../src/index.js';
import type { HubRepository } from '../src/storage/index.js';
import { ENGINES, newDatabase } from './engines.js';
import { logIn } from './session.js';

const checkin = (n: number, at = new Date().toISOString()): CheckinMessage =>
  sampleCheckin({
    id: `01J2${String(n).padStart(22, '0')}`,
    at,
    document: { nameMasked: 'A B*', idHash: 'c'.repeat(32) },
    versions: { software: '0.1.0', rules: 'x', cache: 0 },
  });
const topic = kioskTopics('s-001', 'k-001').checkin;

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function broker(): Promise<RunningMosquitto> {
  const b = await startMosquitto({ extraConfig: ['max_queued_messages 0'] });
  cleanups.push(() => b.stop());
  return b;
}
async function publisher(url: string): Promise<MqttClient> {
  const c = await connectAsync(url, { protocolVersion: 5 });
  cleanups.push(() => c.endAsync());
  return c;
}
async function publish(c: MqttClient, from: number, count: number, at?: string) {
  for (let n = from; n < from + count; n++)
    await c.publishAsync(topic, JSON.stringify(checkin(n, at)), { qos: 1 });
}
function hubOptions(
  url: string,
  where: { database: string; dataDir: string },
  mqtt: Partial<HubOptions['mqtt']> = {},
  wrapRepository?: HubOptions['wrapRepository'],
): HubOptions {
  return {
    mqtt: { url, protocolVersion: 5 as const, retryBaseMs: 20, ...mqtt },
    ...where,
    http: { host: '127.0.0.1', port: 0 },
    log: pino({ level: 'silent' }),
    ...(wrapRepository ? { wrapRepository } : {}),
  };
}

/**
 * Fault injection through the hub's storage seam (HubOptions.wrapRepository): the real repository,
 * with the named methods replaced by `faults` (each gets the real method to call through).
 */
function withFaults(faults: {
  addCheckins?: (
    real: HubRepository['addCheckins'],
    ...a: Parameters<HubRepository['addCheckins']>
  ) => ReturnType<HubRepository['addCheckins']>;
  deadLetter?: (
    real: HubRepository['deadLetter'],
    ...a: Parameters<HubRepository['deadLetter']>
  ) => ReturnType<HubRepository['deadLetter']>;
}): NonNullable<HubOptions['wrapRepository']> {
  return (repo) =>
    new Proxy(repo, {
      get(target, key) {
        const value = Reflect.get(target, key, target);
        const fault = faults[key as keyof typeof faults];
        if (typeof value !== 'function') return value;
        const real = value.bind(target);
        return fault
          ? (...args: unknown[]) => (fault as (r: unknown, ...a: unknown[]) => unknown)(real, ...args)
          : real;
      },
    });
}
async function running(options: HubOptions): Promise<Hub> {
  const hub = new Hub(options);
  await hub.start();
  cleanups.push(() => hub.stop());
  return hub;
}
const stored = (hub: Hub, n: number) =>
  waitFor(async () => ((await hub.store?.checkinCount()) === n ? true : undefined), 10_000, `${n} stored`);

describe.each(ENGINES)('nothing lost (%s)', (engine) => {
  it('a store that fails for a while is retried on the open connection until it succeeds', async () => {
    const b = await broker();
    let failing = true;
    // A full disk refuses every write, the dead letters' too.
    const hub = await running(
      hubOptions(
        b.url,
        await newDatabase(engine),
        { shareGroup: 'hub', lanes: 2 },
        withFaults({
          addCheckins: async (real, batch) => {
            if (failing) throw new Error('SQLITE_FULL: database or disk is full');
            return real(batch);
          },
          deadLetter: async (real, ...args) => {
            if (failing) throw new Error('SQLITE_FULL: database or disk is full');
            return real(...args);
          },
        }),
      ),
    );
    const kiosk = await publisher(b.url);
    // More than Mosquitto's default in-flight window (20) while failing: the lanes must not stall.
    const sending = publish(kiosk, 1, 30);
    await new Promise((r) => setTimeout(r, 300));
    failing = false;
    await sending;
    await stored(hub, 30);
    expect(await hub.store?.deadLetterCount()).toBe(0);
  });

  it('times no database stores alike are dead letters; their neighbours are stored', async () => {
    const b = await broker();
    const hub = await running(hubOptions(b.url, await newDatabase(engine), { shareGroup: 'hub', lanes: 4 }));
    const kiosk = await publisher(b.url);
    await publish(kiosk, 1, 3);
    await publish(kiosk, 4, 1, '2021-12-31T23:59:60Z'); // a leap second
    await publish(kiosk, 5, 1, '0000-01-01T00:00:00Z'); // year 0
    await publish(kiosk, 6, 3);
    await stored(hub, 6);
    await waitFor(
      async () => ((await hub.store?.deadLetterCount()) === 2 ? true : undefined),
      5000,
      'dead letters',
    );
  });
});

describe('lanes and sessions', () => {
  it('a row the database keeps refusing while it takes other writes becomes a dead letter, payload kept', async () => {
    const b = await broker();
    const poison = checkin(2).id;
    const hub = await running(
      hubOptions(
        b.url,
        await newDatabase('sqlite'),
        { shareGroup: 'hub', lanes: 2 },
        withFaults({
          addCheckins: async (real, batch) => {
            if (batch.some((x) => x.checkin.id === poison)) throw new Error('value too long');
            return real(batch);
          },
        }),
      ),
    );
    const kiosk = await publisher(b.url);
    await publish(kiosk, 1, 10);
    await stored(hub, 9);
    await waitFor(
      async () => ((await hub.store?.deadLetterCount()) === 1 ? true : undefined),
      10_000,
      'dead letter',
    );
  });

  it('fewer lanes than the last run: the old lanes’ queues are drained and they get nothing new', async () => {
    const b = await broker();
    const where = await newDatabase('sqlite');
    const first = new Hub(hubOptions(b.url, where, { shareGroup: 'hub', lanes: 4 }));
    await first.start();
    await first.stop();
    const kiosk = await publisher(b.url);
    await publish(kiosk, 1, 40); // queued over the four sessions while the hub is down
    const hub = await running(hubOptions(b.url, where, { shareGroup: 'hub', lanes: 2 }));
    await stored(hub, 40);
    await publish(kiosk, 41, 40); // without the retirement, half of these would go to lanes 2 and 3
    await stored(hub, 80);
  });

  it('from a plain to a shared subscription: each check-in is delivered once, not once per filter', async () => {
    const b = await broker();
    const where = await newDatabase('sqlite');
    const plain = new Hub(hubOptions(b.url, where));
    await plain.start();
    await plain.stop();
    let rows = 0;
    const hub = await running(
      hubOptions(
        b.url,
        where,
        { shareGroup: 'hub', lanes: 2 },
        withFaults({
          addCheckins: async (real, batch) => {
            rows += batch.length;
            return real(batch);
          },
        }),
      ),
    );
    const kiosk = await publisher(b.url);
    await publish(kiosk, 1, 40);
    await stored(hub, 40);
    await new Promise((r) => setTimeout(r, 300));
    expect(rows).toBe(40);
  });

  it('qrkiosk-hub retire stores what a retired hub process’s sessions hold and ends them', async () => {
    const b = await broker();
    const where = await newDatabase('sqlite');
    const old = new Hub(hubOptions(b.url, where, { shareGroup: 'hub', lanes: 3, clientId: 'hub-b' }));
    await old.start();
    await old.stop();
    const kiosk = await publisher(b.url);
    await publish(kiosk, 1, 30);
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'hub/dist/cli.js'),
        'retire',
        '--client-id',
        'hub-b',
        '--mqtt',
        b.url,
        '--database',
        where.database,
      ],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('closed 3 sessions of hub-b; 30 check-ins stored');
    // With hub-b's sessions gone, a hub with another id receives everything new.
    const hub = await running(hubOptions(b.url, where, { shareGroup: 'hub', lanes: 2, clientId: 'hub-a' }));
    expect(await hub.store?.checkinCount()).toBe(30);
    await publish(kiosk, 31, 20);
    await stored(hub, 50);
  });

  it('a live page is closed once its session ends (logout)', async () => {
    const b = await broker();
    const hub = new Hub({ ...hubOptions(b.url, await newDatabase('sqlite')), liveSessionCheckMs: 100 });
    const address = await hub.start();
    cleanups.push(() => hub.stop());
    await hub.store?.users.add('0911111111', 'officer-password', 'officer', ['*']);
    const { cookie, csrf } = await logIn(address, '0911111111', 'officer-password');
    const ws = new WebSocket(`${address.replace('http', 'ws')}/live`, { headers: { cookie } });
    const closed = new Promise<number>((resolve) => ws.on('close', (code) => resolve(code)));
    await new Promise((resolve) => ws.once('message', resolve));
    await fetch(`${address}/api/logout`, { method: 'POST', headers: { cookie, 'x-csrf-token': csrf } });
    expect(await closed).toBe(4401);
  });
});
