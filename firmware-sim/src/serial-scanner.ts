import { type FileHandle, open } from 'node:fs/promises';
import { PtyPair } from './pty-pair.js';

export type Terminator = 'CR' | 'LF' | 'CRLF' | 'none';
const TERMINATORS: Record<Terminator, string> = { CR: '\r', LF: '\n', CRLF: '\r\n', none: '' };

export interface VirtualSerialScannerOptions {
  terminator?: Terminator;
  /** Directory for the pty links (default: a new temp dir). Replugging keeps the same paths. */
  dir?: string;
  /** Pace writes like a UART at this baud rate (10 bits a byte); default: as fast as the pty takes them. */
  baudRate?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * A serial barcode scanner in software, on a real pty. `path` is what a gateway opens. Scans are
 * written as UTF-8 bytes followed by the terminator, like a USB-CDC scanner; `noise` helpers make
 * the kinds of trouble real lines have.
 */
export class VirtualSerialScanner {
  private readonly pty: PtyPair;
  private device: FileHandle | undefined;
  private readonly terminator: string;

  constructor(private readonly options: VirtualSerialScannerOptions = {}) {
    this.pty = new PtyPair(options.dir);
    this.terminator = TERMINATORS[options.terminator ?? 'CR'];
  }

  /** The path the gateway should open (scanner.path). */
  get path(): string {
    return this.pty.hostPath;
  }

  get plugged(): boolean {
    return this.device !== undefined;
  }

  async plugIn(): Promise<void> {
    await this.pty.open();
    this.device = await open(this.pty.devicePath, 'r+');
  }

  async scan(payload: string): Promise<void> {
    await this.write(Buffer.from(payload + this.terminator, 'utf8'));
  }

  /** Raw bytes: garbage, half-frames. Paced when a baud rate was given. */
  async write(bytes: Uint8Array): Promise<void> {
    const device = this.device;
    if (!device) throw new Error('virtual scanner is not plugged in');
    const baud = this.options.baudRate;
    if (!baud) {
      await device.write(bytes);
      return;
    }
    // Bytes per 5 ms tick at this baud rate (a UART moves baud/10 bytes a second).
    const perTick = Math.max(1, Math.round((baud / 10) * 0.005));
    for (let o = 0; o < bytes.length; o += perTick) {
      await device.write(bytes.subarray(o, o + perTick));
      await sleep(5);
    }
  }

  /** The code in two writes with a pause between, split after `at` bytes. */
  async scanSplit(payload: string, at: number, pauseMs = 2): Promise<void> {
    const bytes = Buffer.from(payload + this.terminator, 'utf8');
    await this.write(bytes.subarray(0, at));
    await sleep(pauseMs);
    await this.write(bytes.subarray(at));
  }

  /** Ends socat: both ptys vanish, as when a USB scanner is unplugged. */
  async unplug(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    await device?.close();
    await this.pty.close();
  }
}
