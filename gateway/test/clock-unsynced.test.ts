/**
 * Issue #13 item 6, "time without a real-time clock": the real Controller on real SQLite files, with
 * a clock the test sets. Until the kiosk trusts its clock, an admission that rests on a date is
 * REVIEW (clock-unsynced), never ALLOW; a refusal stays a refusal; date-free verdicts are unchanged;
 * the fault is raised and cleared; a wall clock earlier than the saved last good time is not trusted.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NO_FACTS } from '@qrkiosk/protocol';
import { Cleanups, makeTempDir } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { rulesReadTheDate } from '../src/decide/clock-gate.js';
import { builtinRules, decide, guardUnsyncedClock, parseRuleSet, policyFor } from '../src/decide/index.js';
import { type FaultEvent, LAST_GOOD_FILE } from '../src/index.js';
import { F0, GREEN, journalRows, kioskStarter, know, person, TestClock } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());
const kiosk = kioskStarter(cleanups);

/** Second dose on 2021-10-16: 14 Vietnam days before 2021-10-30 (green), 13 before 2021-10-29 (red at level 2). */
const DOSED = { ...GREEN, lastDoseDate: '2021-10-16' };

describe('an unsynced clock holds back date-dependent admissions', () => {
  it('14 days after the second dose by an unsynced clock: REVIEW (clock-unsynced), journaled so; once synced: ALLOW', async () => {
    const clock = new TestClock('2021-10-30T03:00:00Z');
    clock.isSynced = false;
    const k = await kiosk(makeTempDir('clock-'), { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    know(k, [[1, DOSED]]);
    const faults: FaultEvent[] = [];
    k.controller.bus.on('fault', (f) => faults.push(f));
    expect(k.controller.faults.has('clock-unsynced')).toBe(true);

    const before = k.controller.scan(person(1).payload)!;
    expect(before.decision).toMatchObject({
      verdict: 'REVIEW',
      colour: null,
      reason: { code: 'clock-unsynced', text: { vi: 'Đồng hồ chưa đồng bộ — kiểm tra giấy tờ' } },
    });
    expect(before.checkin).toMatchObject({ verdict: 'REVIEW', reason: 'clock-unsynced', clockSynced: false });
    // The scan's own monotonic time rides along, for the hub to re-time it.
    expect(before.checkin?.boot).toEqual({ id: 'boot-1', uptimeMs: clock.mono });

    clock.isSynced = true;
    clock.pass(1000);
    const after = k.controller.scan(person(1).payload)!;
    expect(after.decision).toMatchObject({
      verdict: 'ALLOW',
      colour: 'green',
      reason: { code: 'admitted-green' },
    });
    expect(after.checkin?.clockSynced).toBe(true);
    expect(after.checkin?.boot).toBeUndefined();
    expect(journalRows(k.dir).map((r) => r.verdict)).toEqual(['REVIEW', 'ALLOW']);
    expect(faults).toEqual([{ code: 'clock-unsynced', active: false, faults: [] }]);
  });

  it('a clock a day ahead would admit someone 13 days after the dose: REVIEW while unsynced, REFUSE once the clock is right', async () => {
    const clock = new TestClock('2021-10-30T03:00:00Z'); // truly 2021-10-29
    clock.isSynced = false;
    const k = await kiosk(makeTempDir('clock-'), { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    know(k, [[1, DOSED]]);
    expect(k.controller.scan(person(1).payload)?.decision.verdict).toBe('REVIEW');
    clock.wall = Date.parse('2021-10-29T03:00:05Z');
    clock.isSynced = true;
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'REFUSE',
      colour: 'red',
    });
  });

  it('never greener: an F0 stays REFUSE; an unknown person keeps the site verdict; a place QR keeps its reason; the telemetry says unsynced', async () => {
    const clock = new TestClock('2021-10-30T03:00:00Z');
    clock.isSynced = false;
    const k = await kiosk(makeTempDir('clock-'), {
      clock,
      extra: ['rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }'],
    });
    know(k, [[1, { ...F0, caseUntil: '2021-11-05' }]]);
    expect(k.controller.scan(person(1).payload)?.decision).toMatchObject({
      verdict: 'REFUSE',
      colour: 'red',
      reason: { code: 'case-f0' },
    });
    // No facts, so no date: the site's verdict for an unknown person is not the clock's business.
    expect(k.controller.scan(person(2).payload)?.decision).toMatchObject({
      verdict: 'ALLOW',
      reason: { code: 'unknown-person' },
    });
    expect(k.controller.scan('https://tokhaiyte.vn/?place=123')?.decision).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'location-code' },
    });
    const t = k.controller.telemetry();
    expect(t).toMatchObject({ clockSynced: false, boot: { id: 'boot-1', uptimeMs: clock.mono } });
    expect(t.faults).toContain('clock-unsynced');
  });
});

