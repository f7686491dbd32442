/**
 * Schema steps, numbered, for both engines. A database records the last step it ran (SQLite:
 * PRAGMA user_version; PostgreSQL: the schema_version table) and runs the newer ones at start-up.
 * Steps are append-only: never edit a released step, add one.
 *
 * SQLite steps 1–2 are written to be idempotent (CREATE … IF NOT EXISTS, columns added only when
 * missing) because hub.db files from before this list existed are at user_version 0–2 with tables
 * of differing shapes; such files run them again (sqlite.ts). PostgreSQL support starts with this list, so its steps are plain DDL.
 */
import { LINKS_POSTGRES, LINKS_SQLITE } from './links.js';
import { PASS_CHECKINS_POSTGRES, PASS_CHECKINS_SQLITE } from './pass-checkins.js';
import { PASSES_POSTGRES, PASSES_SQLITE } from './passes.js';
import { TALLIES_POSTGRES, TALLIES_SQLITE } from './tallies.js';

export interface Migration {
  version: number;
  what: string;
  /** SQL, or a function for steps that must look at the file first. */
  sqlite: string | ((db: SqliteLike) => void);
  postgres: string;
}

/** The part of better-sqlite3 the steps use (kept narrow so this file has no driver import). */
export interface SqliteLike {
  exec(sql: string): unknown;
  prepare(sql: string): { all(...params: unknown[]): unknown[] };
}

