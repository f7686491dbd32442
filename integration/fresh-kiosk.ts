import { join } from 'node:path';
import { type Clock, Controller, SimGpio, settingsFromText } from '@qrkiosk/gateway';
import { kioskYaml } from '@qrkiosk/testkit';

/**
 * The kiosk clock of the data-age tests (issue #19): wall and monotonic time the test moves, trusted as synced.
 * `pass` moves both (time went by); moving `mono` alone is the hub falling silent while the wall clock stands.
 */
export class FreshTestClock implements Clock {
  constructor(
    public wall: number,
    public mono: number,
    private readonly boot: string,
  ) {}
  now = () => new Date(this.wall);
  synced = () => true;
  monotonic = () => ({ boot: this.boot, ms: this.mono });
  pass(ms: number): void {
    this.wall += ms;
    this.mono += ms;
  }
}

/**
 * The real Controller as the data-age tests run it: its uplink on `brokerUrl`, trusting the hub key at `hubPub`,
 * telemetry only on connect and on a fault change (nothing periodic interferes), no duplicate window, unknown
 * people admitted (so an ALLOW rests on the rules alone), no scanner or screens.
 */
export function freshKiosk(o: {
  dataDir: string;
  brokerUrl: string;
  hubPub: string;
  clock: Clock;
}): Controller {
  return new Controller(
    settingsFromText(
      kioskYaml({
        dataDir: o.dataDir,
        lines: [
          'ui: { port: 0 }',
          `mqtt: { url: "${o.brokerUrl}", telemetrySeconds: 3600 }`,
          'rules: { duplicateWindowSeconds: 0, unknownPerson: ALLOW }',
          `updates: { publicKeyFiles: ["${o.hubPub}"] }`,
        ],
      }),
      `${join(o.dataDir, '..')} kiosk.yaml`,
      {},
    ),
    { gpio: new SimGpio(), clock: o.clock, withoutScanner: true, withoutScreens: true },
  );
}
