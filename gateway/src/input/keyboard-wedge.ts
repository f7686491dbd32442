import { DEAD, LAYOUTS, type LayoutName } from './layouts.js';

/**
 * Keyboard-wedge scanners type the code as HID boot-keyboard reports:
 *   [modifiers, reserved, key1 … key6]   (usage ids of the keys held down)
 * A key press is a usage that appears in a report and was not in the previous one, so a repeated
 * character needs a release report in between. Characters outside the layout arrive as Alt+numpad
 * sequences: hold Left Alt, type decimal digits on the keypad, release Alt (a leading 0 means the
 * Windows-1252 code page, otherwise a Unicode code point — what "Unicode" wedge modes send).
 */
const MOD_SHIFT = 0x02 | 0x20;
const MOD_LEFT_ALT = 0x04;
const MOD_RIGHT_ALT = 0x40;
const ENTER = new Set([0x28, 0x58]);
const KEYPAD_DIGITS: Record<number, string> = {
  89: '1',
  90: '2',
  91: '3',
  92: '4',
  93: '5',
  94: '6',
  95: '7',
  96: '8',
  97: '9',
  98: '0',
};
const CP1252 = new TextDecoder('windows-1252');
/** Longest line kept (the decoder refuses anything over 8192 characters anyway). */
const MAX_LINE = 8193;

export class KeyboardWedgeDecoder {
  private previous = new Set<number>();
  private text = '';
  private altDigits: string | null = null;
  private dead: string | null = null;

  constructor(private readonly layout: LayoutName = 'us') {}

  /** Feeds one 8-byte report; returns a completed line when Enter is pressed. */
  push(report: Uint8Array): string | null {
    if (report.length < 8) return null;
    const modifiers = report[0] ?? 0;
    const held = new Set<number>();
    for (let i = 2; i < 8; i++) if (report[i]) held.add(report[i]!);
    // Rollover error (all keys 0x01) — ignore the report entirely.
    if (held.has(0x01)) return null;
    let line: string | null = null;

    const altHeld = (modifiers & MOD_LEFT_ALT) !== 0;
    if (this.altDigits !== null && !altHeld) {
      this.emit(this.fromAltCode(this.altDigits));
      this.altDigits = null;
    }
    for (const usage of held) {
      if (this.previous.has(usage)) continue;
      if (ENTER.has(usage) && !altHeld) {
        line = this.text;
        this.text = '';
        this.dead = null;
        continue;
      }
      if (altHeld && KEYPAD_DIGITS[usage] !== undefined) {
        if ((this.altDigits ?? '').length < 7) this.altDigits = (this.altDigits ?? '') + KEYPAD_DIGITS[usage];
        continue;
      }
      const entry = LAYOUTS[this.layout][usage];
      if (!entry) continue;
      const ch = (modifiers & MOD_RIGHT_ALT ? entry[2] : modifiers & MOD_SHIFT ? entry[1] : entry[0]) ?? '';
      this.emit(ch);
    }
    this.previous = held;
    return line;
  }

  private emit(ch: string): void {
    // Bounded: a wedge that never sends Enter must not grow the line without end.
    if (!ch || this.text.length > MAX_LINE) return;
    if (ch.startsWith(DEAD)) {
      this.dead = ch.slice(1);
      return;
    }
    if (this.dead !== null) {
      // A dead key followed by a space types the accent itself; before a letter we keep both.
      this.text += ch === ' ' ? this.dead : this.dead + ch;
      this.dead = null;
      return;
    }
    this.text += ch;
  }

  private fromAltCode(digits: string): string {
    const n = Number(digits);
    if (!Number.isFinite(n) || n <= 0 || n > 0x10ffff) return '';
    if (digits.startsWith('0') && n <= 0xff) return CP1252.decode(Uint8Array.of(n));
    return String.fromCodePoint(n);
  }

  reset(): void {
    this.previous.clear();
    this.text = '';
    this.altDigits = null;
    this.dead = null;
  }
}
