import { EventEmitter } from 'node:events';
import { type HidDeviceLike, hidPosReports, type LayoutName, strokesFor } from '@qrkiosk/gateway';

/**
 * HID report streams as real scanners produce them, for the HID inputs' tests and benchmarks.
 * This machine has no uhid/uinput/USB in its kernel, so the streams are fed through `FakeHidDevice`,
 * a stand-in with node-hid's three members (`on('data')`, `on('error')`, `close()`).
 */
export interface TimedReport {
  /** When the host reads it, ms after the first report (one report per poll interval). */
  t: number;
  report: Buffer;
}

const KEYPAD_DIGIT = [0x62, 0x59, 0x5a, 0x5b, 0x5c, 0x5d, 0x5e, 0x5f, 0x60, 0x61];
const report = (mod: number, usage = 0) => Buffer.from([mod, 0, usage, 0, 0, 0, 0, 0]);

/**
 * A code typed by a keyboard-wedge scanner in `layout`: press and release per character, Shift or
 * AltGr as the layout needs, Alt+keypad decimal code points for what the layout cannot type
 * (Vietnamese letters), Enter at the end. One report per USB poll (`pollMs`, 1 ms or 8 ms typical).
 */
export function keyboardWedgeReports(text: string, layout: LayoutName = 'us', pollMs = 8): TimedReport[] {
  const strokes = strokesFor(layout);
  const reports: Buffer[] = [];
  for (const ch of text) {
    const s = strokes.get(ch);
    if (s) {
      const mod = (s.shift ? 0x02 : 0) | (s.altGr ? 0x40 : 0);
      reports.push(report(mod, s.usage), report(0));
      continue;
    }
    const alt = 0x04;
    reports.push(report(alt));
    for (const d of String(ch.codePointAt(0)))
      reports.push(report(alt, KEYPAD_DIGIT[Number(d)]), report(alt));
    reports.push(report(0));
  }
  reports.push(report(0, 0x28), report(0));
  return reports.map((r, i) => ({ t: i * pollMs, report: r }));
}

/** A code from a HID-POS scanner: 56-byte chunks in 64-byte reports, raw bytes. */
export function hidPosStream(bytes: Uint8Array, pollMs = 1, symbology = ']Q1'): TimedReport[] {
  return hidPosReports(bytes, symbology).map((r, i) => ({ t: i * pollMs, report: r }));
}

/** node-hid's device, as far as the kiosk uses it, fed from recorded streams. */
export class FakeHidDevice extends EventEmitter implements HidDeviceLike {
  closed = false;

  /** Emits the reports in order (synchronously: timing is the benchmark's business, not the tests'). */
  play(stream: TimedReport[]): void {
    for (const r of stream) this.emit('data', r.report);
  }

  /** What node-hid reports when the scanner is unplugged. */
  unplug(): void {
    this.emit('error', new Error('could not read from HID device'));
  }

  close(): void {
    this.closed = true;
  }
}
