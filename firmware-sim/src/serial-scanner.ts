import { type FileHandle, open } from 'node:fs/promises';
import { PtyPair } from './pty-pair.js';

export type Terminator = 'CR' | 'LF' | 'CRLF' | 'none';
const TERMINATORS: Record<Terminator, string> = { CR: '\r', LF: '\n', CRLF: '\r\n', none: '' };

export interface VirtualSerialScannerOptions {
  terminator?: Terminator;
  /** Directory for the pty links (default: a new temp dir). */
  dir?: string;
}

/**
 * A serial barcode scanner in software, on a real pty. `path` is what a gateway opens.
 * Scans are written as UTF-8 bytes followed by the terminator, like a USB-CDC scanner does.
 */
export class VirtualSerialScanner {
  private readonly pty: PtyPair;
  private device: FileHandle | undefined;
  private readonly terminator: string;

  constructor(options: VirtualSerialScannerOptions = {}) {
    this.pty = new PtyPair(options.dir);
    this.terminator = TERMINATORS[options.terminator ?? 'CR'];
  }

  /** The path the gateway should open (scanner.path). */
  get path(): string {
    return this.pty.hostPath;
  }

  async plugIn(): Promise<void> {
    await this.pty.open();
    this.device = await open(this.pty.devicePath, 'r+');
  }

  async scan(payload: string): Promise<void> {
    await this.write(Buffer.from(payload + this.terminator, 'utf8'));
  }

  /** Raw bytes, for noise and half-frames. */
  async write(bytes: Uint8Array): Promise<void> {
    if (!this.device) throw new Error('virtual scanner is not plugged in');
    await this.device.write(bytes);
  }

  async unplug(): Promise<void> {
    const device = this.device;
    this.device = undefined;
    await device?.close();
    await this.pty.close();
  }
}
