import type { CheckinMessage } from '@qrkiosk/protocol';
import { makeTempDir, sampleCheckin } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { Journal } from '../src/record/index.js';

const checkin = (id: string, at: string, idHash = 'b'.repeat(32)): CheckinMessage =>
  sampleCheckin({
    id,
    at,
    document: { nameMasked: 'A B*', idHash },
    versions: { software: '0.1.0', rules: 'builtin-1', cache: 0 },
  });

describe('journal (record stage and outbox)', () => {
  it('keeps undelivered rows in order across a reopen, and forgets them once delivered', () => {
    const dir = makeTempDir('journal-');
    const j = new Journal(dir);
    j.open();
    j.append(checkin('01J00000000000000000000001', '2021-10-01T00:00:00.000Z'));
    j.append(checkin('01J00000000000000000000002', '2021-10-01T00:00:01.000Z'));
    j.append(checkin('01J00000000000000000000003', '2021-10-01T00:00:02.000Z'));
    j.markDelivered('01J00000000000000000000002', new Date());
    j.close();

    const again = new Journal(dir);
    again.open();
    expect(again.undelivered(0, 10).map((r) => r.id)).toEqual([
      '01J00000000000000000000001',
      '01J00000000000000000000003',
    ]);
    expect(again.pendingCount()).toBe(2);
    const first = again.undelivered(0, 1)[0]!;
    expect(again.undelivered(first.seq, 10).map((r) => r.id)).toEqual(['01J00000000000000000000003']);
    expect(JSON.parse(first.message)).toEqual(
      checkin('01J00000000000000000000001', '2021-10-01T00:00:00.000Z'),
    );
    again.close();
  });

  it('refuses a second row with the same check-in id', () => {
    const j = new Journal(makeTempDir('journal-'));
    j.open();
    j.append(checkin('01J00000000000000000000001', '2021-10-01T00:00:00.000Z'));
    expect(() => j.append(checkin('01J00000000000000000000001', '2021-10-01T00:00:00.000Z'))).toThrow(
      /UNIQUE/,
    );
    j.close();
  });

  it('finds the last check-in of a person inside the duplicate window only', () => {
    const j = new Journal(makeTempDir('journal-'));
    j.open();
    // A row from another boot (or before stamps existed) is judged by the wall clock.
    j.append(checkin('01J00000000000000000000001', '2021-10-01T00:00:00.000Z', 'c'.repeat(32)));
    const stamp = { boot: 'this-boot', ms: 1_000_000 };
    const at = (iso: string) => new Date(iso);
    expect(j.lastRecent('c'.repeat(32), at('2021-10-01T00:00:30.000Z'), 60_000, stamp)).toEqual({
      verdict: 'ALLOW',
      colour: 'green',
      at: '2021-10-01T00:00:00.000Z',
      reason: 'admitted-green',
      outcome: null, // no guard's outcome: it was no REVIEW
    });
    expect(j.lastRecent('c'.repeat(32), at('2021-10-01T00:01:01.000Z'), 60_000, stamp)).toBeUndefined();
    expect(j.lastRecent('d'.repeat(32), at('2021-10-01T00:00:30.000Z'), 60_000, stamp)).toBeUndefined();
    // Dated in the future (the clock has since gone back): never "already checked in".
    expect(j.lastRecent('c'.repeat(32), at('2021-09-30T00:00:30.000Z'), 60_000, stamp)).toBeUndefined();
    j.close();
  });
});