const columnsOf = (db: SqliteLike, table: string) =>
  (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    what: 'check-ins, kiosks, reports, dead letters, users and sessions',
    sqlite: `
      CREATE TABLE IF NOT EXISTS checkins (
        id TEXT PRIMARY KEY, site TEXT NOT NULL, kiosk TEXT NOT NULL, at TEXT NOT NULL,
        id_hash TEXT NOT NULL, message TEXT NOT NULL, received_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS checkins_by_time ON checkins (at);
      CREATE INDEX IF NOT EXISTS checkins_by_person ON checkins (id_hash, at);
      CREATE TABLE IF NOT EXISTS kiosks (
        site TEXT NOT NULL, kiosk TEXT NOT NULL, state TEXT NOT NULL, last_seen TEXT NOT NULL,
        PRIMARY KEY (site, kiosk)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS reports (day TEXT PRIMARY KEY, generated_at TEXT NOT NULL, report TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS dead_letters (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, reason TEXT NOT NULL,
        payload BLOB NOT NULL, received_at TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS users (phone TEXT PRIMARY KEY, password TEXT NOT NULL, role TEXT NOT NULL, sites TEXT NOT NULL, created_at TEXT NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS sessions (id TEXT PRIMARY KEY, phone TEXT NOT NULL, csrf TEXT NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE checkins (
        id text PRIMARY KEY, site text NOT NULL, kiosk text NOT NULL, at timestamptz NOT NULL,
        id_hash text NOT NULL, message text NOT NULL, received_at timestamptz NOT NULL
      );
      CREATE INDEX checkins_by_time ON checkins (at);
      CREATE INDEX checkins_by_person ON checkins (id_hash, at);
      CREATE TABLE kiosks (
        site text NOT NULL, kiosk text NOT NULL, state text NOT NULL, last_seen timestamptz NOT NULL,
        PRIMARY KEY (site, kiosk)
      );
      CREATE TABLE reports (day text PRIMARY KEY, generated_at timestamptz NOT NULL, report text NOT NULL);
      CREATE TABLE dead_letters (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, topic text NOT NULL, reason text NOT NULL,
        payload bytea NOT NULL, received_at timestamptz NOT NULL
      );
      CREATE TABLE users (phone text PRIMARY KEY, password text NOT NULL, role text NOT NULL, sites text NOT NULL, created_at timestamptz NOT NULL);
      CREATE TABLE sessions (id text PRIMARY KEY, phone text NOT NULL REFERENCES users (phone) ON DELETE CASCADE, csrf text NOT NULL, expires_at bigint NOT NULL);
    `,
  },
  {
    version: 2,
    what: 'fleet health (first seen, telemetry), audit log, co-visitor index',
    sqlite: (db) => {
      const kiosks = columnsOf(db, 'kiosks');
      if (!kiosks.includes('first_seen')) db.exec('ALTER TABLE kiosks ADD COLUMN first_seen TEXT');
      if (!kiosks.includes('telemetry')) db.exec('ALTER TABLE kiosks ADD COLUMN telemetry TEXT');
      db.exec(`
        CREATE INDEX IF NOT EXISTS checkins_by_site_time ON checkins (site, at);
        CREATE TABLE IF NOT EXISTS audit (
          seq INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, detail TEXT NOT NULL
        );
      `);
    },
    postgres: `
      ALTER TABLE kiosks ADD COLUMN first_seen timestamptz, ADD COLUMN telemetry text;
      -- Co-visitors: everyone at a site within a time window.
      CREATE INDEX checkins_by_site_time ON checkins (site, at);
      CREATE TABLE audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL,
        action text NOT NULL, detail text NOT NULL
      );
    `,
  },
  {
    version: 3,
    what: 'verdict as a column (reports without parsing JSON), registered sites with their ward and district',
    sqlite: (db) => {
      if (!columnsOf(db, 'checkins').includes('verdict')) {
        db.exec("ALTER TABLE checkins ADD COLUMN verdict TEXT NOT NULL DEFAULT ''");
        db.exec("UPDATE checkins SET verdict = coalesce(json_extract(message, '$.verdict'), '')");
      }
      db.exec(`
        CREATE TABLE IF NOT EXISTS sites (
          site TEXT PRIMARY KEY, name TEXT NOT NULL, district TEXT NOT NULL, ward TEXT NOT NULL,
          registered_at TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
    postgres: `
      ALTER TABLE checkins ADD COLUMN verdict text NOT NULL DEFAULT '';
      CREATE TABLE sites (
        site text PRIMARY KEY, name text NOT NULL, district text NOT NULL, ward text NOT NULL,
        registered_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 4,
    what: 'users can be disabled; failed logins per account (back-off shared by hub processes); dead letters by age',
    sqlite: (db) => {
      if (!columnsOf(db, 'users').includes('disabled'))
        db.exec('ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0');
      db.exec(`
        CREATE TABLE IF NOT EXISTS login_failures (
          account TEXT PRIMARY KEY, failures INTEGER NOT NULL, last_at INTEGER NOT NULL
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS sessions_by_phone ON sessions (phone);
        CREATE INDEX IF NOT EXISTS dead_letters_by_time ON dead_letters (received_at);
      `);
    },
    postgres: `
      ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;
      -- In the database, not in memory: several hub processes behind one address share the count.
      CREATE TABLE login_failures (account text PRIMARY KEY, failures integer NOT NULL, last_at bigint NOT NULL);
      CREATE INDEX sessions_by_phone ON sessions (phone);
      CREATE INDEX dead_letters_by_time ON dead_letters (received_at);
    `,
  },
  {
    version: 5,
    what: 'kiosk → site register (a kiosk speaks for one site only)',
    sqlite: `
      CREATE TABLE IF NOT EXISTS kiosk_sites (
        kiosk TEXT PRIMARY KEY, site TEXT NOT NULL, how TEXT NOT NULL, bound_at TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE kiosk_sites (
        kiosk text PRIMARY KEY, site text NOT NULL, how text NOT NULL, bound_at timestamptz NOT NULL
      );
    `,
  },
  {
    version: 6,
    what: 'check-ins re-timed from a kiosk boot (hub/src/retime.ts): the kiosk time kept, boots with a known start',
    // at_reported: the kiosk's own time once `at` was corrected (NULL: `at` is as reported).
    // boot_id/uptime_ms: only for check-ins made with an unsynced clock. The index holds only the
    // check-ins still waiting to be re-timed, so it stays small.
    sqlite: `
      ALTER TABLE checkins ADD COLUMN at_reported TEXT;
      ALTER TABLE checkins ADD COLUMN boot_id TEXT;
      ALTER TABLE checkins ADD COLUMN uptime_ms INTEGER;
      CREATE INDEX IF NOT EXISTS checkins_to_retime ON checkins (kiosk, boot_id)
        WHERE boot_id IS NOT NULL AND at_reported IS NULL;
      CREATE TABLE IF NOT EXISTS boot_clocks (
        kiosk TEXT NOT NULL, boot_id TEXT NOT NULL, began_ms INTEGER NOT NULL, learned_at TEXT NOT NULL,
        PRIMARY KEY (kiosk, boot_id)
      ) WITHOUT ROWID;
    `,
    postgres: `
      ALTER TABLE checkins ADD COLUMN at_reported timestamptz, ADD COLUMN boot_id text, ADD COLUMN uptime_ms bigint;
      CREATE INDEX checkins_to_retime ON checkins (kiosk, boot_id)
        WHERE boot_id IS NOT NULL AND at_reported IS NULL;
      CREATE TABLE boot_clocks (
        kiosk text NOT NULL, boot_id text NOT NULL, began_ms bigint NOT NULL, learned_at timestamptz NOT NULL,
        PRIMARY KEY (kiosk, boot_id)
      );
    `,
  },
  {
    version: 7,
    what: 'the guard’s outcome after a REVIEW (qrkiosk.outcome/1), linked to its check-in (storage/outcomes.ts)',
    sqlite: `
      CREATE TABLE IF NOT EXISTS outcomes (
        id TEXT PRIMARY KEY, checkin TEXT NOT NULL, site TEXT NOT NULL, kiosk TEXT NOT NULL,
        outcome TEXT NOT NULL, by_ TEXT NOT NULL, at TEXT NOT NULL, message TEXT NOT NULL, received_at TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS outcomes_by_checkin ON outcomes (checkin);
    `,
    postgres: `
      CREATE TABLE outcomes (
        id text PRIMARY KEY, checkin text NOT NULL, site text NOT NULL, kiosk text NOT NULL,
        outcome text NOT NULL, by_ text NOT NULL, at timestamptz NOT NULL, message text NOT NULL,
        received_at timestamptz NOT NULL
      );
      CREATE INDEX outcomes_by_checkin ON outcomes (checkin);
    `,
  },
  {
    version: 8,
    what: 'kiosk enrolment codes (storage/enrolments.ts): only the token hash, who made it, when it was used and by which key',
    sqlite: `
      CREATE TABLE IF NOT EXISTS enrolments (
        token_hash TEXT PRIMARY KEY, kiosk TEXT NOT NULL, site TEXT NOT NULL, direction TEXT NOT NULL,
        created_at TEXT NOT NULL, expires_at TEXT NOT NULL, created_by TEXT NOT NULL,
        withdrawn_at TEXT, withdrawn_why TEXT,
        redeemed_at TEXT, redeemed_key TEXT, redeemed_from TEXT
      ) WITHOUT ROWID;
      CREATE INDEX IF NOT EXISTS enrolments_by_kiosk ON enrolments (kiosk);
    `,
    postgres: `
      CREATE TABLE enrolments (
        token_hash text PRIMARY KEY, kiosk text NOT NULL, site text NOT NULL, direction text NOT NULL,
        created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, created_by text NOT NULL,
        withdrawn_at timestamptz, withdrawn_why text,
        redeemed_at timestamptz, redeemed_key text, redeemed_from text
      );
      CREATE INDEX enrolments_by_kiosk ON enrolments (kiosk);
    `,
  },
  {
    version: 9,
    what: 'alerts raised and cleared, with their history, and the notices (e-mail, webhook) they cause (storage/alerts.ts)',
    // The partial unique index is the rule "one alert in force per key": of two hub processes raising
    // the same condition at once, one INSERT gets the row and the other does nothing.
    sqlite: `
      CREATE TABLE IF NOT EXISTS alerts (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL, rule TEXT NOT NULL, site TEXT NOT NULL,
        kiosk TEXT, severity TEXT NOT NULL, detail TEXT NOT NULL, raised_at TEXT NOT NULL, cleared_at TEXT,
        raise_queued_at TEXT, clear_queued_at TEXT
      );
      CREATE UNIQUE INDEX IF NOT EXISTS alerts_in_force ON alerts (key) WHERE cleared_at IS NULL;
      CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (raised_at);
      CREATE TABLE IF NOT EXISTS notices (
        id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, channel TEXT NOT NULL,
        target TEXT NOT NULL, payload TEXT NOT NULL, created_at TEXT NOT NULL, due_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, lease_until TEXT, sent_at TEXT, failed_at TEXT, last_error TEXT
      );
      CREATE INDEX IF NOT EXISTS notices_due ON notices (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;
    `,
    postgres: `
      CREATE TABLE alerts (
        id serial PRIMARY KEY, key text NOT NULL, rule text NOT NULL, site text NOT NULL, kiosk text,
        severity text NOT NULL, detail text NOT NULL, raised_at timestamptz NOT NULL, cleared_at timestamptz,
        raise_queued_at timestamptz, clear_queued_at timestamptz
      );
      CREATE UNIQUE INDEX alerts_in_force ON alerts (key) WHERE cleared_at IS NULL;
      CREATE INDEX alerts_by_time ON alerts (raised_at);
      CREATE TABLE notices (
        id serial PRIMARY KEY, key text NOT NULL UNIQUE, channel text NOT NULL, target text NOT NULL,
        payload text NOT NULL, created_at timestamptz NOT NULL, due_at timestamptz NOT NULL,
        attempts integer NOT NULL DEFAULT 0, lease_until timestamptz, sent_at timestamptz,
        failed_at timestamptz, last_error text
      );
      CREATE INDEX notices_due ON notices (due_at) WHERE sent_at IS NULL AND failed_at IS NULL;
    `,
  },
  {
    version: 10,
    what: 'users: an optional e-mail (alerts, reports); one-time password-reset codes (storage/password-resets.ts), only their hash',
    // A reset code, like an enrolment code, is stored as its hash and spent by one UPDATE (single use);
    // a newer code for the same phone withdraws the older ones.
    sqlite: (db) => {
      if (!columnsOf(db, 'users').includes('email')) db.exec('ALTER TABLE users ADD COLUMN email TEXT');
      db.exec(`
        CREATE TABLE IF NOT EXISTS password_resets (
          code_hash TEXT PRIMARY KEY, phone TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL,
          created_by TEXT NOT NULL, used_at TEXT, withdrawn_at TEXT
        ) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS password_resets_by_phone ON password_resets (phone);
      `);
    },
    postgres: `
      ALTER TABLE users ADD COLUMN email text;
      CREATE TABLE password_resets (
        code_hash text PRIMARY KEY, phone text NOT NULL REFERENCES users (phone) ON DELETE CASCADE,
        created_at timestamptz NOT NULL, expires_at timestamptz NOT NULL, created_by text NOT NULL,
        used_at timestamptz, withdrawn_at timestamptz
      );
      CREATE INDEX password_resets_by_phone ON password_resets (phone);
    `,
  },
  {
    version: 11,
    what: 'software releases and staged rollouts (storage/releases.ts, hub/src/updates/)',
    sqlite: `
      CREATE TABLE IF NOT EXISTS releases (
        file TEXT PRIMARY KEY, version TEXT NOT NULL, arch TEXT NOT NULL, sha256 TEXT NOT NULL,
        size INTEGER NOT NULL, added_at TEXT NOT NULL, added_by TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rollouts (
        id TEXT PRIMARY KEY, version TEXT NOT NULL, state TEXT NOT NULL, stages TEXT NOT NULL,
        stage INTEGER NOT NULL, min_healthy INTEGER, detail TEXT, created_at TEXT NOT NULL,
        created_by TEXT NOT NULL, updated_at TEXT NOT NULL, revision INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE releases (
        file text PRIMARY KEY, version text NOT NULL, arch text NOT NULL, sha256 text NOT NULL,
        size bigint NOT NULL, added_at text NOT NULL, added_by text NOT NULL
      );
      CREATE TABLE rollouts (
        id text PRIMARY KEY, version text NOT NULL, state text NOT NULL, stages text NOT NULL,
        stage integer NOT NULL, min_healthy integer, detail text, created_at text NOT NULL,
        created_by text NOT NULL, updated_at text NOT NULL, revision integer NOT NULL
      );
    `,
  },
  {
    version: 12,
    what: 'commands sent to kiosks and the last doctor report of each (storage/fleet.ts)',
    sqlite: `
      CREATE TABLE IF NOT EXISTS kiosk_commands (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, kiosk TEXT NOT NULL, site TEXT NOT NULL, at TEXT NOT NULL,
        actor TEXT NOT NULL, command TEXT NOT NULL, ok INTEGER NOT NULL, result TEXT, error TEXT
      );
      CREATE INDEX IF NOT EXISTS kiosk_commands_by_kiosk ON kiosk_commands (kiosk, seq);
      CREATE TABLE IF NOT EXISTS doctor_reports (
        kiosk TEXT PRIMARY KEY, site TEXT NOT NULL, at TEXT NOT NULL, report TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE kiosk_commands (
        seq bigserial PRIMARY KEY, kiosk text NOT NULL, site text NOT NULL, at timestamptz NOT NULL,
        actor text NOT NULL, command text NOT NULL, ok boolean NOT NULL, result text, error text
      );
      CREATE INDEX kiosk_commands_by_kiosk ON kiosk_commands (kiosk, seq);
      CREATE TABLE doctor_reports (
        kiosk text PRIMARY KEY, site text NOT NULL, at timestamptz NOT NULL, report text NOT NULL
      );
    `,
  },
  {
    version: 13,
    what: 'kiosk telemetry snapshots for the kiosk page (storage/telemetry-history.ts): the newest few per kiosk',
    sqlite: `
      CREATE TABLE IF NOT EXISTS kiosk_telemetry (
        site TEXT NOT NULL, kiosk TEXT NOT NULL, at TEXT NOT NULL, telemetry TEXT NOT NULL,
        PRIMARY KEY (site, kiosk, at)
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE kiosk_telemetry (
        site text NOT NULL, kiosk text NOT NULL, at timestamptz NOT NULL, telemetry text NOT NULL,
        PRIMARY KEY (site, kiosk, at)
      );
    `,
  },
  {
    version: 14,
    what: 'per-kiosk command locks (a rotation at a time) and retired (revoked) kiosks (storage/fleet.ts)',
    sqlite: `
      CREATE TABLE IF NOT EXISTS kiosk_locks (
        kiosk TEXT PRIMARY KEY, holder TEXT NOT NULL, expires TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS retired_kiosks (
        kiosk TEXT PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
    postgres: `
      CREATE TABLE kiosk_locks (kiosk text PRIMARY KEY, holder text NOT NULL, expires timestamptz NOT NULL);
      CREATE TABLE retired_kiosks (kiosk text PRIMARY KEY, at timestamptz NOT NULL, actor text NOT NULL);
    `,
  },
  {
    version: 15,
    what: 'one person across documents (storage/links.ts): links between identity hashes; a site’s street address',
    sqlite: LINKS_SQLITE,
    postgres: LINKS_POSTGRES,
  },
  {
    version: 16,
    what: 'verify-only sites’ tallies (storage/tallies.ts): counted scans with no identity',
    sqlite: TALLIES_SQLITE,
    postgres: TALLIES_POSTGRES,
  },
  {
    version: 17,
    what: 'printed passes (storage/passes.ts, issue #20): pass id → person hash, scope, validity, revocation',
    sqlite: PASSES_SQLITE + PASS_CHECKINS_SQLITE,
    postgres: PASSES_POSTGRES + PASS_CHECKINS_POSTGRES,
  },
];

export const SCHEMA_VERSION = Math.max(...MIGRATIONS.map((m) => m.version));
