import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CHECKIN_SCHEMA_ID, type CheckinMessage, hashIdentity } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { HubStore } from '../src/index.js';

const key = randomBytes(32);
const person = (n: string) => hashIdentity(key, 'cccd', n).toString('hex');
const checkin = (
  site: string,
  kiosk: string,
  at: string,
  who: string,
  verdict: CheckinMessage['verdict'] = 'ALLOW',
): CheckinMessage => ({
  schema: CHECKIN_SCHEMA_ID,
  id: ulid(Date.parse(at)),
  kiosk,
  site,
  direction: 'in',
  at,
  clockSynced: true,
  document: {
    kind: 'cccd',
    numberMasked: `********${who.slice(-4)}`,
    nameMasked: `NGƯỜI ${who.slice(-2)}`,
    idHash: person(who),
  },
  verdict,
  colour: verdict === 'ALLOW' ? 'green' : 'red',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
});

function seeded() {
  const dir = makeTempDir('hub-report-');
  const store = new HubStore(join(dir, 'hub.db'));
  const now = new Date('2021-10-30T05:00:00Z');
  for (const k of [
    ['s-001', 'k-001'],
    ['s-002', 'k-002'],
    ['s-003', 'k-003'],
  ] as const)
    store.setKioskState(k[0], k[1], 'online', now);
  const F0 = '079090001234';
  // The F0 visits s-001 at 09:00 and s-002 at 15:00 (Vietnam time, 30/10/2021).
  store.addCheckin(checkin('s-001', 'k-001', '2021-10-30T02:00:00.000Z', F0), now);
  store.addCheckin(checkin('s-002', 'k-002', '2021-10-30T08:00:00.000Z', F0), now);
  store.addCheckin(checkin('s-001', 'k-001', '2021-10-30T02:20:00.000Z', '001088000001'), now); // +20 min: contact
  store.addCheckin(checkin('s-001', 'k-001', '2021-10-30T01:25:00.000Z', '001088000002', 'REFUSE'), now); // −35 min: not
  store.addCheckin(checkin('s-002', 'k-002', '2021-10-30T07:45:00.000Z', '001088000003'), now); // −15 min: contact
  store.addCheckin(checkin('s-002', 'k-002', '2021-10-30T08:10:00.000Z', '001088000004'), now); // +10 min at another site's time: contact
  store.addCheckin(checkin('s-001', 'k-001', '2021-10-31T02:00:00.000Z', '001088000005'), now); // next day
  return { dir, store, F0 };
}

describe('contact tracing', () => {
  it('finds the places visited and the people there within ±N minutes', () => {
    const { store, F0 } = seeded();
    const visits = store.trace(
      person(F0),
      new Date('2021-10-29T17:00:00Z'),
      new Date('2021-10-30T17:00:00Z'),
      30,
    );
    expect(visits.map((v) => v.visit.site)).toEqual(['s-001', 's-002']);
    expect(visits[0]?.coVisitors.map((c) => c.document.numberMasked)).toEqual(['********0001']);
    expect(visits[1]?.coVisitors.map((c) => c.document.numberMasked)).toEqual([
      '********0003',
      '********0004',
    ]);
    expect(
      store.trace(person(F0), new Date('2021-10-29T17:00:00Z'), new Date('2021-10-30T17:00:00Z'), 40)[0]
        ?.coVisitors,
    ).toHaveLength(2);
    store.close();
  });

  it('the CLI hashes the number with the deployment key, prints CSV and audits the query without the number', () => {
    const { dir, store, F0 } = seeded();
    store.close();
    writeFileSync(join(dir, 'identity.key'), key.toString('hex'));
    const r = spawnSync(
      process.execPath,
      [
        join(REPO_ROOT, 'hub/dist/cli.js'),
        'trace',
        '--data-dir',
        dir,
        '--key-file',
        join(dir, 'identity.key'),
        '--id',
        F0,
        '--from',
        '2021-10-30',
        '--to',
        '2021-10-30',
        '--csv',
      ],
      { encoding: 'utf8' },
    );
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'visit_time,site,kiosk,co_visitor_time,co_visitor_name,co_visitor_number,co_visitor_kind',
    );
    expect(lines).toHaveLength(4);
    expect(lines[1]).toContain('"30/10/2021 09:00:00","s-001","k-001","30/10/2021 09:20:00"');
    const reopened = new HubStore(join(dir, 'hub.db'));
    const [entry] = reopened.auditLog();
    expect(entry?.action).toBe('trace');
    expect(entry?.detail).toContain('…1234');
    expect(entry?.detail).not.toContain(F0);
    reopened.close();
  });
});

describe('daily report', () => {
  it('counts scans per site for a Vietnam-local day and lists the sites with no scans', () => {
    const { store } = seeded();
    const report = store.dailyReport('2021-10-30');
    expect(report.sites.find((s) => s.site === 's-001')).toMatchObject({
      scans: 3,
      allowed: 2,
      refused: 1,
      kiosks: 1,
    });
    expect(report.sites.find((s) => s.site === 's-002')).toMatchObject({ scans: 3 });
    expect(report.sitesWithoutScans).toEqual(['s-003']);
    expect(store.dailyReport('2021-10-31').sitesWithoutScans).toEqual(['s-002', 's-003']);
    store.close();
  });

  it('retention removes old check-ins and keeps the audit log', () => {
    const { store } = seeded();
    store.audit('test', 'trace', { id: '…1234' });
    expect(store.purge(new Date('2021-10-30T12:00:00Z'))).toBe(6);
    expect(store.checkinCount()).toBe(1);
    expect(store.auditLog()).toHaveLength(1);
    store.close();
  });
});

describe('qrkiosk-hub user add', () => {
  it('creates a user whose password logs in, and refuses a short password', async () => {
    const dir = makeTempDir('hub-user-');
    writeFileSync(join(dir, 'pw'), 'long-enough-password\n');
    writeFileSync(join(dir, 'short'), 'short\n');
    const add = (file: string) =>
      spawnSync(
        process.execPath,
        [
          join(REPO_ROOT, 'hub/dist/cli.js'),
          'user',
          'add',
          '--data-dir',
          dir,
          '--phone',
          '+84 912 345 678',
          '--role',
          'tracer',
          '--password-file',
          join(dir, file),
        ],
        {
          encoding: 'utf8',
        },
      );
    expect(add('short').status).toBe(2);
    const ok = add('pw');
    expect(ok.status).toBe(0);
    const store = new HubStore(join(dir, 'hub.db'));
    expect((await store.users.login('0912345678', 'long-enough-password'))?.user).toEqual({
      phone: '0912345678',
      role: 'tracer',
      sites: ['*'],
    });
    expect(await store.users.login('0912345678', 'wrong')).toBeNull();
    store.close();
  });
});

describe('stored daily reports', () => {
  it('keeps the report as generated, even after later check-ins for that day', () => {
    const { store } = seeded();
    store.saveReport('2021-10-30', new Date('2021-10-30T23:00:00Z'));
    store.addCheckin(checkin('s-003', 'k-003', '2021-10-30T10:00:00.000Z', '001088000009'), new Date());
    expect(store.savedReport('2021-10-30')?.report.sitesWithoutScans).toEqual(['s-003']);
    expect(store.dailyReport('2021-10-30').sitesWithoutScans).toEqual([]);
    expect(store.savedReport('2021-10-29')).toBeNull();
    store.close();
  });
});
