import type { CheckinMessage } from '@qrkiosk/protocol';
import type Database from 'better-sqlite3';
import type pg from 'pg';
import { pgTransaction } from './pg-transaction.js';

/**
 * Links between identity hashes (migration 15): "these two keys are one person". Kept as hashes only —
 * a link never says which numbers — and in both directions, so the neighbours of a set of hashes is a
 * range scan of the primary key. Two sources: `scan` (the other keys of one scan, CheckinMessage
 * `document.links`: CMND beside a CCCD, BHXH beside a BHYT number, a personal QR's QID and number) and
 * `import` (a facts CSV row's document → its `person` key node, hashPersonKey: a star, documents never
 * linked to each other directly). The graph is walked by hub/src/person-links.ts.
 */
export type LinkSource = 'import' | 'scan';

export interface LinkStorage {
  /**
   * Adds links (both directions; a pair already there keeps its first source; a scan link seen again
   * takes the newer time, so retention keeps it while a check-in carries it).
   * Pairs that are not two different 32-hex hashes are left out. Returns how many pairs were new.
   */
  add(pairs: ReadonlyArray<readonly [string, string]>, source: LinkSource, at: Date): Promise<number>;
  /**
   * The stored edges [a, b] whose `a` is one of `hashes`, at most MAX_DEGREE per `a` (the smallest b),
   * ordered by a, then b.
   */
  neighbours(hashes: ReadonlyArray<string>): Promise<Array<[string, string]>>;
  /**
   * The facts import's links become exactly `pairs` (a clean file is the whole register, as it is for
   * the kiosks' facts): pairs already there stay, new ones are added, import links not in `pairs` go —
   * a person key corrected in the file unlinks the document it wrongly joined. Scan links are not
   * touched. One transaction. Counts are pairs.
   */
  replaceImported(
    pairs: ReadonlyArray<readonly [string, string]>,
    at: Date,
  ): Promise<{ added: number; removed: number }>;
  /** Retention: scan links made before `before` go with the check-ins; import links stay. */
  purge(before: Date): Promise<number>;
}

const HASH = /^[0-9a-f]{32}$/;
/** What a check-in may carry (the protocol caps `document.links` at 4); more is not read. */
export const MAX_SCAN_LINKS = 4;
/** Hashes per neighbours statement: bounds one parameter's size, whatever the caller asks. */
const CHUNK = 1000;

/**
 * The pairs a check-in's scan links: [idHash, other] for each well-formed hash in `document.links`.
 * Read defensively: a message from a kiosk before links existed has none, and a field of another
 * shape adds nothing rather than failing the check-in.
 */
export function scanLinks(c: CheckinMessage): Array<[string, string]> {
  const links = (c.document as { links?: unknown }).links;
  if (!Array.isArray(links)) return [];
  const own = c.document.idHash;
  return links
    .filter((x): x is string => typeof x === 'string' && HASH.test(x) && x !== own)
    .slice(0, MAX_SCAN_LINKS)
    .map((x) => [own, x]);
}

/**
 * A scan link's time: the later of the check-in's time and its arrival, as retention keeps a check-in
 * until both are past the cutoff (sqlite.ts and postgres.ts purge) — the link lives as long as it.
 */
export function linkTime(checkinAt: string, receivedAt: Date): string {
  const at = Date.parse(checkinAt);
  return new Date(Math.max(Number.isFinite(at) ? at : 0, receivedAt.getTime())).toISOString();
}

/**
 * Well-formed pairs, each once, as [smaller, larger] in sorted order: the same rows in the same order
 * for every writer, so two PostgreSQL transactions adding overlapping links take their row locks in
 * one order (no deadlock between them).
 */
export function normalisePairs(pairs: ReadonlyArray<readonly [string, string]>): Array<[string, string]> {
  const seen = new Map<string, [string, string]>();
  for (const [x, y] of pairs) {
    if (x === y || !HASH.test(x) || !HASH.test(y)) continue;
    const p: [string, string] = x < y ? [x, y] : [y, x];
    seen.set(`${p[0]}${p[1]}`, p);
  }
  return [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, p]) => p);
}

const INSERT = `INSERT INTO identity_links (a, b, source, at) VALUES ($1, $2, $3, $4) ON CONFLICT (a, b) DO NOTHING`;
// A scan link seen again is dated by its newest check-in: retention deletes scan links by date, and a
// link first made a month ago must stay while a newer check-in still carries it (review #18-1).
const TOUCH = `UPDATE identity_links SET at = $1 WHERE a = $2 AND b = $3 AND source = 'scan' AND at < $4`;
/** PostgreSQL's ON CONFLICT arm for scan links (the check-in insert and add()): the same refresh. */
export const PG_SCAN_REFRESH = `ON CONFLICT (a, b) DO UPDATE SET at = excluded.at
  WHERE identity_links.source = 'scan' AND excluded.source = 'scan' AND identity_links.at < excluded.at`;
