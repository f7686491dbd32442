/**
 * OutageLog on a real pino logger (its JSON lines read back) and an injected clock: no timers, no
 * sleeps. The errors are Node's own: a real refused TCP connect, not a hand-made ECONNREFUSED.
 */
import { connect, createServer } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/log.js';
import { OutageLog } from '../src/log-throttle.js';

interface Line {
  level: number;
  msg: string;
  err?: { stack?: string; code?: string };
  [field: string]: unknown;
}
const WARN = 40;
const INFO = 30;
const DEBUG = 20;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise((r) => server.close(r));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** The error Node gives for a connect to that port. */
function refusedConnect(port: number): Promise<Error> {
  return new Promise((resolve) => connect(port, '127.0.0.1').once('error', resolve));
}

function rig() {
  const lines: Line[] = [];
  const log = createLogger('debug', { write: (s: string) => lines.push(JSON.parse(s) as Line) });
  let t = 1_000_000;
  const outage = new OutageLog({ log, name: 'uplink', now: () => t });
  return {
    outage,
    advance: (ms: number) => {
      t += ms;
    },
    /** Lines at info and above: what a kiosk at `log.level: info` writes to its card. */
    told: () => lines.filter((l) => l.level >= INFO),
    debug: () => lines.filter((l) => l.level === DEBUG),
  };
}

const asWarn = { level: 'warn' as const, msg: 'uplink error' };
let refused: Error;
let otherRefused: Error;

beforeAll(async () => {
  const port = await closedPort();
  let other = await closedPort();
  while (other === port) other = await closedPort();
  refused = await refusedConnect(port);
  otherRefused = await refusedConnect(other);
});

describe('OutageLog', () => {
  it('a real refused connect is what it is told (the oracle: Node’s net module)', () => {
    expect((refused as { code?: string }).code).toBe('ECONNREFUSED');
    expect(refused.stack).toContain('ECONNREFUSED');
  });

  it('30 failures within a minute: one full line with the stack, no summary', () => {
    const r = rig();
    r.outage.lost();
    for (let n = 0; n < 30; n++) {
      r.outage.failure(refused, asWarn);
      r.advance(1990); // 30 × 1.99 s < 60 s
    }
    expect(r.told()).toHaveLength(1);
    const [first] = r.told();
    expect(first).toMatchObject({ level: WARN, msg: 'uplink error', attempts: 1 });
    expect(first?.err?.stack).toContain('ECONNREFUSED');
    expect(first?.err?.code).toBe('ECONNREFUSED');
    // Every repeat is still there at debug, without a stack.
    expect(r.debug()).toHaveLength(29);
    expect(r.debug()[0]).toMatchObject({ msg: 'uplink failed again', code: 'ECONNREFUSED' });
    expect(r.debug()[0]?.err).toBeUndefined();
  });

  it('past the minute: one summary with the count and the last code, then quiet again', () => {
    const r = rig();
    r.outage.failure(refused, asWarn);
    for (let n = 0; n < 30; n++) {
      r.advance(2000);
      r.outage.failure(refused, asWarn);
    }
    // Failure 31 comes at +60 s: the summary counts the 30 repeats since the full line.
    expect(r.told()).toHaveLength(2);
    expect(r.told()[1]).toMatchObject({
      level: WARN,
      msg: 'uplink: 30 more failed attempts in the last 60 s (last: ECONNREFUSED)',
      failed: 30,
      attempts: 31,
      code: 'ECONNREFUSED',
    });
    expect(r.told()[1]?.err).toBeUndefined();
    for (let n = 0; n < 29; n++) {
      r.advance(2000);
      r.outage.failure(refused, asWarn);
    }
    expect(r.told()).toHaveLength(2);
    r.advance(2000);
    r.outage.failure(refused, asWarn);
    expect(r.told()).toHaveLength(3);
    expect(r.told()[2]).toMatchObject({ failed: 30, attempts: 61 });
  });

  it('recovery: one info line with the count and how long the link was down', () => {
    const r = rig();
    r.outage.lost();
    for (let n = 0; n < 5; n++) {
      r.advance(2000);
      r.outage.failure(refused, asWarn);
    }
    r.advance(1000);
    r.outage.recovered({ url: 'mqtt://hub' });
    const last = r.told().at(-1);
    expect(last).toMatchObject({
      level: INFO,
      msg: 'uplink connected after 5 failed attempts, offline for 11 s',
      attempts: 5,
      offlineSeconds: 11,
      url: 'mqtt://hub',
    });
    expect(r.told()).toHaveLength(2);
    // The next outage starts afresh: its first error is told in full again.
    r.outage.failure(refused, asWarn);
    expect(r.told()).toHaveLength(3);
    expect(r.told()[2]).toMatchObject({ msg: 'uplink error', attempts: 1 });
  });

  it('connected without an outage: the plain line', () => {
    const r = rig();
    r.outage.recovered({ url: 'mqtt://hub' });
    expect(r.told()).toEqual([expect.objectContaining({ level: INFO, msg: 'uplink connected' })]);
  });

  it('a different error is told at once, in full; one already told is summarised', () => {
    const r = rig();
    const login = Object.assign(new Error('Connection refused: Not authorized'), { code: 135 });
    r.outage.failure(refused, asWarn);
    r.advance(2000);
    r.outage.failure(login, { level: 'error', msg: 'uplink: the broker refused our login' });
    expect(r.told()).toHaveLength(2);
    expect(r.told()[1]).toMatchObject({ level: 50, msg: 'uplink: the broker refused our login' });
    expect(r.told()[1]?.err?.stack).toContain('Not authorized');
    // Another port is another message: a different error.
    r.advance(2000);
    r.outage.failure(otherRefused, asWarn);
    expect(r.told()).toHaveLength(3);
    // Back to the first: already told in this outage, so only a debug line.
    r.advance(2000);
    r.outage.failure(refused, asWarn);
    expect(r.told()).toHaveLength(3);
    expect(r.debug().at(-1)).toMatchObject({ code: 'ECONNREFUSED', attempts: 4 });
  });
});
