import type { SiteInfo } from '../storage/index.js';
import { canSee, type Role } from '../users.js';

/**
 * Who receives e-mail: anyone with an address, a role and a scope (site ids, `district:`, `ward:`,
 * `*` — as users have). Today they come from hub.yaml `notify.recipients`; users' own addresses
 * (users.email, migration 10) join through another RecipientSource when that lands.
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
  return canSee({ phone: '', role: 'officer', sites: [...scope] }, site, directory);
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
