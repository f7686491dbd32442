/**
 * The kiosk's half of `rotate-credentials` (commands/rotation.ts, uplink/password.ts), without a broker:
 * the sealed password is made by protocol's sealTo — the seal the enrolment grant uses — and the files
 * are real files. The broker's half (old refused, new accepted) is integration/fleet-commands.test.ts.
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newKioskKeyPair, sealTo } from '@qrkiosk/protocol';
import { makeTempDir } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { CredentialRotation } from '../src/commands/rotation.js';
import { createLogger } from '../src/log.js';
import { BrokerPassword, stagedPasswordFile } from '../src/uplink/password.js';

const log = createLogger('silent');
const R = 'rotation-0001';
const NEW = 'n3w-Password-0123456789abcdef';

function setUp() {
  const dir = makeTempDir('rotation-');
  const file = join(dir, 'mqtt-password');
  writeFileSync(file, 'old-password-0123456789\n', { mode: 0o600 });
  const password = new BrokerPassword(file, 'old-password-0123456789', log);
  let staged = 0;
  let now = 1_000_000;
  const rotation = new CredentialRotation(
    password,
    () => now,
    () => {
      staged++;
    },
  );
  const sealed = (publicKey: string, secret: unknown = { password: NEW }) =>
    sealTo(publicKey, Buffer.from(JSON.stringify(secret), 'utf8'));
  return { file, password, rotation, sealed, staged: () => staged, later: (ms: number) => (now += ms) };
}

describe('rotate-credentials on the kiosk', () => {
  it('begin → stage: the new password is staged 600 and used next; promoted only once a login worked', () => {
    const k = setUp();
    const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
    expect(k.rotation.handle('stage', R, k.sealed(publicKey))).toEqual({ staged: true });
    expect(k.staged()).toBe(1);
    const next = stagedPasswordFile(k.file);
    expect(readFileSync(next, 'utf8')).toBe(`${NEW}\n`);
    expect(statSync(next).mode & 0o777).toBe(0o600);
    expect(k.password.next).toBe(NEW);
    expect(k.rotation.handle('status', R, undefined)).toEqual({ pending: true });
    // The broker has not changed yet: the new one is refused, the old one tried again.
    expect(k.password.refused()).toBe(true);
    expect(k.password.next).toBe('old-password-0123456789');
    k.password.connected();
    expect(readFileSync(k.file, 'utf8')).toBe('old-password-0123456789\n');
    // Now the broker has: the old one is refused, the new one works and is renamed into place.
    expect(k.password.refused()).toBe(true);
    k.password.connected();
    expect(readFileSync(k.file, 'utf8')).toBe(`${NEW}\n`);
    expect(statSync(k.file).mode & 0o777).toBe(0o600);
    expect(existsSync(next)).toBe(false);
    expect(k.rotation.handle('status', R, undefined)).toEqual({ pending: false });
    // Nothing staged: a refused login has nothing else to try.
    expect(k.password.refused()).toBe(false);
  });

  it('a restart with a staged password keeps it as the other one to try', () => {
    const k = setUp();
    const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
    k.rotation.handle('stage', R, k.sealed(publicKey));
    const restarted = new BrokerPassword(k.file, 'old-password-0123456789', log);
    expect(restarted.next).toBe('old-password-0123456789');
    expect(restarted.pending).toBe(true);
    expect(restarted.refused()).toBe(true);
    expect(restarted.next).toBe(NEW);
  });

  it.each([
    [
      'stage without begin',
      (k: ReturnType<typeof setUp>) => k.rotation.handle('stage', R, k.sealed(newKioskKeyPair().publicKey)),
      /begin first/,
    ],
    [
      'a value that is not a seal',
      (k: ReturnType<typeof setUp>) => {
        k.rotation.handle('begin', R, undefined);
        return k.rotation.handle('stage', R, { alg: 'rot13', ct: 'x' });
      },
      /not a sealed password/,
    ],
    [
      'a password sealed to another key',
      (k: ReturnType<typeof setUp>) => {
        k.rotation.handle('begin', R, undefined);
        return k.rotation.handle('stage', R, k.sealed(newKioskKeyPair().publicKey));
      },
      /does not open/,
    ],
    [
      'a password too short',
      (k: ReturnType<typeof setUp>) => {
        const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
        return k.rotation.handle('stage', R, k.sealed(publicKey, { password: 'short' }));
      },
      /16–200 printable/,
    ],
    [
      'a password with a newline',
      (k: ReturnType<typeof setUp>) => {
        const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
        return k.rotation.handle('stage', R, k.sealed(publicKey, { password: `${NEW}\nmqtt.url: evil` }));
      },
      /16–200 printable/,
    ],
    [
      'a key older than five minutes',
      (k: ReturnType<typeof setUp>) => {
        const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
        k.later(5 * 60_000);
        return k.rotation.handle('stage', R, k.sealed(publicKey));
      },
      /begin first/,
    ],
    [
      'an unknown action',
      (k: ReturnType<typeof setUp>) => k.rotation.handle('reveal', R, undefined),
      /begin, stage or status/,
    ],
  ])('refuses %s, and stages nothing', (_what, act, why) => {
    const k = setUp();
    expect(() => act(k)).toThrow(why);
    expect(existsSync(stagedPasswordFile(k.file))).toBe(false);
    expect(k.staged()).toBe(0);
  });

  it('a key is used once: a second stage with it is refused', () => {
    const k = setUp();
    const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
    k.rotation.handle('stage', R, k.sealed(publicKey));
    expect(() => k.rotation.handle('stage', R, k.sealed(publicKey))).toThrow(/begin first/);
  });

  it('a kiosk without mqtt.passwordFile has nothing to rotate', () => {
    const rotation = new CredentialRotation(
      new BrokerPassword(undefined, undefined, log),
      () => 0,
      () => undefined,
    );
    expect(() => rotation.handle('begin', R, undefined)).toThrow(/no mqtt.passwordFile/);
  });

  it('one rotation at a time: another begin is refused while one is in flight, and steps are bound to their id', () => {
    const k = setUp();
    const { publicKey } = k.rotation.handle('begin', R, undefined) as { publicKey: string };
    // A second hub (or a retry with a new id) while this one runs: refused, the first key still good.
    expect(() => k.rotation.handle('begin', 'rotation-0002', undefined)).toThrow(
      /another rotation is in flight/,
    );
    expect(() => k.rotation.handle('stage', 'rotation-0002', k.sealed(publicKey))).toThrow(/begin first/);
    expect(k.rotation.handle('stage', R, k.sealed(publicKey))).toEqual({ staged: true });
    // Staged, not yet confirmed: still in flight.
    expect(() => k.rotation.handle('begin', 'rotation-0002', undefined)).toThrow(/in flight/);
    expect(() => k.rotation.handle('status', 'rotation-0002', undefined)).toThrow(/in flight/);
    k.password.connected();
    expect(k.rotation.handle('status', R, undefined)).toEqual({ pending: false });
    // Confirmed: the next rotation may begin.
    expect(k.rotation.handle('begin', 'rotation-0002', undefined)).toHaveProperty('publicKey');
  });

  it('a rotation the hub abandoned blocks another begin for 5 minutes at most; no id is refused', () => {
    const k = setUp();
    k.rotation.handle('begin', R, undefined);
    k.later(5 * 60_000);
    expect(k.rotation.handle('begin', 'rotation-0002', undefined)).toHaveProperty('publicKey');
    expect(() => k.rotation.handle('begin', undefined, undefined)).toThrow(/key must name the rotation/);
  });
});
