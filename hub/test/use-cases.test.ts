/**
 * One home per operation: tracing is checked by one function for the page and the CLI, so the CLI
 * now refuses what the page refuses (it used to take any type, number or window); retention is one
 * function for the hub's daily timer and `qrkiosk-hub purge`. Days are checked against the real
 * calendar (parseDay), the window and type against the route schema's own limits.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { applyRetention, checkTrace, HubStore } from '../src/index.js';
import { newDatabase } from './engines.js';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], { encoding: 'utf8' });
const ask = { type: 'cccd', id: '0790 9000 1234', from: '2021-10-30', to: '2021-10-31' };

describe('the tracing check', () => {
  it('normalises the number and keeps real days, a known type and a bounded window', () => {
    expect(checkTrace(ask)).toEqual({
      ok: true,
      query: {
        type: 'cccd',
        id: '079090001234',
        from: '2021-10-30',
        to: '2021-10-31',
        window: 30,
        f2: false,
        case: '',
      },
    });
    const refused = (a: Partial<typeof ask> & { window?: number }) => {
      const r = checkTrace({ ...ask, ...a });
      return r.ok ? undefined : r.problem;
    };
    expect(refused({ from: '2021-02-30' })?.en).toContain('is not a real day');
    expect(refused({ type: 'iban' })?.vi).toContain('Loại giấy tờ');
    expect(refused({ id: '12-34' })?.en).toBe('id: 6–20 digits or letters');
    expect(refused({ window: 0 })?.en).toContain('window');
    expect(refused({ window: 721 })?.en).toContain('720');
    expect(refused({ window: 720 })).toBeUndefined();
  });

  it('without days, the last 14 days through today (Vietnam time)', () => {
    const r = checkTrace({ type: 'cccd', id: '079090001234' }, new Date('2021-10-30T18:00:00Z'));
    expect(r.ok && [r.query.from, r.query.to]).toEqual(['2021-10-17', '2021-10-31']);
  });

  it('the CLI refuses, in both languages, what the page refuses', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const key = join(dataDir, 'identity.key');
    writeFileSync(key, randomBytes(32).toString('hex'));
    for (const bad of [
      ['--id', '079090001234', '--window', '10000'],
      ['--id', '079090001234', '--type', 'iban'],
      ['--id', '12'],
    ]) {
      const r = cli('trace', '--database', database, '--key-file', key, ...bad);
      expect(r.status, bad.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/ \/ /);
    }
    const ok = cli(
      'trace',
      '--database',
      database,
      '--key-file',
      key,
      '--id',
      '079090001234',
      '--window',
      '720',
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
  });
});

describe('retention', () => {
  it('removes check-ins and dead letters past the period, audits, and is what purge runs', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const store = await HubStore.open(database, dataDir);
    const now = new Date('2021-11-30T00:00:00Z');
    await store.deadLetter('t', 'old', Buffer.from('x'), new Date('2021-11-01T00:00:00Z'));
    await store.deadLetter('t', 'new', Buffer.from('y'), new Date('2021-11-29T00:00:00Z'));
    // Nothing to remove: the daily timer writes no audit entry.
    expect(await applyRetention(store, 60, { actor: 'hub' }, now)).toEqual({
      days: 60,
      removed: 0,
      deadLetters: 0,
    });
    expect((await store.auditLog()).map((a) => a.action)).not.toContain('purge');
    expect(await applyRetention(store, 21, { actor: 'hub' }, now)).toEqual({
      days: 21,
      removed: 0,
      deadLetters: 1,
    });
    const [entry] = await store.auditLog();
    expect(entry).toMatchObject({ actor: 'hub', action: 'purge' });
    expect(JSON.parse(entry?.detail ?? '{}')).toEqual({ days: 21, removed: 0, deadLetters: 1 });
    await expect(applyRetention(store, Number.NaN, { actor: 'hub' }, now)).rejects.toThrow(RangeError);
    await store.close();
    expect(cli('purge', '--database', database, '--retention-days', 'abc').status).toBe(2);
  });
});
