/**
 * Issue #18's "done when", on real parts: two people scan at one kiosk (the compiled daemon `qrkiosk run` on a
 * pty from firmware-sim, a real Mosquitto, the compiled hub `qrkiosk-hub run` on SQLite) and a visitor without
 * a code is entered at reception (the kiosk's own /api/manual, as the reception page sends it). The deployment's
 * tracing key comes from `qrkiosk-hub tracing-key init`; the kiosk has only its public half.
 *
 * - No file of the kiosk's data folder or of the hub's (SQLite database, its -wal, fleet state) holds either
 *   full number, the phone or a name, as UTF-8 bytes — checked after every step, the reveal included.
 * - Python's `cryptography` (/usr/bin/python3, integration/open-sealed-identity.py) opens a box read from the
 *   hub's database by Python's own sqlite3: an oracle independent of the Node code that sealed it.
 * - `qrkiosk-hub trace --json --reveal` (the built CLI) traced by one person lists the other with number and
 *   name, and the manual visitor with the phone; the audit log holds the reveal with its reason and count.
 * - A person key in the facts import (`qrkiosk-hub publish-cache`, column `person`) links the first person's
 *   BHYT card to their CCCD: a trace by the BHYT number finds the visit made with the CCCD.
 *
 * The people are read from ../shared/testdata/vn/cases.jsonl (never copied). No timing is asserted.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  Cleanups,
  freePort,
  makeTempDir,
  REPO_ROOT,
  type RunningMosquitto,
  sharedDir,
  startMosquitto,
  waitFor,
} from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKiosk } from './kiosk-daemon.js';

const HUB_CLI = join(REPO_ROOT, 'hub/dist/cli.js');
const PYTHON = '/usr/bin/python3';
const OPENER = join(REPO_ROOT, 'integration/open-sealed-identity.py');

interface Case {
  id: string;
  payload: string;
  expect: Record<string, unknown>;
}
const cases = new Map(
  readFileSync(join(sharedDir(), 'testdata/vn/cases.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Case)
    .map((c) => [c.id, c]),
);
const testCase = (id: string): Case => {
  const c = cases.get(id);
  if (!c) throw new Error(`${id} is missing from cases.jsonl`);
  return c;
};
const str = (c: Case, field: string) => String(c.expect[field]);
/** Person A: a CCCD with its former CMND; their BHYT card (same person) is linked by the facts import. */
const A = testCase('cccd-7field');
const A_BHYT = testCase('bhyt-15field');
/** Person B: a CCCD without a CMND. */
const B = testCase('cccd-no-cmnd');
const MANUAL = { name: 'Hoàng Thị Mai', phone: '0987654321' };

/** `qrkiosk-hub …` as an operator runs it (the built CLI), without blocking this process. */
function hubCli(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [HUB_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** `qrkiosk-hub run` on SQLite in its data folder; resolves once its page is up. */
function startHub(
  brokerUrl: string,
  dataDir: string,
): Promise<{ child: ChildProcess; output: () => string }> {
  return new Promise((resolve, reject) => {
    const args = [
      HUB_CLI,
      'run',
      '--mqtt',
      brokerUrl,
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--share',
      'none',
    ];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const collect = (d: Buffer) => {
      out += d.toString();
      if (out.includes('hub page ready')) resolve({ child, output: () => out });
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('exit', (code) => reject(new Error(`hub exited ${code}: ${out}`)));
  });
}

/** Every regular file under a folder (recursively). */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return filesUnder(path);
    return e.isFile() ? [path] : [];
  });
}

/** Which secrets (UTF-8 bytes) occur in which files: `file: secret` lines, empty when none. */
function leaks(dirs: string[], secrets: string[]): string[] {
  const found: string[] = [];
  for (const file of dirs.flatMap(filesUnder)) {
    const bytes = readFileSync(file);
    for (const s of secrets) if (bytes.includes(Buffer.from(s, 'utf8'))) found.push(`${file}: ${s}`);
  }
  return found;
}

