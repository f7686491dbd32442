import { statSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeFacts,
  encodeFacts,
  type Facts,
  KEY_BYTES,
  type KeyRing,
  OP_DELETE,
  OP_PUT,
  openUpdate,
  RECORD_BYTES,
  UpdateError,
  type UpdateHeader,
  vnDay,
} from '@qrkiosk/protocol';
import Database from 'better-sqlite3';
import { openDatabaseFile } from '../db-files.js';
import { type ImportReport, importCsv } from './csv-import.js';
import type { IdentityKey } from './identity-keys.js';

export interface CacheStatus {
  /** Sequence number of the last hub update applied (0: none yet). */
  version: number;
  identities: number;
  bytes: number;
  /** When the last update (hub or local import) was applied. */
  updatedAt: string | null;
  /** Id of the hub key that signed the last update, or `local` after a technician's import. */
  signer: string | null;
}

export type RefusalCode = UpdateError['code'] | 'stale' | 'out-of-order';

export class UpdateRefused extends Error {
  constructor(
    readonly code: RefusalCode,
    message: string,
  ) {
    super(message);
    this.name = 'UpdateRefused';
  }
}

/**
 * The kiosk's facts cache: 16-byte keyed hashes → 16-byte facts, nothing else (no names, no
 * numbers). One SQLite file (`cache.db`, WAL) in a WITHOUT ROWID table, so a row is the key plus
 * its facts. Updates are transactions: a scan sees the cache before or after one, never between.
 */
export class FactsCache {
  private db: Database.Database | undefined;
  private lookupStmt: Database.Statement<[Buffer], { facts: Buffer }> | undefined;

  constructor(private readonly dataDir: string) {}

