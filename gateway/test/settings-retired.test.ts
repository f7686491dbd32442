import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { EventBus } from '../src/bus.js';
import { createLogger } from '../src/log.js';
import { SettingsError, settingsFromText } from '../src/settings/index.js';

// Settings removed because they did nothing (issue #15): an old kiosk.yaml keeps loading, warned.
describe('retired settings', () => {
  const OLD = [
    'kiosk: { id: k-001, site: s-001 }', // line 1
    'mqtt:', // line 2
    '  url: mqtt://127.0.0.1:1883', // line 3
    '  allowFullIdentity: false', // line 4
    'log:', // line 5
    '  level: warn', // line 6
    '  pretty: true', // line 7
    '',
  ].join('\n');

  it('an old kiosk.yaml with log.pretty and mqtt.allowFullIdentity loads, each named with its line', () => {
    const loaded = settingsFromText(OLD, 'kiosk.yaml', {});
    expect(loaded.settings.log.level).toBe('warn');
    expect(loaded.settings.mqtt.url).toBe('mqtt://127.0.0.1:1883');
    expect(loaded.settings.log).not.toHaveProperty('pretty');
    expect(loaded.settings.mqtt).not.toHaveProperty('allowFullIdentity');
    expect(loaded.warnings?.map((w) => [w.path, w.source])).toEqual([
      ['log.pretty', 'kiosk.yaml:7'],
      ['mqtt.allowFullIdentity', 'kiosk.yaml:4'],
    ]);
    expect(loaded.warnings?.[0]?.problem.vi).toMatch(/log\.pretty/);
  });

  it('a file without them has no warnings, and an unknown key is still refused', () => {
    expect(
      settingsFromText('kiosk: { id: k-001, site: s-001 }\n', 'kiosk.yaml', {}).warnings,
    ).toBeUndefined();
    expect(() =>
      settingsFromText('kiosk: { id: k-001, site: s-001 }\nlog: { prety: true }\n', 'kiosk.yaml', {}),
    ).toThrow(SettingsError);
  });
});

// The bus protects itself (issue #15): a failing listener is logged with its stack, the others still run.
describe('EventBus', () => {
  it('logs a listener that throws as { err, event } and still calls the next one', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const bus = new EventBus(createLogger('info', sink));
    const seen: string[] = [];
    bus.on('checkin.recorded', () => {
      throw new TypeError('listener broke');
    });
    bus.on('checkin.recorded', (e) => seen.push(e.id));
    expect(() => bus.emit('checkin.recorded', { id: 'a', seq: 1 })).not.toThrow();
    expect(seen).toEqual(['a']);
    const logged = JSON.parse(lines[0] ?? '{}');
    expect(logged).toMatchObject({ event: 'checkin.recorded', msg: 'bus listener failed' });
    expect(logged.err).toMatchObject({ type: 'TypeError', message: 'listener broke' });
    expect(logged.err.stack).toMatch(/TypeError: listener broke\n\s+at /);
  });

  it('the unsubscribe it returns removes the guarded listener', () => {
    const bus = new EventBus(createLogger('silent'));
    const seen: number[] = [];
    const off = bus.on('checkin.recorded', (e) => seen.push(e.seq));
    bus.emit('checkin.recorded', { id: 'a', seq: 1 });
    off();
    bus.emit('checkin.recorded', { id: 'b', seq: 2 });
    expect(seen).toEqual([1]);
  });
});