/**
 * Links read per hash, at most. One person has a handful of documents; a hash with thousands of links
 * (a placeholder person key in an import, a hostile kiosk) would otherwise make every walk through it
 * read them all, and a trace with F2 walks hundreds of times. A walk keeps at most 64 hashes anyway
 * (person-links.ts), so 64 links per hash lose nothing it could use.
 */
export const MAX_DEGREE = 64;
// Per hash, by the primary key (a, b): an index range of at most MAX_DEGREE rows each.
const NEIGHBOURS_SQLITE = `SELECT a, b FROM identity_links WHERE a = $1 ORDER BY b LIMIT ${MAX_DEGREE}`;
const NEIGHBOURS_PG = `SELECT l.a, l.b FROM unnest($1::text[]) AS h (a)
  CROSS JOIN LATERAL (SELECT a, b FROM identity_links WHERE a = h.a ORDER BY b LIMIT ${MAX_DEGREE}) AS l
  ORDER BY l.a, l.b`;
const PURGE = `DELETE FROM identity_links WHERE source = 'scan' AND at < $1`;
// replaceImported: every pair of the file is marked with this run's time, then the import links not
// marked go. By equality, not "older than": a clock set back must not delete this run's own links.
const MARK = `INSERT INTO identity_links (a, b, source, at) VALUES ($1, $2, 'import', $3)
  ON CONFLICT (a, b) DO UPDATE SET at = excluded.at WHERE identity_links.source = 'import'`;
const UNMARKED = `DELETE FROM identity_links WHERE source = 'import' AND at <> $1`;
const IMPORTED = `SELECT count(*) AS n FROM identity_links WHERE source = 'import'`;

/**
 * PostgreSQL: the rows of pairs given as arrays ($a, $b: text[], $at: timestamptz[]), both directions,
 * each (a, b) once, in key order. A CTE body: PostgresLinks.add uses it, and the check-in insert
 * (storage/checkin-insert.ts) puts it in its own statement so a check-in and its links commit together.
 */
export const pgLinkRows = (a: string, b: string, at: string) =>
  `SELECT DISTINCT ON (a, b) a, b, at FROM (
     SELECT x.a, x.b, x.at FROM unnest(${a}::text[], ${b}::text[], ${at}::timestamptz[]) AS x (a, b, at)
     UNION ALL SELECT x.b, x.a, x.at FROM unnest(${a}::text[], ${b}::text[], ${at}::timestamptz[]) AS x (a, b, at)
   ) AS e WHERE a <> b ORDER BY a, b, at`;
const MARK_PG = `WITH e AS (${pgLinkRows('$1', '$2', '$3')})
  INSERT INTO identity_links (a, b, source, at) SELECT a, b, 'import', at FROM e ORDER BY a, b
  ON CONFLICT (a, b) DO UPDATE SET at = excluded.at WHERE identity_links.source = 'import'`;
const ADD_PG = `WITH e AS (${pgLinkRows('$1', '$2', '$3')}),
  ins AS (INSERT INTO identity_links (a, b, source, at) SELECT a, b, $4, at FROM e ORDER BY a, b
          ${PG_SCAN_REFRESH} RETURNING a, b, (xmax = 0) AS inserted)
  SELECT count(DISTINCT least(a, b) || greatest(a, b)) FILTER (WHERE inserted)::int AS n FROM ins`;

/** The parameters are always used once each, in order: `$n` becomes SQLite's `?`. */
const q = (sql: string) => sql.replace(/\$\d+/g, '?');
/** Rows (two per pair) before, removed and after → pairs added and removed. */
const changes = (before: number, removed: number, after: number) => ({
  added: (after - (before - removed)) / 2,
  removed: removed / 2,
});
const byEdge = (x: [string, string], y: [string, string]) =>
  x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] < y[1] ? -1 : x[1] > y[1] ? 1 : 0;
const chunks = <T>(xs: ReadonlyArray<T>, n: number): T[][] =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, (i + 1) * n));

export class SqliteLinks implements LinkStorage {
  private readonly insert: Database.Statement<[string, string, string, string]>;
  private readonly touch: Database.Statement<[string, string, string, string]>;

  constructor(private readonly db: Database.Database) {
    this.insert = db.prepare(q(INSERT));
    this.touch = db.prepare(q(TOUCH));
  }

