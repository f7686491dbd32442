import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CHECKIN_SCHEMA_ID,
  type CheckinMessage,
  maskName,
  maskNumber,
  peekUpdateHeader,
  TELEMETRY_SCHEMA_ID,
  type TelemetryMessage,
  TrustListError,
  validateCheckin,
  vnDay,
} from '@qrkiosk/protocol';
import { monotonicFactory } from 'ulid';
import { EventBus, type ScanOutcome } from './bus.js';
import { type Clock, monotonicNow, systemClock } from './clock.js';
import { isCorruption } from './db-files.js';
import { installTrustList } from './dcc-trust.js';
import {
  type Decision,
  decide,
  decideRecordFailed,
  decideRepeat,
  decideUndecoded,
  guardOccupancy,
  guardUnsyncedClock,
  installRulesUpdate,
  type Policy,
  policyFor,
  RulesSource,
} from './decide/index.js';
import { type DecodeResult, decodePayload, TrustError, TrustStore } from './decode/index.js';
import { Door } from './door/index.js';
import { Faults, GUARD_FAULTS } from './faults.js';
import { toFrame } from './frame/index.js';
import { createScannerInput, type ScannerInput } from './input/index.js';
import { createLogger, type Logger } from './log.js';
import {
  applyCacheUpdate,
  type Facts,
  FactsCache,
  factsFromDcc,
  hashIdentity,
  type IdentityKey,
  identityKeys,
  loadOrCreateHashKey,
} from './lookup/index.js';
import { cacheUpdated, openCacheGuarded, reopenCache } from './lookup/open-guarded.js';
import { ManualEntryError } from './manual-entry.js';
import { Occupancy } from './occupancy/index.js';
import { Outcomes } from './outcomes/index.js';
import { Journal, type MonoStamp } from './record/index.js';
import { RecordKeeper } from './record/keeper.js';
import { RevocationSource } from './revocation/index.js';
import { ScreensServer } from './screens/index.js';
import type { LoadedSettings } from './settings/index.js';
import { createGpioDriver, type GpioDriver, LINES, patternsWith, Signaller } from './signal/index.js';
import { ClockWatch } from './time/clock-watch.js';
import type { CommandHooks } from './uplink/commands.js';
import { MqttUplink } from './uplink/index.js';
import { applyTightening, type Tightening, tighten } from './uplink/requests.js';
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
  /** Leave out the screens server (offline tools, tests that do not look at pages). */
  withoutScreens?: boolean;
}

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
  /** Storage faults in force (journal, cache, disk): screens and telemetry follow them. */
  readonly faults: Faults;
  private readonly keeper: RecordKeeper;
  private readonly clock: Clock;
  /** Whether the wall clock is trusted (NTP, last good time): decisions, check-ins, telemetry, prune. */
  readonly clockWatch: ClockWatch;
  private readonly signaller: Signaller;
  /** Lights, sound and relay in an order a guard can trust (repeats, refusal hold): door/index.ts. */
  private readonly door: Door;
  /** The guard's admit/deny after a REVIEW (button or reception): outcomes/index.ts. */
  readonly outcomes: Outcomes;
  /** People inside the site against its cap (the hub's count, or this kiosk's offline): occupancy/index.ts. */
  readonly occupancy: Occupancy;
  private readonly nextId = monotonicFactory();
  private hashKey: Buffer | undefined;
  private rulesSource: RulesSource | undefined;
  private policy: Policy | undefined;
  /** What signed hub requests tightened, until restart (uplink/requests.ts): never looser than the rules. */
  private tightening: Tightening = {};
  private trust = new TrustStore();
  /** The hub's DCC revocation list in force (revocation/), if one is installed. */
  private readonly revocation: RevocationSource;
  private input: ScannerInput | undefined;
  private uplink: MqttUplink | undefined;
  private screens: ScreensServer | undefined;
  /** Where the screens listen, once started (`http://…`). */
  screensAddress: string | undefined;

  constructor(
    private readonly loaded: LoadedSettings,
    private readonly options: ControllerOptions = {},
  ) {
    const { settings } = loaded;
    this.log = options.log ?? createLogger(settings.log.level);
    this.clock = options.clock ?? systemClock;
    this.journal = new Journal(settings.data.dir);
    this.cache = new FactsCache(settings.data.dir);
    this.faults = new Faults(this.bus, this.log);
    this.revocation = new RevocationSource(settings.data.dir, loaded.secrets.hubKeys, this.log, this.faults);
    this.keeper = new RecordKeeper(this.journal, this.faults, this.log, this.clock, settings.data.dir);
    this.clockWatch = new ClockWatch(this.clock, this.faults, this.log, settings.data.dir, {
      assumeSynced: settings.clock.assumeSynced,
    });
    this.gpio = options.gpio ?? createGpioDriver(settings.gpio, this.log);
    this.signaller = new Signaller(
      this.gpio,
      patternsWith(settings.signal.patterns ?? {}, settings.gpio.relayPulseMs),
    );
    this.door = new Door(
      this.signaller,
      settings.signal.refuseHoldMs,
      (shown) => {
        this.outcomes.noteShown(shown);
        this.bus.emit('scan.shown', shown);
      },
      this.log,
    );
    this.outcomes = new Outcomes({
      kiosk: settings.kiosk,
      reviewButtonSeconds: settings.signal.reviewButtonSeconds,
      buttonDebounceMs: settings.signal.buttonDebounceMs,
      journal: this.journal,
      keeper: this.keeper,
      bus: this.bus,
      clock: this.clock,
      log: this.log,
      synced: () => this.clockWatch.synced(),
      stamp: () => this.stamp(),
      nextId: (ms) => this.nextId(ms),
      play: (pattern) => this.door.play(pattern),
      holding: () => this.door.holding,
    });
    this.occupancy = new Occupancy({
      kiosk: settings.kiosk,
      journal: this.journal,
      keeper: this.keeper,
      bus: this.bus,
      clock: this.clock,
      log: this.log,
      cap: () => this.policy?.maxInside,
    });
  }

  get settings() {
    return this.loaded.settings;
  }

  /** The kiosk's clock (screens date "today" by it, as the scan path does). */
  now(): Date {
    return this.clock.now();
  }

  async start(): Promise<void> {
    const { settings, secrets } = this.loaded;
    const { key, generated, unsaved, aside } = loadOrCreateHashKey(settings.data.dir, secrets.hashKey);
    if (unsaved) this.faults.raise('disk-full', unsaved, { file: 'identity.key' });
    if (aside) this.log.error({ aside }, 'identity.key was not a 32-byte key; moved aside, a new one made');
    if (generated)
      this.log.warn(
        { dir: settings.data.dir },
        'made a local identity hash key; set privacy.hashKeyFile to the deployment key so the hub can trace',
      );
    this.hashKey = key;
    // Neither a full disk nor a corrupt file stops the kiosk: it starts, shows the fault and
    // records nothing it cannot (every scan then gets the 'record failed' verdict, never green).
    this.keeper.open();
    openCacheGuarded(this.cache, this.faults, this.clock);
    this.trust = this.loadDccTrust();
    this.revocation.load();
    const rulesFile = settings.rules.file ?? join(settings.data.dir, 'rules.json');
    this.rulesSource = new RulesSource(rulesFile, secrets.hubKeys, this.log, () => this.updatePolicy());
    this.rulesSource.start();
    this.updatePolicy();
    await this.gpio.open();
    this.outcomes.start(this.gpio, Object.values(settings.gpio.buttons).some(Boolean));
    // If the process dies, leave every output off (relay released) on the way out. 'exit' handlers
    // run synchronously: the sysfs and LED-class drivers write synchronously; see hardware/README.md
    // for what the wiring must do when the process is killed outright.
    process.on('exit', this.outputsOff);
    let scannerWasConnected = false;
    this.offScannerStatus = this.bus.on('scanner.status', (s) => {
      if (scannerWasConnected && !s.connected) this.door.play('SCANNER_LOST');
      scannerWasConnected = s.connected;
      this.scannerConnected = s.connected;
    });
    // Audible as well as on screen (issue #13): a guard facing the queue hears that something needs them.
    this.offFaultSound = this.bus.on('fault', (f) => {
      // A fault is raised inside a scan's record step, before that scan's pattern starts: wait for the
      // scan path to finish, then the door plays it after that pattern (Door.alarm).
      if (f.active && GUARD_FAULTS.includes(f.code)) queueMicrotask(() => this.door.alarm('FAULT'));
    });
    this.prune();
    // After the journal, cache and prune: on a nearly full disk the last-good file must not take the
    // page those need (it is 25 bytes, but a page on tmpfs/ext4); no scan is decided before start() ends.
    this.clockWatch.start();
    this.occupancy.start();
    this.pruneTimer = setInterval(() => this.prune(), 3600_000);
    this.pruneTimer.unref();
    if (!this.options.withoutUplink) {
      this.uplink = new MqttUplink({
        mqtt: settings.mqtt,
        kiosk: settings.kiosk,
        ...(secrets.mqttPassword !== undefined ? { password: secrets.mqttPassword } : {}),
        journal: this.keeper.outbox(),
        bus: this.bus,
        clock: this.clock,
        log: this.log,
        telemetry: () => this.telemetry(),
        commands: this.commandHooks(),
        hubKeys: secrets.hubKeys,
        onOccupancy: (payload) => this.occupancy.hubMessage(payload),
        onUpdate: (kind, payload) =>
          void this.onUpdate(kind, payload).catch((err: Error) =>
            this.log.error({ kind, err: err.message }, 'update failed'),
          ),
      });
      this.uplink.start();
      // The hub re-times this boot's unsynced check-ins from a synced telemetry: send one at once.
      this.offClockSynced = this.bus.on('fault', (f) => {
        if (f.code === 'clock-unsynced' && !f.active) this.uplink?.sendTelemetry();
      });
    }
    if (!this.options.withoutScreens && settings.ui.port > 0) {
      this.screens = new ScreensServer(this, this.log);
      const pin = this.loaded.secrets.receptionPin;
      this.screensAddress = await this.screens.start(settings.ui.port, settings.ui.host, {
        ...(pin !== undefined ? { receptionPin: pin } : {}),
        scannerExpected: !this.options.withoutScanner,
      });
      this.log.info({ address: this.screensAddress }, 'screens ready: / (verdict), /reception');
    }
    if (!this.options.withoutScanner) {
      this.input = createScannerInput(settings.scanner, (raw) => this.scan(raw), this.bus, this.log);
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

  private scannerConnected = false;
  private offScannerStatus: (() => void) | undefined;
  private offClockSynced: (() => void) | undefined;
  private offFaultSound: (() => void) | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  /** Cache updates waiting for the one being applied: the newest snapshot and the newest delta. */
  private pending: { snapshot?: Buffer; delta?: Buffer } = {};
  private applying = false;

  /**
   * Applies pending cache updates one at a time, in the worker. A delta that continues our version is
   * taken first (cheap); otherwise a newer snapshot (the catch-up path of a kiosk that missed a delta);
   * then look again, since a delta may continue the snapshot just applied. What fits neither is dropped.
   */
  private async applyPendingUpdates(): Promise<void> {
    const { settings, secrets } = this.loaded;
    this.applying = true;
    try {
      for (;;) {
        const version = this.cache.version();
        const delta = this.pending.delta ? peekUpdateHeader(this.pending.delta) : null;
        const snapshot = this.pending.snapshot ? peekUpdateHeader(this.pending.snapshot) : null;
        let update: Buffer | undefined;
        if (delta && delta.baseSeq === version && delta.seq > version) {
          update = this.pending.delta;
          this.pending.delta = undefined;
        } else if (snapshot && snapshot.seq > version) {
          update = this.pending.snapshot;
          this.pending.snapshot = undefined;
        }
        if (!update) {
          if (delta && delta.seq > version)
            this.log.warn(
              { version, baseSeq: delta.baseSeq, seq: delta.seq },
              'cache delta skipped: it is not based on our version (a delta was missed); catching up needs the snapshot (fleet/cache or "qrkiosk cache apply")',
            );
          break;
        }
        const result = await applyCacheUpdate(
          settings.data.dir,
          update,
          secrets.hubKeys,
          secrets.hubKeys.pems(),
        ).catch((err: Error) => ({ ok: false as const, code: 'error', message: err.message }));
        if (result.ok) cacheUpdated(this.cache, this.faults);
        if (result.ok)
          this.log.info(
            { kind: result.header.kind, version: result.header.seq, records: result.header.records },
            'cache update applied',
          );
        else if (result.code === 'stale')
          this.log.debug({ reason: result.message }, 'cache update already applied');
        else this.log.error({ code: result.code, reason: result.message }, 'cache update refused');
      }
    } finally {
      this.pending = {};
      this.applying = false;
    }
  }

  /**
   * A signed update from the hub. Cache updates (`cache`: the snapshot, `cache-delta`: the latest delta)
   * are applied in a worker thread, one at a time; rules, DCC trust lists and revocation lists are verified in memory
   * before they replace what is on disk. Anything unsigned, altered, stale or out of order is refused
   * and logged with the reason; what is in force stays.
   */
  async onUpdate(kind: string, payload: Buffer): Promise<void> {
    const { settings, secrets } = this.loaded;
    if (kind === 'cache' || kind === 'cache-delta') {
      // Retained updates come back on every reconnect: look at the header first and skip what is
      // already applied; keep only the newest pending update of each kind, never a pile of copies.
      const header = peekUpdateHeader(payload);
      const version = this.cache.version();
      if (!header) this.log.error({ reason: 'not a qrkiosk cache update' }, 'cache update refused');
      else if (header.seq <= version)
        this.log.debug({ seq: header.seq, version }, 'cache update already applied; skipped');
      else {
        const slot = header.kind === 'snapshot' ? 'snapshot' : 'delta';
        const waiting = this.pending[slot] ? peekUpdateHeader(this.pending[slot]) : null;
        if (!waiting || waiting.seq <= header.seq) this.pending[slot] = payload;
        if (!this.applying) await this.applyPendingUpdates();
      }
      return;
    }
    if (kind === 'revocation') {
      this.revocation.receive(payload);
      return;
    }
    if (kind === 'trust') {
      try {
        const result = installTrustList(settings.data.dir, payload, secrets.hubKeys);
        if (!result.installed) {
          this.log.debug({ version: result.version }, 'DCC trust list already installed');
          return;
        }
        // Reloaded whole (hub list, technician files, dcc.trustFiles): the next scan uses the new store.
        this.trust = this.loadDccTrust();
        this.log.info(
          { version: result.version, certificates: result.certificates, signer: result.keyId },
          'DCC trust list installed',
        );
      } catch (err) {
        this.log.error(
          {
            code: err instanceof TrustListError ? err.code : 'error',
            reason: (err as Error).message,
            signers: this.trust.size,
          },
          'DCC trust list refused; the signers in force stay',
        );
      }
      return;
    }
    if (kind === 'rules') {
      try {
        const result = installRulesUpdate(payload, secrets.hubKeys, {
          rulesFile: settings.rules.file ?? join(settings.data.dir, 'rules.json'),
          dataDir: settings.data.dir,
        });
        if (!result.installed) {
          this.log.debug({ version: result.version }, 'rules update already installed');
          return;
        }
        this.rulesSource?.reload();
        this.log.info({ version: result.rules.version }, 'rules update installed');
      } catch (err) {
        this.log.error({ err, reason: (err as Error).message }, 'rules update refused');
      }
      return;
    }
    this.log.warn({ kind }, 'unknown update kind ignored');
  }

  /** What the hub may ask over MQTT (uplink/commands.ts). Runtime changes are not written to kiosk.yaml. */
  private commandHooks(): CommandHooks {
    const { settings } = this.loaded;
    return {
      configGet: () => {
        const policy = this.requirePolicy();
        return {
          kiosk: settings.kiosk,
          scanner: settings.scanner,
          gpio: settings.gpio,
          rules: settings.rules,
          inForce: { rules: policy.rules.version, level: policy.level, unknownPerson: policy.unknownPerson },
          software: SOFTWARE_VERSION,
        };
      },
      configSet: (key, value) => {
        // Checked against the policy in force (signed rules and kiosk.yaml): only ever stricter.
        this.tightening = tighten(this.requirePolicy(), this.tightening, key, value);
        this.updatePolicy();
        this.log.warn({ key, value }, 'setting changed by the hub (until restart)');
      },
      selftest: () => {
        // Lights and buzzer only: a remote request must never open the door — nor show green to
        // someone just refused (it would queue behind the hold and light right after it).
        if (this.door.holding) throw new Error('the door is holding a refusal; try again in a few seconds');
        this.door.play('SELFTEST_LIGHTS');
        return { driver: this.gpio.name, relay: 'not tested remotely' };
      },
      resync: () => ({
        pending: this.uplink?.resync() ?? this.keeper.read(() => this.journal.pendingCount(), 0),
      }),
      purge: () => this.journal.prune(this.pruneOptions()),
    };
  }

  /** The outbox policy (see Journal.prune): run at start and hourly. */
  private prune(): void {
    this.keeper.prune(this.pruneOptions());
  }

  /** See Journal.prune: how far an unsynced clock (1970, 2099) is trusted with age. */
  private pruneOptions() {
    const { data } = this.loaded.settings;
    return {
      maxUndelivered: data.maxUndelivered,
      keepDeliveredMs: data.keepDeliveredDays * 86_400_000,
      now: this.clock.now(),
      clockSynced: this.clockWatch.synced(),
    };
  }

  /** What the kiosk reports on its telemetry topic. */
  telemetry(): TelemetryMessage {
    const { kiosk } = this.loaded.settings;
    const now = this.clock.now();
    const status = this.cache.versionInfo();
    const synced = this.clockWatch.synced();
    const faults = this.faults.list();
    const stamp = this.stamp();
    return {
      schema: TELEMETRY_SCHEMA_ID,
      kiosk: kiosk.id,
      site: kiosk.site,
      at: now.toISOString(),
      software: SOFTWARE_VERSION,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      clockSynced: synced,
      // Wall time and monotonic time read together: from a synced one the hub learns when this boot began.
      boot: { id: stamp.boot, uptimeMs: Math.max(0, Math.round(stamp.ms)) },
      scannerConnected: this.scannerConnected,
      outboxDepth: this.keeper.read(() => this.journal.pendingCount(), 0),
      cache: {
        version: status.version,
        updatedAt: status.updatedAt,
        ageSeconds: status.updatedAt
          ? Math.max(0, Math.round((now.getTime() - Date.parse(status.updatedAt)) / 1000))
          : null,
      },
      rules: { version: this.requirePolicy().rules.version, source: this.rulesSource?.source ?? 'built-in' },
      // Only when there are some: a hub that predates the field keeps accepting healthy kiosks.
      ...(faults.length > 0 ? { faults } : {}),
    };
  }

  private readonly outputsOff = () => {
    for (const line of LINES) {
      try {
        this.gpio.write(line, 0);
      } catch {
        // best effort on the way out
      }
    }
  };

  /** Plays a pattern now (selftest, demos). */
  playPattern(name: Parameters<Signaller['play']>[0]): void {
    this.door.play(name);
  }

  private updatePolicy(): void {
    const { kiosk, rules } = this.loaded.settings;
    if (!this.rulesSource) return;
    const base = policyFor(this.rulesSource.rules, kiosk.site, rules);
    // A level raised by a hub request changes the admission list too: recompute at that level.
    const raised = this.tightening.level !== undefined && this.tightening.level > base.level;
    this.policy = applyTightening(
      raised ? policyFor(this.rulesSource.rules, kiosk.site, rules, this.tightening.level) : base,
      this.tightening,
    );
  }

  /** DSC certificates from dcc.trustFiles and <data.dir>/dcc-trust/. A bad file is logged and skipped. */
  private loadDccTrust(): TrustStore {
    const { dcc, data } = this.loaded.settings;
    const store = new TrustStore();
    const dir = join(data.dir, 'dcc-trust');
    let inDir: string[] = [];
    try {
      inDir = readdirSync(dir)
        .filter((f) => /\.(pem|crt|cer|der)$/i.test(f))
        .map((f) => join(dir, f));
    } catch {
      // no folder: no certificates from there
    }
    for (const file of [...dcc.trustFiles, ...inDir]) {
      try {
        store.add(readFileSync(file), file);
      } catch (err) {
        this.log.error(
          { file, err: err instanceof TrustError ? err.message : (err as Error).message },
          'DCC signer certificate skipped',
        );
      }
    }
    if (store.size > 0) this.log.info({ signers: store.size }, 'DCC signer certificates loaded');
    return store;
  }

  /**
   * decode → lookup → decide for one payload, with no journal and no lights (`qrkiosk check`).
   * `levelOverride` replaces the site's epidemic level.
   */
  evaluate(raw: string, at: Date, levelOverride?: number): { decoded: DecodeResult; decision: Decision } {
    const decoded = decodePayload(raw, this.decodeContext(at));
    if (!decoded.ok) return { decoded, decision: decideUndecoded(decoded) };
    const { settings } = this.loaded;
    const policy =
      levelOverride !== undefined
        ? policyFor(this.requirePolicy().rules, settings.kiosk.site, settings.rules, levelOverride)
        : this.requirePolicy();
    const keys = identityKeys(decoded, this.requireKey());
    return { decoded, decision: decide(this.factsFor(decoded, keys, at), policy, at) };
  }

  /** The cache version a check-in names; a cache that cannot be read says 0 rather than lose the row. */
  private cacheVersion(): number {
    try {
      return this.cache.isOpen ? this.cache.version() : 0;
    } catch (err) {
      this.log.error({ err }, 'facts cache version unreadable');
      return 0;
    }
  }

  private factsFor(decoded: DecodeResult, keys: IdentityKey[], at: Date): Facts | null {
    // A verified vaccine passport carries its own facts; every other code is looked up.
    if (decoded.kind === 'dcc' && decoded.dcc) return factsFromDcc(decoded.dcc, vnDay(at));
    return this.cache.isOpen ? this.cache.lookup(keys) : null;
  }

  /**
   * Without a cache we can trust every person looks unknown: at most REVIEW for them — never ALLOW,
   * and a site (or a hub request) that refuses unknown people keeps refusing them.
   */
  private scanPolicy(): Policy {
    reopenCache(this.cache, this.faults, this.clock);
    const policy = this.requirePolicy();
    const cacheSound = this.cache.isOpen && !this.faults.has('cache-corrupt');
    if (cacheSound || policy.unknownPerson === 'REFUSE') return policy;
    return { ...policy, unknownPerson: 'REVIEW' };
  }

  private stamp(): MonoStamp {
    return this.clock.monotonic?.() ?? monotonicNow();
  }

  private requirePolicy(): Policy {
    if (!this.policy) throw new Error('Controller used before start()');
    return this.policy;
  }

  /** The scan path. Synchronous from frame to light: nothing else runs between commit and signal. */
  scan(raw: string): ScanOutcome | null {
    // Trust first, then the time: NTP steps the clock before it says so, so a scan read as synced has a
    // right `at`, and one read as unsynced carries its boot stamp (re-timed to the same value if need be).
    const synced = this.clockWatch.synced();
    const at = this.clock.now();
    const frame = toFrame(raw, at);
    if (!frame) return null;
    const decoded = decodePayload(frame.text, this.decodeContext(at));
    let outcome: ScanOutcome;
    try {
      // A revoked DCC names a person too: its refusal is journaled and sent like any other.
      outcome =
        decoded.ok || decoded.error?.code === 'dcc-revoked'
          ? this.admit(decoded, at, synced)
          : { at, decoded, decision: decideUndecoded(decoded) };
    } catch (err) {
      // No journal row, no green light: the guard is told to check by hand.
      this.log.error({ err, kind: decoded.kind }, 'could not record the check-in');
      outcome = { at, decoded, decision: decideRecordFailed() };
    }
    // After the commit: a scan held behind a refusal gets its light later, never before its row.
    this.door.scan(outcome);
    this.log.info(
      {
        kind: decoded.kind,
        verdict: outcome.decision.verdict,
        colour: outcome.decision.colour,
        reason: outcome.decision.reason.code,
        ...(outcome.checkin
          ? { checkin: outcome.checkin.id, who: outcome.checkin.document.numberMasked }
          : {}),
        // A repeat: the earlier check-in's time and its specific reason (the public screen has neither).
        ...(outcome.previous ? { repeatOf: outcome.previous.at, firstReason: outcome.previous.reason } : {}),
      },
      'scan',
    );
    this.bus.emit('scan.decided', outcome);
    return outcome;
  }

  /** The clock, the DSC trust store and the revocation list in force, for the decode stage. */
  private decodeContext(at: Date) {
    const revocation = this.revocation.current;
    return { at, trust: this.trust, ...(revocation ? { revocation } : {}) };
  }

  /** lookup → decide → record, for a code that decoded to a person (or a revoked DCC, refused). */
  private admit(decoded: DecodeResult, at: Date, synced: boolean): ScanOutcome {
    const { settings } = this.loaded;
    const revoked = !decoded.ok;
    const keys = identityKeys(revoked ? { ...decoded, ok: true } : decoded, this.requireKey());
    const primary = keys[0];
    if (!primary) return { at, decoded, decision: decideUndecoded(decoded) };
    const idHash = primary.hash.toString('hex');
    const window = settings.rules.duplicateWindowSeconds;
    const stamp = this.stamp();
    let policy = this.scanPolicy(); // first: it reopens a cache that was unavailable
    let facts: Facts | null = null;
    try {
      if (!revoked) facts = this.factsFor(decoded, keys, at);
    } catch (err) {
      // A cache that fails to read: the person counts as unknown, and unknown is at most REVIEW here
      // (a site that refuses unknown people keeps refusing) — never the site's ALLOW, never a green.
      if (isCorruption(err)) this.faults.raise('cache-corrupt', err);
      else this.log.error({ err }, 'facts cache lookup failed; deciding as for an unknown person');
      facts = null;
      if (policy.unknownPerson !== 'REFUSE') policy = { ...policy, unknownPerson: 'REVIEW' };
    }
    const previous =
      window > 0
        ? this.keeper.read(() => this.journal.lastRecent(idHash, at, window * 1000, stamp), undefined)
        : undefined;
    // Let in within the window (ALLOW, or a REVIEW the guard admitted): scanning again at the door is
    // not a second entry, so the occupancy cap does not hold it.
    const letIn = previous !== undefined && (previous.verdict === 'ALLOW' || previous.outcome === 'admitted');
    // A revoked DCC is refused outright (decideUndecoded): no gate can make it greener.
    const decision = revoked
      ? decideUndecoded(decoded)
      : guardOccupancy(
          guardUnsyncedClock(decide(facts, policy, at), facts, synced, policy.rules),
          policy,
          { direction: settings.kiosk.direction, alreadyInside: letIn },
          () => this.occupancy.now(),
        );
    // The earlier verdict is shown only when it is still today's: a person refused since (an F0 in
    // between) gets the new decision, journaled, never the earlier green. A REVIEW the guard admitted
    // is a repeat of an admission for a scan that is ALLOW now: no second row, no second relay.
    if (
      previous &&
      ((previous.verdict === decision.verdict && previous.colour === decision.colour) ||
        (previous.outcome === 'admitted' && decision.verdict === 'ALLOW'))
    )
      return {
        at,
        decoded,
        decision: decideRepeat(previous),
        previous: { at: previous.at, reason: previous.reason },
      };
    const identity = decoded.identity!;
    const checkin = this.newCheckin(
      at,
      synced,
      stamp,
      {
        kind: decoded.kind,
        numberMasked: maskNumber(identity.documentNumber),
        nameMasked: maskName(identity.name),
        idHash,
      },
      { verdict: decision.verdict, colour: decision.colour, reason: decision.reason.code },
    );
    try {
      this.record(checkin, stamp);
    } catch (err) {
      // No journal row, no green light and no relay; a refusal stays a refusal.
      this.log.error({ err, kind: decoded.kind }, 'could not record the check-in');
      return { at, decoded, decision: decideRecordFailed(decision) };
    }
    return { at, decoded, decision, checkin };
  }

  /**
   * Reception's manual entry for a visitor without a code: name and phone, checked in as `manual`
   * (journaled and sent like a scan). Throws ManualEntryError with a bilingual reason on bad input.
   */
  manualCheckin(name: string, phone: string): CheckinMessage {
    const cleanName = name.normalize('NFC').trim().replace(/\s+/g, ' ');
    if (cleanName.length < 2 || cleanName.length > 100 || !/^[\p{L} .'-]+$/u.test(cleanName))
      throw new ManualEntryError({ vi: 'Họ tên không hợp lệ', en: 'Invalid name' });
    const digits = phone.replace(/[\s.-]/g, '').replace(/^\+84/, '0');
    if (!/^0\d{9,10}$/.test(digits))
      throw new ManualEntryError({ vi: 'Số điện thoại không hợp lệ', en: 'Invalid phone number' });
    const synced = this.clockWatch.synced();
    const at = this.clock.now();
    const idHash = hashIdentity(this.requireKey(), 'phone', digits).toString('hex');
    const window = this.loaded.settings.rules.duplicateWindowSeconds;
    const stamp = this.stamp();
    if (
      window > 0 &&
      this.keeper.read(() => this.journal.lastRecent(idHash, at, window * 1000, stamp), undefined)
    )
      throw new ManualEntryError({
        vi: 'Khách này vừa được check-in',
        en: 'This visitor was just checked in',
      });
    // A manual entry is an entry: under the occupancy cap it waits like a scan would (the guard can
    // still let a scanned person in after review; a form has nobody at the door to review).
    const max = this.requirePolicy().maxInside;
    if (max !== undefined && this.loaded.settings.kiosk.direction === 'in') {
      const { inside, unknown } = this.occupancy.now();
      if (unknown || inside >= max)
        throw new ManualEntryError({
          vi: unknown
            ? 'Không đếm được số người — báo kỹ thuật'
            : `Đã đủ số người (${inside}/${max}) — chờ người ra`,
          en: unknown
            ? 'Cannot count the people inside — call a technician'
            : `The site is full (${inside}/${max}) — wait for someone to leave`,
        });
    }
    const checkin = this.newCheckin(
      at,
      synced,
      stamp,
      {
        kind: 'manual',
        numberMasked: maskNumber(digits),
        nameMasked: maskName(cleanName),
        idHash,
      },
      { verdict: 'ALLOW', colour: null, reason: 'manual-entry' },
    );
    this.record(checkin, stamp);
    this.bus.emit('checkin.manual', checkin);
    this.log.info({ checkin: checkin.id, who: checkin.document.numberMasked }, 'manual check-in');
    return checkin;
  }

  /** A check-in as it is journaled and published; masked identity only. */
  private newCheckin(
    at: Date,
    synced: boolean,
    stamp: MonoStamp,
    document: CheckinMessage['document'],
    outcome: Pick<CheckinMessage, 'verdict' | 'colour' | 'reason'>,
  ): CheckinMessage {
    const { kiosk } = this.loaded.settings;
    return {
      schema: CHECKIN_SCHEMA_ID,
      id: this.nextId(at.getTime()),
      kiosk: kiosk.id,
      site: kiosk.site,
      direction: kiosk.direction,
      at: at.toISOString(),
      clockSynced: synced,
      // The monotonic time of this scan, so the hub can re-time it once this boot's clock is known.
      ...(synced ? {} : { boot: { id: stamp.boot, uptimeMs: Math.max(0, Math.round(stamp.ms)) } }),
      document,
      ...outcome,
      versions: {
        software: SOFTWARE_VERSION,
        rules: this.requirePolicy().rules.version,
        cache: this.cacheVersion(),
      },
    };
  }

  /**
   * Durable before anything else happens: the journal row, then the news. A check-in the hub's
   * schema would refuse is not journaled (it would be dropped there after the kiosk counted it
   * delivered): the caller treats that as a failed record. The news cannot undo a committed row,
   * so a failing listener is logged, never reported as a failed record.
   */
  private record(checkin: CheckinMessage, stamp: MonoStamp): void {
    const valid = validateCheckin(checkin);
    if (!valid.ok)
      throw new Error(`check-in does not match the protocol schema: ${valid.errors.slice(0, 3).join('; ')}`);
    const seq = this.keeper.append(checkin, stamp);
    try {
      this.bus.emit('checkin.recorded', { id: checkin.id, seq });
    } catch (err) {
      this.log.error({ err, checkin: checkin.id }, 'after recording a check-in');
    }
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
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    this.offScannerStatus?.();
    this.offClockSynced?.();
    this.offFaultSound?.();
    this.clockWatch.stop();
    this.rulesSource?.stop();
    this.outcomes.stop();
    this.occupancy.stop();
    this.door.stop();
    await this.uplink?.stop();
    await this.screens?.stop();
    await this.gpio.close();
    process.off('exit', this.outputsOff);
    this.keeper.close();
    this.cache.close();
    this.log.info('kiosk stopped');
  }
}
