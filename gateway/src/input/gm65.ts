/**
 * GM65/GM861-class scanner modules (Hangzhou Grow and clones) speak a small register protocol on
 * the same UART that carries the codes:
 *   command  7E 00 | type | len | addr hi | addr lo | data… | CRC hi | CRC lo
 *   reply    02 00 | status | len | data… | CRC hi | CRC lo      (status 00 = OK)
 * type 07 reads `len` bytes at addr, 08 writes them, 09 saves all zones to flash. The CRC is
 * CRC-CCITT (XModem: poly 0x1021, init 0) over type…data; `AB CD` in its place means "no check".
 * Zone layout as documented for the GM65 (check your module's manual; clones differ in details):
 *   0x0000 bits 1–0 mode (00 manual, 01 command-triggered, 10 continuous, 11 induction),
 *          bits 3–2 illumination (00 normal, 01 always on, 10 off), bit 6 mute, bit 7 decode LED
 *   0x0002 bit 0 trigger a scan (command-triggered mode)
 *   0x0060 bits 6–5 terminator (00 CR, 01 CRLF, 10 TAB, 11 none), bit 7 terminator enabled
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
  const dataLength = length;
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

export function gm65Reply(ok: boolean, data: Uint8Array = new Uint8Array(0)): Buffer {
  const body = Buffer.from([ok ? 0x00 : 0x01, data.length, ...data]);
  const crc = crcCcitt(body);
  return Buffer.concat([Buffer.from([0x02, 0x00]), body, Buffer.from([crc >> 8, crc & 0xff])]);
}

export interface Gm65Reply {
  ok: boolean;
  data: Buffer;
}

export class Gm65Error extends Error {}

/** Parses a reply at the start of `buf`; returns it and the bytes consumed, or null if incomplete. */
export function parseGm65Reply(buf: Buffer): { reply: Gm65Reply; used: number } | null {
  if (buf.length < 4) return null;
  if (buf[0] !== 0x02 || buf[1] !== 0x00)
    throw new Gm65Error(`not a GM65 reply: ${buf.subarray(0, 4).toString('hex')}`);
  const len = buf[3] ?? 0;
  const total = 4 + len + 2;
  if (buf.length < total) return null;
  const crc = buf.readUInt16BE(4 + len);
  if (crc !== 0xabcd && crc !== crcCcitt(buf.subarray(2, 4 + len)))
    throw new Gm65Error('GM65 reply CRC mismatch');
  return { reply: { ok: buf[2] === 0x00, data: Buffer.from(buf.subarray(4, 4 + len)) }, used: total };
}

export interface Gm65Settings {
  mode?: 'manual' | 'command' | 'continuous' | 'induction';
  light?: 'normal' | 'always' | 'off';
  beep?: boolean;
  terminator?: 'CR' | 'CRLF' | 'TAB' | 'none';
}

const MODES = { manual: 0, command: 1, continuous: 2, induction: 3 } as const;
const LIGHTS = { normal: 0, always: 1, off: 2 } as const;
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
  if (s.beep !== undefined) z0 = s.beep ? z0 & ~0x40 : z0 | 0x40;
  if (s.terminator)
    z60 = (z60 & ~0xe0) | (s.terminator === 'none' ? 0x60 : 0x80 | (TERMINATORS[s.terminator] << 5));
  return { zone0: z0 & 0xff, zone60: z60 & 0xff };
}
