/** A real Controller on a given data folder, with simulated lights and a clock the test moves. */
import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Facts, FRESHNESS_SCHEMA_ID, keyId, NO_FACTS, signFreshness } from '@qrkiosk/protocol';
import { type Cleanups, kioskYaml, makeTempDir, person } from '@qrkiosk/testkit';
import Database from 'better-sqlite3';
import { type Clock, Controller, hashIdentity, SimGpio, settingsFromText } from '../src/index.js';

/** Wall clock and monotonic clock apart, so a test can jump one and not the other. */
export class TestClock implements Clock {
  wall: number;
  mono = 5_000_000;
  boot = 'boot-1';
  isSynced = true;
  constructor(at: string) {
    this.wall = Date.parse(at);
  }
  now(): Date {
    return new Date(this.wall);
  }
  synced(): boolean {
    return this.isSynced;
  }
  monotonic(): { boot: string; ms: number } {
    return { boot: this.boot, ms: this.mono };
  }
  /** Real time passes: both clocks move. */
  pass(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

// person and pulses moved to testkit; re-exported so the kiosk tests keep one import.
export { person, pulses } from '@qrkiosk/testkit';

export const hub = generateKeyPairSync('ed25519');

export const GREEN: Facts = {
  ...NO_FACTS,
  dosesReceived: 2,
  primarySeriesComplete: true,
  lastDoseDate: '2021-09-01',
};
export const F0: Facts = { ...GREEN, caseStatus: 'f0' };

export interface Kiosk {
  controller: Controller;
  gpio: SimGpio;
  clock: TestClock;
  dir: string;
}

export async function startKiosk(
  dir: string,
  options: {
    clock?: TestClock;
    extra?: string[];
    screensPort?: number;
    /** Extra keys of kiosk.yaml's `gpio` section (its driver stays sim), e.g. `doorSensor: { pin: GPIO16 }`. */
    gpio?: string;
    /** The kiosk's direction (default in: an entrance). */
    direction?: 'in' | 'out';
    /** `clock.assumeSynced` (default false: the TestClock's flag decides). */
    assumeSynced?: boolean;
  } = {},
): Promise<Kiosk> {
  const keyFile = join(makeTempDir('hubkey-'), 'hub.pub.pem');
  writeFileSync(keyFile, hub.publicKey.export({ type: 'spki', format: 'pem' }));
  const yaml = kioskYaml({
    direction: options.direction ?? 'in',
    dataDir: dir,
    assumeSynced: options.assumeSynced ?? false,
    lines: [
      `ui: { port: ${options.screensPort ?? 0}, host: 127.0.0.1 }`,
      `updates: { publicKeyFiles: ["${keyFile}"] }`,
      ...(options.extra ?? []),
    ],
  });
  const gpioSection = options.gpio ? `gpio: { driver: sim, ${options.gpio} }` : 'gpio: { driver: sim }';
  const loaded = settingsFromText(
    yaml.replace('gpio: { driver: sim }', gpioSection),
    'fault test kiosk.yaml',
    {},
  );
  const gpio = new SimGpio();
  const clock = options.clock ?? new TestClock('2021-10-15T03:00:00Z');
  const controller = new Controller(loaded, {
    gpio,
    clock,
    withoutScanner: true,
    withoutUplink: true,
    withoutScreens: options.screensPort === undefined,
  });
  await controller.start();
  return { controller, gpio, clock, dir };
}

/** Puts facts for people in the cache (hashed with the kiosk's own key). */
export function know(k: Kiosk, people: Array<[number, Facts]>): void {
  k.controller.cache.upsert(
    people.map(([n, facts]) => ({
      key: hashIdentity(k.controller.identityHashKey(), 'cccd', person(n).number),
      facts,
    })),
  );
  // The 60-s tick, at once: it confirms the local write's data age (freshness/, issue #19).
  k.controller.freshness.refresh();
}

/**
 * The hub's signed freshness statement naming these rules as current, as the kiosk gets it at connect:
 * signed rules placed in the data folder by hand have no confirmed age (issue #19 fails closed), so a test
 * that provisions them so confirms them. Then the tick, so a local write (know()) is confirmed too.
 */
export async function hubConfirmsRules(k: Kiosk, rules: string): Promise<void> {
  const statement = {
    schema: FRESHNESS_SCHEMA_ID,
    issuedAt: k.clock.now().toISOString(),
    cache: null,
    rules: { version: rules },
    trust: null,
    revocation: null,
  } as const;
  await k.controller.updates.receive('fresh', signFreshness(statement, hub.privateKey, keyId(hub.publicKey)));
  k.controller.freshness.refresh();
}

/** Rows in journal.db as a second process sees them. */
export function journalRows(dir: string): Array<{ id: string; verdict: string; colour: string | null }> {
  const db = new Database(join(dir, 'journal.db'), { readonly: true });
  try {
    return db.prepare('SELECT id, verdict, colour FROM checkins ORDER BY seq').all() as Array<{
      id: string;
      verdict: string;
      colour: string | null;
    }>;
  } finally {
    db.close();
  }
}

/** startKiosk with the kiosk's stop registered in `cleanups` (stop is idempotent, so a test may stop it first). */
export const kioskStarter =
  (cleanups: Cleanups) =>
  async (...args: Parameters<typeof startKiosk>): Promise<Kiosk> => {
    const k = await startKiosk(...args);
    cleanups.push(() => k.controller.stop());
    return k;
  };
