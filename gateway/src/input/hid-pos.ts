/**
 * HID-POS (USB HID usage page 0x8C, "Barcode Scanner") input reports, as Honeywell, Zebra,
 * Datalogic and Newland readers send them in HID-POS mode: 64-byte report 0x02 —
 *   [0] report id 0x02 · [1] data length in this report (0–56) · [2..57] data ·
 *   [58..60] symbology identifier (AIM, e.g. "]Q1") · [63] bit 0: more data follows
 * A code longer than 56 bytes spans several reports. Bytes are passed through untouched, so
 * UTF-8 (Vietnamese names) survives.
 */
export const HID_POS_USAGE_PAGE = 0x8c;
export const HID_POS_CHUNK = 56;
export const HID_POS_REPORT_BYTES = 64;

export interface HidPosCode {
  bytes: Buffer;
  /** AIM symbology identifier, e.g. `]Q1` for QR. */
  symbology: string;
}

export class HidPosAssembler {
  private parts: Buffer[] = [];
  private size = 0;

  /** Feeds one report; returns a code when its last report arrives. Malformed reports are dropped. */
  push(report: Uint8Array): HidPosCode | null {
    if (report.length < HID_POS_REPORT_BYTES || report[0] !== 0x02) return null;
    const length = Math.min(report[1] ?? 0, HID_POS_CHUNK);
    this.parts.push(Buffer.from(report.subarray(2, 2 + length)));
    this.size += length;
    // A runaway stream (a "more" flag that never clears) must not grow without bound.
    if (this.size > 16 * 1024) this.reset();
    if (((report[63] ?? 0) & 0x01) === 1) return null;
    const symbology = Buffer.from(report.subarray(58, 61)).toString('latin1').replace(/\0+$/, '');
    const bytes = Buffer.concat(this.parts);
    this.reset();
    return bytes.length > 0 ? { bytes, symbology } : null;
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
  }
}

/** Splits a code into HID-POS reports (the simulator's side, and tests). */
export function hidPosReports(bytes: Uint8Array, symbology = ']Q1'): Buffer[] {
  const reports: Buffer[] = [];
  for (let o = 0; o < Math.max(bytes.length, 1); o += HID_POS_CHUNK) {
    const chunk = bytes.subarray(o, o + HID_POS_CHUNK);
    const r = Buffer.alloc(HID_POS_REPORT_BYTES);
    r[0] = 0x02;
    r[1] = chunk.length;
    r.set(chunk, 2);
    r.write(symbology.slice(0, 3), 58, 'latin1');
    r[63] = o + HID_POS_CHUNK < bytes.length ? 1 : 0;
    reports.push(r);
  }
  return reports;
}
