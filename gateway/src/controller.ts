import type { CheckinMessage, TelemetryMessage } from '@qrkiosk/protocol';
import { monotonicFactory } from 'ulid';
import { admitDecoded, decodeText } from './admission/index.js';
import { KioskAdmission } from './admission/kiosk.js';
import { EventBus, type ScanOutcome } from './bus.js';
import { type Clock, monotonicNow, systemClock } from './clock.js';
import { RemoteConfigFile } from './commands/remote-config.js';
import { decideRecordFailed } from './decide/index.js';
import { assembleDoor } from './door/assemble.js';
import type { Door } from './door/index.js';
import { doorSounds } from './door/sounds.js';
import type { DoorWatch } from './door-watch/index.js';
import { isMarkedRevoked } from './enrolment/unenrol.js';
import { Faults } from './faults.js';
import { FleetLink } from './fleet-link.js';
import { toFrame } from './frame/index.js';
import type { DataFreshness } from './freshness/index.js';
import { kioskFreshness } from './freshness/kiosk.js';
import { createScannerInput, type ScannerInput } from './input/index.js';
import { KioskTelemetry } from './kiosk-telemetry.js';
import { createLogger, type Logger } from './log.js';
import { FactsCache, startHashKey } from './lookup/index.js';
import { openCacheGuarded } from './lookup/open-guarded.js';
import { ManualCheckins } from './manual-checkin.js';
import { KioskMetrics } from './metrics/index.js';
import { Occupancy } from './occupancy/index.js';
import type { Outcomes } from './outcomes/index.js';
import { PassListSource } from './passes/index.js';
import { PolicyInForce } from './policy.js';
import { CheckinRecorder } from './record/checkin.js';
import { Journal, type MonoStamp } from './record/index.js';
import { RecordKeeper } from './record/keeper.js';
import { OutboxPruner } from './record/pruner.js';
import { identitySealer } from './record/seal.js';
import { RevocationSource } from './revocation/index.js';
import { logScan } from './scan-outcome.js';
import { ScreensServer } from './screens/index.js';
import type { LoadedSettings } from './settings/index.js';
import { allOutputsOff, createGpioDriver, type GpioDriver, patternsWith, Signaller } from './signal/index.js';
import { softwareFleet } from './software/daemon.js';
import type { SoftwareFleet } from './software/index.js';
import { ClockWatch } from './time/clock-watch.js';
import type { FleetUpdates } from './updates/index.js';
import { kioskUpdates } from './updates/kiosk.js';
import { VerifyOnlyRecorder } from './verify-only/index.js';
import { SOFTWARE_VERSION } from './version.js';

export interface ControllerOptions {
  clock?: Clock;
  /** A driver to use instead of the one settings name (tests and the demo pass a SimGpio). */
  gpio?: GpioDriver;
  log?: Logger;
  /** Leave out the scanner input (tests that call scan() directly). */
  withoutScanner?: boolean;
  /** Leave out the MQTT uplink (offline tools). */
  withoutUplink?: boolean;
  /** Leave out the screens server (offline tools, tests that do not look at pages). */
  withoutScreens?: boolean;
}

/**
 * The gateway: owns the stages, starts and stops them, and runs the scan path as one explicit,
 * ordered pipeline: input → frame → admission (decode → duplicate window → lookup → decide) →
 * record → signal → (bus, next tick) → uplink. Record comes before signal so that a light the guard
 * saw always has a journal row behind it. The jobs around it live in their own modules, given the parts
 * they act on: fleet updates (updates/kiosk.ts), the hub's link, its commands and the revocation
 * (fleet-link.ts, commands/), telemetry (kiosk-telemetry.ts), manual entry (manual-checkin.ts).
 * The constructor does nothing; start() opens files, hardware and connections.
 */
