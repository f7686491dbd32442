import { peekPassListHeader } from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import { type BrokerLogin, publishFleet } from '../publish.js';
import { brokerRetained, type RetainedReader } from '../retained-versions.js';
import type { HubStore } from '../store.js';
import { type PassDeps, type PassListPublication, publishPassList } from '../use-cases/passes.js';

export interface PassListPublisherOptions {
  /** The store, signing key, province (hub.yaml passes) the list is built from. */
  deps: PassDeps;
  /** Where a signed list goes: retained on fleet/passes over the hub's broker login. */
  send: (file: Buffer) => Promise<void>;
  /**
   * The periodic check (every fleet.freshnessMinutes): publishes again when the list changed (a pass
   * expired) or the broker no longer retains the last list any hub process sent (the database's
   * pass_list_state: version and digest); otherwise the freshness statement alone keeps `passes` fresh
   * on kiosks, and a 400,000-pass list (14 MB) is not sent to every kiosk every hour — nor by two hub
   * processes in turn (review 2 finding 3). 0: none.
   */
  everyMs: number;
  /** A failed publish is asked again after this long (default PASS_LIST_RETRY_MS); 0: not. */
  retryMs?: number;
  /** The broker's retained fleet/passes, for the periodic check; none: the check always publishes. */
  retained?: RetainedReader;
  log: Logger;
  /** After each list that reached the broker (the daemon restates fleet/fresh with its version). */
  published?: () => void;
}

/**
 * The hub daemon's one pass-list publisher (issue #20). Every issue, CSV batch, revoke and site-register
 * change calls request(); publishes are serialised (one in flight) and coalesced (one queued: the
 * requests made during a publish are all served by the next, which reads the database after them).
 * Versions come from the database (publishPassList), so this process, another hub process and the CLI
 * never sign two lists under one version. start()/stop(); the constructor does nothing.
 */
/**
 * A publish that failed (the broker unreachable) is asked again after a minute, as the freshness
 * statement's FRESHNESS_RETRY_MS: a revoke must not wait for the periodic check (up to an hour) while
 * kiosks keep confirming the list without it (review 2 finding 5).
 */
export const PASS_LIST_RETRY_MS = 60_000;

export class PassListPublisher {
  private running: Promise<PassListPublication | null> | undefined;
  private queued: Promise<PassListPublication> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  last: PassListPublication | undefined;

  constructor(readonly options: PassListPublisherOptions) {}

  /**
   * A list that includes everything stored before this call, published: resolves with it, rejects when
   * that publish failed (the caller logs it; it is asked again after retryMs).
   */
  request(): Promise<PassListPublication> {
    if (!this.running) return this.run() as Promise<PassListPublication>;
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = undefined;
        return this.run() as Promise<PassListPublication>;
      });
    return this.queued;
  }

  /**
   * The periodic check: a list only if it changed or the broker lost the last one sent; null
   * when nothing was sent (also while a publish is on its way: that one is fresher anyway).
   */
  refresh(): Promise<PassListPublication | null> {
    if (this.running) return Promise.resolve(null);
    return this.run((digest) => this.unchanged(digest));
  }

  /** The periodic check on a timer, the first one now (a restarted hub publishes only if needed). */
  start(): void {
    if (this.options.everyMs <= 0 || !this.options.deps.signing) return;
    const tick = () => {
      this.refresh()
        .catch(() => undefined)
        .finally(() => {
          if (!this.stopped) this.timer = setTimeout(tick, this.options.everyMs).unref();
        });
    };
    tick();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.retry) clearTimeout(this.retry);
    await this.queued?.catch(() => undefined);
    await this.running?.catch(() => undefined);
  }

  /** What the pass routes need besides the publisher: the same key, province and default validity. */
  routeOptions() {
    const { store: _, now: __, ...deps } = this.options.deps;
    return deps;
  }

  /**
   * The same list as the last one any hub process sent (the database's record, not this process's:
   * another process's newer list is not "lost"), and the broker retains that one or a newer one.
   */
  private async unchanged(digest: string): Promise<boolean> {
    if (!this.options.retained) return false;
    const last = await this.options.deps.store.repo.passes.publishedList();
    if (!last || last.digest !== digest) return false;
    const payload = (await this.options.retained(['passes'])).passes;
    const retained = payload === undefined ? undefined : peekPassListHeader(payload)?.version;
    return retained !== undefined && retained >= last.version;
  }

  private retryLater(): void {
    const ms = this.options.retryMs ?? PASS_LIST_RETRY_MS;
    if (ms <= 0 || this.stopped || this.retry) return;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.request().catch(() => undefined);
    }, ms).unref();
  }

  private run(unless?: (digest: string) => Promise<boolean>): Promise<PassListPublication | null> {
    const log = this.options.log;
    const send = this.options.send;
    const p = publishPassList({ ...this.options.deps, send, unless: unless ?? (async () => false) })
      .then((r) => {
        if (!r) return r;
        this.last = r;
        this.options.published?.();
        log.info(
          { version: r.version, count: r.count, revoked: r.revoked, bytes: r.bytes },
          'pass list published',
        );
        if (r.uncoded.length > 0)
          log.warn({ sites: r.uncoded }, 'sites whose ward no pass can name: ward passes are refused there');
        return r;
      })
      .catch((err: unknown) => {
        log.error({ err }, 'pass list not published; asked again shortly (retryMs)');
        this.retryLater();
        throw err;
      })
      .finally(() => {
        if (this.running === p) this.running = undefined;
      });
    this.running = p;
    return p;
  }
}

/**
 * The daemon's publisher: retained on fleet/passes over the hub's own broker login, every
 * fleet.freshnessMinutes, and after every change of the site register.
 */
export function daemonPassPublisher(
  store: HubStore,
  fleet: { signing?: PassDeps['signing']; everyMs: number } | undefined,
  settings: { province: string | null; validDays: number } | undefined,
  login: BrokerLogin,
  log: Logger,
  published?: () => void,
): PassListPublisher | undefined {
  if (!fleet?.signing) return undefined;
  const publisher = new PassListPublisher({
    deps: {
      store,
      signing: fleet.signing,
      ...(settings ? { province: settings.province, validDays: settings.validDays } : {}),
    },
    send: (payload) => publishFleet(login, [{ kind: 'passes', payload }]),
    retained: brokerRetained(login),
    everyMs: fleet.everyMs,
    log,
    ...(published ? { published } : {}),
  });
  // A site moved to another ward, or a new one: its area must reach kiosks before its next issue.
  store.onSitesChanged = () => void publisher.request().catch(() => undefined);
  return publisher;
}
