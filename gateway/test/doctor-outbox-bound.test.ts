/**
 * The remote doctor runs on the daemon's loop: its outbox count is bounded (doctor/journal-view.ts,
 * hostile review #15). On a real journal written by the daemon's Journal, read by SQLite itself.
 */
import type { CheckinMessage } from '@qrkiosk/protocol';
import { makeTempDir, sampleCheckin } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { outboxState } from '../src/doctor/journal-view.js';
import { Journal } from '../src/record/index.js';

const STAMP = { boot: 'test-boot', ms: 1 };
const checkin = (i: number): CheckinMessage =>
  sampleCheckin({
    id: `01J0000000000000000000${String(i).padStart(4, '0')}`,
    at: `2021-10-01T00:00:${String(i).padStart(2, '0')}.000Z`,
    document: { nameMasked: 'A B*', idHash: 'b'.repeat(32) },
    versions: { software: '0.1.0', rules: 'builtin-1', cache: 0 },
  });

describe('doctor outbox count', () => {
  it('counts undelivered rows up to its bound and says "at least" past it; the oldest row is exact', () => {
    const dir = makeTempDir('outbox-bound-');
    const journal = new Journal(dir);
    journal.open();
    for (let i = 1; i <= 7; i++) journal.append(checkin(i), STAMP);
    journal.close();
    expect(outboxState(dir, 5)).toEqual({ depth: 5, atLeast: true, oldestAt: '2021-10-01T00:00:01.000Z' });
    expect(outboxState(dir, 7)).toEqual({ depth: 7, atLeast: false, oldestAt: '2021-10-01T00:00:01.000Z' });
    expect(outboxState(dir)).toEqual({ depth: 7, atLeast: false, oldestAt: '2021-10-01T00:00:01.000Z' });
  });
});
