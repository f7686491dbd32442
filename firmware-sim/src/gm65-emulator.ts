import { GM65_OK, GM65_ZONE, gm65Reply, parseGm65Command } from '@qrkiosk/gateway';
import { SerialPort } from 'serialport';
import { PtyPair } from './pty-pair.js';

type ReadMode = 'manual' | 'command' | 'continuous' | 'induction';
const MODE_OF: ReadMode[] = ['manual', 'command', 'continuous', 'induction'];

/**
 * A GM65-class scanner module on a real pty, behaving as the GM65 user manual (Hangzhou Grow V1.3,
 * §4 read modes, §8 serial instructions) says:
 *  - read (07), write (08) and save (09) commands answered `02 00 00 lens datas CRC`; a write or save
 *    answered `02 00 00 01 00 33 31`; a wrong CRC, an unknown type or a command still incomplete
 *    400 ms after its `7E 00` answered with NOTHING;
 *  - the read mode in zone 0x0000 bits 1–0 decides when a code held in front of it is read:
 *    manual — only when its own trigger button is pressed (`pressButton`); command — only when the
 *    host writes zone 0x0002 bit 0 (which clears itself); continuous and induction — at once (once
 *    per presented code here; the real module reads it again after its same-code delay, which the
 *    kiosk's duplicate window absorbs).
 *    In manual or command mode, a code nobody triggers is never sent: the bug of issue #14.
 *  - the terminator follows zone 0x0060 (bit 7 on, bits 6–5 CR/CRLF/TAB/none).
 * Factory zone 0x0000 here is 0xD4 (LED on, sound on, aimer and light standard, manual mode): the
 * manual lists manual mode as default; the other bits' defaults are our assumption.
 */
export class Gm65Emulator {
  readonly zones = new Uint8Array(0x100);
  readonly saved = new Uint8Array(0x100);
  readonly commands: Array<{ type: number; address: number; data: Buffer }> = [];
  /** Every byte the module sent, in order (replies and codes). */
  readonly sent: Buffer[] = [];
  /** A module that answers no command (wrong baud rate, a clone without the protocol). */
  deaf = false;
  private readonly pty: PtyPair;
  private port: SerialPort | undefined;
  private buffer = Buffer.alloc(0);
  private bufferSince = 0;
  private readonly presented: string[] = [];

  constructor(dir?: string) {
    this.pty = new PtyPair(dir);
    this.zones[GM65_ZONE.settings] = 0xd4;
    this.zones[GM65_ZONE.terminator] = 0x80;
    this.saved.set(this.zones);
  }

  get path(): string {
    return this.pty.hostPath;
  }

  get mode(): ReadMode {
    return MODE_OF[(this.zones[GM65_ZONE.settings] ?? 0) & 0x03] ?? 'manual';
  }

  async plugIn(): Promise<void> {
    await this.pty.open();
    const port = new SerialPort({ path: this.pty.devicePath, baudRate: 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    port.on('data', (chunk: Buffer) => this.onBytes(chunk));
    this.port = port;
  }

  /** Someone holds a code in front of the module. */
  present(code: string): void {
    if (this.mode === 'continuous' || this.mode === 'induction') this.send(code);
    else this.presented.push(code);
  }

  /** The module's own trigger button (manual mode). */
  pressButton(): void {
    if (this.mode === 'manual') this.readOne();
  }

  /** Codes held in front of the module and not read yet. */
  get waiting(): number {
    return this.presented.length;
  }

  /** Raw bytes from the module, as if they came off its UART (for interleaving tests). */
  writeRaw(bytes: Buffer): void {
    this.write(bytes);
  }

  private readOne(): void {
    const code = this.presented.shift();
    if (code !== undefined) setTimeout(() => this.send(code), 5);
  }

  private terminator(): string {
    const z = this.zones[GM65_ZONE.terminator] ?? 0;
    if ((z & 0x80) === 0) return '';
    return ['\r', '\r\n', '\t', ''][(z >> 5) & 0x03] ?? '';
  }

  private send(code: string): void {
    this.write(Buffer.from(code + this.terminator(), 'utf8'));
  }

  private write(bytes: Buffer): void {
    this.sent.push(bytes);
    this.port?.write(bytes);
  }

  private onBytes(chunk: Buffer): void {
    const now = Date.now();
    // Manual §8.2: a command still incomplete 400 ms after 7E 00 is an unknown command.
    if (this.buffer.length > 0 && now - this.bufferSince > 400) this.buffer = Buffer.alloc(0);
    if (this.buffer.length === 0) this.bufferSince = now;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const start = this.buffer.indexOf(Buffer.from([0x7e, 0x00]));
      if (start < 0) {
        this.buffer = Buffer.alloc(0);
        return;
      }
      const cmd = parseGm65Command(this.buffer.subarray(start));
      if (!cmd) {
        this.buffer = this.buffer.subarray(start);
        return;
      }
      this.buffer = this.buffer.subarray(start + cmd.used);
      this.bufferSince = now;
      this.commands.push({ type: cmd.type, address: cmd.address, data: cmd.data });
      // Wrong CRC, an address outside the zone table: "no return data" (manual §8.2–8.4).
      if (!cmd.crcOk || this.deaf || cmd.address >= 0x100) continue;
      if (cmd.type === 0x07) {
        const count = cmd.data[0] || 256;
        this.write(gm65Reply(this.zones.subarray(cmd.address, cmd.address + count)));
      } else if (cmd.type === 0x08) {
        this.zones.set(cmd.data.subarray(0, 0x100 - cmd.address), cmd.address);
        this.write(GM65_OK);
        if (cmd.address === GM65_ZONE.trigger && (cmd.data[0] ?? 0) & 0x01) {
          this.zones[GM65_ZONE.trigger] = 0; // the trigger bit clears itself
          if (this.mode === 'command') this.readOne();
        }
      } else if (cmd.type === 0x09) {
        this.saved.set(this.zones);
        this.write(GM65_OK);
      }
      // any other type: unknown command, no reply
    }
  }

  async unplug(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await new Promise<void>((r) => port.close(() => r()));
    await this.pty.close();
  }
}
