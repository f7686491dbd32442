import type { CheckinMessage, KioskState, OutcomeMessage, TelemetryMessage } from '@qrkiosk/protocol';
import type { AlertStorage } from './alert-rows.js';
import type { AuditRow } from './audit-row.js';
import type { RetimeResult } from './boots.js';
import type { EnrolmentRecords } from './enrolments.js';
import type { FleetRecords } from './fleet.js';
import type { LinkStorage } from './links.js';
import type { SiteMovements } from './occupancy.js';
import type { PassRecords } from './passes.js';
import type { NewPasswordReset, ResetClaim, ResetRefusal } from './password-resets.js';
import type { ReleaseRecords } from './releases.js';
import type { TallyStorage } from './tallies.js';
import type { SnapshotRecords } from './telemetry-history.js';

export type { AlertRow, AlertStorage, NewAlert, NewNotice, NoticeRow } from './alert-rows.js';
export type { AuditRow } from './audit-row.js';
export type { Claim, ClaimRefusal, EnrolmentRow, NewEnrolment } from './enrolment-rows.js';
export type { EnrolmentRecords } from './enrolments.js';
export type { FleetRecords, KioskCommandRow, NewKioskCommand } from './fleet.js';
export type { LinkSource, LinkStorage } from './links.js';
export type { OfficerPass, PassQuery, PassRecords, PassRow } from './passes.js';
export type { NewPasswordReset, ResetClaim, ResetRefusal } from './password-resets.js';
export type { ReleaseRecords, ReleaseRow, RolloutChange, RolloutRow } from './releases.js';
export type { SnapshotRecords, TelemetrySnapshot } from './telemetry-history.js';

/** A check-in to store. `atReported`: the kiosk's own time, when `checkin.at` was re-timed on ingest. */
export interface CheckinRow {
  checkin: CheckinMessage;
  receivedAt: Date;
  atReported?: string;
}

/**
 * The hub's storage, as the rest of the hub sees it: small queries, no SQL outside this folder.
 * Two engines implement it — embedded SQLite (default) and PostgreSQL (several hub processes,
 * bigger provinces) — and everything above (ingest, reports, tracing, users, pages) is one code
 * path over this interface. All methods are async because PostgreSQL is.
 *
 * Times go in as Date and come out as ISO-8601 UTC strings. Check-in ids are primary keys: a repeat
 * delivery (QoS 1, a kiosk replaying its outbox, two hub processes) is recognised and dropped here.
 */
export interface HubRepository {
  readonly engine: 'sqlite' | 'postgres';
  /** Alerts, their history and notices (storage/alerts.ts, migration 9). */
  readonly alerts: AlertStorage;
  /** Links between identity hashes, one person across documents (storage/links.ts, migration 15). */
  readonly links: LinkStorage;
  /** Verify-only sites' tallies: counted scans with no identity (storage/tallies.ts, migration 16). */
  readonly tallies: TallyStorage;

  /**
   * Stores check-ins in one transaction; returns the ids that were new (duplicates are left out: a
   * stored row, re-timed or not, is never replaced by a copy). A check-in made with an unsynced clock
   * keeps its boot id and uptime for re-timing. The links a scan carries (`document.links`) are added
   * in the same transaction (source 'scan'), for duplicates too.
   */
  addCheckins(batch: ReadonlyArray<CheckinRow>): Promise<Set<string>>;
  /** When each of these boots of a kiosk began (ms since the epoch), for the boots already learned. */
  bootsBegan(kiosk: string, bootIds: string[]): Promise<Map<string, number>>;
  /**
   * Learns when a kiosk's boot began (the first value learned stays) and re-times that boot's
   * check-ins not re-timed yet, in one transaction; returns the start in force and what moved.
   */
  retimeBoot(kiosk: string, bootId: string, beganMs: number, at: Date): Promise<RetimeResult>;
  recent(limit: number): Promise<CheckinMessage[]>;
  /** Stores a guard's outcome (storage/outcomes.ts); false when its id was already there. */
  addOutcome(outcome: OutcomeMessage, receivedAt: Date): Promise<boolean>;
  /** The site and kiosk of a stored check-in or tally (an outcome must come from the kiosk that made it). */
  checkinOwner(id: string): Promise<{ site: string; kiosk: string } | undefined>;
  /** The outcomes that resolve a check-in, oldest first. */
  outcomesOf(checkin: string): Promise<OutcomeMessage[]>;
  /** Which of these check-ins the door sensor marked `not-entered` (issue #19; storage/outcomes.ts). */
  notEntered(checkins: readonly string[]): Promise<Set<string>>;
  /** A site's check-ins, tallies and admit/left outcomes in [from, to), for its occupancy (storage/occupancy.ts). */
  siteMovements(site: string, from: Date, to: Date): Promise<SiteMovements>;
  countsSince(since: Date): Promise<Array<{ site: string; n: number }>>;
  /** Check-ins (and verify-only tallies) per Vietnam-local hour (0–23) per site since `since`. */
  hourly(since: Date): Promise<Array<{ site: string; hour: number; n: number }>>;
  checkinCount(): Promise<number>;
  /** A person's check-ins (by identity hash) in [from, to), oldest first. */
  visits(idHash: string, from: Date, to: Date): Promise<CheckinMessage[]>;
  /**
   * Everyone else at `site` in [from, to] (inclusive: ±N minutes around a visit), but not a check-in
   * marked `not-entered`: that person never came in.
   */
  around(site: string, from: Date, to: Date, exceptIdHash: string): Promise<CheckinMessage[]>;
  /** Check-ins (and verify-only tallies) and verdicts per site in [from, to). */
  verdictCounts(from: Date, to: Date): Promise<SiteCounts[]>;
  /**
   * Retention: deletes check-ins past it — those that arrived before `olderThan` and whose own time
   * is before it too, or more than a day after their arrival (a kiosk clock far in the future would
   * otherwise keep them for ever; one in the past, 1970 or 2000, is kept for the retention after it
   * arrived, not deleted at the first purge) — and boot starts learned before it. Returns how many
   * check-ins.
   */
  purge(olderThan: Date): Promise<number>;
  /** Retention of dead letters (the same period as check-ins: their payloads hold the same data). */
  purgeDeadLetters(olderThan: Date): Promise<number>;