export class Controller {
  readonly bus: EventBus;
  readonly log: Logger;
  readonly journal: Journal;
  readonly cache: FactsCache;
  readonly gpio: GpioDriver;
  /** Storage faults in force (journal, cache, disk): screens and telemetry follow them. */
  readonly faults: Faults;
  /** Whether the wall clock is trusted (NTP, last good time): decisions, check-ins, telemetry, prune. */
  readonly clockWatch: ClockWatch;
  /** The guard's admit/deny after a REVIEW (button or reception): outcomes/index.ts. */
  readonly outcomes: Outcomes;
  /** People inside the site against its cap (the hub's count, or this kiosk's offline): occupancy/index.ts. */
  readonly occupancy: Occupancy;
  /** After an admitted entry, did the door move? (door-watch/, issue #19) */
  readonly doorWatch: DoorWatch;
  /** Signed updates from the hub: cache, rules, DCC trust and revocation lists (updates/index.ts). */
  readonly updates: FleetUpdates;
  readonly metrics = new KioskMetrics(this);
  /** How old each kind of data is against the signed rules' limits (freshness/, issue #19). */
  readonly freshness: DataFreshness;
  /** The kiosk's own software updates (fleet/software); undefined when no release key is trusted. */
  private readonly software: SoftwareFleet | undefined;
  /** Where the screens listen, once started (`http://…`). */
  screensAddress: string | undefined;
  private readonly keeper: RecordKeeper;
  private readonly recorder: CheckinRecorder;
  /** A verify-only site's record step: a tally with no identity instead of a check-in (verify-only/). */
  private readonly tallies: VerifyOnlyRecorder;
  private readonly pruner: OutboxPruner;
  private readonly clock: Clock;
  private readonly signaller: Signaller;
  /** Lights, sound and relay in an order a guard can trust (repeats, refusal hold): door/index.ts. */
  private readonly door: Door;
  private readonly policy: PolicyInForce;
  /** The hub's `config set`s, kept in the data folder (commands/remote-config.ts). */
  private readonly remote: RemoteConfigFile;
  /** What admission reads here: duplicate window, cache, count, trust (admission/kiosk.ts). */
  private readonly admission: KioskAdmission;
  /** The hub's DCC revocation list in force (revocation/), if one is installed. */
  private readonly revocation: RevocationSource;
  /** The hub's pass list in force (passes/, issue #20): printed passes' holders and the sites' areas. */
  private readonly passes: PassListSource;
  /** The telemetry message's readings (kiosk-telemetry.ts). */
  private readonly readings: KioskTelemetry;
  /** Reception's manual entries (manual-checkin.ts). */
  private readonly manual: ManualCheckins;
  /** The hub's link: uplink, commands, revocation, software updates' news (fleet-link.ts). */
  private readonly link: FleetLink;
  private readonly nextId = monotonicFactory();
  private hashKey: Buffer | undefined;
  private input: ScannerInput | undefined;
  private screens: ScreensServer | undefined;
  /** Bus subscriptions made by start(), undone by stop(). */
  private readonly offs: Array<() => void> = [];

