export { type ApplyResult, applyCacheUpdate } from './apply-update.js';
export { type CacheStatus, FactsCache, type RefusalCode, UpdateRefused } from './cache.js';
export { CSV_COLUMNS, type ImportProblem, type ImportReport, importCsv } from './csv-import.js';
export { factsFromDcc } from './dcc-facts.js';
export { type Facts, NO_FACTS } from './facts.js';
export { loadOrCreateHashKey, readHashKey, startHashKey } from './hash-key.js';
export { HASH_BYTES, hashIdentity, type IdentityKey, type IdType, identityKeys } from './identity-keys.js';
