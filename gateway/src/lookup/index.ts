export { FactsCache } from './cache.js';
export { type Facts, NO_FACTS } from './facts.js';
export { loadOrCreateHashKey } from './hash-key.js';
export { HASH_BYTES, hashIdentity, type IdentityKey, type IdType, identityKeys } from './identity-keys.js';
