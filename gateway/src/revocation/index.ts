export {
  installedRevocationHeader,
  installRevocationList,
  listFromFile,
  loadRevocationList,
  REVOCATION_FILE,
  type RevocationInstall,
  revocationFile,
} from './install.js';
export { containsHash, RevocationList } from './list.js';
export { RevocationSource } from './source.js';