  /** Synchronous, so the check-in insert (sqlite.ts) adds a scan's links inside its own transaction. */
  addNow(pairs: ReadonlyArray<readonly [string, string]>, source: LinkSource, at: string): number {
    let n = 0;
    for (const [x, y] of normalisePairs(pairs)) {
      const made = this.insert.run(x, y, source, at).changes + this.insert.run(y, x, source, at).changes;
      if (made > 0) n++;
      else if (source === 'scan') {
        this.touch.run(at, x, y, at);
        this.touch.run(at, y, x, at);
      }
    }
    return n;
  }
  async add(pairs: ReadonlyArray<readonly [string, string]>, source: LinkSource, at: Date) {
    return this.db.transaction(() => this.addNow(pairs, source, at.toISOString()))();
  }
  async neighbours(hashes: ReadonlyArray<string>) {
    const statement = this.db.prepare<[string], { a: string; b: string }>(q(NEIGHBOURS_SQLITE));
    return [...new Set(hashes)]
      .flatMap((h) => statement.all(h).map((r): [string, string] => [r.a, r.b]))
      .sort(byEdge);
  }
  async replaceImported(pairs: ReadonlyArray<readonly [string, string]>, at: Date) {
    const t = at.toISOString();
    const mark = this.db.prepare<[string, string, string]>(q(MARK));
    const count = this.db.prepare<[], { n: number }>(IMPORTED);
    return this.db.transaction(() => {
      const before = count.get()?.n ?? 0;
      for (const [x, y] of normalisePairs(pairs)) {
        mark.run(x, y, t);
        mark.run(y, x, t);
      }
      const removed = this.db.prepare(q(UNMARKED)).run(t).changes;
      return changes(before, removed, count.get()?.n ?? 0);
    })();
  }
  async purge(before: Date) {
    return this.db.prepare(q(PURGE)).run(before.toISOString()).changes;
  }
}

export class PostgresLinks implements LinkStorage {
  constructor(private readonly pool: pg.Pool) {}

  async add(pairs: ReadonlyArray<readonly [string, string]>, source: LinkSource, at: Date) {
    let n = 0;
    // One statement per chunk: an import of a province is millions of pairs, one parameter each side.
    for (const c of chunks(normalisePairs(pairs), 10_000)) {
      const { rows } = await this.pool.query<{ n: number }>(ADD_PG, [
        c.map((p) => p[0]),
        c.map((p) => p[1]),
        c.map(() => at.toISOString()),
        source,
      ]);
      n += rows[0]?.n ?? 0;
    }
    return n;
  }
  async neighbours(hashes: ReadonlyArray<string>) {
    const out: Array<[string, string]> = [];
    for (const c of chunks([...new Set(hashes)], CHUNK)) {
      const { rows } = await this.pool.query<{ a: string; b: string }>(NEIGHBOURS_PG, [c]);
      for (const r of rows) out.push([r.a, r.b]);
    }
    return out.sort(byEdge);
  }
  async replaceImported(pairs: ReadonlyArray<readonly [string, string]>, at: Date) {
    const t = at.toISOString();
    return pgTransaction(this.pool, async (client) => {
      const count = async () => (await client.query<{ n: number }>(IMPORTED)).rows[0]?.n ?? 0;
      const before = await count();
      for (const c of chunks(normalisePairs(pairs), 10_000))
        await client.query(MARK_PG, [c.map((p) => p[0]), c.map((p) => p[1]), c.map(() => t)]);
      const removed = (await client.query(UNMARKED, [t])).rowCount ?? 0;
      return changes(before, removed, await count());
    });
  }
  async purge(before: Date) {
    return (await this.pool.query(PURGE, [before.toISOString()])).rowCount ?? 0;
  }
}

/**
 * Migration 15's tables (storage/migrations.ts), with the sites' street address. Both directions of a
 * link are stored, so "the neighbours of these hashes" is one range scan of the primary key (a, b). The
 * partial index serves retention, which removes scan links with the check-ins (import links stay until
 * the next import says otherwise).
 */
export const LINKS_SQLITE = `
      CREATE TABLE IF NOT EXISTS identity_links (
        a TEXT NOT NULL, b TEXT NOT NULL, source TEXT NOT NULL, at TEXT NOT NULL,
        PRIMARY KEY (a, b)
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS identity_links_by_time ON identity_links (at) WHERE source = 'scan';
      ALTER TABLE sites ADD COLUMN address TEXT NOT NULL DEFAULT '';
    `;
export const LINKS_POSTGRES = `
      CREATE TABLE identity_links (
        a text NOT NULL, b text NOT NULL, source text NOT NULL, at timestamptz NOT NULL,
        PRIMARY KEY (a, b)
      );
      CREATE INDEX identity_links_by_time ON identity_links (at) WHERE source = 'scan';
      ALTER TABLE sites ADD COLUMN address text NOT NULL DEFAULT '';
    `;
