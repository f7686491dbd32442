/**
 * Keyboard layouts for keyboard-wedge scanners: HID usage id → [plain, shift, AltGr] characters.
 * A scanner types the code as keystrokes in the layout *it* is set to; the kiosk must read them
 * with the same layout. Dead keys (FR ^ ¨, DE ^ ´ `) are marked with a leading U+0000.
 */
export type LayoutName = 'us' | 'uk' | 'fr' | 'de';
export type KeyMap = Record<number, [string, string, string?]>;
export const DEAD = '\u0000';

const letters = (order: string): KeyMap => {
  const map: KeyMap = {};
  for (let i = 0; i < 26; i++) map[0x04 + i] = [order[i]!, order[i]!.toUpperCase()];
  return map;
};

const keypad: KeyMap = {
  84: ['/', '/'],
  85: ['*', '*'],
  86: ['-', '-'],
  87: ['+', '+'],
  89: ['1', '1'],
  90: ['2', '2'],
  91: ['3', '3'],
  92: ['4', '4'],
  93: ['5', '5'],
  94: ['6', '6'],
  95: ['7', '7'],
  96: ['8', '8'],
  97: ['9', '9'],
  98: ['0', '0'],
  99: ['.', '.'],
  44: [' ', ' '],
  43: ['\t', '\t'],
};

const US: KeyMap = {
  ...letters('abcdefghijklmnopqrstuvwxyz'),
  ...keypad,
  30: ['1', '!'],
  31: ['2', '@'],
  32: ['3', '#'],
  33: ['4', '$'],
  34: ['5', '%'],
  35: ['6', '^'],
  36: ['7', '&'],
  37: ['8', '*'],
  38: ['9', '('],
  39: ['0', ')'],
  45: ['-', '_'],
  46: ['=', '+'],
  47: ['[', '{'],
  48: [']', '}'],
  49: ['\\', '|'],
  51: [';', ':'],
  52: ["'", '"'],
  53: ['`', '~'],
  54: [',', '<'],
  55: ['.', '>'],
  56: ['/', '?'],
};

const UK: KeyMap = {
  ...US,
  31: ['2', '"'],
  32: ['3', '£'],
  52: ["'", '@'],
  50: ['#', '~'],
  49: ['#', '~'],
  53: ['`', '¬'],
  100: ['\\', '|'],
};

const FR: KeyMap = {
  ...letters('qbcdefghijkl,noparstuvzxyw'),
  ...keypad,
  16: [',', '?'],
  51: ['m', 'M'],
  30: ['&', '1'],
  31: ['é', '2', '~'],
  32: ['"', '3', '#'],
  33: ["'", '4', '{'],
  34: ['(', '5', '['],
  35: ['-', '6', '|'],
  36: ['è', '7', '`'],
  37: ['_', '8', '\\'],
  38: ['ç', '9', '^'],
  39: ['à', '0', '@'],
  45: [')', '°', ']'],
  46: ['=', '+', '}'],
  47: [`${DEAD}^`, `${DEAD}¨`],
  48: ['$', '£', '¤'],
  49: ['*', 'µ'],
  50: ['*', 'µ'],
  52: ['ù', '%'],
  53: ['²', '²'],
  54: [';', '.'],
  55: [':', '/'],
  56: ['!', '§'],
  100: ['<', '>'],
};

const DE: KeyMap = {
  ...letters('abcdefghijklmnopqrstuvwxzy'),
  ...keypad,
  20: ['q', 'Q', '@'],
  8: ['e', 'E', '€'],
  30: ['1', '!'],
  31: ['2', '"', '²'],
  32: ['3', '§', '³'],
  33: ['4', '$'],
  34: ['5', '%'],
  35: ['6', '&'],
  36: ['7', '/', '{'],
  37: ['8', '(', '['],
  38: ['9', ')', ']'],
  39: ['0', '=', '}'],
  45: ['ß', '?', '\\'],
  46: [`${DEAD}´`, `${DEAD}\``],
  47: ['ü', 'Ü'],
  48: ['+', '*', '~'],
  49: ['#', "'"],
  50: ['#', "'"],
  51: ['ö', 'Ö'],
  52: ['ä', 'Ä'],
  53: [`${DEAD}^`, '°'],
  54: [',', ';'],
  55: ['.', ':'],
  56: ['-', '_'],
  100: ['<', '>', '|'],
};

export const LAYOUTS: Record<LayoutName, KeyMap> = { us: US, uk: UK, fr: FR, de: DE };

export interface KeyStroke {
  usage: number;
  shift: boolean;
  altGr: boolean;
}

/** char → keystroke, for the simulator. Characters the layout cannot type come back undefined. */
export function strokesFor(layout: LayoutName): Map<string, KeyStroke> {
  const out = new Map<string, KeyStroke>();
  const entries = Object.entries(LAYOUTS[layout]).sort(([a], [b]) => Number(a) - Number(b));
  // Main-block keys first so that digits are typed on the number row, as scanners do.
  entries.sort(([a], [b]) => Number(Number(a) >= 0x54) - Number(Number(b) >= 0x54));
  for (const [usage, [plain, shift, altGr]] of entries) {
    const add = (ch: string | undefined, s: boolean, g: boolean) => {
      if (ch && !ch.startsWith(DEAD) && !out.has(ch))
        out.set(ch, { usage: Number(usage), shift: s, altGr: g });
    };
    add(plain, false, false);
    add(shift, true, false);
    add(altGr, false, true);
  }
  return out;
}
