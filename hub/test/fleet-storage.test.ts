/**
 * The fleet's records (migration 12, storage/fleet.ts) on both engines: a kiosk's command history newest
 * first with its result and error as written, and one doctor report per kiosk, the newest replacing the
 * one before. The use case over them runs end to end in integration/fleet-commands.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HubStore } from '../src/index.js';
import { ENGINES, openStore } from './engines.js';

describe.each(ENGINES)('fleet records (%s)', (engine) => {
  let store: HubStore;
  beforeAll(async () => {
    ({ store } = await openStore(engine));
  });
  afterAll(() => store?.close());

  it('keeps each kiosk’s commands apart, newest first, ok as a boolean and texts as written', async () => {
    const base = { site: 's-001', actor: '0900000001', result: null, error: null };
    await store.repo.fleet.addCommand({
      ...base,
      kiosk: 'k-001',
      at: '2026-11-26T01:00:00.000Z',
      command: 'selftest',
      ok: true,
      result: '{"driver":"sim"}',
    });
    await store.repo.fleet.addCommand({
      ...base,
      kiosk: 'k-002',
      at: '2026-11-26T01:00:01.000Z',
      command: 'resync',
      ok: true,
    });
    await store.repo.fleet.addCommand({
      ...base,
      kiosk: 'k-001',
      at: '2026-11-26T01:00:02.000Z',
      command: 'alert-level',
      ok: false,
      error: '{"vi":"Kiosk từ chối: …","en":"The kiosk refused: …"}',
    });
    expect(await store.repo.fleet.commands('s-001', 'k-001', 10)).toEqual([
      {
        at: '2026-11-26T01:00:02.000Z',
        actor: '0900000001',
        command: 'alert-level',
        ok: false,
        result: null,
        error: '{"vi":"Kiosk từ chối: …","en":"The kiosk refused: …"}',
      },
      {
        at: '2026-11-26T01:00:00.000Z',
        actor: '0900000001',
        command: 'selftest',
        ok: true,
        result: '{"driver":"sim"}',
        error: null,
      },
    ]);
    expect(await store.repo.fleet.commands('s-001', 'k-001', 1)).toHaveLength(1);
    expect(await store.repo.fleet.commands('s-001', 'k-404', 10)).toEqual([]);
  });

  it('keeps the last doctor report of each kiosk', async () => {
    expect(await store.repo.fleet.doctor('s-001', 'k-001')).toBeNull();
    await store.repo.fleet.saveDoctor(
      'k-001',
      's-001',
      new Date('2026-11-26T02:00:00Z'),
      '{"status":"warn"}',
    );
    await store.repo.fleet.saveDoctor('k-001', 's-001', new Date('2026-11-26T03:00:00Z'), '{"status":"ok"}');
    expect(await store.repo.fleet.doctor('s-001', 'k-001')).toEqual({
      at: '2026-11-26T03:00:00.000Z',
      report: '{"status":"ok"}',
    });
  });

  it('a kiosk lock has one holder until it is given back or its lease ends (hostile review #3)', async () => {
    const t0 = new Date('2026-11-26T05:00:00Z');
    const lease = new Date(t0.getTime() + 300_000);
    const fleet = store.repo.fleet;
    expect(await fleet.lock('k-001', 'holder-a', lease, t0)).toBe(true);
    expect(await fleet.lock('k-001', 'holder-b', lease, t0)).toBe(false);
    expect(await fleet.lock('k-002', 'holder-b', lease, t0)).toBe(true);
    // Only the holder gives it back.
    await fleet.unlock('k-001', 'holder-b');
    expect(await fleet.lock('k-001', 'holder-b', lease, t0)).toBe(false);
    await fleet.unlock('k-001', 'holder-a');
    expect(await fleet.lock('k-001', 'holder-b', lease, t0)).toBe(true);
    // A holder that died: its lease runs out and the next one takes the lock.
    const later = new Date(lease.getTime() + 1);
    expect(await fleet.lock('k-001', 'holder-c', new Date(later.getTime() + 300_000), later)).toBe(true);
  });

  it('retires a revoked kiosk and brings it back when it enrols again (hostile review #10)', async () => {
    const fleet = store.repo.fleet;
    expect(await fleet.retired()).toEqual(new Set());
    await fleet.retire('k-001', new Date('2026-11-26T06:00:00Z'), '0900000001');
    await fleet.retire('k-001', new Date('2026-11-26T06:00:01Z'), '0900000001');
    expect(await fleet.retired()).toEqual(new Set(['k-001']));
    await fleet.unretire('k-001');
    expect(await fleet.retired()).toEqual(new Set());
  });
});
