import type { EventBus } from '../bus.js';
import type { Logger } from '../log.js';
import { Gm65Scanner } from './gm65-scanner.js';
import { type HidBackend, HidScanner } from './hid.js';
import { type ScannerInput, type ScannerSettings, SerialScanner } from './serial.js';

export { type DeviceGuess, listScannerCandidates, type ScannerCandidate } from './devices.js';
export * from './gm65.js';
export { Gm65Demux } from './gm65-demux.js';
export { Gm65Scanner } from './gm65-scanner.js';
export {
  type HidBackend,
  type HidDeviceInfo,
  type HidDeviceLike,
  HidScanner,
  makeReportFeed,
  pickHidDevice,
} from './hid.js';
export { HID_POS_USAGE_PAGE, HidPosAssembler, type HidPosCode, hidPosReports } from './hid-pos.js';
export { KeyboardWedgeDecoder } from './keyboard-wedge.js';
export { type KeyStroke, LAYOUTS, type LayoutName, strokesFor } from './layouts.js';
export {
  type HidDriver,
  HidDriverError,
  hidDriverFor,
  loadedHidBinding,
  nodeHidBackend,
} from './node-hid-backend.js';
export {
  resolveSerialPath,
  type ScannerInput,
  type ScannerSettings,
  type SerialDeps,
  SerialScanner,
} from './serial.js';

/** The input for the configured scanner type. Constructing it touches no device; start() does. */
export function createScannerInput(
  settings: ScannerSettings,
  onLine: (raw: string) => void,
  bus: EventBus,
  log: Logger,
  hid?: HidBackend,
): ScannerInput {
  if (settings.type === 'hid-pos' || settings.type === 'keyboard-wedge')
    return new HidScanner(settings, onLine, bus, log, hid);
  if (settings.type === 'gm65') return new Gm65Scanner(settings, onLine, bus, log);
  return new SerialScanner(settings, onLine, bus, log);
}