describe('the last good time (fake-hwclock)', () => {
  it('is saved while synced and at stop; a wall clock earlier than it is not trusted until NTP syncs', async () => {
    const dir = makeTempDir('clock-');
    const first = await kiosk(dir, { clock: new TestClock('2021-10-30T03:00:00Z') });
    expect(readFileSync(join(dir, LAST_GOOD_FILE), 'utf8').trim()).toBe('2021-10-30T03:00:00.000Z');
    first.clock.pass(3_600_000);
    await first.controller.stop();
    expect(readFileSync(join(dir, LAST_GOOD_FILE), 'utf8').trim()).toBe('2021-10-30T04:00:00.000Z');

    // Power cut, reboot without network: the wall clock is back at an older time, and a flag that
    // says "synced" (left by a clock source that does not know better) is not believed.
    const clock = new TestClock('2021-10-29T20:00:00Z');
    const second = await kiosk(dir, { clock, extra: ['rules: { duplicateWindowSeconds: 0 }'] });
    know(second, [[1, DOSED]]);
    expect(second.controller.faults.has('clock-unsynced')).toBe(true);
    expect(second.controller.scan(person(1).payload)?.decision.reason.code).toBe('clock-unsynced');
    expect(second.controller.telemetry().clockSynced).toBe(false);

    // NTP answers: the source goes unsynced → synced while we run; the clock is right again.
    clock.isSynced = false;
    second.controller.clockWatch.check();
    clock.wall = Date.parse('2021-10-30T09:00:00Z');
    clock.isSynced = true;
    expect(second.controller.clockWatch.check()).toBe(true);
    expect(second.controller.faults.has('clock-unsynced')).toBe(false);
    expect(second.controller.scan(person(1).payload)?.decision.verdict).toBe('ALLOW');
    // Written on the next tick, never inside the scan that asked (issue #15: commit and light only).
    await new Promise((r) => setImmediate(r));
    expect(readFileSync(join(dir, LAST_GOOD_FILE), 'utf8').trim()).toBe('2021-10-30T09:00:00.000Z');
  });

  it('a damaged file is ignored, not fatal', async () => {
    const dir = makeTempDir('clock-');
    writeFileSync(join(dir, LAST_GOOD_FILE), 'not a time\n');
    const k = await kiosk(dir, { clock: new TestClock('2021-10-30T03:00:00Z') });
    expect(k.controller.faults.has('clock-unsynced')).toBe(false);
  });
});

describe('rules that read the scan date themselves', () => {
  // A site rule admitting by the calendar alone (here: green until a date), not by any fact's date.
  const byDate = parseRuleSet(
    {
      ...builtinRules(),
      version: 'by-date-1',
      colour: {
        rules: [
          {
            id: 'green-until-december',
            colour: 'green',
            reason: 'event-window',
            logic: {
              before: [
                { plusTime: [{ var: 'scan.localDate' }, 0, 'day'] },
                { plusTime: ['2021-12-01', 0, 'day'] },
              ],
            },
          },
        ],
        otherwise: { colour: 'red', reason: 'outside-window' },
      },
    },
    'by-date rules',
  );
  const policy = policyFor(byDate, 's-001', { level: 2 });
  const at = new Date('2021-10-30T03:00:00Z');

  it('an admission by such a rule is REVIEW on an unsynced clock, though the facts hold no date', () => {
    const facts = { ...NO_FACTS };
    expect(decide(facts, policy, at)).toMatchObject({ verdict: 'ALLOW', colour: 'green' });
    expect(guardUnsyncedClock(decide(facts, policy, at), facts, false, byDate)).toMatchObject({
      verdict: 'REVIEW',
      reason: { code: 'clock-unsynced' },
    });
    expect(guardUnsyncedClock(decide(facts, policy, at), facts, true, byDate).verdict).toBe('ALLOW');
    expect(rulesReadTheDate(byDate)).toBe(true);
    // The built-in rules read only facts' dates (and the gate checks those): no blanket hold.
    expect(rulesReadTheDate(builtinRules())).toBe(false);
  });
});
