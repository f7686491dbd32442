import { crcCcitt } from './gm65.js';

/**
 * Splits what a GM65 module sends on its one UART into command replies and code bytes. A reply is
 * `02 00 00 lens datas… CRC` with a real CRC-CCITT (the module always computes it; `AB CD` is for the
 * host's commands only), so a reply is recognised wherever it falls: before, after or in the middle
 * of a code (a code read in continuous mode can arrive while we configure the module), split over
 * any number of reads. Anything else — including an 0x02 in a code, or a reply-shaped run of bytes
 * whose CRC does not match — is code bytes, in order. A code would have to contain NUL followed by
 * 2 + lens bytes matching a 16-bit CRC to be taken for a reply; QR payloads the kiosk reads are text.
 */
export class Gm65Demux {
  private held = Buffer.alloc(0);

  /** Bytes kept back because they may be the start of a reply still arriving. */
  get holding(): number {
    return this.held.length;
  }

  push(chunk: Buffer): { code: Buffer; replies: Buffer[] } {
    const buf = this.held.length ? Buffer.concat([this.held, chunk]) : chunk;
    this.held = Buffer.alloc(0);
    const code: Buffer[] = [];
    const replies: Buffer[] = [];
    let i = 0;
    while (i < buf.length) {
      const at = buf.indexOf(0x02, i);
      if (at < 0) {
        code.push(buf.subarray(i));
        break;
      }
      if (at > i) code.push(buf.subarray(i, at));
      const r = replyAt(buf, at);
      if (r === 'incomplete') {
        this.held = Buffer.from(buf.subarray(at));
        break;
      }
      if (r === null) {
        code.push(buf.subarray(at, at + 1));
        i = at + 1;
        continue;
      }
      replies.push(Buffer.from(buf.subarray(at + 4, at + 4 + r.dataLength)));
      i = at + r.total;
    }
    return { code: Buffer.concat(code), replies };
  }

  /** Gives up on held bytes (no reply completed them in time): they were code bytes. */
  flush(): Buffer {
    const out = this.held;
    this.held = Buffer.alloc(0);
    return out;
  }
}

/** A reply starting at `at`: its size, null if it is not one, 'incomplete' if it may still be. */
function replyAt(buf: Buffer, at: number): { dataLength: number; total: number } | null | 'incomplete' {
  const left = buf.length - at;
  if (left >= 2 && buf[at + 1] !== 0x00) return null;
  if (left >= 3 && buf[at + 2] !== 0x00) return null;
  if (left < 4) return 'incomplete';
  const lens = buf[at + 3] ?? 0;
  const dataLength = lens === 0 ? 256 : lens;
  const total = 4 + dataLength + 2;
  if (left < total) return 'incomplete';
  const crc = buf.readUInt16BE(at + 4 + dataLength);
  return crc === crcCcitt(buf.subarray(at + 2, at + 4 + dataLength)) ? { dataLength, total } : null;
}
