import { CHECKIN_SCHEMA_ID, type CheckinMessage, maskName, maskNumber } from '@qrkiosk/protocol';
import { monotonicFactory } from 'ulid';
import { EventBus, type ScanOutcome } from './bus.js';
import { type Clock, systemClock } from './clock.js';
import { decide, decideRecordFailed, decideRepeat, decideUndecoded } from './decide/index.js';
import { type DecodeResult, decodePayload } from './decode/index.js';
import { toFrame } from './frame/index.js';
import { type ScannerInput, SerialScanner } from './input/index.js';
import { createLogger, type Logger } from './log.js';
import { FactsCache, identityKeys, loadOrCreateHashKey } from './lookup/index.js';
import { Journal } from './record/index.js';
import type { LoadedSettings } from './settings/index.js';
import { createGpioDriver, type GpioDriver, Signaller } from './signal/index.js';
import { MqttUplink } from './uplink/index.js';
import { SOFTWARE_VERSION } from './version.js';

export interface ControllerOptions {
  clock?: Clock;
  /** A driver to use instead of the one settings name (tests and the demo pass a SimGpio). */
  gpio?: GpioDriver;
  log?: Logger;
  /** Leave out the scanner input (the `check` command, tests that call scan() directly). */
  withoutScanner?: boolean;
  /** Leave out the MQTT uplink (offline tools). */
  withoutUplink?: boolean;
}

/** Rules have no version of their own until they become signed data (cache issue). */
const RULES_VERSION = 'builtin-1';

/**
 * The gateway: owns the stages and runs the scan path as one explicit, ordered pipeline
 *   input → frame → decode → lookup → decide → record → signal → (bus) → uplink
 * Record comes before signal so that a light the guard saw always has a journal row behind it.
 * The constructor does nothing; start() opens files, hardware and connections.
 */
export class Controller {
  readonly bus = new EventBus();
  readonly log: Logger;
  readonly journal: Journal;
  readonly cache: FactsCache;
  readonly gpio: GpioDriver;
  private readonly clock: Clock;
  private readonly signaller: Signaller;
  private readonly nextId = monotonicFactory();
  private hashKey: Buffer | undefined;
  private input: ScannerInput | undefined;
  private uplink: MqttUplink | undefined;

  constructor(
    private readonly loaded: LoadedSettings,
    private readonly options: ControllerOptions = {},
  ) {
    const { settings } = loaded;
    this.log = options.log ?? createLogger(settings.log.level);
    this.clock = options.clock ?? systemClock;
    this.journal = new Journal(settings.data.dir);
    this.cache = new FactsCache(settings.data.dir);
    this.gpio = options.gpio ?? createGpioDriver(settings.gpio, this.log);
    this.signaller = new Signaller(this.gpio);
  }

  get settings() {
    return this.loaded.settings;
  }

  async start(): Promise<void> {
    const { settings, secrets } = this.loaded;
    const { key, generated } = loadOrCreateHashKey(settings.data.dir, secrets.hashKey);
    if (generated)
      this.log.warn(
        { dir: settings.data.dir },
        'made a local identity hash key; set privacy.hashKeyFile to the deployment key so the hub can trace',
      );
    this.hashKey = key;
    this.journal.open();
    this.cache.open();
    await this.gpio.open();
    if (!this.options.withoutUplink) {
      this.uplink = new MqttUplink({
        mqtt: settings.mqtt,
        kiosk: settings.kiosk,
        ...(secrets.mqttPassword !== undefined ? { password: secrets.mqttPassword } : {}),
        journal: this.journal,
        bus: this.bus,
        clock: this.clock,
        log: this.log,
      });
      this.uplink.start();
    }
    if (!this.options.withoutScanner) {
      this.input = new SerialScanner(settings.scanner, (raw) => this.scan(raw), this.bus, this.log);
      this.input.start();
    }
    this.log.info(
      {
        kiosk: settings.kiosk.id,
        site: settings.kiosk.site,
        gpio: this.gpio.name,
        version: SOFTWARE_VERSION,
      },
      'kiosk started',
    );
  }

  /** The scan path. Synchronous from frame to light: nothing else runs between commit and signal. */
  scan(raw: string): ScanOutcome | null {
    const at = this.clock.now();
    const frame = toFrame(raw, at);
    if (!frame) return null;
    const decoded = decodePayload(frame.text);
    let outcome: ScanOutcome;
    try {
      outcome = decoded.ok ? this.admit(decoded, at) : { at, decoded, decision: decideUndecoded(decoded) };
    } catch (err) {
      // No journal row, no green light: the guard is told to check by hand.
      this.log.error({ err: (err as Error).message, kind: decoded.kind }, 'could not record the check-in');
      outcome = { at, decoded, decision: decideRecordFailed() };
    }
    this.signaller.play(this.signaller.patternFor(outcome.decision.verdict, outcome.decision.repeat));
    this.log.info(
      {
        kind: decoded.kind,
        verdict: outcome.decision.verdict,
        colour: outcome.decision.colour,
        reason: outcome.decision.reason.code,
        ...(outcome.checkin
          ? { checkin: outcome.checkin.id, who: outcome.checkin.document.numberMasked }
          : {}),
      },
      'scan',
    );
    this.bus.emit('scan.decided', outcome);
    return outcome;
  }

  /** lookup → decide → record, for a code that decoded to a person. */
  private admit(decoded: DecodeResult, at: Date): ScanOutcome {
    const { settings } = this.loaded;
    const keys = identityKeys(decoded, this.requireKey());
    const primary = keys[0];
    if (!primary) return { at, decoded, decision: decideUndecoded(decoded) };
    const idHash = primary.hash.toString('hex');
    const window = settings.rules.duplicateWindowSeconds;
    const previous =
      window > 0
        ? this.journal.lastSince(idHash, new Date(at.getTime() - window * 1000).toISOString())
        : undefined;
    if (previous) return { at, decoded, decision: decideRepeat(previous) };

    const decision = decide(this.cache.lookup(keys), settings.rules, at);
    const identity = decoded.identity!;
    const checkin: CheckinMessage = {
      schema: CHECKIN_SCHEMA_ID,
      id: this.nextId(at.getTime()),
      kiosk: settings.kiosk.id,
      site: settings.kiosk.site,
      direction: settings.kiosk.direction,
      at: at.toISOString(),
      clockSynced: this.clock.synced(),
      document: {
        kind: decoded.kind,
        numberMasked: identity.masked ? identity.documentNumber : maskNumber(identity.documentNumber),
        nameMasked: maskName(identity.name),
        idHash,
      },
      verdict: decision.verdict,
      colour: decision.colour,
      reason: decision.reason.code,
      versions: { software: SOFTWARE_VERSION, rules: RULES_VERSION, cache: this.cache.version() },
    };
    const seq = this.journal.append(checkin);
    this.bus.emit('checkin.recorded', { id: checkin.id, seq });
    return { at, decoded, decision, checkin };
  }

  private requireKey(): Buffer {
    if (!this.hashKey) throw new Error('Controller.scan before start()');
    return this.hashKey;
  }

  /** The deployment hash key in use (the demo seeds the cache with it). */
  identityHashKey(): Buffer {
    return this.requireKey();
  }

  async stop(): Promise<void> {
    await this.input?.stop();
    this.signaller.cancel();
    await this.uplink?.stop();
    await this.gpio.close();
    this.journal.close();
    this.cache.close();
    this.log.info('kiosk stopped');
  }
}
