export { type BusEvents, EventBus, type ScanOutcome } from './bus.js';
export { type Clock, monotonicNow, systemClock } from './clock.js';
export { Controller, type ControllerOptions } from './controller.js';
export { CLOCK_UNSYNCED_REASON, type Decision, decide, guardUnsyncedClock } from './decide/index.js';
export {
  base45Encode,
  type DccType,
  type DecodeResult,
  decodePayload,
  type Identity,
  kidOf,
  TrustStore,
} from './decode/index.js';
export { type DoctorDeps, type DoctorOptions, doctorExitCode, runDoctor } from './doctor/index.js';
export {
  ENROL_EXIT,
  EnrolmentMode,
  type EnrolResult,
  enrolKiosk,
  isUnenrolled,
  loadPendingSettings,
} from './enrolment/index.js';
export { FAULT_CODES, type FaultCode, type FaultEvent, Faults, RECORD_BLOCKING } from './faults.js';
export { pickLang, type Text } from './i18n.js';
export {
  crcCcitt,
  createScannerInput,
  GM65_OK,
  GM65_ZONE,
  Gm65Demux,
  Gm65Scanner,
  gm65Read,
  gm65Reply,
  gm65Save,
  gm65Write,
  type HidBackend,
  type HidDeviceInfo,
  type HidDeviceLike,
  HidScanner,
  hidPosReports,
  type LayoutName,
  loadedHidBinding,
  nodeHidBackend,
  parseGm65Command,
  type ScannerInput,
  SerialScanner,
  strokesFor,
} from './input/index.js';
export { createLogger, type Logger } from './log.js';
export { type Facts, FactsCache, hashIdentity, type IdType, identityKeys, NO_FACTS } from './lookup/index.js';
export { Journal } from './record/index.js';
export {
  formatProblems,
  type LoadedSettings,
  loadSettings,
  Settings,
  SettingsError,
  settingsFromText,
} from './settings/index.js';
export { type GpioDriver, type Line, PATTERNS, SimGpio, type TimelineEntry } from './signal/index.js';
export { ClockWatch } from './time/clock-watch.js';
export { LAST_GOOD_FILE, readLastGood, writeLastGood } from './time/last-good.js';
export { SOFTWARE_VERSION } from './version.js';