  setKioskState(site: string, kiosk: string, state: KioskState, at: Date): Promise<void>;
  setKioskTelemetry(t: TelemetryMessage, at: Date): Promise<void>;
  kiosks(): Promise<KioskRow[]>;
  /** Telemetry snapshots for the kiosk page (storage/telemetry-history.ts, migration 13). */
  readonly snapshots: SnapshotRecords;
  /** Kiosks first seen in [from, to). */
  newKiosks(from: Date, to: Date): Promise<Array<{ site: string; kiosk: string }>>;

  /**
   * Registered sites (name, ward, district, address); adding an existing id updates it. A site given
   * without `address` keeps the stored one.
   */
  upsertSites(sites: ReadonlyArray<SiteInput>, at: Date): Promise<void>;
  sites(): Promise<SiteInfo[]>;

  /** The site a kiosk is bound to (kiosk-registry.ts), or null. */
  kioskBinding(kiosk: string): Promise<KioskBinding | null>;
  /** Binds a kiosk unless it is bound already; returns the binding in force either way. */
  bindKiosk(b: KioskBinding, at: Date): Promise<KioskBinding>;
  /** Binds a kiosk to a site, replacing any binding (the operator's register). */
  registerKiosk(b: KioskBinding, at: Date): Promise<void>;
  kioskBindings(): Promise<KioskBinding[]>;

  /** Enrolment codes (storage/enrolments.ts, migration 8): single-use redemption. */
  readonly enrolments: EnrolmentRecords;

  /** Commands sent to kiosks and their last doctor reports (storage/fleet.ts, migration 12). */
  readonly fleet: FleetRecords;

  saveReport(day: string, report: string, at: Date): Promise<void>;
  savedReport(day: string): Promise<{ generatedAt: string; report: string } | null>;

  audit(actor: string, action: string, detail: Record<string, unknown>, at: Date): Promise<void>;
  auditLog(limit: number): Promise<AuditRow[]>;
  deadLetter(topic: string, reason: string, payload: Buffer, at: Date): Promise<void>;
  deadLetterCount(): Promise<number>;
  /** Dead letters, oldest first (`id`: just that one). */
  deadLetters(options: { id?: number; limit?: number }): Promise<DeadLetterRow[]>;
  deleteDeadLetter(id: number): Promise<void>;

