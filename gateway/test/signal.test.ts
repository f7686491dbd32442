import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PATTERNS, Signaller, SimGpio } from '../src/signal/index.js';

describe('signal patterns on the simulated GPIO', () => {
  let gpio: SimGpio;
  let signaller: Signaller;
  beforeEach(async () => {
    vi.useFakeTimers();
    gpio = new SimGpio();
    await gpio.open();
    signaller = new Signaller(gpio);
  });
  afterEach(() => vi.useRealTimers());

  const lit = () => gpio.timeline.map((e) => `${e.line}${e.value ? '+' : '-'}`);

  it('ALLOW: steady green 1.5 s, one beep, a relay pulse', () => {
    signaller.play('ALLOW');
    expect(gpio.read('green')).toBe(1);
    expect(gpio.read('buzzer')).toBe(1);
    expect(gpio.read('relay')).toBe(1);
    vi.advanceTimersByTime(1499);
    expect(gpio.read('green')).toBe(1);
    vi.advanceTimersByTime(1);
    expect(gpio.read('green')).toBe(0);
    expect(lit().filter((x) => x === 'buzzer+')).toHaveLength(1);
    expect(gpio.read('relay')).toBe(0);
  });

  it('REFUSE: red 3 s and three beeps, never the relay', () => {
    signaller.play('REFUSE');
    vi.advanceTimersByTime(3000);
    expect(lit().filter((x) => x === 'buzzer+')).toHaveLength(3);
    expect(lit()).not.toContain('relay+');
    expect(gpio.read('red')).toBe(0);
  });

  it('every verdict differs by its beeps alone and by its lights alone', () => {
    const guardFacing = (['ALLOW', 'REFUSE', 'REVIEW', 'ALREADY', 'SCANNER_LOST'] as const).map(
      (n) => PATTERNS[n],
    );
    const beeps = guardFacing.map((p) => JSON.stringify(p.buzzer));
    expect(new Set(beeps).size).toBe(beeps.length);
    const lights = guardFacing.map((p) => JSON.stringify([p.green, p.red, p.amber]));
    expect(new Set(lights).size).toBe(lights.length);
  });

  it("a repeat keeps its verdict's pattern; only a repeated ALLOW is the green double blink", () => {
    expect(signaller.patternFor('REFUSE', true)).toBe('REFUSE');
    expect(signaller.patternFor('REVIEW', true)).toBe('REVIEW');
    expect(signaller.patternFor('ALLOW', true)).toBe('ALREADY');
    signaller.play('ALLOW', { withoutRelay: true });
    vi.advanceTimersByTime(5000);
    expect(lit()).not.toContain('relay+');
  });

  // The Signaller itself pre-empts; it is the Door (door/index.ts, door.test.ts) that holds a refusal.
  it('a new pattern pre-empts the running one', () => {
    signaller.play('REFUSE');
    vi.advanceTimersByTime(100);
    signaller.play('ALLOW');
    expect(gpio.read('red')).toBe(0);
    expect(gpio.read('green')).toBe(1);
    vi.advanceTimersByTime(5000);
    // The REFUSE beeps at 300 and 600 ms never sounded.
    expect(lit().filter((x) => x === 'buzzer+')).toHaveLength(2);
    expect(gpio.read('red')).toBe(0);
  });
});

describe('the guard guide', () => {
  it('holds exactly the tables generated from the patterns, in both languages (npm run guard-guide)', async () => {
    const { readFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { REPO_ROOT } = await import('@qrkiosk/testkit');
    const { guardGuideTable, patternsWith, withGuardGuideTables } = await import('../src/signal/index.js');
    const guide = readFileSync(join(REPO_ROOT, 'docs/guard-guide.md'), 'utf8');
    const played = patternsWith({}, 1000);
    for (const lang of ['vi', 'en'] as const) expect(guide, lang).toContain(guardGuideTable(played, lang));
    expect(withGuardGuideTables(guide, played)).toBe(guide);
  });

  it('says a repeated refusal is red with three beeps, and only a repeated admission is green', async () => {
    const { guardGuideTable, patternsWith } = await import('../src/signal/index.js');
    const table = guardGuideTable(patternsWith({}, 1000), 'en');
    const repeatRefusal = table.split('\n').find((l) => l.includes('still NOT ADMITTED'));
    expect(repeatRefusal).toContain('red light 3 s; beep ×3 (0.15 s)');
    expect(repeatRefusal).not.toContain('green');
    expect(table.split('\n').find((l) => l.includes('ALREADY CHECKED IN'))).not.toContain('door opens');
  });
});

describe('fault sounds in the guard guide (issue #13)', () => {
  it('lists every fault screen with what to do, and the FAULT sound is unlike any verdict', async () => {
    const { describePattern, guardGuideTable, patternsWith } = await import('../src/signal/index.js');
    const played = patternsWith({}, 1000);
    const fault = describePattern(played.FAULT, 'en');
    for (const name of ['ALLOW', 'REFUSE', 'REVIEW', 'ALREADY', 'SCANNER_LOST'] as const)
      expect(describePattern(played[name], 'en'), name).not.toBe(fault);
    const table = guardGuideTable(played, 'en').split('\n');
    for (const screen of ['Cannot record check-ins', 'Clock not synchronised', 'Disk almost full'])
      expect(table.find((l) => l.includes(screen))).toContain(fault);
    expect(table.find((l) => l.includes('Kiosk software not answering'))).toContain('silent');
    const vi = guardGuideTable(played, 'vi');
    for (const screen of [
      'Không ghi được nhật ký',
      'Đồng hồ chưa đồng bộ',
      'Sắp đầy bộ nhớ',
      'Phần mềm kiosk không phản hồi',
    ])
      expect(vi).toContain(screen);
  });
});

describe('configured patterns', () => {
  it('holds the relay for gpio.relayPulseMs on ALLOW, and takes overrides by name', async () => {
    const { patternsWith } = await import('../src/signal/index.js');
    const p = patternsWith({ REFUSE: { red: [[0, 5000]], buzzer: [[0, 100]] } }, 2500);
    expect(p.ALLOW.relay).toEqual([[0, 2500]]);
    expect(p.REFUSE).toEqual({ red: [[0, 5000]], buzzer: [[0, 100]] });
    expect(p.REVIEW).toEqual(PATTERNS.REVIEW);
  });
});
