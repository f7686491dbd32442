import type { KeyObject } from 'node:crypto';
import type { FreshnessStatement } from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import { type BrokerLogin, publishFleet } from './publish.js';
import { brokerRetained, type RetainedReader } from './retained-versions.js';
import { publishFreshness } from './use-cases/freshness.js';

export interface Text {
  vi: string;
  en: string;
}

/** What the fleet page shows of the hub's own side of freshness (GET /api/fleet/freshness). */
export interface FreshnessStatus {
  /** The hub has a signing key and states freshness on a timer. */
  publishing: boolean;
  everyMinutes: number;
  /** The last statement that reached the broker, and when it was issued. */
  lastIssuedAt: string | null;
  statement: FreshnessStatement | null;
  /** Why kiosks are not being told (no key), or why the last attempt failed; null when all is well. */
  problem: Text | null;
}

export const NO_KEY: Text = {
  vi: 'Trung tâm không có khóa ký nên không gửi tuyên bố độ mới (fleet/fresh): dữ liệu trên kiosk sẽ quá cũ khi hết giới hạn trong quy tắc và kiosk chuyển mọi lượt cho phép thành KIỂM TRA. Đặt fleet.signingKeyFile (hoặc enrolment.signingKeyFile) trong hub.yaml',
  en: 'The hub has no signing key, so it sends no freshness statement (fleet/fresh): kiosks will count their data as too old once the limits in the rules pass, and turn every ALLOW into REVIEW. Set fleet.signingKeyFile (or enrolment.signingKeyFile) in hub.yaml',
};

/** The daemon's folder holds no publication: said on the page, checked again at the next tick. */
const nothingRecorded = (dir: string): Text => ({
  vi: `Chưa có gì được gửi từ ${dir} (publish-* chưa chạy, hoặc fleet.stateDir sai): không gửi tuyên bố độ mới`,
  en: `Nothing was ever published from ${dir} (publish-* not run, or fleet.stateDir wrong): no freshness statement sent`,
});

/** After a failed statement (broker down), tried again this soon rather than a whole period later. */
export const FRESHNESS_RETRY_MS = 60_000;

/** hub.yaml `fleet:` as the daemon uses it (cli-run.ts). */
export interface FreshnessOptions {
  /** Where the publish-* commands record what they published (published-versions.ts). */
  stateDir: string;
  everyMs: number;
  /** None: the hub says why kiosks will go stale (log, page) and publishes nothing. */
  signing?: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  /** Where the statement goes; default: retained on fleet/fresh over the hub's broker login. */
  publish?: (payload: Buffer) => Promise<void>;
  /**
   * Where a list never recorded in stateDir is read back from (an upgrade from before issue #19); default: the
   * hub's broker, unless `publish` is replaced (then none unless given).
   */
  retained?: RetainedReader;
  /** The pass list's last published version (the hub database's, issue #20). */
  passes?: () => Promise<number | null>;
}

/**
 * The daemon's side of publishFreshness: once at start, then every `everyMs`, over the hub's own broker login;
 * one statement at a time. No key: says why once (log and page) and publishes nothing. start()/stop(); the
 * constructor does nothing.
 */
export class FreshnessPublisher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again: Promise<void> | undefined;
  private stopped = false;
  private last: { statement: FreshnessStatement } | undefined;
  private failure: Text | null = null;

  private readonly publish: (payload: Buffer) => Promise<void>;
  private readonly retained: RetainedReader | undefined;

  constructor(
    private readonly options: FreshnessOptions,
    login: BrokerLogin,
    private readonly log: Logger,
    private readonly metrics?: { freshnessStated(issuedAt: Date): void },
  ) {
    this.publish = options.publish ?? ((payload) => publishFleet(login, [{ kind: 'fresh', payload }]));
    this.retained = options.retained ?? (options.publish ? undefined : brokerRetained(login));
  }

  start(): void {
    if (!this.options.signing) {
      this.log.warn({ text: NO_KEY }, NO_KEY.en);
      return;
    }
    this.tick();
  }

  /** One statement now (unless one is on its way); resolves when it is out or has failed (logged). */
  tick(): Promise<void> {
    const signing = this.options.signing;
    if (!signing || this.stopped) return Promise.resolve();
    if (this.running) {
      // The statement on its way read the versions before this call (a pass list just published): one more after it.
      this.again ??= this.running.then(() => {
        this.again = undefined;
        return this.tick();
      });
      return this.again;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = publishFreshness({
      stateDir: this.options.stateDir,
      signing,
      publish: this.publish,
      skipIfEmpty: true,
      ...(this.retained ? { retained: this.retained } : {}),
      ...(this.options.passes ? { passes: this.options.passes } : {}),
    })
      .then((result) => {
        if (!result) {
          this.failure = nothingRecorded(this.options.stateDir);
          return this.options.everyMs;
        }
        const { statement, problems, recovered } = result;
        if (recovered.length > 0)
          this.log.warn(
            { recovered, stateDir: this.options.stateDir },
            'versions never recorded here read back from the broker',
          );
        this.last = { statement };
        this.failure = null;
        this.metrics?.freshnessStated(new Date(statement.issuedAt));
        if (problems.length > 0)
          this.log.error({ problems }, 'freshness statement: some versions unreadable, stated as null');
        this.log.info({ statement }, 'freshness statement published');
        return this.options.everyMs;
      })
      .catch((err: unknown) => {
        this.failure = {
          vi: `Gửi tuyên bố độ mới lỗi: ${(err as Error).message}; thử lại sau 1 phút`,
          en: `Publishing the freshness statement failed: ${(err as Error).message}; tried again in 1 minute`,
        };
        this.log.error({ err }, 'freshness statement not published; tried again soon');
        return Math.min(this.options.everyMs, FRESHNESS_RETRY_MS);
      })
      .then((nextMs) => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => void this.tick(), nextMs).unref();
      });
    return this.running;
  }

  status(): FreshnessStatus {
    return {
      publishing: this.options.signing !== undefined,
      everyMinutes: Math.round(this.options.everyMs / 60_000),
      lastIssuedAt: this.last?.statement.issuedAt ?? null,
      statement: this.last?.statement ?? null,
      problem: this.options.signing ? this.failure : NO_KEY,
    };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.again;
    await this.running;
  }
}
