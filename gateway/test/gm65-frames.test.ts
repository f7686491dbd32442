/**
 * GM65 command protocol against the module's documented frames, byte for byte. The oracle is the
 * GM65 Bar Code Reader Module User Manual (Hangzhou Grow Technology, V1.3), §8.2 "Read Zone Bit",
 * §8.3 "Write Zone Bit", §8.4 "Save zone bit to EEPROM" and §8.5 "List of zone bit" (manual pages
 * 31–33, read at easymanua.ls/grow/gm65/manual?p=35…37). The trigger write `7E 00 08 01 00 02 01 AB CD`
 * is the one published GM65/GM812 drivers send (e.g. the GM812 serial reference in
 * saadimalik211/cv-scanner, ESP32-S3-ETH/ScanOnly/serialdoc.md: "Trigger Mode").
 */
import { describe, expect, it } from 'vitest';
import {
  applyGm65Settings,
  crcCcitt,
  GM65_MODES,
  GM65_OK,
  GM65_ZONE,
  Gm65Demux,
  gm65Read,
  gm65Reply,
  gm65Save,
  gm65Write,
  parseGm65Command,
} from '../src/input/index.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

const MANUAL = {
  // §8.2 example: read address 0x000A, the module returns 0x3E.
  readCommand: hex('7E 00 07 01 00 0A 01 EE 8A'),
  readReply: hex('02 00 00 01 3E E4 AC'),
  readBadCrc: hex('7E 00 07 01 00 0A 01 11 22'),
  // §8.3 example: write 0x3E at 0x000A.
  writeCommand: hex('7E 00 08 01 00 0A 3E 4C CF'),
  writeReply: hex('02 00 00 01 00 33 31'),
  writeBadCrc: hex('7E 00 08 01 00 0A 3E 11 22'),
  // §8.4: save all zones to EEPROM, and its reply.
  saveCommand: hex('7E 00 09 01 00 00 00 DE C8'),
  saveReply: hex('02 00 00 01 00 33 31'),
};
const PUBLISHED_TRIGGER = hex('7E 00 08 01 00 02 01 AB CD');

describe('GM65 frames, as the manual prints them', () => {
  it('builds the read, write and save commands byte for byte (CRC-CCITT included)', () => {
    expect(gm65Read(0x000a, 1)).toEqual(MANUAL.readCommand);
    expect(gm65Write(0x000a, 0x3e)).toEqual(MANUAL.writeCommand);
    expect(gm65Save()).toEqual(MANUAL.saveCommand);
  });

  it('builds the replies the module sends, byte for byte', () => {
    expect(gm65Reply(Uint8Array.of(0x3e))).toEqual(MANUAL.readReply);
    expect(GM65_OK).toEqual(MANUAL.writeReply);
    expect(GM65_OK).toEqual(MANUAL.saveReply);
  });

  it("parses the manual's commands: good CRC accepted, the manual's wrong CRC refused", () => {
    expect(parseGm65Command(MANUAL.writeCommand)).toMatchObject({ type: 0x08, address: 0x0a, crcOk: true });
    expect(parseGm65Command(MANUAL.readCommand)).toMatchObject({ type: 0x07, address: 0x0a, crcOk: true });
    expect(parseGm65Command(MANUAL.writeBadCrc)?.crcOk).toBe(false);
    expect(parseGm65Command(MANUAL.readBadCrc)?.crcOk).toBe(false);
    // §8.3 case 3: a short command is incomplete, not a command.
    expect(parseGm65Command(MANUAL.writeCommand.subarray(0, 7))).toBeNull();
  });

  it('the trigger the kiosk writes is the published trigger with a real CRC instead of AB CD', () => {
    const ours = gm65Write(GM65_ZONE.trigger, 0x01);
    expect(ours.subarray(0, 7)).toEqual(PUBLISHED_TRIGGER.subarray(0, 7));
    expect(ours.readUInt16BE(7)).toBe(crcCcitt(ours.subarray(2, 7)));
    const a = parseGm65Command(ours);
    const b = parseGm65Command(PUBLISHED_TRIGGER);
    expect(b).toMatchObject({ type: 0x08, address: 0x0002, crcOk: true });
    expect(a).toMatchObject({ type: b?.type, address: b?.address, data: b?.data, crcOk: true });
  });

  it("zone 0x0000 as §8.5 lists it: bits 1–0 mode, 3–2 light, 6 sound ('1 mute off')", () => {
    expect(GM65_MODES).toEqual({ manual: 0b00, command: 0b01, continuous: 0b10, induction: 0b11 });
    expect(applyGm65Settings(0x00, 0x00, { mode: 'continuous' }).zone0).toBe(0b10);
    expect(applyGm65Settings(0xff, 0x00, { mode: 'manual' }).zone0).toBe(0xfc);
    expect(applyGm65Settings(0x00, 0x00, { light: 'normal', beep: true }).zone0).toBe(0x40 | 0x04);
    expect(applyGm65Settings(0xff, 0x00, { light: 'off', beep: false }).zone0).toBe(0xff & ~0x0c & ~0x40);
  });
});

describe('GM65 replies taken out of the code stream', () => {
  it("finds the manual's replies whole, split byte by byte, and between code bytes", () => {
    const d = new Gm65Demux();
    expect(d.push(MANUAL.readReply)).toEqual({ code: Buffer.alloc(0), replies: [hex('3E')] });
    const code: Buffer[] = [];
    const replies: Buffer[] = [];
    const stream = Buffer.concat([Buffer.from('ABC\r'), MANUAL.writeReply, Buffer.from('DEF\r')]);
    for (const byte of stream) {
      const r = d.push(Buffer.of(byte));
      code.push(r.code);
      replies.push(...r.replies);
    }
    expect(Buffer.concat(code).toString()).toBe('ABC\rDEF\r');
    expect(replies).toEqual([hex('00')]);
  });

  it('a reply-shaped run with a wrong CRC is code bytes, in order', () => {
    const d = new Gm65Demux();
    const fake = hex('02 00 00 01 00 11 22');
    const r = d.push(Buffer.concat([fake, Buffer.from('\r')]));
    expect(r.replies).toEqual([]);
    expect(r.code).toEqual(Buffer.concat([fake, Buffer.from('\r')]));
  });

  it('a held possible start is released by flush when nothing completes it', () => {
    const d = new Gm65Demux();
    expect(d.push(Buffer.from('X\x02\x00')).code.toString()).toBe('X');
    expect(d.holding).toBe(2);
    expect(d.flush()).toEqual(hex('02 00'));
    expect(d.holding).toBe(0);
  });
});
