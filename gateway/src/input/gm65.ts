/**
 * GM65/GM861-class scanner modules (Hangzhou Grow and clones) speak a small register protocol on
 * the same UART that carries the codes. From the GM65 user manual (Hangzhou Grow, V1.3, §8
 * "Serial port instruction"):
 *   command  7E 00 | type | lens | addr hi | addr lo | datas… | CRC hi | CRC lo
 *   reply    02 00 | 00 | lens | datas… | CRC hi | CRC lo     (types 00 = success)
 * type 07 reads `datas[0]` zone bytes at addr, 08 writes `datas` at addr (reply datas 00), 09 saves
 * all zones to EEPROM. Lens 00 means 256. The CRC is CRC-CCITT (poly 0x1021, init 0, MSB first, no
 * final XOR) over type…datas; the host may put `AB CD` there to skip the check. A command with a
 * wrong CRC, a wrong format or that stays incomplete 400 ms after `7E 00` gets NO reply at all: a
 * failure is a timeout, never a status byte.
 * Zone 0x0000 (manual §8.5): bit 7 decode LED on, bit 6 sound on ("1 mute off"), bits 5–4 aimer
 * (00 none, 01 standard, 1x always on), bits 3–2 illumination (00 none, 01 standard, 1x always on),
 * bits 1–0 read mode (00 manual, 01 command, 10 continuous, 11 sensor — "induction" here).
 * Zone 0x0002 bit 0: start one read in command mode (clears itself; the write widely used as
 * `7E 00 08 01 00 02 01 AB CD`).
 * Zone 0x0060 bits 6–5 terminator (00 CR, 01 CRLF, 10 TAB, 11 none); we set bit 7 to enable it as
 * earlier firmware notes said — not confirmed from the manual text we could read (a third-party GM65
 * driver names bit 0 "allow add tail"): `scanner configure` reads the zone back and prints it.
 */
export const GM65_ZONE = { settings: 0x0000, trigger: 0x0002, terminator: 0x0060 } as const;

export function crcCcitt(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

export type Gm65Type = 0x07 | 0x08 | 0x09;

function gm65Frame(type: Gm65Type, address: number, data: Uint8Array): Buffer {
  const body = Buffer.from([type, data.length, (address >> 8) & 0xff, address & 0xff, ...data]);
  const crc = crcCcitt(body);
  return Buffer.concat([Buffer.from([0x7e, 0x00]), body, Buffer.from([crc >> 8, crc & 0xff])]);
}

export const gm65Write = (address: number, ...data: number[]) =>
  gm65Frame(0x08, address, Uint8Array.from(data));
/** A read carries one data byte: how many zone bytes to return. */
export const gm65Read = (address: number, count: number) =>
  gm65Frame(0x07, address, Uint8Array.from([count]));
export const gm65Save = () => gm65Frame(0x09, 0x0000, Uint8Array.from([0x00]));

/** A command frame at the start of `buf` (the emulator's side): null if incomplete. */
export function parseGm65Command(
  buf: Buffer,
): { type: number; length: number; address: number; data: Buffer; crcOk: boolean; used: number } | null {
  if (buf.length < 6) return null;
  const type = buf[2] ?? 0;
  const length = buf[3] ?? 0;
  const dataLength = length === 0 ? 256 : length;
  const total = 6 + dataLength + 2;
  if (buf.length < total) return null;
  const crc = buf.readUInt16BE(6 + dataLength);
  return {
    type,
    length,
    address: buf.readUInt16BE(4),
    data: Buffer.from(buf.subarray(6, 6 + dataLength)),
    crcOk: crc === 0xabcd || crc === crcCcitt(buf.subarray(2, 6 + dataLength)),
    used: total,
  };
}

/** A success reply as the module sends it (the module sends nothing on failure). */
export function gm65Reply(data: Uint8Array): Buffer {
  const body = Buffer.from([0x00, data.length & 0xff, ...data]);
  const crc = crcCcitt(body);
  return Buffer.concat([Buffer.from([0x02, 0x00]), body, Buffer.from([crc >> 8, crc & 0xff])]);
}

/** The write and save reply, from the manual: 02 00 00 01 00 33 31. */
export const GM65_OK = gm65Reply(Uint8Array.of(0x00));

export type Gm65ErrorCode =
  | 'gm65-no-reply'
  | 'gm65-not-connected'
  | 'gm65-mode-mismatch'
  | 'gm65-port-closed';

export class Gm65Error extends Error {
  constructor(
    readonly code: Gm65ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export type Gm65Mode = 'manual' | 'command' | 'continuous' | 'induction';

export interface Gm65Settings {
  mode?: Gm65Mode;
  light?: 'normal' | 'always' | 'off';
  beep?: boolean;
  terminator?: 'CR' | 'CRLF' | 'TAB' | 'none';
}

/** Zone 0x0000 bits 1–0 per read mode (manual §8.5). */
export const GM65_MODES: Record<Gm65Mode, number> = { manual: 0, command: 1, continuous: 2, induction: 3 };
const MODES = GM65_MODES;
/** Zone 0x0000 bits 3–2: 00 no light, 01 standard (while reading), 10 always on. */
const LIGHTS = { normal: 1, always: 2, off: 0 } as const;
const TERMINATORS = { CR: 0, CRLF: 1, TAB: 2, none: 3 } as const;

/** New values of zones 0x0000 and 0x0060 given their current values and the wanted settings. */
export function applyGm65Settings(
  zone0: number,
  zone60: number,
  s: Gm65Settings,
): { zone0: number; zone60: number } {
  let z0 = zone0;
  let z60 = zone60;
  if (s.mode) z0 = (z0 & ~0x03) | MODES[s.mode];
  if (s.light) z0 = (z0 & ~0x0c) | (LIGHTS[s.light] << 2);
  // Bit 6 set = "mute off" (sound on).
  if (s.beep !== undefined) z0 = s.beep ? z0 | 0x40 : z0 & ~0x40;
  if (s.terminator)
    z60 = (z60 & ~0xe0) | (s.terminator === 'none' ? 0x60 : 0x80 | (TERMINATORS[s.terminator] << 5));
  return { zone0: z0 & 0xff, zone60: z60 & 0xff };
}
