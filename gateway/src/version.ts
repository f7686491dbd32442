import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
/** The gateway package version, reported in every check-in and in telemetry. */
export const SOFTWARE_VERSION: string = (require('../package.json') as { version: string }).version;
