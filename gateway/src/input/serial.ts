import { existsSync } from 'node:fs';
import { InterByteTimeoutParser } from '@serialport/parser-inter-byte-timeout';
import { ReadlineParser } from '@serialport/parser-readline';
import { SerialPort } from 'serialport';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings/schema.js';
import { Backoff } from './backoff.js';
import { Gm65Error } from './gm65.js';
import { Gm65Demux } from './gm65-demux.js';
import { InputLife } from './life.js';

export type ScannerSettings = Settings['scanner'];

/** A source of raw scanner lines with its own life: start() never throws, stop() releases the device. */
export interface ScannerInput {
  start(): void;
  stop(): Promise<void>;
}

const DELIMITERS = { CR: '\r', LF: '\n', CRLF: '\r\n' } as const;
const DEFAULT_PATH = '/dev/ttyACM0';
/** Longest input accepted between two terminators (the decoder refuses anything over 8192 characters anyway). */
const MAX_LINE_BYTES = 16 * 1024;

export interface SerialDeps {
  list: () => Promise<Array<{ path: string; vendorId?: string; productId?: string; serialNumber?: string }>>;
  exists: (path: string) => boolean;
}

const realDeps: SerialDeps = { list: () => SerialPort.list(), exists: existsSync };

/** The port a scanner setting points at: by VID/PID/serial number when given, else by path. */
export async function resolveSerialPath(
  s: ScannerSettings,
  deps: SerialDeps = realDeps,
): Promise<string | null> {
  if (s.vendorId || s.productId || s.serialNumber) {
    const ports = await deps.list();
    const lower = (v?: string) => v?.toLowerCase();
    const match = ports.find(
      (p) =>
        (!s.vendorId || lower(p.vendorId) === lower(s.vendorId)) &&
        (!s.productId || lower(p.productId) === lower(s.productId)) &&
        (!s.serialNumber || p.serialNumber === s.serialNumber),
    );
    return match?.path ?? null;
  }
  const path = s.path ?? DEFAULT_PATH;
  return deps.exists(path) ? path : null;
}

/**
 * Input stage, serial (USB-CDC, UART, GM65-class modules). serialport has no reconnect of its own:
 * when the port closes as disconnected, or cannot be found or locked, we look for it again with
 * exponential backoff (a tty renumbered from ttyACM0 to ttyACM1 is found again by VID/PID or by its
 * /dev/serial/by-id link) and reopen it. Nothing here ever throws into the daemon.
 */
export class SerialScanner implements ScannerInput {
  private port: SerialPort | undefined;
  protected stopped = true;
  private readonly backoff: Backoff;
  /** trying / open / waiting / dead, for the systemd watchdog (input/life.ts). */
  private readonly life: InputLife;
  private lastProblem = '';
  private watchdog: NodeJS.Timeout | undefined;
  private pending: Array<{ resolve: (data: Buffer) => void; reject: (err: Error) => void }> = [];
  private demux = new Gm65Demux();
  private heldTimer: NodeJS.Timeout | undefined;

  constructor(
    protected readonly settings: ScannerSettings,
    private readonly onLine: (raw: string) => void,
    protected readonly bus: EventBus,
    protected readonly log: Logger,
    private readonly deps: SerialDeps = realDeps,
  ) {
    this.backoff = new Backoff(settings.reconnectMinMs, settings.reconnectMaxMs);
    this.life = new InputLife(bus, log);
  }

  get connected(): boolean {
    return this.port?.isOpen === true;
  }

  start(): void {
    this.stopped = false;
    this.life.attempt(() => this.connect());
  }

