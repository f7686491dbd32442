import type { SiteInfo } from '../storage/index.js';
import { canSee, type Role, type Users } from '../users.js';

/**
 * Who receives e-mail: anyone with an address, a role and a scope (site ids, `district:`, `ward:`,
 * `*` — as users have): the hub's users who gave an address (users.email, migration 10) and the
 * extra mailboxes of hub.yaml `notify.recipients` (a shared inbox).
 */
export interface Recipient {
  email: string;
  role: Role;
  sites: string[];
}

export interface RecipientSource {
  recipients(): Promise<Recipient[]>;
}

/** A fixed list (hub.yaml `notify.recipients`). */
export class ListedRecipients implements RecipientSource {
  constructor(private readonly list: ReadonlyArray<Recipient>) {}
  async recipients(): Promise<Recipient[]> {
    return [...this.list];
  }
}

/**
 * The hub's users with an e-mail, read at each use: a user added, disabled or re-scoped on the page
 * is mailed accordingly from the next alert on.
 */
export class UserRecipients implements RecipientSource {
  constructor(private readonly users: Pick<Users, 'list'>) {}
  async recipients(): Promise<Recipient[]> {
    return (await this.users.list())
      .filter((u) => !u.disabled && u.email)
      .map((u) => ({ email: u.email as string, role: u.role, sites: u.sites }));
  }
}

/** Several sources as one; an address listed twice gets one message (the first entry's scope wins). */
export class AllRecipients implements RecipientSource {
  constructor(private readonly sources: ReadonlyArray<RecipientSource>) {}
  async recipients(): Promise<Recipient[]> {
    const seen = new Map<string, Recipient>();
    for (const s of this.sources)
      for (const r of await s.recipients()) {
        const key = r.email.toLowerCase();
        if (!seen.has(key)) seen.set(key, r);
      }
    return [...seen.values()];
  }
}

/** Which rule ids (or `*`, `report`) each role is sent (hub.yaml `notify.subscriptions`). */
export type Subscriptions = Readonly<Record<Role, ReadonlyArray<string>>>;

/** Whether a subscription list takes `event`: a rule id, or `report`. `*` is every alert rule, not the report. */
export function wants(list: ReadonlyArray<string>, event: string): boolean {
  return list.includes(event) || (event !== 'report' && list.includes('*'));
}

/** Whether a scope (a user's, a recipient's, a webhook's areas) covers a site. */
export function covers(
  scope: ReadonlyArray<string>,
  site: string,
  directory: ReadonlyMap<string, SiteInfo>,
): boolean {
  return canSee({ phone: '', role: 'officer', sites: [...scope], email: null }, site, directory);
}

/** The recipients of one alert: subscribed by role, with the alert's site in scope. */
export function alertRecipients(
  all: ReadonlyArray<Recipient>,
  subscriptions: Subscriptions,
  rule: string,
  site: string,
  directory: ReadonlyMap<string, SiteInfo>,
): Recipient[] {
  return all.filter((r) => wants(subscriptions[r.role] ?? [], rule) && covers(r.sites, site, directory));
}
