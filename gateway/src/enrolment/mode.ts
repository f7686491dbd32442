import { type Bilingual, isEnrolmentCode } from '@qrkiosk/protocol';
import { EventBus } from '../bus.js';
import { toFrame } from '../frame/index.js';
import { createScannerInput, type ScannerInput } from '../input/index.js';
import type { Logger } from '../log.js';
import type { LoadedSettings } from '../settings/index.js';
import {
  allOutputsOff,
  createGpioDriver,
  type GpioDriver,
  patternsWith,
  Signaller,
} from '../signal/index.js';
import { type EnrolOptions, enrolKiosk } from './enrol.js';
import { EnrolmentScreen, type EnrolScreenState } from './screen.js';

/** How long "kiosk not enrolled" stays up after a person's scan, before "scan the enrolment code" again. */
const NOT_ENROLLED_MS = 5000;
/** How long "enrolled" stays on the screen before the daemon exits to be restarted into normal mode. */
const ENROLLED_SHOW_MS = 3000;

export interface EnrolmentModeOptions {
  gpio?: GpioDriver;
  log: Logger;
  /** Passed to enrolKiosk (tests: a short hub timeout). */
  enrol?: Pick<EnrolOptions, 'fetch' | 'hubTimeoutMs' | 'brokerTimeoutMs' | 'env'>;
  /** How long "enrolled" is shown before `done` resolves (ms). */
  enrolledShowMs?: number;
}

/**
 * `qrkiosk run` on an unenrolled kiosk (enrolment/pending.ts): scanner, lights and the verdict screen,
 * and nothing that decides about people — no cache, no journal, no broker. A scanned QRKE1 code runs the
 * same use case as `qrkiosk enrol` (enrol.ts); anything else is a person, and gets the FAULT lights and
 * "kiosk not enrolled", never green. `done` resolves once enrolled: the daemon then exits 0 and systemd
 * (Restart=always) starts it again, now with the kiosk.yaml enrolment wrote. So it does when that file was
 * written but the broker login failed: normal mode retries the login; waiting here would wait for ever.
 */
