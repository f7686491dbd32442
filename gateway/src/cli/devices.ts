import type { Lang } from '../i18n.js';
import { listScannerCandidates } from '../input/devices.js';

const GUESS = {
  'serial-scanner': { vi: 'máy quét (serial)', en: 'scanner (serial)' },
  'uart-module': {
    vi: 'mô-đun quét qua cầu USB-UART (kiểu GM65?)',
    en: 'module behind a USB-UART bridge (GM65-class?)',
  },
  'hid-pos': { vi: 'máy quét HID-POS', en: 'HID-POS scanner' },
  'keyboard-wedge': { vi: 'máy quét kiểu bàn phím', en: 'keyboard-wedge scanner' },
  unknown: { vi: 'không rõ', en: 'unknown' },
} as const;

/** `qrkiosk devices [--json]`. */
export async function devicesCommand(lang: Lang, json: boolean): Promise<number> {
  const found = await listScannerCandidates();
  if (json) {
    process.stdout.write(`${JSON.stringify(found)}\n`);
    return 0;
  }
  if (found.length === 0) {
    process.stdout.write(lang === 'vi' ? 'Không thấy máy quét nào.\n' : 'No scanner found.\n');
    return 0;
  }
  for (const d of found) {
    const name = [d.manufacturer, d.product].filter(Boolean).join(' ');
    process.stdout.write(
      `${d.byId ?? d.path}  ${d.vendorId ?? '????'}:${d.productId ?? '????'}  ${GUESS[d.guess][lang]}${name ? `  (${name})` : ''}\n    ${d.config}\n`,
    );
  }
  return 0;
}