  constructor(
    private readonly loaded: LoadedSettings,
    private readonly options: ControllerOptions = {},
  ) {
    const { settings, secrets } = loaded;
    this.log = options.log ?? createLogger(settings.log.level);
    this.bus = new EventBus(this.log);
    this.clock = options.clock ?? systemClock;
    this.journal = new Journal(settings.data.dir);
    this.cache = new FactsCache(settings.data.dir);
    this.faults = new Faults(this.bus, this.log);
    this.revocation = new RevocationSource(settings.data.dir, secrets.hubKeys, this.log, this.faults);
    this.passes = new PassListSource(settings.data.dir, secrets.hubKeys, this.log, this.faults);
    this.keeper = new RecordKeeper(this.journal, this.faults, this.log, this.clock, settings.data.dir);
    this.clockWatch = new ClockWatch(this.clock, this.faults, this.log, settings.data.dir, {
      assumeSynced: settings.clock.assumeSynced,
    });
    this.remote = new RemoteConfigFile(settings.data.dir);
    this.policy = new PolicyInForce(settings, secrets.hubKeys, this.log, this.remote);
    this.pruner = new OutboxPruner({
      data: settings.data,
      journal: this.journal,
      keeper: this.keeper,
      clock: this.clock,
      synced: () => this.clockWatch.synced(),
    });
    const { clock, clockWatch, faults, log, cache, policy, revocation, passes, journal, keeper } = this;
    const held = { clock, clockWatch, faults, log, cache, policy, revocation, passes };
    this.freshness = kioskFreshness({ loaded, ...held });
    this.admission = new KioskAdmission({
      ...{ settings, cache, faults, clock, log, journal, keeper, revocation, passes },
      hubKeys: secrets.hubKeys,
      policy: () => this.policy.current,
      occupancy: () => this.occupancy.now(),
      hashKey: () => this.requireKey(),
      stale: () => this.freshness.stale(),
      recentTally: (idHash, stamp) => this.tallies.previous(idHash, stamp),
    });
    this.recorder = new CheckinRecorder({
      kiosk: settings.kiosk,
      keeper: this.keeper,
      bus: this.bus,
      log: this.log,
      nextId: (ms) => this.nextId(ms),
      rulesVersion: () => this.policy.current.rules.version,
      cache: this.cache,
      sealer: identitySealer(secrets.tracingKey),
    });
    this.tallies = new VerifyOnlyRecorder({
      kiosk: settings.kiosk,
      keeper: this.keeper,
      journal: this.journal,
      bus: this.bus,
      log: this.log,
      nextId: (ms) => this.nextId(ms),
      versions: () => this.recorder.versions(),
      windowMs: settings.rules.duplicateWindowSeconds * 1000,
    });
    this.software = softwareFleet(settings, secrets.hubKeys, this.log);
    this.gpio = options.gpio ?? createGpioDriver(settings.gpio, this.log);
    this.signaller = new Signaller(
      this.gpio,
      patternsWith(settings.signal.patterns ?? {}, settings.gpio.relayPulseMs),
    );
    ({
      door: this.door,
      outcomes: this.outcomes,
      doorWatch: this.doorWatch,
    } = assembleDoor({
      settings,
      signaller: this.signaller,
      journal: this.journal,
      keeper: this.keeper,
      bus: this.bus,
      clock: this.clock,
      faults: this.faults,
      log: this.log,
      synced: () => this.clockWatch.synced(),
      stamp: () => this.stamp(),
      nextId: (ms) => this.nextId(ms),
    }));
    this.occupancy = new Occupancy({
      kiosk: settings.kiosk,
      journal: this.journal,
      keeper: this.keeper,
      bus: this.bus,
      clock: this.clock,
      log: this.log,
      cap: () => this.policy.current.maxInside,
    });
    // The jobs around the scan path get the parts they act on, never `this`.
    const parts = {
      loaded,
      bus: this.bus,
      clock: this.clock,
      log: this.log,
      stamp: this.stamp,
      clockWatch: this.clockWatch,
      keeper: this.keeper,
      journal: this.journal,
      cache: this.cache,
      faults: this.faults,
      policy: this.policy,
      revocation: this.revocation,
      passes: this.passes,
      admission: this.admission,
      software: this.software,
      recorder: this.recorder,
      occupancy: this.occupancy,
      door: this.door,
      gpio: this.gpio,
      pruner: this.pruner,
      remote: this.remote,
      freshness: this.freshness,
      hashKey: () => this.requireKey(),
    };
    this.updates = kioskUpdates(parts);
    this.readings = new KioskTelemetry(parts);
    this.manual = new ManualCheckins(parts);
    this.link = new FleetLink({ ...parts, telemetry: this.readings, updates: this.updates });
  }

  get settings() {
    return this.loaded.settings;
  }

  /** The kiosk's clock (screens date "today" by it, as the scan path does). */
  readonly now = (): Date => this.clock.now();

  /** A verify-only site by the signed rules in force: tallies, no register (the screens' footer says so). */
  readonly verifyOnly = (): boolean => this.policy.current.verifyOnly;

  /** The scan path. Synchronous from frame to light: nothing but commit and signal runs in between. */
  scan(raw: string): ScanOutcome | null {
    // Trust first, then the time: NTP steps the clock before it says so, so a scan read as synced has a
    // right `at`, and one read as unsynced carries its boot stamp (re-timed to the same value if need be).
    const synced = this.clockWatch.synced();
    const at = this.clock.now();
    const frame = toFrame(raw);
    if (!frame) return null;
    const decoded = decodeText(frame.text, { decode: this.admission.decodeContext(at) });
    let outcome: ScanOutcome;
    try {
      // Revoked by the hub: nothing is decided any more, no row, no green (review #4).
      if (this.faults.has('enrolment-revoked')) throw new RevokedKiosk();
      const stamp = this.stamp();
      const admission = admitDecoded(decoded, this.admission.context(at, synced, stamp));
      if (admission.record) {
        const { decision, idHash, links } = admission;
        // A verify-only site (signed rules) journals a tally without identity instead of a check-in.
        outcome = this.policy.current.verifyOnly
          ? this.tallies.recordScan(decoded, decision, idHash, at, synced, stamp)
          : this.recorder.recordScan(decoded, decision, idHash, at, synced, stamp, links);
      } else {
        const { decision, previous } = admission;
        outcome = { at, decoded, decision, ...(previous ? { previous } : {}) };
      }
    } catch (err) {
      // No journal row, no green light: the guard is told to check by hand.
      if (!(err instanceof RevokedKiosk))
        this.log.error({ err, kind: decoded.kind }, 'could not record the check-in');
      outcome = { at, decoded, decision: decideRecordFailed() };
    }
    // After the commit: a scan held behind a refusal gets its light later, never before its row.
    this.door.scan(outcome);
    logScan(this.log, outcome);
    // News only (uplink, screens): listeners schedule their work for the next tick (bus.ts).
    this.bus.emit('scan.decided', outcome);
    return outcome;
  }

