import type { EventBus } from '../bus.js';
import type { Notifier } from './notify.js';

/** What a technician needs from `systemctl status qrkiosk`, read from the kiosk's telemetry and the bus. */
export interface StatusFacts {
  scanner: 'ready' | 'lost' | 'dead';
  /** A short code the input gave (`gm65-trigger-failed`, `scanner-not-found`…), shown with `lost`. */
  scannerError?: string;
  hubOnline: boolean;
  outbox: number;
  faults: readonly string[];
}

const SCANNER = {
  ready: { vi: 'sẵn sàng', en: 'ready' },
  lost: { vi: 'mất kết nối', en: 'lost' },
  dead: { vi: 'hỏng, chờ khởi động lại', en: 'input dead, restart pending' },
} as const;

/** One line, Vietnamese first: `systemctl status` shows it as `Status: "…"`, cut at the terminal's width. */
export function statusLine(f: StatusFacts): string {
  const why = f.scanner === 'lost' && f.scannerError ? ` (${f.scannerError})` : '';
  const faults = f.faults.length > 0 ? f.faults.join(', ') : undefined;
  const vi = [
    `Đầu đọc: ${SCANNER[f.scanner].vi}${why}`,
    `máy chủ: ${f.hubOnline ? 'trực tuyến' : 'ngoại tuyến'}`,
    `chờ gửi: ${f.outbox}`,
    ...(faults ? [`lỗi: ${faults}`] : []),
  ];
  const en = [
    `Scanner: ${SCANNER[f.scanner].en}${why}`,
    `hub: ${f.hubOnline ? 'online' : 'offline'}`,
    `outbox: ${f.outbox}`,
    ...(faults ? [`faults: ${faults}`] : []),
  ];
  return `${vi.join('; ')} | ${en.join('; ')}`;
}

/** Only codes go on the status line: the inputs' free-text problems carry paths and OS messages. */
const CODE = /^[a-z0-9][a-z0-9-]{0,40}$/;

export interface StatusSource {
  bus: EventBus;
  /** The kiosk's readings (Controller.telemetry()): outbox depth and faults. */
  readings: () => { outboxDepth: number; faults?: readonly string[] };
  /** Why the input is dead, if it is (ScanPathHealth.dead). */
  dead: () => string | undefined;
}

/**
 * Sends `STATUS=` when the line changes: at once on the news that changes it (scanner, hub link, faults),
 * and every `refreshMs` for the outbox depth, which moves with every scan and delivery and so is read on a
 * timer, not per scan. An unchanged line is not sent again.
 */
export class StatusReporter {
  private last = '';
  private hubOnline = false;
  // From the event itself, not the readings: this listener may run before the controller's own.
  private scannerConnected = false;
  private scannerError: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly notifier: Notifier,
    private readonly source: StatusSource,
    private readonly refreshMs: number,
  ) {}

  /** Follows the news from now on (before Controller.start(): the hub may connect before READY). Sends nothing yet. */
  watch(): void {
    if (!this.notifier.enabled || this.offs.length > 0) return;
    const { bus } = this.source;
    this.offs.push(
      bus.on('scanner.status', (s) => {
        this.scannerConnected = s.connected;
        this.scannerError = s.connected ? undefined : s.error && CODE.test(s.error) ? s.error : undefined;
        this.refresh();
      }),
      bus.on('scanner.life', () => this.refresh()),
      bus.on('uplink.status', (s) => {
        this.hubOnline = s.connected;
        this.refresh();
      }),
      bus.on('fault', () => this.refresh()),
    );
  }

  /** Sends the line now and keeps it current (after Controller.start(): the readings need an open journal). */
  start(): void {
    if (!this.notifier.enabled || this.timer) return;
    this.timer = setInterval(() => this.refresh(), this.refreshMs);
    this.timer.unref();
    this.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    for (const off of this.offs.splice(0)) off();
  }

  refresh(): void {
    if (!this.timer) return;
    const r = this.source.readings();
    const line = statusLine({
      scanner: this.source.dead() ? 'dead' : this.scannerConnected ? 'ready' : 'lost',
      ...(this.scannerError ? { scannerError: this.scannerError } : {}),
      hubOnline: this.hubOnline,
      outbox: r.outboxDepth,
      faults: r.faults ?? [],
    });
    if (line === this.last) return;
    this.last = line;
    this.notifier.send(`STATUS=${line}`);
  }
}
