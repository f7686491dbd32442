export {
  createDccSigner,
  type DccSigner,
  type DccSignerOptions,
  type IssueOptions,
  sampleVaccination,
} from './dcc-issuer.js';
export { type DoorWalkerOptions, walkThroughDoor } from './door-walker.js';
export { Gm65Emulator } from './gm65-emulator.js';
export { FakeHidDevice, hidPosStream, keyboardWedgeReports, type TimedReport } from './hid-streams.js';
export {
  type FleetLoadOptions,
  type FleetLoadResult,
  publishFleetLoad,
  syntheticCheckin,
} from './load-generator.js';
export { cccdFor, type PowerCutOptions, type PowerCutResult, powerCutRun } from './power-cut.js';
export { PtyPair } from './pty-pair.js';
export { receiptCheckins } from './receipts.js';
export { SAMPLE_PEOPLE, type SamplePerson } from './samples.js';
export { type Terminator, VirtualSerialScanner, type VirtualSerialScannerOptions } from './serial-scanner.js';
export { renderTimelineEntry } from './timeline.js';