  /**
   * Reception's manual entry for a visitor without a code: name and phone, checked in as `manual`
   * (journaled and sent like a scan). Throws ManualEntryError with a bilingual reason on bad input.
   */
  manualCheckin(name: string, phone: string): CheckinMessage {
    return this.manual.checkin(name, phone);
  }

  /** What the kiosk reports on its telemetry topic (kiosk-telemetry.ts). */
  telemetry(): TelemetryMessage {
    return this.readings.message();
  }

  /** The deployment hash key in use (the demo seeds the cache with it). */
  identityHashKey(): Buffer {
    return this.requireKey();
  }

  async start(): Promise<void> {
    const { settings, secrets } = this.loaded;
    // Revoked by the hub but kiosk.yaml could not be rewritten: still stopped after this restart.
    if (isMarkedRevoked(settings.data.dir)) this.faults.raise('enrolment-revoked');
    this.hashKey = startHashKey(settings.data.dir, secrets.hashKey, this.faults, this.log);
    // Neither a full disk nor a corrupt file stops the kiosk: it starts, shows the fault and
    // records nothing it cannot (every scan then gets the 'record failed' verdict, never green).
    this.keeper.open();
    openCacheGuarded(this.cache, this.faults, this.clock);
    this.admission.loadTrust();
    this.revocation.load();
    this.passes.load();
    this.policy.start();
    await this.gpio.open();
    this.outcomes.start(this.gpio, Object.values(settings.gpio.buttons).some(Boolean));
    this.doorWatch.start(this.gpio);
    // If the process dies, leave every output off (relay released) on the way out. 'exit' handlers
    // run synchronously: the sysfs and LED-class drivers write synchronously; see hardware/README.md
    // for what the wiring must do when the process is killed outright.
    process.on('exit', this.outputsOff);
    this.offs.push(this.metrics.start(), doorSounds(this.bus, this.door), this.readings.start());
    this.pruner.start();
    // After the journal, cache and prune: on a nearly full disk the last-good file must not take the
    // page those need (it is 25 bytes, but a page on tmpfs/ext4); no scan is decided before start() ends.
    this.clockWatch.start();
    this.offs.push(this.freshness.start()); // after the rules, cache and lists are loaded; before the uplink
    this.occupancy.start();
    if (!this.options.withoutUplink) this.offs.push(...this.link.start());
    if (!this.options.withoutScreens && settings.ui.port > 0) {
      this.screens = new ScreensServer(this, this.log);
      this.screensAddress = await this.screens.start(settings.ui.port, settings.ui.host, {
        receptionPin: secrets.receptionPin,
        metricsToken: secrets.metricsToken,
        scannerExpected: !this.options.withoutScanner,
      });
    }
    if (!this.options.withoutScanner) {
      this.input = createScannerInput(settings.scanner, this.metrics.frames(this), this.bus, this.log);
      this.input.start();
    }
    const { id: kiosk, site } = settings.kiosk;
    this.log.info({ kiosk, site, gpio: this.gpio.name, version: SOFTWARE_VERSION }, 'kiosk started');
  }

  private readonly stamp = (): MonoStamp => this.clock.monotonic?.() ?? monotonicNow();

  private requireKey(): Buffer {
    if (!this.hashKey) throw new Error('Controller.scan before start()');
    return this.hashKey;
  }

  private readonly outputsOff = () => allOutputsOff(this.gpio);

  private stopping: Promise<void> | undefined;
  /** Idempotent: a second SIGTERM, or a test's cleanup after the test stopped the kiosk itself, waits for the first. */
  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }
  private async stopOnce(): Promise<void> {
    await this.input?.stop();
    this.pruner.stop();
    for (const off of this.offs.splice(0)) off();
    this.clockWatch.stop();
    this.policy.stop();
    this.outcomes.stop();
    this.doorWatch.stop();
    this.occupancy.stop();
    this.door.stop();
    await this.link.stop();
    await this.screens?.stop();
    await this.gpio.close();
    process.off('exit', this.outputsOff);
    this.keeper.close();
    this.cache.close();
    this.log.info('kiosk stopped');
  }
}

/** A scan on a kiosk whose enrolment the hub revoked (fault `enrolment-revoked`): decided as unrecorded. */
class RevokedKiosk extends Error {}
