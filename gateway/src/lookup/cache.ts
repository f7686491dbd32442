import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Facts } from './facts.js';
import type { IdentityKey } from './identity-keys.js';

/**
 * The kiosk's facts cache: keyed hashes → facts, no names, no numbers. One SQLite file in the
 * data folder, opened read-mostly. Snapshots, deltas and signatures arrive with the cache issue;
 * this first version is what the pipeline and the demo need: lookup and local upsert.
 */
export class FactsCache {
  private db: Database.Database | undefined;
  private lookupStmt: Database.Statement<[Buffer], { facts: string }> | undefined;

  constructor(private readonly dataDir: string) {}

  open(): void {
    mkdirSync(this.dataDir, { recursive: true });
    const db = new Database(join(this.dataDir, 'cache.db'));
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS facts (key BLOB PRIMARY KEY, facts TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    this.lookupStmt = db.prepare('SELECT facts FROM facts WHERE key = ?');
    this.db = db;
  }

  /** Facts of the first key that is known, or null when the kiosk knows nothing of the person. */
  lookup(keys: IdentityKey[]): Facts | null {
    const stmt = this.lookupStmt;
    if (!stmt) throw new Error('FactsCache.lookup before open()');
    for (const key of keys) {
      const row = stmt.get(key.hash);
      if (row) return JSON.parse(row.facts) as Facts;
    }
    return null;
  }

  upsert(entries: Array<{ key: Buffer; facts: Facts }>): void {
    const db = this.requireDb();
    const put = db.prepare(
      'INSERT INTO facts (key, facts) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET facts = excluded.facts',
    );
    db.transaction(() => {
      for (const e of entries) put.run(e.key, JSON.stringify(e.facts));
      db.prepare(
        "INSERT INTO meta (name, value) VALUES ('version', '1') ON CONFLICT(name) DO UPDATE SET value = value + 1",
      ).run();
    })();
  }

  version(): number {
    const row = this.requireDb().prepare("SELECT value FROM meta WHERE name = 'version'").get() as
      | { value: string }
      | undefined;
    return row ? Number(row.value) : 0;
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.lookupStmt = undefined;
  }

  private requireDb(): Database.Database {
    if (!this.db) throw new Error('FactsCache used before open()');
    return this.db;
  }
}
