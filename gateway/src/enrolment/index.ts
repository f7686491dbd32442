export { type BrokerLogin, tryBrokerLogin } from './broker-login.js';
export {
  DEFAULT_DATA_DIR,
  type EnrolOptions,
  type EnrolResult,
  type EnrolStep,
  enrolKiosk,
} from './enrol.js';
export { EnrolmentMode, type EnrolmentModeOptions } from './mode.js';
export {
  ENROL_EXIT,
  type EnrolFailure,
  enrolMessage,
  exitCodeOf,
  KIOSK_ENROL_FAILURES,
} from './outcome.js';
export { isUnenrolled, loadPendingSettings, PENDING_ID } from './pending.js';
export { type Redeemed, type Redemption, redeemCode } from './redeem.js';
export { EnrolmentScreen, type EnrolScreenMessage, type EnrolScreenState } from './screen.js';
export { ENROLMENT_FILES, writeEnrolledConfig } from './write-config.js';
