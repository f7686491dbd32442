export {
  createDccSigner,
  type DccSigner,
  type DccSignerOptions,
  type IssueOptions,
  sampleVaccination,
} from './dcc-issuer.js';
export { PtyPair } from './pty-pair.js';
export { SAMPLE_PEOPLE, type SamplePerson } from './samples.js';
export { type Terminator, VirtualSerialScanner, type VirtualSerialScannerOptions } from './serial-scanner.js';
export { renderTimelineEntry } from './timeline.js';