interface RevealedIdentity {
  kind: string;
  number: string;
  name: string;
  dob?: string;
  phone?: string;
}
interface TraceResult {
  schema: string;
  revealed: boolean;
  identities: number;
  visits: Array<{ checkin: string; kind: string; numberMasked: string; coVisitors: number }>;
  people: Array<{
    ref: string;
    level: number;
    documents: Array<{ kind: string; numberMasked: string; nameMasked: string }>;
    identities?: RevealedIdentity[];
    unopened?: number;
  }>;
  counts: { visits: number; f1People: number; f1Checkins: number };
}

const cleanups = new Cleanups();
let dir: string;
let broker: RunningMosquitto;
let hubDir: string;
let kioskData: string;
let hashKey: string;
let tracingKey: string;
let tracingPub: string;
let kid: string;
let hubOutput: () => string;
let kiosk: Awaited<ReturnType<typeof startKiosk>>;
let uiPort: number;
/** The check-in ids of A's scan, B's scan and the manual entry. */
const ids: { a?: string; b?: string; manual?: string } = {};

/** Everything that must never be in a file: both full numbers (and A's former CMND and BHYT), the phone, the names. */
const SECRETS = [
  str(A, 'identity.documentNumber'),
  str(A, 'identity.formerNumber'),
  str(A_BHYT, 'identity.documentNumber'),
  str(B, 'identity.documentNumber'),
  MANUAL.phone,
  str(A, 'identity.name'),
  str(B, 'identity.name'),
  MANUAL.name,
];
const hubDb = () => join(hubDir, 'hub.db');
const noLeaks = () => expect(leaks([kioskData, hubDir], SECRETS)).toEqual([]);

beforeAll(async () => {
  dir = makeTempDir('tracing-sealed-');
  broker = await startMosquitto();
  cleanups.push(() => broker.stop());
  hashKey = join(dir, 'identity.key');
  writeFileSync(hashKey, randomBytes(32).toString('hex'));
  // The deployment's tracing key pair, as the tracing officer makes it (the contract's command).
  const init = await hubCli(['tracing-key', 'init', '--out', dir]);
  expect(init.status, init.stderr).toBe(0);
  tracingKey = join(dir, 'tracing.key');
  tracingPub = join(dir, 'tracing.pub');
  expect((statSync(tracingKey).mode & 0o777).toString(8)).toBe('600');
  kid = /\b([0-9a-f]{16})\b/.exec(init.stdout)?.[1] ?? '';
  expect(kid, init.stdout).toMatch(/^[0-9a-f]{16}$/);
  // The fleet signing key publish-cache needs (the kiosk trusts its public half).
  expect((await hubCli(['keygen', '--out', join(dir, 'signing')])).status).toBe(0);

  hubDir = join(dir, 'hub-data');
  const hub = await startHub(broker.url, hubDir);
  hubOutput = hub.output;
  cleanups.push(async () => {
    if (hub.child.exitCode !== null) return;
    hub.child.removeAllListeners('exit');
    const exited = new Promise((r) => hub.child.once('exit', r));
    hub.child.kill('SIGTERM');
    await exited;
  });
  uiPort = await freePort();
  kiosk = await startKiosk(dir, broker, 'k-001', hashKey, [join(dir, 'signing/hub-signing.pub')], {
    tracingPublicKeyFile: tracingPub,
    uiPort,
  });
  kioskData = join(dir, 'k-001-data');
  cleanups.push(() => kiosk.close());
}, 60_000);

afterAll(() => cleanups.run());

/** The hub's stored check-ins by id (read-only, beside the running hub). */
function stored(): Map<string, { id_hash: string; message: string }> {
  const db = new Database(hubDb(), { readonly: true, fileMustExist: true });
  try {
    const rows = db.prepare('SELECT id, id_hash, message FROM checkins').all() as Array<{
      id: string;
      id_hash: string;
      message: string;
    }>;
    return new Map(rows.map((r) => [r.id, r]));
  } finally {
    db.close();
  }
}

function trace(args: string[]) {
  return hubCli(['trace', '--key-file', hashKey, '--data-dir', hubDir, ...args]);
}

