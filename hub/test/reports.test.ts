import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type CheckinMessage, hashIdentity } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT, sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import { HubStore, parseSitesCsv, reportCsv, reportPage, SCHEMA_VERSION, scopeReport } from '../src/index.js';
import { ENGINES, type Engine, newDatabase, openStore } from './engines.js';

const key = randomBytes(32);
const person = (n: string) => hashIdentity(key, 'cccd', n).toString('hex');
const checkin = (
  site: string,
  kiosk: string,
  at: string,
  who: string,
  verdict: CheckinMessage['verdict'] = 'ALLOW',
): CheckinMessage =>
  sampleCheckin({
    id: ulid(Date.parse(at)),
    kiosk,
    site,
    at,
    document: {
      numberMasked: `********${who.slice(-4)}`,
      nameMasked: `NGƯỜI ${who.slice(-2)}`,
      idHash: person(who),
    },
    verdict,
    colour: verdict === 'ALLOW' ? 'green' : 'red',
  });

const F0 = '079090001234';

async function seeded(engine: Engine) {
  const opened = await openStore(engine);
  const { store } = opened;
  const now = new Date('2021-10-30T05:00:00Z');
  for (const k of [
    ['s-001', 'k-001'],
    ['s-002', 'k-002'],
    ['s-003', 'k-003'],
  ] as const)
    await store.setKioskState(k[0], k[1], 'online', now);
  // The F0 visits s-001 at 09:00 and s-002 at 15:00 (Vietnam time, 30/10/2021).
  await store.addCheckins(
    [
      checkin('s-001', 'k-001', '2021-10-30T02:00:00.000Z', F0),
      checkin('s-002', 'k-002', '2021-10-30T08:00:00.000Z', F0),
      checkin('s-001', 'k-001', '2021-10-30T02:20:00.000Z', '001088000001'), // +20 min: contact
      checkin('s-001', 'k-001', '2021-10-30T01:25:00.000Z', '001088000002', 'REFUSE'), // −35 min: not
      checkin('s-002', 'k-002', '2021-10-30T07:45:00.000Z', '001088000003'), // −15 min: contact
      checkin('s-002', 'k-002', '2021-10-30T08:10:00.000Z', '001088000004'), // +10 min: contact
      checkin('s-001', 'k-001', '2021-10-31T02:00:00.000Z', '001088000005'), // next day
    ].map((c) => ({ checkin: c, receivedAt: now })),
  );
  return opened;
}

const cli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], { encoding: 'utf8' });

