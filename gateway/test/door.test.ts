/**
 * The door tells the truth (issue #13), on the real Controller with simulated lights and real timers:
 * a repeat keeps the earlier verdict's lights and sound and never opens the door; a refusal plays
 * whole before a scan made 300 ms later, which is still decided and journaled at once. Waits are
 * generous and nothing here asserts a duration: only what lit, in which order.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Cleanups, makeTempDir, waitFor } from '@qrkiosk/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { reason } from '../src/decide/index.js';
import type { DoorShown } from '../src/door/index.js';
import { type ScanOutcome, settingsFromText } from '../src/index.js';
import { publicLine } from '../src/screens/public-line.js';
import { eventsOf, PATTERNS, type PatternName } from '../src/signal/index.js';
import { F0, GREEN, journalRows, type Kiosk, know, person, startKiosk } from './kiosk-rig.js';

const cleanups = new Cleanups();
afterEach(() => cleanups.run());

async function kiosk(): Promise<Kiosk> {
  const k = await startKiosk(makeTempDir('door-'));
  cleanups.push(() => k.controller.stop());
  // 1 and 4 F0, 2 green, 3 unknown to the cache (REVIEW by default).
  know(k, [
    [1, F0],
    [2, GREEN],
    [4, F0],
  ]);
  return k;
}

/** The timeline from `from` as "line+"/"line-" in the order the lines switched. */
const switches = (k: Kiosk, from = 0) =>
  k.gpio.timeline.slice(from).map((e) => `${e.line}${e.value ? '+' : '-'}`);

/** The switches a pattern makes, in order (what SimGpio records when it plays whole). */
const played = (name: PatternName, withoutRelay = false) =>
  eventsOf(PATTERNS[name])
    .filter((e) => !(withoutRelay && e.line === 'relay'))
    .map((e) => `${e.line}${e.value ? '+' : '-'}`);

/**
 * Waits until the lights have played out: every line off and no switch for a second (longer than any
 * gap inside a pattern). `count` is how many switches to expect at least, so a slow start is waited for.
 */
async function playedOut(k: Kiosk, from: number, count: number): Promise<void> {
  let seen = -1;
  let still = 0;
  await waitFor(
    async () => {
      await sleep(250);
      const n = k.gpio.timeline.length;
      still = n === seen ? still + 1 : 0;
      seen = n;
      const off = (['green', 'red', 'amber', 'buzzer', 'relay'] as const).every((l) => k.gpio.read(l) === 0);
      return off && still >= 4 && (n - from >= count || still >= 12) ? true : undefined;
    },
    20_000,
    'the lights to play out',
  );
}

describe('a repeat keeps the earlier verdict on the lights, and never opens the door', () => {
  for (const [n, verdict, expected] of [
    [1, 'REFUSE', 'REFUSE'],
    [3, 'REVIEW', 'REVIEW'],
    [2, 'ALLOW', 'ALREADY'],
  ] as const) {
    it(`a repeated ${verdict} plays ${expected}${verdict === 'ALLOW' ? '' : ': no green line'}, no relay`, async () => {
      const k = await kiosk();
      const first = k.controller.scan(person(n).payload);
      expect(first?.decision).toMatchObject({ verdict, repeat: false });
      await playedOut(k, 0, played(verdict).length);
      const from = k.gpio.timeline.length;
      k.clock.pass(10_000); // inside the 60 s duplicate window
      const again = k.controller.scan(person(n).payload);
      expect(again?.decision).toMatchObject({ verdict, repeat: true });
      await playedOut(k, from, played(expected, true).length);
      const repeat = switches(k, from);
      if (verdict !== 'ALLOW') expect(repeat).not.toContain('green+');
      expect(repeat).not.toContain('relay+');
      expect(repeat).toEqual(played(expected, true));
      // The screens say when the earlier check-in was ("đã quét lúc HH:mm").
      expect(again?.previous?.at).toBe(first?.checkin?.at);
      // Nothing new recorded for the repeat.
      expect(journalRows(k.dir)).toHaveLength(1);
    });
  }
});

it('a repeat never pulses the relay, even when a site put the relay on a pattern', async () => {
  const k = await startKiosk(makeTempDir('door-'), {
    extra: ['signal: { patterns: { ALREADY: { green: [[0, 150]], relay: [[0, 500]] } } }'],
  });
  cleanups.push(() => k.controller.stop());
  know(k, [[2, GREEN]]);
  k.controller.scan(person(2).payload);
  await playedOut(k, 0, played('ALLOW').length);
  const from = k.gpio.timeline.length;
  k.clock.pass(5_000);
  expect(k.controller.scan(person(2).payload)?.decision.repeat).toBe(true);
  await playedOut(k, from, 2);
  expect(switches(k, from)).toEqual(['green+', 'green-']);
});

