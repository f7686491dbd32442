// Tracing benchmark (issue 8, extended by issue 18). Run: npm run bench -- trace
//
// 1. The sealed identity's cost per check-in: sealIdentity (the kiosk's work, CPU on this machine — not a Pi),
//    openIdentity (the hub's work per revealed check-in), bytes of the box and of the message it rides in.
// 2. A hub database of ROWS check-ins (2,000 sites, 1M people, 21 days), one engine at a time (its data deleted
//    before the next): every row carries `document.sealed`, some carry `document.links`, and 10 % of the people
//    have a second document (BHYT) linked through a person node as the facts import links it.
//    - Seals: the check-ins of the 1,000 people the queries start from are sealed by the kiosk's own
//      sealIdentity (a fresh ephemeral key each). The other rows (co-visitors, F1 and F2 people, the bulk) are
//      sealed by this file with ONE ephemeral key per load: the same format, size and AAD (each box opens with
//      the tracing key through openIdentity, which still does one X25519 per box), but not a fresh ephemeral
//      per box — 10M X25519 key pairs would cost ~20 min of CPU before the first query.
//    - Queries, random traced people over 14 days, ±30 min:
//      a) the store's one-level trace (store.trace, as measured since issue 8);
//      b) the trace use case (hub/src/use-cases/trace.ts, as CLI and HTTP run it) with F2, masked;
//      c) the same with F2 and reveal (the tracing key given, every co-visitor's box opened).
//
// QRKIOSK_BENCH_TRACE_ROWS (10,000,000), QRKIOSK_BENCH_TRACE_ENGINES (sqlite,postgres),
// QRKIOSK_BENCH_TRACE_QUERIES (200 for a; 30 for b and c).
import { createCipheriv, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { checkTrace, HubStore, readTracingKeys, runTrace } from '../hub/dist/index.js';
import {
  CHECKIN_SCHEMA_ID,
  generateTracingKeys,
  hashIdentity,
  openIdentity,
  readTracingPrivateKey,
  readTracingPublicKey,
  sealIdentity,
} from '../protocol/dist/index.js';
import { startPostgres } from '../testkit/dist/index.js';

const ROWS = Number(process.env.QRKIOSK_BENCH_TRACE_ROWS ?? 10_000_000);
const ENGINES = (process.env.QRKIOSK_BENCH_TRACE_ENGINES ?? 'sqlite,postgres').split(',');
const QUERIES = Number(process.env.QRKIOSK_BENCH_TRACE_QUERIES ?? 30);
const PEOPLE = 1_000_000;
const TRACED = 1000;
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const dir = mkdtempSync(join(tmpdir(), 'qrkiosk-bench-trace-'));
const key = randomBytes(32);
const keys = generateTracingKeys(dir);
const pub = readTracingPublicKey(readFileSync(keys.publicFile));
const priv = readTracingPrivateKey(readFileSync(keys.privateFile));
const tracingKeyPem = readFileSync(keys.privateFile, 'utf8');
const load = () =>
  loadavg()
    .map((x) => x.toFixed(1))
    .join(' ');

// ---- names and numbers of the synthetic province (deterministic per person) ----
const FAMILY = ['Nguyễn', 'Trần', 'Lê', 'Phạm', 'Hoàng', 'Huỳnh', 'Phan', 'Vũ', 'Võ', 'Đặng', 'Bùi', 'Đỗ'];
const MIDDLE = ['Văn', 'Thị', 'Hữu', 'Thị Bích', 'Minh', 'Quốc', 'Thanh', 'Ngọc'];
const GIVEN = ['An', 'Bình', 'Châu', 'Dũng', 'Giang', 'Hạnh', 'Khánh', 'Linh', 'Mai', 'Phúc', 'Quân', 'Tâm'];
const nameOf = (p) => `${FAMILY[p % 12]} ${MIDDLE[(p >> 4) % 8]} ${GIVEN[(p >> 7) % 12]}`;
const cccdOf = (p) => `0790${String(p).padStart(8, '0')}`;
const cmndOf = (p) => `27${String(p).padStart(7, '0')}`;
const bhytOf = (p) => `GD479${String(p).padStart(10, '0')}`;
const dobOf = (p) => `19${50 + (p % 50)}-0${1 + (p % 9)}-1${p % 10}`;
/** 10 % of the people have a BHYT card used on a third of their check-ins, linked by the import's person key. */
const hasBhyt = (p) => p % 10 === 0;
/** 20 % carry their former CMND on the CCCD (a scan link). */
const hasCmnd = (p) => p % 10 === 1 || p % 10 === 2;
// The traced people's hashes are real keyed hashes (the use case hashes the number it is given); the bulk's are
// distinct 32-hex strings of the same shape (nobody traces them by number; HMAC for 3M keys is load time only).
const realHash = (type, v) => hashIdentity(key, type, v).toString('hex');
const hex = (prefix, p) => `${prefix}${p.toString(16).padStart(31, '0')}`;
const cccdHash = (p) => (p < TRACED ? realHash('cccd', cccdOf(p)) : hex('0', p));
const bhytHash = (p) => (p < TRACED ? realHash('bhyt', bhytOf(p)) : hex('b', p));
const cmndHash = (p) => (p < TRACED ? realHash('cmnd', cmndOf(p)) : hex('c', p));
// A person node (the import's person key, hashed): an opaque hash like any other to the trace.
const personNode = (p) => hex('e', p);

// ---- one ephemeral key per load for the bulk's boxes (see the header) ----
const eph = generateKeyPairSync('x25519');
const ephRaw = Buffer.from(eph.publicKey.export({ format: 'jwk' }).x, 'base64url');
const bulkKey = Buffer.from(
  hkdfSync(
    'sha256',
    diffieHellman({ privateKey: eph.privateKey, publicKey: pub.key }),
    Buffer.concat([ephRaw, pub.raw]),
    Buffer.from('qrkiosk identity seal v1'),
    32,
  ),
);
let ivCounter = 0n;
function bulkSeal(checkinId, clear) {
  const iv = Buffer.alloc(12);
  iv.writeBigUInt64BE(ivCounter++, 4); // unique per box under the one key: a counter, as GCM allows
  const c = createCipheriv('aes-256-gcm', bulkKey, iv, { authTagLength: 16 });
  c.setAAD(Buffer.from(`qrkiosk.checkin/1|${checkinId}`));
  const body = Buffer.concat([c.update(JSON.stringify(clear)), c.final()]);
  return { kid: pub.kid, box: Buffer.concat([ephRaw, iv, body, c.getAuthTag()]).toString('base64') };
}

// ---- 1. the sealed identity's cost per check-in ----
{
  /** @type {import('../protocol/dist/index.js').IdentityClear} */
  const clear = {
    v: 1,
    kind: 'cccd',
    number: '079090001234',
    former: '272345678',
    name: 'Nguyễn Văn An',
    dob: '1990-08-15',
  };
  const N = 5000;
  const ids = Array.from({ length: N }, (_, i) => `01HBENCH${String(i).padStart(18, '0')}`);
  for (let i = 0; i < 200; i++) sealIdentity(pub, ids[i], clear); // warm-up
  let c0 = process.cpuUsage();
  const boxes = ids.map((id) => sealIdentity(pub, id, clear));
  let c = process.cpuUsage(c0);
  const sealUs = (c.user + c.system) / N;
  c0 = process.cpuUsage();
  for (let i = 0; i < N; i++) openIdentity([priv], ids[i], boxes[i]);
  c = process.cpuUsage(c0);
  const openUs = (c.user + c.system) / N;
  const message = {
    schema: CHECKIN_SCHEMA_ID,
    id: ids[0],
    kiosk: 'k-001',
    site: 's-001',
    direction: 'in',
    at: new Date().toISOString(),
    clockSynced: true,
    document: {
      kind: 'cccd',
      numberMasked: '********1234',
      nameMasked: 'NGUYỄN V** A*',
      idHash: realHash('cccd', clear.number),
    },
    verdict: 'ALLOW',
    colour: 'green',
    reason: 'admitted-green',
    versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
  };
  const plain = Buffer.byteLength(JSON.stringify(message));
  const sealed = Buffer.byteLength(
    JSON.stringify({ ...message, document: { ...message.document, sealed: boxes[0] } }),
  );
  const linked = Buffer.byteLength(
    JSON.stringify({
      ...message,
      document: { ...message.document, sealed: boxes[0], links: [realHash('cmnd', clear.former)] },
    }),
  );
  const boxBytes = Buffer.from(boxes[0].box, 'base64').length;
  console.log(
    `sealed identity (CCCD with former CMND, ${Buffer.byteLength(JSON.stringify(clear))} bytes of JSON): box ${boxBytes} bytes (${boxes[0].box.length} base64); check-in message ${plain} → ${sealed} bytes (+${sealed - plain}), ${linked} with one link (+${linked - plain})`,
  );
  console.log(
    `  CPU per check-in on this machine: seal ${sealUs.toFixed(0)} µs (kiosk), open ${openUs.toFixed(0)} µs (hub, per revealed check-in); ${N} each`,
  );
}

// ---- 2. the hub database ----
const start = Date.parse('2021-10-01T00:00:00Z');
const row = (i) => {
  const p = (i * 7919) % PEOPLE;
  const bhyt = hasBhyt(p) && i % 3 === 0;
  const idHash = bhyt ? bhytHash(p) : cccdHash(p);
  // The site from a mixing hash of the row (xor-shift-multiply, not linear): a person's ten check-ins
  // (rows 1M apart) land at different sites among different people. With a linear formula — issue 8's
  // `(i * 31) % 2000`, or a multiplicative hash — whether rows i and i + d share a site depends on d
  // alone, so a person met the same ~8–11 people at every visit: a degenerate F1 and F2 (seen on 10M).
  let h = Math.imul(i ^ (i >>> 16), 0x45d9f3b);
  h = Math.imul(h ^ (h >>> 16), 0x45d9f3b);
  const site = `s-${((h ^ (h >>> 16)) >>> 0) % 2000}`;
  const iso = new Date(start + Math.floor((i / ROWS) * 21 * 86_400_000)).toISOString();
  // ULID-shaped ids from the row number (a ULID per row costs more than the insert).
  const id = `01F${[...i.toString(32).padStart(23, '0')].map((ch) => CROCKFORD[Number.parseInt(ch, 32)]).join('')}`;
  /** @type {import('../protocol/dist/index.js').IdentityClear} */
  const clear = bhyt
    ? { v: 1, kind: 'bhyt', number: bhytOf(p), name: nameOf(p), dob: dobOf(p) }
    : {
        v: 1,
        kind: 'cccd',
        number: cccdOf(p),
        ...(hasCmnd(p) ? { former: cmndOf(p) } : {}),
        name: nameOf(p),
        dob: dobOf(p),
      };
  const number = clear.number;
  const document = {
    kind: clear.kind,
    numberMasked: `${'*'.repeat(number.length - 4)}${number.slice(-4)}`,
    nameMasked: 'NGUYỄN V** A*',
    idHash,
    sealed: p < TRACED ? sealIdentity(pub, id, clear) : bulkSeal(id, clear),
    ...(!bhyt && hasCmnd(p) ? { links: [cmndHash(p)] } : {}),
  };
  const message = JSON.stringify({
    schema: CHECKIN_SCHEMA_ID,
    id,
    kiosk: 'k-1',
    site,
    direction: 'in',
    at: iso,
    clockSynced: true,
    document,
    verdict: 'ALLOW',
    colour: 'green',
    reason: 'admitted-green',
    versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
  });
  return { id, site, iso, idHash, message };
};

/** The links the import (person key) and the scans (CMND beside the CCCD) leave, both directions as H2 stores them. */
function* linkPairs() {
  for (let p = 0; p < PEOPLE; p++) {
    if (hasBhyt(p)) {
      yield [cccdHash(p), personNode(p), 'import'];
      yield [bhytHash(p), personNode(p), 'import'];
    } else if (hasCmnd(p)) yield [cccdHash(p), cmndHash(p), 'scan'];
  }
}

async function loadSqlite(database) {
  const t0 = performance.now();
  const db = new Database(database);
  db.pragma('journal_mode = WAL');
  const insert = db.prepare(
    "INSERT INTO checkins (id, site, kiosk, at, id_hash, verdict, message, received_at) VALUES (?, ?, 'k-1', ?, ?, 'ALLOW', ?, ?)",
  );
  const batch = 200_000;
  for (let b = 0; b < ROWS; b += batch)
    db.transaction(() => {
      for (let i = b; i < Math.min(b + batch, ROWS); i++) {
        const r = row(i);
        insert.run(r.id, r.site, r.iso, r.idHash, r.message, r.iso);
      }
    })();
  console.log(`  check-ins written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  const link = db.prepare('INSERT OR IGNORE INTO identity_links (a, b, source, at) VALUES (?, ?, ?, ?)');
  const at = new Date(start).toISOString();
  db.transaction(() => {
    for (const [a, b, source] of linkPairs()) {
      link.run(a, b, source, at);
      link.run(b, a, source, at);
    }
  })();
  db.close();
}

async function loadPostgres(database) {
  const t0 = performance.now();
  const client = new pg.Client({ connectionString: database });
  await client.connect();
  // The secondary indexes are built once after the load, from their own definitions (the schema the
  // hub made, unchanged): kept up row by row, random (id_hash, at) keys make the load ~1.5× longer.
  const { rows: indexes } = await client.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('checkins', 'identity_links')
     AND indexname NOT IN (SELECT conname FROM pg_constraint)`,
  );
  for (const i of indexes) await client.query(`DROP INDEX ${i.indexname}`);
  const batch = 20_000;
  // One batch in flight while the next is made (yielding now and then, so the socket sends meanwhile):
  // the server's core inserts while this one seals and builds JSON.
  let pending = /** @type {Promise<unknown>} */ (Promise.resolve());
  for (let b = 0; b < ROWS; b += batch) {
    const rows = [];
    for (let j = 0; j < Math.min(batch, ROWS - b); j++) {
      rows.push(row(b + j));
      if (j % 2000 === 1999) await new Promise((r) => setImmediate(r));
    }
    await pending;
    pending = client.query(
      `INSERT INTO checkins (id, site, kiosk, at, id_hash, verdict, message, received_at)
       SELECT id, site, 'k-1', at, h, 'ALLOW', m, at FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::text[]) AS x (id, site, at, h, m)`,
      [
        rows.map((r) => r.id),
        rows.map((r) => r.site),
        rows.map((r) => r.iso),
        rows.map((r) => r.idHash),
        rows.map((r) => r.message),
      ],
    );
  }
  await pending;
  console.log(`  check-ins written in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  let pairs = [];
  const flush = async () => {
    await client.query(
      `INSERT INTO identity_links (a, b, source, at)
       SELECT a, b, s, $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS x (a, b, s) ON CONFLICT DO NOTHING`,
      [pairs.map((x) => x[0]), pairs.map((x) => x[1]), pairs.map((x) => x[2]), new Date(start).toISOString()],
    );
    pairs = [];
  };
  for (const [a, b, source] of linkPairs()) {
    pairs.push([a, b, source], [b, a, source]);
    if (pairs.length >= 20_000) await flush();
  }
  if (pairs.length) await flush();
  const t1 = performance.now();
  await client.query("SET maintenance_work_mem = '512MB'");
  for (const i of indexes) await client.query(i.indexdef);
  console.log(
    `  ${indexes.length} secondary indexes (${indexes.map((i) => i.indexname).join(', ')}) built in ${((performance.now() - t1) / 1000).toFixed(0)} s`,
  );
  await client.query('ANALYZE');
  await client.end();
}

const stats = (times) => {
  const t = [...times].sort((a, b) => a - b);
  const p = (x) => t[Math.floor(x * (t.length - 1))].toFixed(x === 0.5 ? 1 : 0);
  return `p50 ${p(0.5)} ms, p99 ${p(0.99)} ms, max ${p(1)} ms`;
};
/** The traced people: spread over the 1,000 real-hashed ones, a tenth of them with a linked BHYT. */
const tracedPerson = (q) => (q * 37) % TRACED;
const FROM = '2021-10-05';
const TO = '2021-10-18';

for (const engine of ENGINES) {
  const postgres = engine === 'postgres' ? await startPostgres({ durable: true }) : undefined;
  const database = postgres ? postgres.createDatabase('trace') : join(dir, 'trace', 'hub.db');
  await (await HubStore.open(database, join(dir, 'trace'))).close(); // creates the schema
  const t0 = performance.now();
  const load0 = load();
  if (engine === 'sqlite') await loadSqlite(database);
  else await loadPostgres(database);
  console.log(
    `\ntrace database (${engine}): ${ROWS} check-ins (sealed; links for 30 % of people) written in ${((performance.now() - t0) / 1000).toFixed(0)} s (load average before ${load0}, after ${load()})`,
  );
  const store = await HubStore.open(database, join(dir, 'trace'));

  // a) the store's one-level trace, as since issue 8.
  {
    const times = [];
    let visits = 0;
    let co = 0;
    for (let q = 0; q < 200; q++) {
      const t = process.hrtime.bigint();
      const r = await store.trace(
        [cccdHash(tracedPerson(q))],
        new Date(`${FROM}T00:00:00+07:00`),
        new Date(`${TO}T23:59:59.999+07:00`),
        30,
      );
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      visits += r.length;
      co += r.reduce((n, v) => n + v.coVisitors.length, 0);
    }
    console.log(
      `a) store.trace (${engine}, one hash, one level, 14 days, ±30 min): ${stats(times)}; ${(visits / 200).toFixed(1)} visits and ${(co / 200).toFixed(0)} co-visitor check-ins per query`,
    );
  }

  // b) and c) the use case, with F2, masked and revealed.
  for (const reveal of [false, true]) {
    const times = [];
    const sums = {
      identities: 0,
      visits: 0,
      f1People: 0,
      f1Checkins: 0,
      f2People: 0,
      f2Checkins: 0,
      opened: 0,
      unopened: 0,
      truncated: 0,
    };
    for (let q = 0; q < QUERIES; q++) {
      const p = tracedPerson(q);
      const t = process.hrtime.bigint();
      // What `qrkiosk-hub trace --f2 --json [--reveal --tracing-key F --reason R]` does, key reading included.
      const checked = checkTrace({
        type: 'cccd',
        id: cccdOf(p),
        from: FROM,
        to: TO,
        window: 30,
        f2: true,
        case: `bench-${q}`,
        ...(reveal ? { reveal: { reason: 'bench: revealed trace with F2' } } : {}),
      });
      if ('problem' in checked) throw new Error(checked.problem.en);
      const r = await runTrace(store, key, checked.query, {
        actor: 'bench@cli',
        format: 'json',
        ...(reveal ? { keys: readTracingKeys([tracingKeyPem]) } : {}),
      });
      times.push(Number(process.hrtime.bigint() - t) / 1e6);
      sums.identities += r.identities;
      sums.visits += r.counts.visits;
      sums.f1People += r.counts.f1People;
      sums.f1Checkins += r.counts.f1Checkins;
      sums.f2People += r.counts.f2People;
      sums.f2Checkins += r.counts.f2Checkins;
      sums.truncated += r.limits.truncated ? 1 : 0;
      for (const person of r.people) {
        sums.opened += person.identities?.length ?? 0;
        sums.unopened += person.unopened ?? 0;
      }
    }
    const per = (k) => (sums[k] / QUERIES).toFixed(1);
    console.log(
      `${reveal ? 'c) revealed' : 'b) masked'} trace with F2 (${engine}, use case, 14 days, ±30 min, ${QUERIES} queries): ${stats(times)}; per query: ${per('identities')} linked hashes followed, ${per('visits')} visits, F1 ${per('f1People')} people / ${per('f1Checkins')} check-ins, F2 ${per('f2People')} people / ${per('f2Checkins')} check-ins${reveal ? `, ${per('opened')} identities revealed, ${per('unopened')} boxes unopened` : ''}; F2 truncated in ${sums.truncated} of ${QUERIES}`,
    );
  }
  await store.close();
  await postgres?.stop();
  // The disk holds one engine's 10M rows at a time.
  if (postgres) rmSync(postgres.dir, { recursive: true, force: true });
  rmSync(join(dir, 'trace'), { recursive: true, force: true });
}
console.log(
  `machine: ${cpus()[0]?.model}, ${cpus().length} cores, node ${process.version}; load average ${load()}`,
);
rmSync(dir, { recursive: true, force: true });
