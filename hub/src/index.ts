export { Hub, type HubOptions } from './hub.js';
export { HubIngest, type IngestOptions } from './ingest.js';
export * from './publish.js';
export { createServer, type LiveMessage } from './server.js';
export { HubStore, type KioskRow } from './store.js';
export * from './users.js';
