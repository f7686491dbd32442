export {
  installedPassListHeader,
  installPassList,
  loadPassList,
  PASS_LIST_FILE,
  PassListSource,
  passListFile,
} from './source.js';
