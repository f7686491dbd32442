/**
 * The small fixtures every suite wrote for itself (a check-in, a CCCD, a kiosk.yaml, the relay's
 * pulses, the afterEach cleanups), defined once. Plain data and strings: no vitest, no gateway, so
 * benchmarks can use them too and testkit depends on nothing but the protocol.
 */
import { CHECKIN_SCHEMA_ID, type CheckinMessage } from '@qrkiosk/protocol';
import { makeTempDir } from './tmp.js';

let sequence = 0;

/**
 * A valid check-in as a kiosk sends it: a green ALLOW of a masked CCCD at s-001/k-001, now. Each call
 * gets its own ULID-shaped id unless `id` is given; `document` fields override one by one.
 */
export function sampleCheckin(
  over: Partial<Omit<CheckinMessage, 'document'>> & { document?: Partial<CheckinMessage['document']> } = {},
): CheckinMessage {
  const { document, ...rest } = over;
  return {
    schema: CHECKIN_SCHEMA_ID,
    id: `01J0000000000000${String(++sequence).padStart(10, '0')}`,
    kiosk: 'k-001',
    site: 's-001',
    direction: 'in',
    at: new Date().toISOString(),
    clockSynced: true,
    verdict: 'ALLOW',
    colour: 'green',
    reason: 'admitted-green',
    versions: { software: '0.1.0', rules: 'builtin-1', cache: 1 },
    ...rest,
    document: {
      kind: 'cccd',
      numberMasked: '********1234',
      nameMasked: 'NGUYỄN V** A*',
      idHash: 'e'.repeat(32),
      ...document,
    },
  };
}

/**
 * Person n's CCCD as the chip's QR carries it: 12-digit number (079 = Hồ Chí Minh City, born 1990),
 * the same name for everyone. The payload equals firmware-sim's cccdFor(n) for n < 100,000.
 */
export const person = (n: number): { number: string; payload: string } => {
  const number = `0790900${String(n).padStart(5, '0')}`;
  return { number, payload: `${number}|272345678|Nguyễn Văn An|15081990|Nam|Quận 1|20042021` };
};

/**
 * Tester n's CCCD QR (001 = Hà Nội, born 1988, no old ID number), a different name per person
 * ("Người Thử n"), so masked names on screens and at the hub tell people apart.
 */
export const testerCccd = (n: number): string =>
  `001088${String(n).padStart(6, '0')}||Người Thử ${n}|01011988|Nam|Hà Nội|01012021`;

/** How many times `line` went on since index `from` of a simulated GPIO's timeline (SimGpio). */
export const pulses = (
  gpio: { readonly timeline: ReadonlyArray<{ line: string; value: number }> },
  line: string,
  from = 0,
): number => gpio.timeline.slice(from).filter((e) => e.line === line && e.value === 1).length;

/** The relay's pulses: how many times the door was opened. */
export const relayPulses = (gpio: Parameters<typeof pulses>[0], from = 0): number =>
  pulses(gpio, 'relay', from);

export interface KioskYamlOptions {
  kiosk?: string;
  site?: string;
  direction?: 'in' | 'out';
  /** Default: a new temp folder. */
  dataDir?: string;
  /**
   * `clock: { assumeSynced: true }` (default): this machine may have no NTP, and green people must
   * not wait for a clock (issue #13). false leaves the clock section out (the kiosk's own default).
   */
  assumeSynced?: boolean;
  /** Any other top-level section, verbatim (`mqtt: { url: … }`, `rules: { … }`…). */
  lines?: string[];
}

/**
 * A kiosk.yaml for tests, for gateway's settingsFromText: simulated GPIO, silent log, its own data
 * folder, and whatever the test adds. The YAML stays text so the settings machinery is the real one.
 */
export function kioskYaml(o: KioskYamlOptions = {}): string {
  const direction = o.direction ? `, direction: ${o.direction}` : '';
  return [
    `kiosk: { id: ${o.kiosk ?? 'k-001'}, site: ${o.site ?? 's-001'}${direction} }`,
    'gpio: { driver: sim }',
    ...(o.assumeSynced === false ? [] : ['clock: { assumeSynced: true }']),
    `data: { dir: "${o.dataDir ?? makeTempDir('kiosk-')}" }`,
    'log: { level: silent }',
    ...(o.lines ?? []),
  ].join('\n');
}

/**
 * What a test started and must stop, newest first (a client before its broker); one failing stop
 * does not keep the others from running. `afterEach(() => cleanups.run())`.
 */
export class Cleanups {
  private readonly list: Array<() => unknown> = [];
  push(stop: () => unknown): void {
    this.list.push(stop);
  }
  async run(): Promise<void> {
    for (const stop of this.list.splice(0).reverse()) {
      await Promise.resolve()
        .then(stop)
        .catch(() => undefined);
    }
  }
}
