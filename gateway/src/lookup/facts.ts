export { type Facts, NO_FACTS } from '@qrkiosk/protocol';