export class EnrolmentMode {
  readonly bus: EventBus;
  readonly gpio: GpioDriver;
  /** Resolves when the kiosk is enrolled and the "enrolled" screen has been shown. */
  readonly done: Promise<void>;
  screensAddress: string | undefined;
  private resolveDone!: () => void;
  private readonly signaller: Signaller;
  private readonly screen: EnrolmentScreen;
  private input: ScannerInput | undefined;
  private busy = false;
  private enrolled = false;
  /** What the screen goes back to after "not enrolled" once enrolment wrote kiosk.yaml. */
  private afterEnrolled: { state: EnrolScreenState; extra: { kiosk?: string; message?: Bilingual } } = {
    state: 'waiting',
    extra: {},
  };
  private backTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly loaded: LoadedSettings,
    private readonly o: EnrolmentModeOptions,
  ) {
    const { settings } = loaded;
    this.bus = new EventBus(o.log);
    this.gpio = o.gpio ?? createGpioDriver(settings.gpio, o.log);
    this.signaller = new Signaller(
      this.gpio,
      patternsWith(settings.signal.patterns ?? {}, settings.gpio.relayPulseMs),
    );
    this.screen = new EnrolmentScreen(o.log);
    this.done = new Promise((resolve) => {
      this.resolveDone = resolve;
    });
  }

  async start(): Promise<void> {
    const { settings } = this.loaded;
    await this.gpio.open();
    process.on('exit', this.outputsOff);
    this.bus.on('scanner.status', (s) => this.screen.scanner(s.connected));
    if (settings.ui.port > 0)
      this.screensAddress = await this.screen.start(settings.ui.port, settings.ui.host);
    this.input = createScannerInput(settings.scanner, (raw) => void this.scan(raw), this.bus, this.o.log);
    this.input.start();
    // The guard sees it at once, before any scan: this kiosk checks nobody yet.
    this.signaller.play('FAULT');
    this.o.log.warn(
      { config: this.loaded.file },
      'kiosk not enrolled (no kiosk: section): waiting for an enrolment code (scan it, or qrkiosk enrol CODE)',
    );
  }

  /** What the screen shows now. */
  get shown() {
    return this.screen.shown;
  }

  /** One scanned line: an enrolment code is redeemed; anything else is a person this kiosk cannot check. */
  async scan(raw: string): Promise<void> {
    const frame = toFrame(raw);
    if (!frame) return;
    if (!isEnrolmentCode(frame.text)) {
      // Until the daemon has restarted in normal mode nobody is checked, "enrolled" on screen or not.
      this.signaller.play('FAULT');
      this.o.log.warn({ reason: 'kiosk-not-enrolled', pattern: 'FAULT' }, 'scan refused: kiosk not enrolled');
      // Also after "enrolled": until the restart this kiosk checks nobody, and the screen must say so.
      if (!this.busy) this.showFor('not-enrolled');
      return;
    }
    // One enrolment at a time: a code scanned twice in a row (scanners repeat) is not redeemed twice.
    if (this.busy || this.enrolled) return;
    this.busy = true;
    clearTimeout(this.backTimer);
    this.screen.show('working');
    try {
      const result = await enrolKiosk({
        ...this.o.enrol,
        code: frame.text,
        configFile: this.loaded.file,
        dataDir: this.loaded.settings.data.dir,
        log: this.o.log,
      });
      if (result.ok) {
        this.enrolled = true;
        this.afterEnrolled = { state: 'enrolled', extra: { kiosk: result.kiosk } };
        // No green: a person at the door must never read this as "admitted"; the screen says it.
        this.signaller.cancel();
        this.screen.show('enrolled', { kiosk: result.kiosk });
        setTimeout(() => this.resolveDone(), this.o.enrolledShowMs ?? ENROLLED_SHOW_MS);
        return;
      }
      // Refused: our sentence for the reason, amber, and back to waiting for a code.
      this.signaller.play('FAULT');
      this.screen.show('refused', { message: result.message });
      if (result.written) {
        // The broker failed after kiosk.yaml was put in place: the code is spent and this mode would wait
        // for ever. Exit like a success: systemd restarts into normal mode, whose uplink keeps retrying
        // the login (the screen says so: the reason's sentence).
        this.enrolled = true;
        this.afterEnrolled = { state: 'refused', extra: { message: result.message } };
        this.o.log.warn(
          { reason: result.reason, detail: result.detail },
          'enrolment written but the broker login failed; restarting to keep trying in normal mode',
        );
        setTimeout(() => this.resolveDone(), this.o.enrolledShowMs ?? ENROLLED_SHOW_MS);
        return;
      }
      this.o.log.warn(
        { reason: result.reason, detail: result.detail },
        'enrolment failed; waiting for another code',
      );
    } catch (err) {
      this.o.log.error({ err }, 'enrolment failed');
      this.signaller.play('FAULT');
      this.screen.show('refused', {
        message: { vi: 'Lỗi khi đăng ký — xem nhật ký kiosk', en: 'Enrolment error — see the kiosk log' },
      });
    } finally {
      this.busy = false;
    }
  }

  private showFor(state: 'not-enrolled'): void {
    this.screen.show(state);
    clearTimeout(this.backTimer);
    const back = this.afterEnrolled;
    this.backTimer = setTimeout(() => this.screen.show(back.state, back.extra), NOT_ENROLLED_MS);
    this.backTimer.unref();
  }

  private readonly outputsOff = () => allOutputsOff(this.gpio);

  async stop(): Promise<void> {
    clearTimeout(this.backTimer);
    await this.input?.stop();
    this.signaller.cancel();
    await this.screen.stop();
    await this.gpio.close();
    process.off('exit', this.outputsOff);
  }
}