  /**
   * Adds a user or changes one (password, role, scope). A change ends every session of that user,
   * in the same transaction: what was allowed under the old password or scope stops at once.
   * Returns whether the user existed and how many sessions were ended.
   */
  upsertUser(u: NewUserRow): Promise<{ existed: boolean; sessionsEnded: number }>;
  user(phone: string): Promise<UserRow | null>;
  users(): Promise<UserRow[]>;
  /** Disables or enables a user, ending their sessions; null when there is no such user. */
  setUserDisabled(phone: string, disabled: boolean): Promise<{ sessionsEnded: number } | null>;
  /** Removes a user and their sessions; null when there is no such user. */
  deleteUser(phone: string): Promise<{ sessionsEnded: number } | null>;
  /**
   * Changes a user's role, scope, e-mail, disabled flag or password (absent fields kept) in one
   * transaction, ending their sessions — all but `keepSession` — when anything but the e-mail
   * changed; null when there is no such user. This, upsertUser, setUserDisabled and deleteUser
   * throw LastAdminError (storage/user-changes.ts) rather than leave no enabled admin.
   */
  updateUser(phone: string, change: UserChange, keepSession?: string): Promise<UpdateResult>;
  /** Adds a one-time reset code (its hash), withdrawing the phone's older unused ones; returns how many. */
  addPasswordReset(r: NewPasswordReset): Promise<number>;
  /** Why a reset code would be refused at `at`, or null (read only: the claim still decides). */
  peekPasswordReset(codeHash: string, phone: string, at: Date): Promise<ResetRefusal | null>;
  /**
   * Spends a reset code at most once and, in the same transaction, sets the new password hash and
   * ends the user's sessions; of concurrent redemptions exactly one succeeds.
   */
  redeemPasswordReset(codeHash: string, phone: string, at: Date, passwordHash: string): Promise<ResetClaim>;
  addSession(s: SessionRow, now: Date): Promise<void>;
  /** A session of an enabled user (a disabled user's sessions are gone, and never read back). */
  session(id: string): Promise<(SessionRow & { user: UserRow }) | null>;
  deleteSession(id: string): Promise<void>;

  /**
   * Takes one login attempt for an account, atomically (one transaction, the row locked): refused
   * while `lockMs(failures)` since the last attempt has not passed, otherwise counted as a failure
   * up front — a success clears it after. Counting first is what bounds a burst of parallel guesses:
   * checking first and counting after let every request of a burst read the same count.
   * Counts are forgotten LOGIN_FAILURE_MEMORY_MS after the last attempt.
   */
  takeLoginAttempt(
    account: string,
    now: Date,
    lockMs: (failures: number) => number,
  ): Promise<{ allowed: true } | { allowed: false; retryAfterMs: number }>;
  clearLoginFailures(account: string): Promise<void>;
  /** Drops counts whose last attempt is older than `before` (they are forgotten anyway). */
  forgetLoginFailures(before: Date): Promise<number>;

  /** Release bundles and rollouts (storage/releases.ts, migration 11). */
  readonly releases: ReleaseRecords;
  /** Printed passes (storage/passes.ts, migration 17, issue #20). */
  readonly passes: PassRecords;

  /** One round trip reading no table (`SELECT 1`): the health check's probe (routes/health.ts). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export interface SiteCounts {
  site: string;
  scans: number;
  allowed: number;
  refused: number;
  review: number;
}

export interface SiteInfo {
  site: string;
  name: string;
  /** Administrative codes (or names) as the province uses them: quận/huyện and phường/xã. */
  district: string;
  ward: string;
  /** Street address for the F1 list ('' when the register gave none; migration 15). */
  address: string;
}

/** A site to register: without `address`, a site already registered keeps its address ('' if new). */
export type SiteInput = Omit<SiteInfo, 'address'> & { address?: string };

export interface KioskBinding {
  kiosk: string;
  site: string;
  /** `registered` by the operator (CLI), or `first-use`: taken from the kiosk's first message. */
  how: 'registered' | 'first-use';
}

export interface KioskRow {
  site: string;
  kiosk: string;
  state: KioskState;
  lastSeen: string;
  /** The last telemetry message, JSON (null until the kiosk sent one). */
  telemetry: string | null;
}

export interface UserRow {
  phone: string;
  /** argon2id hash. */
  password: string;
  role: string;
  /** JSON array of scope entries. */
  sites: string;
  createdAt: string;
  /** A disabled user cannot log in and has no sessions. */
  disabled: boolean;
  /** Where alerts and daily reports reach the user (migration 10); null: none given. */
  email: string | null;
}

/** What a change sets; an absent field is kept. `sites`: the JSON array; `password`: the argon2id hash. */
export interface UserChange {
  role?: string;
  sites?: string;
  email?: string | null;
  disabled?: boolean;
  password?: string;
}

/** The user as it was before a change, and how many of their sessions the change ended; null: no such user. */
export type UpdateResult = { before: UserRow; sessionsEnded: number } | null;

/** A user to add or change: `email` undefined keeps the stored one (null clears it). */
export type NewUserRow = Omit<UserRow, 'disabled' | 'email'> & { email?: string | null };

export interface DeadLetterRow {
  id: number;
  topic: string;
  reason: string;
  payload: Buffer;
  receivedAt: string;
}

/** Failed-login counts older than this are forgotten (a back-off, not a permanent lock). */
export const LOGIN_FAILURE_MEMORY_MS = 86_400_000;

export interface SessionRow {
  id: string;
  phone: string;
  csrf: string;
  expiresAt: number;
}