  private async connect(): Promise<void> {
    let path: string | null = null;
    try {
      path = await resolveSerialPath(this.settings, this.deps);
    } catch (err) {
      this.problem(`cannot list serial ports: ${(err as Error).message}`, err);
    }
    if (this.stopped) return;
    if (!path) {
      this.problem('scanner not found');
      this.scheduleReconnect();
      return;
    }
    const { baudRate, dataBits, parity, stopBits } = this.settings;
    const port = new SerialPort({ path, baudRate, dataBits, parity, stopBits, autoOpen: false });
    const makeParser = () => {
      const p =
        this.settings.terminator === 'none'
          ? new InterByteTimeoutParser({
              interval: this.settings.interByteTimeoutMs,
              maxBufferSize: MAX_LINE_BYTES,
            })
          : new ReadlineParser({ delimiter: DELIMITERS[this.settings.terminator], encoding: 'utf8' });
      p.on('data', (data: string | Buffer) =>
        this.deliver(typeof data === 'string' ? data : data.toString('utf8')),
      );
      return p;
    };
    let parser = makeParser();
    // Bytes go to the line parser unless a GM65 command is waiting for its reply. A scanner whose
    // terminator never comes (set to TAB, or sending garbage) must not grow the parser's buffer
    // without end: past MAX_LINE_BYTES without a delimiter, the input so far is dropped.
    let sinceDelimiter = 0;
    let discarding = false;
    const delimiterByte = this.settings.terminator === 'LF' ? 0x0a : 0x0d;
    const feed = (chunk: Buffer) => {
      let rest = chunk;
      if (rest.length === 0) return;
      if (discarding) {
        // Drop everything up to and including the next terminator, then read normally again.
        const end = rest.indexOf(delimiterByte);
        if (end < 0) return;
        discarding = false;
        rest = rest.subarray(end + 1);
        sinceDelimiter = 0;
      }
      const last = rest.lastIndexOf(delimiterByte);
      sinceDelimiter = last >= 0 ? rest.length - last - 1 : sinceDelimiter + rest.length;
      if (this.settings.terminator !== 'none' && sinceDelimiter > MAX_LINE_BYTES) {
        this.log.warn(
          { path },
          'no terminator from the scanner for 16 KB; input dropped up to the next one (check scanner.terminator)',
        );
        parser = makeParser();
        discarding = true;
        return;
      }
      parser.write(rest);
    };
    this.demux = new Gm65Demux();
    port.on('data', (chunk: Buffer) => feed(this.takeReplies(chunk, feed)));
    port.on('close', (err?: { disconnected?: boolean }) => {
      this.port = undefined;
      if (this.watchdog) clearInterval(this.watchdog);
      this.watchdog = undefined;
      this.failPending(new Gm65Error('gm65-port-closed', 'port closed'));
      this.lost();
      if (this.stopped) return;
      this.bus.emit('scanner.status', { connected: false, path });
      this.log.warn({ path, disconnected: err?.disconnected === true }, 'scanner disconnected');
      this.scheduleReconnect();
    });
    port.on('error', (err) => this.log.error({ path, err }, 'scanner error'));
    port.open((err) => {
      if (err) {
        // "Cannot lock port": another process (ModemManager, a second daemon) holds it; try again.
        this.problem(`cannot open ${path}: ${err.message}`, err);
        this.scheduleReconnect();
        return;
      }
      if (this.stopped) {
        port.close();
        return;
      }
      this.backoff.reset();
      this.lastProblem = '';
      this.port = port;
      this.life.set('open');
      // serialport's poller can miss the hang-up when bytes arrive just before an unplug (seen here
      // on ptys: a half-frame, then the device gone, and no 'close' ever). The device node vanishes
      // on unplug, so check for it and close the port ourselves.
      this.watchdog = setInterval(
        () => {
          if (!this.deps.exists(path) && port.isOpen) port.close();
        },
        Math.max(this.settings.reconnectMinMs, 200),
      );
      this.ready(path);
    });
  }

  /** The port closed (unplugged, or stop()): a subclass stops what it runs on the port. */
  protected lost(): void {}

  /** The port is open and read: a plain serial scanner is ready at once (a GM65 is set up first). */
  protected ready(path: string): void {
    this.log.info({ path, baudRate: this.settings.baudRate }, 'scanner connected');
    this.bus.emit('scanner.status', { connected: true, path });
  }

  /** Hands a line to the pipeline; nothing the pipeline throws may escape into serialport's stream. */
  private deliver(line: string): void {
    try {
      this.onLine(line);
    } catch (err) {
      this.log.error({ err }, 'scan failed');
    }
  }

  /** Logs a problem once per kind (not on every retry) and tells the screens and telemetry. */
  private problem(message: string, err?: unknown): void {
    if (message !== this.lastProblem)
      this.log.warn({ problem: message, ...(err ? { err } : {}) }, 'scanner unavailable; retrying');
    this.lastProblem = message;
    this.bus.emit('scanner.status', { connected: false, path: this.settings.path ?? '', error: message });
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.life.set('waiting');
    this.backoff.schedule(() => {
      if (!this.stopped) this.life.attempt(() => this.connect());
    });
  }

  /**
   * Sends a GM65 command and resolves with the reply's data. The module answers nothing to a
   * command it refuses (bad CRC, bad format): a failure is the timeout. Replies are taken out of
   * the byte stream wherever they fall and never reach the line parser.
   */
  command(frame: Buffer, timeoutMs = 1000): Promise<Buffer> {
    const port = this.port;
    if (!port) return Promise.reject(new Gm65Error('gm65-not-connected', 'scanner not connected'));
    return new Promise((resolve, reject) => {
      const waiter = {
        resolve: (d: Buffer) => {
          clearTimeout(timer);
          resolve(d);
        },
        reject: (e: Error) => {
          clearTimeout(timer);
          reject(e);
        },
      };
      const timer = setTimeout(() => {
        const at = this.pending.indexOf(waiter);
        if (at >= 0) this.pending.splice(at, 1);
        reject(new Gm65Error('gm65-no-reply', `no reply from the scanner module in ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.push(waiter);
      port.write(frame);
    });
  }

  /**
   * Takes GM65 replies out of a chunk (type gm65, or while a command waits) and hands them to the
   * waiting commands in order; returns the code bytes. Bytes that may begin a reply are held back
   * until they complete one or 400 ms pass (the module's own limit for a command), then they are code.
   */
  private takeReplies(chunk: Buffer, feed: (code: Buffer) => void): Buffer {
    if (this.settings.type !== 'gm65' && this.pending.length === 0 && this.demux.holding === 0) return chunk;
    const { code, replies } = this.demux.push(chunk);
    for (const data of replies) {
      const waiter = this.pending.shift();
      if (waiter) waiter.resolve(data);
      else
        this.log.debug({ reply: data.toString('hex') }, 'GM65 reply with no command waiting (late): dropped');
    }
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    if (this.demux.holding > 0)
      this.heldTimer = setTimeout(() => {
        this.heldTimer = undefined;
        feed(this.demux.flush());
      }, 400);
    return code;
  }

  private failPending(err: Error): void {
    for (const p of this.pending.splice(0)) p.reject(err);
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    this.demux = new Gm65Demux();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.life.set('stopped');
    if (this.heldTimer) clearTimeout(this.heldTimer);
    this.heldTimer = undefined;
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = undefined;
    this.backoff.cancel();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
