import {
  CHECKIN_SCHEMA_ID,
  type CheckinMessage,
  formatVnDate,
  formatVnDateTime,
  formatVnDay,
  kioskTopics,
  maskName,
  maskNumber,
  parseCheckin,
  parseDay,
  parseKioskTopic,
  validateCheckin,
  vnDay,
  vnDayEnd,
  vnTimeOn,
  vnYesterday,
} from '@qrkiosk/protocol';
import { describe, expect, it } from 'vitest';

const validCheckin = (): CheckinMessage => ({
  schema: CHECKIN_SCHEMA_ID,
  id: '01J9Z8Y7X6W5V4T3S2R1Q0P9N8',
  kiosk: 'k-001',
  site: 's-001',
  direction: 'in',
  at: '2021-10-07T02:15:00.000Z',
  clockSynced: true,
  document: {
    kind: 'cccd',
    numberMasked: '********1234',
    nameMasked: 'NGUYỄN V** A*',
    idHash: 'a'.repeat(32),
  },
  verdict: 'ALLOW',
  colour: 'green',
  reason: 'admitted-green',
  versions: { software: '0.1.0', rules: 'builtin-1', cache: 3 },
});

describe('topics', () => {
  it('builds and parses the fixed topic names', () => {
    const t = kioskTopics('s-001', 'k-001');
    expect(t.checkin).toBe('qrkiosk/v1/s-001/k-001/checkin');
    expect(t.state).toBe('qrkiosk/v1/s-001/k-001/state');
    expect(parseKioskTopic(t.checkin)).toEqual({
      ok: true,
      site: 's-001',
      kiosk: 'k-001',
      channel: 'checkin',
    });
  });
  it('rejects foreign and malformed topics, and site or kiosk levels that are not ids', () => {
    expect(parseKioskTopic('qrkiosk/v2/s/k/checkin')).toMatchObject({ ok: false });
    expect(parseKioskTopic('qrkiosk/v1/s/k/checkin/extra')).toMatchObject({ ok: false });
    expect(parseKioskTopic('qrkiosk/v1/s/k/secrets')).toMatchObject({ ok: false });
    for (const site of ['<img src=x onerror=alert(1)>', 'district:760', 'S-001', '-s', 'x'.repeat(65)])
      expect(parseKioskTopic(`qrkiosk/v1/${site}/k-001/state`)).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/^site .* is not a valid id$/),
      });
    expect(parseKioskTopic('qrkiosk/v1/s-001/k 1/telemetry')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^kiosk /),
    });
  });
});

describe('masking', () => {
  it('keeps only the last four characters of a number', () => {
    expect(maskNumber('079090001234')).toBe('********1234');
    expect(maskNumber('123')).toBe('***');
  });
  it('re-masks "pre-masked" numbers and bounds long ones', () => {
    expect(maskNumber('*79090001234')).toBe('********1234');
    expect(maskNumber('******001234')).toBe('********1234');
    expect(maskNumber(`URN:UVCI:01:VN:${'X'.repeat(60)}#Q`)).toBe(`${'*'.repeat(16)}XX#Q`);
  });
  it('bounds a masked name', () => {
    expect([...maskName('Nguyễn '.repeat(100))].length).toBeLessThanOrEqual(120);
  });
  it('keeps the family name and initials', () => {
    expect(maskName('Nguyễn Văn An')).toBe('NGUYỄN V** A*');
    expect(maskName('  trần   thị bích ngọc ')).toBe('TRẦN T** B*** N***');
  });
});

describe('Vietnam time', () => {
  it('formats dd/MM/yyyy in UTC+7 across midnight UTC', () => {
    const at = new Date('2021-12-31T18:30:00Z');
    expect(formatVnDate(at)).toBe('01/01/2022');
    expect(formatVnDateTime(at)).toBe('01/01/2022 01:30:00');
    expect(vnDay(at)).toBe('2022-01-01');
    // The one yyyy-MM-dd → dd/MM/yyyy (cards, CLI): the same text formatVnDate gives for that day.
    expect(formatVnDay(vnDay(at))).toBe(formatVnDate(at));
    expect(formatVnDay('2027-11-26')).toBe('26/11/2027');
  });

  it('accepts only real days: impossible months and days, other shapes and non-strings are refused', () => {
    expect(parseDay('2021-10-30')).toBe('2021-10-30');
    expect(parseDay('2024-02-29')).toBe('2024-02-29');
    for (const bad of [
      '2021-13-45',
      '2021-02-30',
      '2023-02-29',
      '2021-04-31',
      '2021-00-10',
      '21-10-30',
      '2021-10-30T00:00',
      ' 2021-10-30',
      '',
      20211030,
      null,
    ])
      expect(parseDay(bad), String(bad)).toBeNull();
  });
});

describe('check-in schema', () => {
  it('accepts a valid check-in', () => {
    expect(validateCheckin(validCheckin())).toMatchObject({ ok: true });
  });
  it('rejects extra fields, bad ids and topic-breaking kiosk names', () => {
    expect(validateCheckin({ ...validCheckin(), name: 'Nguyễn Văn An' }).ok).toBe(false);
    expect(validateCheckin({ ...validCheckin(), id: 'not-a-ulid' }).ok).toBe(false);
    expect(validateCheckin({ ...validCheckin(), kiosk: 'k/#' }).ok).toBe(false);
    const bad = validateCheckin({ ...validCheckin(), verdict: 'MAYBE' });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.errors.join(' ')).toContain('/verdict');
  });
  it('rejects times no database stores alike, keeps an unset kiosk clock', () => {
    const leap = validateCheckin({ ...validCheckin(), at: '2021-12-31T23:59:60Z' });
    expect(leap.ok).toBe(false);
    if (!leap.ok) expect(leap.errors).toEqual(['/at 2021-12-31T23:59:60Z is not a storable instant']);
    expect(validateCheckin({ ...validCheckin(), at: '0000-01-01T00:00:00Z' }).ok).toBe(false);
    expect(validateCheckin({ ...validCheckin(), at: '1970-01-01T00:00:05Z', clockSynced: false }).ok).toBe(
      true,
    );
  });
  it('turns non-JSON bytes into a reason, not an exception', () => {
    const r = parseCheckin(Buffer.from([0xff, 0x00, 0x7b]));
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors[0]).toMatch(/not JSON/);
  });
});

describe('published JSON Schemas', () => {
  it('protocol/schemas/ matches the definitions in code (regenerate with npm run schemas)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('@qrkiosk/testkit');
    const { PAYLOAD_SCHEMAS, schemaJson } = await import('@qrkiosk/protocol');
    for (const [file, schema] of Object.entries(PAYLOAD_SCHEMAS)) {
      expect(readFileSync(join(REPO_ROOT, 'protocol/schemas', file), 'utf8'), file).toBe(schemaJson(schema));
    }
  });
});

describe('Vietnam-day helpers (UTC+7, no DST)', () => {
  it('day end, yesterday and a time on a day', () => {
    expect(vnDayEnd('2021-11-01').toISOString()).toBe('2021-11-01T17:00:00.000Z');
    // 00:30 in Vietnam on 1 November is 17:30 UTC on 31 October: yesterday is 31 October.
    expect(vnYesterday(new Date('2021-10-31T17:30:00Z'))).toBe('2021-10-31');
    expect(vnYesterday(new Date('2021-10-31T16:59:59Z'))).toBe('2021-10-30');
    expect(vnTimeOn('2021-11-01', 6, 0).toISOString()).toBe('2021-10-31T23:00:00.000Z');
  });
});
