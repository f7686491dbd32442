export { type ApplyOptions, applyBundle } from './apply.js';
export { loadReleaseKeys, sha256Hex, unpackBundle, verifyBundle } from './bundle.js';
export { SoftwareError, type SoftwareErrorCode } from './errors.js';
export { type ApplyRequest, requestFile, SoftwareFleet, spoolDir } from './fleet.js';
export { currentBin, currentLink, currentVersion, switchCurrent, versionDir } from './layout.js';
export { readUpdateState, type UpdateState, writeUpdateState } from './state.js';