describe.each(ENGINES)('hub storage on %s', (engine) => {
  it('stores a check-in once: a repeated id in the same or a later batch is a duplicate', async () => {
    const { store } = await openStore(engine);
    const a = checkin('s-001', 'k-001', '2021-10-30T02:00:00.000Z', F0);
    const b = checkin('s-001', 'k-001', '2021-10-30T02:00:01.000Z', F0);
    const now = new Date();
    expect(await store.addCheckins([a, a, b].map((c) => ({ checkin: c, receivedAt: now })))).toEqual(
      new Set([a.id, b.id]),
    );
    expect(await store.addCheckin(a, now)).toBe(false);
    expect(await store.checkinCount()).toBe(2);
    expect((await store.recent(1))[0]).toEqual(b);
    await store.close();
  });

  it('contact tracing finds the places visited and the people there within ±N minutes', async () => {
    const { store } = await seeded(engine);
    const day = [new Date('2021-10-29T17:00:00Z'), new Date('2021-10-30T17:00:00Z')] as const;
    const visits = await store.trace([person(F0)], ...day, 30);
    expect(visits.map((v) => v.visit.site)).toEqual(['s-001', 's-002']);
    expect(visits[0]?.coVisitors.map((c) => c.document.numberMasked)).toEqual(['********0001']);
    expect(visits[1]?.coVisitors.map((c) => c.document.numberMasked)).toEqual([
      '********0003',
      '********0004',
    ]);
    expect((await store.trace([person(F0)], ...day, 40))[0]?.coVisitors).toHaveLength(2);
    await store.close();
  });

  it('the daily report counts a Vietnam-local day per site and area and lists sites with no scans', async () => {
    const { store } = await seeded(engine);
    await store.registerSites([
      { site: 's-001', name: 'Chợ Bến Thành', district: '760', ward: '26743' },
      { site: 's-002', name: 'Bệnh viện Q1', district: '760', ward: '26740' },
      { site: 's-003', name: 'Siêu thị Q3', district: '770', ward: '27139' },
      { site: 's-004', name: 'Trường học', district: '770', ward: '27139' },
    ]);
    const report = await store.dailyReport('2021-10-30');
    expect(report.sites.find((s) => s.site === 's-001')).toMatchObject({
      name: 'Chợ Bến Thành',
      scans: 3,
      allowed: 2,
      refused: 1,
      kiosks: 1,
    });
    expect(report.sites.find((s) => s.site === 's-002')).toMatchObject({ scans: 3 });
    // s-004 is registered but has no kiosk yet: it still belongs on the follow-up list.
    expect(report.sitesWithoutScans).toEqual(['s-003', 's-004']);
    expect(report.areas).toEqual([
      {
        district: '760',
        ward: '26740',
        sitesRegistered: 1,
        sitesWithScans: 1,
        scans: 3,
        sitesWithoutScans: [],
        newKiosks: 1,
      },
      {
        district: '760',
        ward: '26743',
        sitesRegistered: 1,
        sitesWithScans: 1,
        scans: 3,
        sitesWithoutScans: [],
        newKiosks: 1,
      },
      {
        district: '770',
        ward: '27139',
        sitesRegistered: 2,
        sitesWithScans: 0,
        scans: 0,
        sitesWithoutScans: ['s-003', 's-004'],
        newKiosks: 1,
      },
    ]);
    expect((await store.dailyReport('2021-10-31')).sitesWithoutScans).toEqual(['s-002', 's-003', 's-004']);
    // The three kiosks were first seen on 30/10 (12:00 Vietnam time), one per area.
    expect((await store.dailyReport('2021-10-30')).newKiosks).toHaveLength(3);
    expect((await store.dailyReport('2021-10-29')).newKiosks).toHaveLength(0);
    await store.close();
  });

  it('a stored report stays as generated, even after later check-ins for that day', async () => {
    const { store } = await seeded(engine);
    await store.saveReport('2021-10-30', new Date('2021-10-30T23:00:00Z'));
    await store.addCheckin(checkin('s-003', 'k-003', '2021-10-30T10:00:00.000Z', '001088000009'), new Date());
    const saved = await store.savedReport('2021-10-30');
    expect(saved?.report.sitesWithoutScans).toEqual(['s-003']);
    expect(saved?.generatedAt).toBe('2021-10-30T23:00:00.000Z');
    expect((await store.dailyReport('2021-10-30')).sitesWithoutScans).toEqual([]);
    expect(await store.savedReport('2021-10-29')).toBeNull();
    await store.close();
  });

  it('retention removes old check-ins and keeps the audit log', async () => {
    const { store } = await seeded(engine);
    await store.audit('test', 'trace', { id: '…1234' });
    expect(await store.purge(new Date('2021-10-30T12:00:00Z'))).toBe(6);
    expect(await store.checkinCount()).toBe(1);
    expect(await store.auditLog()).toHaveLength(1);
    await store.close();
  });

  it('retention counts from arrival too: a check-in from a kiosk clock at 2000 is kept, one at 2099 goes', async () => {
    const { store } = await openStore(engine);
    const arrived = new Date('2021-10-30T05:00:00Z');
    await store.addCheckins([
      // An unsynced kiosk clock in the past: purged by its own time, it would vanish at once.
      { checkin: checkin('s-001', 'k-001', '2000-01-01T00:00:00.000Z', '001088000011'), receivedAt: arrived },
      // …and one in the future: by its own time alone, it would never go.
      { checkin: checkin('s-001', 'k-001', '2099-01-01T00:00:00.000Z', '001088000012'), receivedAt: arrived },
    ]);
    expect(await store.purge(new Date('2021-10-20T00:00:00Z'))).toBe(0); // arrived after the cut-off
    expect(await store.checkinCount()).toBe(2);
    expect(await store.purge(new Date('2021-11-20T00:00:00Z'))).toBe(2); // both past retention after arrival
    await store.close();
  });

  it('counts per Vietnam-local hour, keeps dead letters and fleet telemetry', async () => {
    const { store } = await seeded(engine);
    const hours = await store.hourly(new Date('2021-10-29T17:00:00Z'));
    // 02:00Z = 09 h, 01:25Z = 08 h, 08:00Z = 15 h in Vietnam.
    expect(hours.filter((h) => h.site === 's-001').sort((a, b) => a.hour - b.hour)).toEqual([
      { site: 's-001', hour: 8, n: 1 },
      { site: 's-001', hour: 9, n: 3 },
    ]);
    await store.deadLetter('qrkiosk/v1/x/y/checkin', 'bad', Buffer.from([0xff, 0]), new Date());
    expect(await store.deadLetterCount()).toBe(1);
    await store.setKioskState('s-001', 'k-001', 'offline', new Date('2021-10-31T00:00:00Z'));
    expect((await store.kiosks()).find((k) => k.kiosk === 'k-001')).toMatchObject({
      state: 'offline',
      lastSeen: '2021-10-31T00:00:00.000Z',
    });
    await store.close();
  });

  it('logins, sessions and scopes by ward and district', async () => {
    const { store } = await openStore(engine);
    await expect(
      store.users.add('0912345678', 'long-enough-password', 'officer', ['quận 1']),
    ).rejects.toThrow(/scope/);
    await store.users.add('0912345678', 'long-enough-password', 'officer', ['district:760']);
    expect(await store.users.login('0912345678', 'wrong-password')).toBeNull();
    const s = await store.users.login('+84 912 345 678', 'long-enough-password');
    expect(s?.user).toEqual({ phone: '0912345678', role: 'officer', sites: ['district:760'], email: null });
    expect((await store.users.session(s?.id))?.csrf).toBe(s?.csrf);
    await store.users.logout(s?.id ?? '');
    expect(await store.users.session(s?.id)).toBeNull();
    await store.close();
  });

  it('the CLI traces by number with the deployment key, prints CSV and audits without the number', async () => {
    const { store, database, dataDir } = await seeded(engine);
    await store.close();
    writeFileSync(join(dataDir, 'identity.key'), key.toString('hex'));
    const r = cli(
      'trace',
      '--database',
      database,
      '--key-file',
      join(dataDir, 'identity.key'),
      '--id',
      F0,
      '--from',
      '2021-10-30',
      '--to',
      '2021-10-30',
      '--csv',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // A byte-order mark first, so a spreadsheet reads the Vietnamese as UTF-8 (trim() drops it).
    expect(r.stdout.startsWith('\uFEFF')).toBe(true);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe(
      'case,ref,level,via,visit,contact_time,overlap_minutes,site,site_name,site_address,kind,number_masked,name_masked,number,name,dob,phone',
    );
    // One row per person-contact: three people met the F0 (the one 35 minutes early did not).
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(
      /^,F1-001,1,,[0-9A-Z]{26},30\/10\/2021 09:20:00,10,s-001,,,cccd,\*{8}0001,NGƯỜI 01,,,,$/,
    );
    const reopened = await HubStore.open(database, dataDir);
    const [entry] = await reopened.auditLog();
    expect(entry?.action).toBe('trace-export');
    expect(entry?.detail).toContain('…1234');
    expect(entry?.detail).not.toContain(F0);
    await reopened.close();
  });

  it('the CLI imports the site register and refuses a file with a bad line, importing nothing', async () => {
    const { database, dataDir } = await newDatabase(engine);
    const good = join(dataDir, 'sites.csv');
    writeFileSync(
      good,
      // The address column is optional; quoted, it may hold commas.
      '\uFEFFsite,name,district,ward,address\ns-001,"Chợ Bến Thành, cổng A",760,26743,"36 Lê Lợi, Phường Bến Thành, Quận 1"\ns-002,Bệnh viện,760,26740,\n',
    );
    const bad = join(dataDir, 'bad.csv');
    writeFileSync(bad, 'site,name,district,ward\ns-009,X,760,26743\ns 010,Y,760,\n');
    const refused = cli('site', 'import', '--database', database, '--csv', bad);
    expect(refused.status).toBe(2);
    expect(refused.stderr).toContain('bad.csv:3: site, ward');
    expect(cli('site', 'import', '--database', database, '--csv', good).status).toBe(0);
    const store = await HubStore.open(database, dataDir);
    expect([...(await store.siteDirectory()).values()]).toEqual([
      {
        site: 's-001',
        name: 'Chợ Bến Thành, cổng A',
        district: '760',
        ward: '26743',
        address: '36 Lê Lợi, Phường Bến Thành, Quận 1',
      },
      { site: 's-002', name: 'Bệnh viện', district: '760', ward: '26740', address: '' },
    ]);
    await store.close();
  });
});

describe('site register CSV', () => {
  it('reports the real line of a bad row after blank lines and a quoted name over two lines', () => {
    const r = parseSitesCsv('site,name,district,ward\n\ns-001,"Chợ\nBến Thành",760,26743\ns 002,X,760,1\n');
    expect(r.sites.map((x) => x.site)).toEqual(['s-001']);
    expect(r.problems).toEqual([{ line: 5, message: expect.stringContaining('site') }]);
    // Without an address column no address is given (the stored one is kept on import).
    expect(r.sites[0]).not.toHaveProperty('address');
  });
  it('takes an optional address column, quoted commas and all, and refuses one over 300 characters', () => {
    const r = parseSitesCsv(
      `site,name,district,ward,address\ns-001,Chợ,760,26743,"36 Lê Lợi, Phường Bến Thành"\ns-002,B,760,1,\ns-003,C,760,1,${'x'.repeat(301)}\n`,
    );
    expect(r.sites).toEqual([
      { site: 's-001', name: 'Chợ', district: '760', ward: '26743', address: '36 Lê Lợi, Phường Bến Thành' },
      { site: 's-002', name: 'B', district: '760', ward: '1', address: '' },
    ]);
    expect(r.problems).toEqual([{ line: 4, message: 'address: at most 300 characters' }]);
  });
});

describe('report views', () => {
  it('scope keeps only what a user sees, per area; CSV neutralises formulas; the page escapes names', async () => {
    const { store } = await seeded('sqlite');
    await store.registerSites([
      { site: 's-001', name: '=HYPERLINK("x")', district: '760', ward: '26743' },
      { site: 's-002', name: '<script>alert(1)</script>', district: '760', ward: '26740' },
      { site: 's-003', name: 'Siêu thị', district: '770', ward: '27139' },
    ]);
    const report = await store.dailyReport('2021-10-30');
    const ward = scopeReport(report, () => true, 'ward:27139');
    expect(ward.sites.map((s) => s.site)).toEqual(['s-003']);
    expect(ward.areas).toHaveLength(1);
    const district = scopeReport(report, (s) => s !== 's-002', 'district:760');
    expect(district.sites.map((s) => s.site)).toEqual(['s-001']);
    const csv = reportCsv(report);
    expect(csv.split('\n')[0]).toBe('\uFEFFdistrict,ward,site,name,kiosks,scans,allowed,refused,review');
    expect(csv).toContain(`760,26743,s-001,"'=HYPERLINK(""x"")",1,3,2,1,0`);
    const page = reportPage(report, '2021-10-30T23:00:00.000Z', await store.siteDirectory());
    expect(page).not.toContain('<script>');
    expect(page).toContain('&lt;script&gt;');
    expect(page).toContain('Báo cáo check-in ngày 30/10/2021');
    expect(page).toContain('31/10/2021 06:00');
    await store.close();
  });
});

describe('migrations', () => {
  it('brings a version-2 SQLite file forward: verdicts backfilled, sites table added, data kept', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(database);
    // The schema as the hub of the previous release left it (user_version 2).
    db.exec(`
      CREATE TABLE checkins (id TEXT PRIMARY KEY, site TEXT NOT NULL, kiosk TEXT NOT NULL, at TEXT NOT NULL,
        id_hash TEXT NOT NULL, message TEXT NOT NULL, received_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE kiosks (site TEXT NOT NULL, kiosk TEXT NOT NULL, state TEXT NOT NULL, last_seen TEXT NOT NULL,
        first_seen TEXT, telemetry TEXT, PRIMARY KEY (site, kiosk)) WITHOUT ROWID;
      CREATE TABLE reports (day TEXT PRIMARY KEY, generated_at TEXT NOT NULL, report TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE audit (seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL);
      CREATE TABLE dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL, received_at TEXT NOT NULL);
      CREATE TABLE users (phone TEXT PRIMARY KEY, password TEXT NOT NULL, role TEXT NOT NULL, sites TEXT NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE sessions (id TEXT PRIMARY KEY, phone TEXT NOT NULL, csrf TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
      PRAGMA user_version = 2;
    `);
    const c = checkin('s-001', 'k-001', '2021-10-30T02:00:00.000Z', F0, 'REFUSE');
    db.prepare('INSERT INTO checkins VALUES (?, ?, ?, ?, ?, ?, ?)').run(
      c.id,
      c.site,
      c.kiosk,
      c.at,
      c.document.idHash,
      JSON.stringify(c),
      c.at,
    );
    // A report stored by that release: no names, wards, districts or areas.
    db.prepare('INSERT INTO reports VALUES (?, ?, ?)').run(
      '2021-10-29',
      '2021-10-29T23:00:00.000Z',
      JSON.stringify({
        day: '2021-10-29',
        sites: [{ site: 's-001', kiosks: 1, scans: 0, allowed: 0, refused: 0, review: 0 }],
        sitesWithoutScans: ['s-001'],
        newKiosks: [],
      }),
    );
    db.close();
    const store = await HubStore.open(database, dataDir);
    expect((await store.dailyReport('2021-10-30')).sites[0]).toMatchObject({ scans: 1, refused: 1 });
    expect((await store.savedReport('2021-10-29'))?.report.areas).toEqual([
      {
        district: '',
        ward: '',
        sitesRegistered: 0,
        sitesWithScans: 0,
        scans: 0,
        sitesWithoutScans: ['s-001'],
        newKiosks: 0,
      },
    ]);
    await store.registerSites([{ site: 's-001', name: 'A', district: '1', ward: '2' }]);
    await store.close();
    const check = new Database(database);
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    check.close();
  });

  it('an early version-2 SQLite file without reports, users and sessions tables is completed', async () => {
    const { database, dataDir } = await newDatabase('sqlite');
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(database);
    // An early hub marked its file 2 before it had a reports table or users.
    db.exec(`
      CREATE TABLE checkins (id TEXT PRIMARY KEY, site TEXT NOT NULL, kiosk TEXT NOT NULL, at TEXT NOT NULL,
        id_hash TEXT NOT NULL, message TEXT NOT NULL, received_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE kiosks (site TEXT NOT NULL, kiosk TEXT NOT NULL, state TEXT NOT NULL, last_seen TEXT NOT NULL,
        PRIMARY KEY (site, kiosk)) WITHOUT ROWID;
      CREATE TABLE dead_letters (seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL, received_at TEXT NOT NULL);
      PRAGMA user_version = 2;
    `);
    db.close();
    const store = await HubStore.open(database, dataDir);
    await store.saveReport('2021-10-30');
    expect((await store.savedReport('2021-10-30'))?.report.day).toBe('2021-10-30');
    await store.users.add('0912345678', 'long-enough-password', 'admin', ['*']);
    expect(await store.users.login('0912345678', 'long-enough-password')).not.toBeNull();
    await store.close();
  });

  it('several hub processes opening one new PostgreSQL database at once migrate it once', async () => {
    const { database, dataDir } = await newDatabase('postgres');
    const stores = await Promise.all([1, 2, 3].map(() => HubStore.open(database, dataDir)));
    await stores[0]?.addCheckin(checkin('s-001', 'k-001', '2021-10-30T02:00:00.000Z', F0), new Date());
    expect(await stores[2]?.checkinCount()).toBe(1);
    await Promise.all(stores.map((s) => s.close()));
    const pg = (await import('pg')).default;
    const client = new pg.Client({ connectionString: database });
    await client.connect();
    const { rows } = await client.query('SELECT version FROM schema_version');
    expect(rows).toEqual([{ version: SCHEMA_VERSION }]);
    await client.end();
  });
});

