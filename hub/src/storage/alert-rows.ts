/** The rows of alerts and their notices (migration 9, storage/alerts.ts). */

export interface NewAlert {
  key: string;
  rule: string;
  site: string;
  kiosk: string | null;
  severity: string;
  /** JSON {vi, en}. */
  detail: string;
  raisedAt: Date;
}

export interface AlertRow {
  id: number;
  key: string;
  rule: string;
  site: string;
  kiosk: string | null;
  severity: string;
  detail: string;
  raisedAt: string;
  clearedAt: string | null;
}

/** A message to one destination (an e-mail address or a webhook URL), sent at most once per key. */
export interface NewNotice {
  /** e.g. `alert:12:raise:mail:a@b.vn`, `report:2026-11-26:hook:https://…`: the de-duplication. */
  key: string;
  channel: 'mail' | 'webhook';
  target: string;
  /** JSON of the rendered message (notify/messages.ts). */
  payload: string;
  /** Not before (quiet hours hold a warning until they end). */
  dueAt: Date;
}

export interface NoticeRow {
  id: number;
  key: string;
  channel: 'mail' | 'webhook';
  target: string;
  payload: string;
  createdAt: string;
  dueAt: string;
  attempts: number;
  sentAt: string | null;
  failedAt: string | null;
  lastError: string | null;
}

/**
 * Alerts and notices, for both engines. Every step that more than one hub process may take at once
 * is a single conditional statement, so exactly one process wins it:
 *   raise  — INSERT … ON CONFLICT DO NOTHING against a unique index on the key of alerts in force;
 *   clear  — UPDATE … WHERE cleared_at IS NULL;
 *   queue  — notices have a unique key (INSERT … ON CONFLICT DO NOTHING);
 *   send   — a notice is leased (lease_until) by the process that takes it.
 */
export interface AlertStorage {
  /** The new alert, or null when one with this key is in force already (another process raised it). */
  raise(a: NewAlert): Promise<AlertRow | null>;
  /**
   * The cleared alert, or null when it was cleared already. `silent`: closed in the history with
   * its "cleared" notices marked as done in the same statement (nobody is told).
   */
  clear(id: number, at: Date, silent?: boolean): Promise<AlertRow | null>;
  /** Alerts in force (`active`) or all, newest first; of these `sites` only when given (the limit applies after). */
  list(active: boolean, limit: number, sites?: ReadonlyArray<string>): Promise<AlertRow[]>;
  /** Raises and clears whose notices are not queued yet. */
  unannounced(limit: number): Promise<Array<AlertRow & { event: 'raise' | 'clear' }>>;
  /** Records that an alert's raise (or clear) notices are queued. */
  announced(id: number, event: 'raise' | 'clear', at: Date): Promise<void>;
  /** Queues notices; those whose key is there already are left out. Returns how many were new. */
  queue(notices: ReadonlyArray<NewNotice>, at: Date): Promise<number>;
  /** Leases up to `limit` due notices for `leaseMs` (attempts counted); another process skips them. */
  take(now: Date, leaseMs: number, limit: number): Promise<NoticeRow[]>;
  sent(id: number, at: Date): Promise<void>;
  /** A failed try: retried at `retryAt`, or given up (null). */
  failed(id: number, at: Date, error: string, retryAt: Date | null): Promise<void>;
  notices(limit: number): Promise<NoticeRow[]>;
  /** Retention: notices sent or given up that were queued before `before` (they hold addresses and reports). */
  purgeNotices(before: Date): Promise<number>;
}
