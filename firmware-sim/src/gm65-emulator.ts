import { GM65_ZONE, gm65Reply, parseGm65Command } from '@qrkiosk/gateway';
import { SerialPort } from 'serialport';
import { PtyPair } from './pty-pair.js';

/**
 * A GM65-class scanner module on a real pty: answers the 7E 00 command protocol (read, write and
 * save zones) like the module does, and, in command-triggered mode, sends the next queued code when
 * the host writes the trigger bit. The terminator follows zone 0x0060 as the module's does.
 */
export class Gm65Emulator {
  readonly zones = new Uint8Array(0x100);
  readonly saved = new Uint8Array(0x100);
  readonly commands: Array<{ type: number; address: number; data: Buffer }> = [];
  private readonly pty: PtyPair;
  private port: SerialPort | undefined;
  private buffer = Buffer.alloc(0);
  private readonly queue: string[] = [];

  constructor(dir?: string) {
    this.pty = new PtyPair(dir);
    // Factory defaults: manual mode, normal light, beep on, CR terminator enabled.
    this.zones[GM65_ZONE.settings] = 0x00;
    this.zones[GM65_ZONE.terminator] = 0x80;
  }

  get path(): string {
    return this.pty.hostPath;
  }

  async plugIn(): Promise<void> {
    await this.pty.open();
    const port = new SerialPort({ path: this.pty.devicePath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.port = port;
  }

  /** Codes the module will read, one per trigger (or at once with `scanNow`). */
  queueCode(code: string): void {
    this.queue.push(code);
  }

  /** The guard presses the module's own button (manual mode). */
  scanNow(code: string): void {
    this.send(code);
  }

  private terminator(): string {
    const z = this.zones[GM65_ZONE.terminator] ?? 0;
    if ((z & 0x80) === 0) return '';
    return ['\r', '\r\n', '\t', ''][(z >> 5) & 0x03] ?? '';
  }

  private send(code: string): void {
    this.port?.write(Buffer.from(code + this.terminator(), 'utf8'));
  }

  private onBytes(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const start = this.buffer.indexOf(Buffer.from([0x7e, 0x00]));
      if (start < 0) {
        this.buffer = Buffer.alloc(0);
        return;
      }
      const cmd = parseGm65Command(this.buffer.subarray(start));
      if (!cmd) return;
      this.buffer = this.buffer.subarray(start + cmd.used);
      this.commands.push({ type: cmd.type, address: cmd.address, data: cmd.data });
      if (!cmd.crcOk) {
        this.port?.write(gm65Reply(false));
        continue;
      }
      if (cmd.type === 0x07) {
        const count = cmd.data[0] ?? 1;
        this.port?.write(gm65Reply(true, this.zones.subarray(cmd.address, cmd.address + count)));
      } else if (cmd.type === 0x08) {
        this.zones.set(cmd.data, cmd.address);
        this.port?.write(gm65Reply(true, cmd.data.subarray(0, 1)));
        if (cmd.address === GM65_ZONE.trigger && (cmd.data[0] ?? 0) & 0x01) {
          this.zones[GM65_ZONE.trigger] = 0; // the trigger bit clears itself after the scan
          const code = this.queue.shift();
          if (code !== undefined) setTimeout(() => this.send(code), 5);
        }
      } else if (cmd.type === 0x09) {
        this.saved.set(this.zones);
        this.port?.write(gm65Reply(true, Uint8Array.of(0)));
      } else {
        this.port?.write(gm65Reply(false));
      }
    }
  }

  async unplug(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await this.pty.close();
  }
}
