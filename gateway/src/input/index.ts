import { ReadlineParser } from '@serialport/parser-readline';
import { SerialPort } from 'serialport';
import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import type { Settings } from '../settings/schema.js';

/** A source of raw scanner lines. The serial one is first; HID drivers come with the scanner issue. */
export interface ScannerInput {
  start(): void;
  stop(): Promise<void>;
}

const DELIMITERS: Record<Settings['scanner']['terminator'], string> = { CR: '\r', LF: '\n', CRLF: '\r\n' };

/**
 * Input stage, serial: serialport + ReadlineParser, which joins chunks until the terminator, so a
 * code split across reads (and a UTF-8 character split across chunks) arrives whole. serialport
 * has no reconnect of its own: on close or a failed open we retry with backoff, and never crash.
 */
export class SerialScanner implements ScannerInput {
  private port: SerialPort | undefined;
  private retry: NodeJS.Timeout | undefined;
  private attempt = 0;
  private stopped = true;

  constructor(
    private readonly scanner: Settings['scanner'],
    private readonly onLine: (raw: string) => void,
    private readonly bus: EventBus,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.stopped = false;
    this.open();
  }

  private open(): void {
    const { path, baudRate, terminator } = this.scanner;
    const port = new SerialPort({ path, baudRate, autoOpen: false });
    const parser = port.pipe(new ReadlineParser({ delimiter: DELIMITERS[terminator], encoding: 'utf8' }));
    parser.on('data', (line: string) => this.onLine(line));
    port.on('close', () => {
      if (this.stopped) return;
      this.bus.emit('scanner.status', { connected: false, path });
      this.log.warn({ path }, 'scanner disconnected');
      this.scheduleReopen();
    });
    port.on('error', (err) => this.log.error({ path, err: err.message }, 'scanner error'));
    port.open((err) => {
      if (err) {
        this.log.warn({ path, err: err.message, attempt: this.attempt }, 'cannot open scanner; retrying');
        this.bus.emit('scanner.status', { connected: false, path, error: err.message });
        this.scheduleReopen();
        return;
      }
      this.attempt = 0;
      this.port = port;
      this.log.info({ path, baudRate }, 'scanner connected');
      this.bus.emit('scanner.status', { connected: true, path });
    });
  }

  private scheduleReopen(): void {
    this.port = undefined;
    if (this.stopped || this.retry) return;
    const delay = Math.min(250 * 2 ** this.attempt, 5000);
    this.attempt++;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      if (!this.stopped) this.open();
    }, delay);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    this.retry = undefined;
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((resolve) => port.close(() => resolve()));
  }
}