describe('a refusal cannot be erased by the next scan', () => {
  it('a green scan 300 ms after a refusal is journaled at once, and lights only after the whole refusal', async () => {
    const k = await kiosk();
    const shown: DoorShown[] = [];
    k.controller.bus.on('scan.shown', (s) => shown.push(s));
    const rowsAtGreen: number[] = [];
    k.gpio.onChange((e) => {
      if (e.line === 'green' && e.value === 1) rowsAtGreen.push(journalRows(k.dir).length);
    });

    const refused = k.controller.scan(person(1).payload) as ScanOutcome;
    await sleep(300);
    k.clock.pass(300);
    const admitted = k.controller.scan(person(2).payload) as ScanOutcome;
    // Decided and journaled now, whatever the lights are doing.
    expect(refused.decision.verdict).toBe('REFUSE');
    expect(admitted.decision.verdict).toBe('ALLOW');
    expect(journalRows(k.dir).map((r) => r.verdict)).toEqual(['REFUSE', 'ALLOW']);
    expect(k.gpio.read('green')).toBe(0);
    expect(k.gpio.read('relay')).toBe(0);

    await playedOut(k, 0, played('REFUSE').length + played('ALLOW').length);
    // The refusal's whole pattern (red, three beeps, red off), then the admission's, in that order.
    expect(switches(k)).toEqual([...played('REFUSE'), ...played('ALLOW')]);
    expect(rowsAtGreen).toEqual([2]);

    // The screens were told at once that the admission waits, then when it played after the refusal.
    expect(shown.map((s) => [s.outcome.decision.verdict, s.queued])).toEqual([
      ['REFUSE', false],
      ['ALLOW', true],
      ['ALLOW', false],
    ]);
    expect(shown[2]?.afterRefusal).toEqual(refused.at);
  });

  it('three scans behind a refusal all play, in order, none cut short', async () => {
    const k = await kiosk();
    k.controller.scan(person(1).payload);
    await sleep(100);
    k.controller.scan(person(3).payload); // REVIEW
    k.controller.scan(person(2).payload); // ALLOW
    await playedOut(k, 0, played('REFUSE').length + played('REVIEW').length + played('ALLOW').length);
    expect(switches(k)).toEqual([...played('REFUSE'), ...played('REVIEW'), ...played('ALLOW')]);
    expect(journalRows(k.dir).map((r) => r.verdict)).toEqual(['REFUSE', 'REVIEW', 'ALLOW']);
  });
});

it('a refusal decided while queued scans drain cuts the green at once; what waits still plays', async () => {
  const k = await kiosk();
  k.controller.scan(person(1).payload); // REFUSE: holds
  k.controller.scan(person(2).payload); // ALLOW: waits
  k.controller.scan(person(3).payload); // REVIEW: waits behind it
  await waitFor(() => (k.gpio.read('green') === 1 ? true : undefined), 15_000, 'the queued green');
  k.controller.scan(person(4).payload); // another F0, while that green drains
  expect(k.gpio.read('green')).toBe(0);
  expect(k.gpio.read('relay')).toBe(0);
  expect(k.gpio.read('red')).toBe(1);
  await playedOut(k, 0, 0);
  const all = switches(k);
  // The second refusal plays whole, and the REVIEW still comes after it.
  expect(all.slice(-played('REFUSE').length - played('REVIEW').length)).toEqual([
    ...played('REFUSE'),
    ...played('REVIEW'),
  ]);
  expect(journalRows(k.dir).map((r) => r.verdict)).toEqual(['REFUSE', 'ALLOW', 'REVIEW', 'REFUSE']);
});

describe('the public screen names no health reason (ui.publicReason)', () => {
  const refusal = (code: string) => ({
    verdict: 'REFUSE' as const,
    reason: reason(code),
    decidedBy: [code],
    repeat: false,
  });

  it('neutral by default: F0, F1 and a card colour become "Mời đến bàn kiểm tra y tế" / "Mời vào"', () => {
    const { settings } = settingsFromText('kiosk: { id: k-001, site: s-001 }', 't', {});
    expect(settings.ui.publicReason).toBe('neutral');
    expect(settings.signal.refuseHoldMs).toBe(3000);
    for (const code of ['case-f0', 'case-f1', 'colour-not-admitted', 'rule-positive-test'])
      expect(publicLine(refusal(code), 'neutral'), code).toEqual({
        line: { vi: 'Mời đến bàn kiểm tra y tế', en: 'Please go to the health check desk' },
        showName: true,
      });
    const admittedRed = {
      verdict: 'ALLOW' as const,
      reason: reason('admitted-red'),
      decidedBy: [],
      repeat: false,
    };
    expect(publicLine(admittedRed, 'neutral').line).toEqual({ vi: 'Mời vào', en: 'Please go in' });
  });

  it('specific: the reason, but never beside the masked name', () => {
    expect(publicLine(refusal('case-f0'), 'specific')).toEqual({
      line: reason('case-f0').text,
      showName: false,
    });
  });

  it('reasons about the code, not the person, stay as they are, with the name', () => {
    const unknown = {
      verdict: 'REVIEW' as const,
      reason: reason('unknown-person'),
      decidedBy: [],
      repeat: false,
    };
    expect(publicLine(unknown, 'neutral')).toEqual({ line: reason('unknown-person').text, showName: true });
  });

  it('a repeat says when, in Vietnam time, and that the verdict stands', () => {
    const repeat = { ...refusal('already-checked-in'), repeat: true };
    expect(publicLine(repeat, 'neutral', '2021-10-15T02:41:00.000Z').line).toEqual({
      vi: 'đã quét lúc 09:41 — vẫn KHÔNG ĐƯỢC VÀO',
      en: 'scanned at 09:41 — still NOT ADMITTED',
    });
  });
});