  get file(): string {
    return join(this.dataDir, 'cache.db');
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  /** Opens or creates `cache.db`. A corrupt file is renamed aside (record's closeFailedOpen) and thrown. */
  open(now = new Date()): void {
    this.db = openDatabaseFile(this.file, now, (db) => this.create(db));
    this.prepare();
  }

  /**
   * Opens an existing `cache.db` to read only (`qrkiosk check` on a kiosk, maybe while it runs): never
   * creates the folder or the file, never renames a corrupt file aside — that is the daemon's call.
   */
  openReadOnly(): void {
    const db = new Database(this.file, { readonly: true, fileMustExist: true });
    try {
      db.prepare('SELECT count(*) FROM meta').get();
    } catch (err) {
      db.close();
      throw err;
    }
    this.db = db;
    this.prepare();
  }

  private create(db: Database.Database): void {
    // Set before the first table exists: lets a snapshot swap give the old table's pages back.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.exec(`
      CREATE TABLE IF NOT EXISTS facts (key BLOB PRIMARY KEY, facts BLOB NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
    `);
    // A header can be sound while the pages are not: read them once so corruption shows at open.
    db.prepare('SELECT count(*) FROM meta').get();
  }

  private prepare(): void {
    this.lookupStmt = this.require().prepare<[Buffer], { facts: Buffer }>(
      'SELECT facts FROM facts WHERE key = ?',
    );
  }

  /** Facts of the first key that is known, or null when the kiosk knows nothing of the person. */
  lookup(keys: IdentityKey[]): Facts | null {
    const stmt = this.lookupStmt;
    if (!stmt) throw new Error('FactsCache.lookup before open()');
    for (const key of keys) {
      const row = stmt.get(key.hash);
      if (row) return decodeFacts(row.facts);
    }
    return null;
  }

  /** Local, unsigned writes: a technician's CSV import, the demo. Does not change the hub version. */
  upsert(entries: Iterable<{ key: Buffer; facts: Facts }>, at = new Date()): number {
    const db = this.require();
    const put = db.prepare<[Buffer, Buffer]>(
      'INSERT INTO facts (key, facts) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET facts = excluded.facts',
    );
    let n = 0;
    db.transaction(() => {
      for (const e of entries) {
        put.run(e.key, encodeFacts(e.facts));
        n++;
      }
      // Nothing written, nothing new: the update time (the facts' age, freshness/) stays.
      if (n > 0) this.setMeta({ updatedAt: at.toISOString(), signer: 'local' });
    })();
    return n;
  }

  /**
   * Applies a signed update from the hub. Refuses, saying why, one that is unsigned, signed by an
   * unknown key, altered, older than what we have (snapshot) or not based on exactly our version
   * (delta). A snapshot is built in a side table and swapped in within one transaction.
   */
  applyUpdate(file: Buffer, keys: KeyRing, at = new Date()): UpdateHeader {
    let opened: ReturnType<typeof openUpdate>;
    try {
      opened = openUpdate(file, keys);
    } catch (err) {
      if (err instanceof UpdateError) throw new UpdateRefused(err.code, err.message);
      throw err;
    }
    const { header, records } = opened;
    const current = this.version();
    const db = this.require();
    if (header.kind === 'snapshot') {
      if (header.seq <= current)
        throw new UpdateRefused('stale', `snapshot ${header.seq} is not newer than our version ${current}`);
      db.transaction(() => {
        db.exec(
          'DROP TABLE IF EXISTS facts_next; CREATE TABLE facts_next (key BLOB PRIMARY KEY, facts BLOB NOT NULL) WITHOUT ROWID;',
        );
        if (putsInKeyOrder(records)) {
          // The hub writes snapshots in key order: the new B-tree is built by appending.
          const put = db.prepare<[Buffer, Buffer]>('INSERT INTO facts_next (key, facts) VALUES (?, ?)');
          forEachRecord(records, (op, key, facts) => {
            if (op === OP_PUT) put.run(key, facts);
          });
        } else {
          // Any other order: stage the records, then let SQLite's sorter feed the new table in key order.
          db.exec(
            'DROP TABLE IF EXISTS temp.snapshot_stage; CREATE TEMP TABLE snapshot_stage (key BLOB NOT NULL, facts BLOB NOT NULL);',
          );
          const stage = db.prepare<[Buffer, Buffer]>(
            'INSERT INTO temp.snapshot_stage (key, facts) VALUES (?, ?)',
          );
          forEachRecord(records, (op, key, facts) => {
            if (op === OP_PUT) stage.run(key, facts);
          });
          db.exec(`INSERT INTO facts_next (key, facts) SELECT key, facts FROM temp.snapshot_stage WHERE true ORDER BY key, rowid
                     ON CONFLICT(key) DO UPDATE SET facts = excluded.facts;
                   DROP TABLE temp.snapshot_stage;`);
        }
        db.exec('DROP TABLE facts; ALTER TABLE facts_next RENAME TO facts;');
        this.setMeta({ version: String(header.seq), updatedAt: at.toISOString(), signer: header.keyId });
      })();
      this.compact();
      this.prepare();
      return header;
    }
    if (header.baseSeq !== current)
      throw new UpdateRefused(
        'out-of-order',
        `delta ${header.baseSeq}→${header.seq} does not apply to our version ${current}`,
      );
    if (header.seq <= current)
      throw new UpdateRefused('stale', `delta to ${header.seq} is not newer than our version ${current}`);
    db.transaction(() => {
      const put = db.prepare<[Buffer, Buffer]>(
        'INSERT INTO facts (key, facts) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET facts = excluded.facts',
      );
      const del = db.prepare<[Buffer]>('DELETE FROM facts WHERE key = ?');
      forEachRecord(records, (op, key, facts) => {
        if (op === OP_PUT) put.run(key, facts);
        else del.run(key);
      });
      this.setMeta({ version: String(header.seq), updatedAt: at.toISOString(), signer: header.keyId });
    })();
    return header;
  }

  /** `qrkiosk cache import`: a technician's unsigned CSV; bad rows are reported and skipped. */
  async importCsv(file: string, hashKey: Buffer, at = new Date()): Promise<ImportReport> {
    const report = await importCsv(this.require(), file, hashKey, { today: vnDay(at) });
    // An import that imported nothing installed nothing: the facts are as old as they were. Moving the
    // update time would let a file of bad rows pass for new data (freshness/ dates the facts by it).
    if (report.imported > 0) this.setMeta({ updatedAt: at.toISOString(), signer: 'local' });
    return report;
  }

  /** After a snapshot: return the old table's pages to the file system and empty the WAL. */
  private compact(): void {
    const db = this.require();
    db.pragma('incremental_vacuum');
    db.pragma('wal_checkpoint(TRUNCATE)');
  }

  /** Version and last update without counting rows (cheap: telemetry calls it every minute). */
  versionInfo(): { version: number; updatedAt: string | null; signer: string | null } {
    if (!this.db) return { version: 0, updatedAt: null, signer: null };
    return { version: this.version(), updatedAt: this.meta('updatedAt'), signer: this.meta('signer') };
  }

  /** 0 when no hub update was applied, or while the cache is not open (a fault: see Controller). */
  version(): number {
    if (!this.db) return 0;
    return Number(this.meta('version') ?? 0);
  }

  status(): CacheStatus {
    const db = this.require();
    const identities = (db.prepare('SELECT count(*) AS n FROM facts').get() as { n: number }).n;
    let bytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        bytes += statSync(this.file + suffix).size;
      } catch {
        // no WAL file yet
      }
    }
    return {
      version: this.version(),
      identities,
      bytes,
      updatedAt: this.meta('updatedAt'),
      signer: this.meta('signer'),
    };
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
    this.lookupStmt = undefined;
  }

  private meta(name: string): string | null {
    const row = this.require().prepare('SELECT value FROM meta WHERE name = ?').get(name) as
      | { value: string }
      | undefined;
    return row?.value ?? null;
  }

  private setMeta(values: Record<string, string>): void {
    const put = this.require().prepare<[string, string]>(
      'INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value',
    );
    for (const [k, v] of Object.entries(values)) put.run(k, v);
  }

  private require(): Database.Database {
    if (!this.db) throw new Error('FactsCache used before open()');
    return this.db;
  }
}

/** True when every record is a put and keys strictly increase (no duplicates). */
function putsInKeyOrder(records: Buffer): boolean {
  let previous: Buffer | undefined;
  for (let o = 0; o < records.length; o += RECORD_BYTES) {
    if (records[o] !== OP_PUT) return false;
    const key = records.subarray(o + 1, o + 1 + KEY_BYTES);
    if (previous && Buffer.compare(previous, key) >= 0) return false;
    previous = key;
  }
  return true;
}

function forEachRecord(records: Buffer, fn: (op: number, key: Buffer, facts: Buffer) => void): void {
  for (let o = 0; o < records.length; o += RECORD_BYTES) {
    const op = records[o] ?? 0;
    if (op !== OP_PUT && op !== OP_DELETE)
      throw new UpdateRefused('format', `record ${o / RECORD_BYTES}: unknown op ${op}`);
    fn(op, records.subarray(o + 1, o + 1 + KEY_BYTES), records.subarray(o + 1 + KEY_BYTES, o + RECORD_BYTES));
  }
}