describe('a sealed register on real parts (issue #18)', () => {
  it('two scans and a manual entry reach the hub sealed; no file holds a number, the phone or a name', async () => {
    ids.a = String((await kiosk.scan(A.payload)).checkin);
    ids.b = String((await kiosk.scan(B.payload)).checkin);
    // Reception's manual entry, as its page sends it: the page's token, from the page's own origin.
    const origin = `http://127.0.0.1:${uiPort}`;
    const page = await (await fetch(`${origin}/reception`)).text();
    const token = /name="qrkiosk-token" content="([0-9a-f]+)"/.exec(page)?.[1] ?? '';
    const res = await fetch(`${origin}/api/manual`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'x-qrkiosk-token': token },
      body: JSON.stringify(MANUAL),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    ids.manual = ((await res.json()) as { checkin: { id: string } }).checkin.id;
    expect(ids.a).toMatch(/^[0-9A-Z]{26}$/);
    expect(ids.b).toMatch(/^[0-9A-Z]{26}$/);

    const rows = await waitFor(
      () => {
        const s = stored();
        return [ids.a, ids.b, ids.manual].every((id) => id && s.has(id)) ? s : undefined;
      },
      20_000,
      'the hub to store the three check-ins',
    );
    for (const id of [ids.a, ids.b, ids.manual]) {
      const message = JSON.parse(rows.get(id ?? '')?.message ?? '{}') as {
        document: { sealed?: { kid: string; box: string }; numberMasked: string };
      };
      expect(message.document.sealed?.kid).toBe(kid);
      expect(message.document.sealed?.box).toMatch(/^[A-Za-z0-9+/]+=*$/);
    }
    // A's scan carries the keyed hash of the CMND beside the CCCD (links): a hash, never a number.
    const aDoc = JSON.parse(rows.get(ids.a)?.message ?? '{}').document as { links?: string[] };
    expect(aDoc.links?.length).toBe(1);
    expect(aDoc.links?.[0]).toMatch(/^[0-9a-f]{32}$/);
    // The grep covers the live database's write-ahead log too (the hub is running).
    expect(filesUnder(hubDir)).toEqual(expect.arrayContaining([hubDb(), `${hubDb()}-wal`]));
    noLeaks();
  });

  it("Python's cryptography opens the boxes read from the hub's database (independent oracle)", () => {
    const open = (id: string | undefined) => {
      const r = spawnSync(PYTHON, [OPENER, tracingKey, hubDb(), id ?? ''], { encoding: 'utf8' });
      expect(r.status, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as {
        kid: string;
        kidOfKey: string;
        boxBytes: number;
        clear: Record<string, string>;
      };
    };
    const a = open(ids.a);
    expect(a.kid).toBe(a.kidOfKey);
    expect(a.kid).toBe(kid);
    expect(a.clear).toMatchObject({
      v: 1,
      kind: 'cccd',
      number: str(A, 'identity.documentNumber'),
      former: str(A, 'identity.formerNumber'),
      name: str(A, 'identity.name'),
      dob: str(A, 'identity.dateOfBirth'),
    });
    expect(open(ids.b).clear).toMatchObject({
      kind: 'cccd',
      number: str(B, 'identity.documentNumber'),
      name: str(B, 'identity.name'),
    });
    expect(open(ids.manual).clear).toMatchObject({ kind: 'manual', name: MANUAL.name, phone: MANUAL.phone });
  });

  it("a tracer's audited reveal lists the other person with number and name, and the manual visitor's phone", async () => {
    const reason = 'Ca F0 xác nhận ngày hôm nay, điều tra dịch tễ';
    // A reveal without its reason is refused before anything is opened.
    const noReason = await trace([
      '--type',
      'cccd',
      '--id',
      str(A, 'identity.documentNumber'),
      '--json',
      '--reveal',
      '--tracing-key',
      tracingKey,
    ]);
    expect(noReason.status).toBe(2);
    const r = await trace([
      '--type',
      'cccd',
      '--id',
      str(A, 'identity.documentNumber'),
      '--case',
      'CA-18',
      '--json',
      '--reveal',
      '--tracing-key',
      tracingKey,
      '--reason',
      reason,
    ]);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as TraceResult;
    expect(result.schema).toBe('qrkiosk.trace/1');
    expect(result.revealed).toBe(true);
    expect(result.visits.map((v) => v.checkin)).toEqual([ids.a]);
    // Two other people at that visit: B and the manual visitor (distinct people, each once).
    expect(result.counts.f1People).toBe(2);
    const revealed = result.people.flatMap((p) => p.identities ?? []);
    expect(revealed).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'cccd',
          number: str(B, 'identity.documentNumber'),
          name: str(B, 'identity.name'),
        }),
        expect.objectContaining({ kind: 'manual', name: MANUAL.name, phone: MANUAL.phone }),
      ]),
    );
    expect(result.people.every((p) => !p.unopened)).toBe(true);
    // The traced person is never their own contact.
    expect(JSON.stringify(result.people)).not.toContain(str(A, 'identity.documentNumber'));

    // The audit log: the reveal, with its case, reason and count — never a full number.
    const db = new Database(hubDb(), { readonly: true, fileMustExist: true });
    const audit = db
      .prepare("SELECT actor, action, detail FROM audit WHERE action = 'trace-reveal'")
      .all() as Array<{
      actor: string;
      detail: string;
    }>;
    db.close();
    expect(audit).toHaveLength(1);
    const detail = JSON.parse(audit[0]?.detail ?? '{}') as Record<string, unknown>;
    expect(detail).toMatchObject({ case: 'CA-18', reason, revealed: 2, type: 'cccd' });
    expect(audit[0]?.detail).not.toContain(str(A, 'identity.documentNumber'));
    expect(audit[0]?.actor).toMatch(/@cli$/);
    // Revealed data is never stored in clear.
    noLeaks();
  });

  it('a person key in the facts import links BHYT and CCCD: a trace by the BHYT finds the CCCD visit', async () => {
    // Before the import: the BHYT number alone was never scanned here.
    const before = await trace(['--type', 'bhyt', '--id', str(A_BHYT, 'identity.documentNumber'), '--json']);
    expect(before.status, before.stderr).toBe(0);
    expect((JSON.parse(before.stdout) as TraceResult).visits).toEqual([]);

    // The facts file (with the person key) lives outside the hub's folder: it is the import's input.
    const importDir = makeTempDir('tracing-sealed-import-');
    const csv = join(importDir, 'facts.csv');
    writeFileSync(
      csv,
      [
        'id_type,id,doses_received,primary_series_complete,first_dose_date,last_dose_date,recovered_date,negative_test_at,negative_test_type,case_status,case_until,person',
        `cccd,${str(A, 'identity.documentNumber')},2,1,2021-07-01,2021-08-01,,,,none,,p-0001`,
        `bhyt,${str(A_BHYT, 'identity.documentNumber')},2,1,2021-07-01,2021-08-01,,,,none,,p-0001`,
        `cccd,${str(B, 'identity.documentNumber')},1,0,2021-08-01,2021-08-01,,,,none,,p-0002`,
      ].join('\n'),
    );
    // The grep is not blind: it finds the numbers in the import's own input.
    expect(leaks([importDir], SECRETS).length).toBeGreaterThan(0);
    const published = await hubCli([
      'publish-cache',
      '--csv',
      csv,
      '--key-file',
      hashKey,
      '--signing-key',
      join(dir, 'signing/hub-signing.key'),
      '--data-dir',
      hubDir,
      '--mqtt',
      broker.url,
    ]);
    expect(published.status, published.stderr).toBe(0);

    const r = await trace(['--type', 'bhyt', '--id', str(A_BHYT, 'identity.documentNumber'), '--json']);
    expect(r.status, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as TraceResult;
    expect(result.visits.map((v) => v.checkin)).toEqual([ids.a]);
    expect(result.visits[0]?.kind).toBe('cccd');
    expect(result.identities).toBeGreaterThanOrEqual(2);
    expect(result.counts.f1People).toBe(2);
    noLeaks();
  });

  it('the logs name no one either (kiosk daemon and hub output)', () => {
    expect(SECRETS.filter((s) => kiosk.logs().includes(s) || hubOutput().includes(s))).toEqual([]);
  });
});