describe('qrkiosk-hub run', () => {
  it('stops with a clear error, in Vietnamese and English, when its database cannot be reached', () => {
    const r = cli(
      'run',
      '--database',
      'postgres://qrkiosk@127.0.0.1:1/hub',
      '--data-dir',
      makeTempDir('hub-'),
      '--port',
      '0',
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('Không khởi động được trung tâm / the hub could not start: ');
    expect(r.stderr).toContain('ECONNREFUSED');
  });
});

describe('qrkiosk-hub user add', () => {
  it('creates a user whose password logs in, and refuses a short password', async () => {
    const dir = makeTempDir('hub-user-');
    writeFileSync(join(dir, 'pw'), 'long-enough-password\n');
    writeFileSync(join(dir, 'short'), 'short\n');
    const add = (file: string) =>
      cli(
        'user',
        'add',
        '--data-dir',
        dir,
        '--phone',
        '+84 912 345 678',
        '--role',
        'tracer',
        '--all-sites',
        '--password-file',
        join(dir, file),
      );
    expect(add('short').status).toBe(2);
    expect(add('pw').status).toBe(0);
    const store = await HubStore.open(undefined, dir);
    expect((await store.users.login('0912345678', 'long-enough-password'))?.user).toEqual({
      phone: '0912345678',
      role: 'tracer',
      sites: ['*'],
      email: null,
    });
    expect(await store.users.login('0912345678', 'wrong')).toBeNull();
    await store.close();
  });
});
