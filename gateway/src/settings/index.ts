export {
  formatProblems,
  type LoadedSettings,
  loadSettings,
  SettingsError,
  type SettingsProblem,
  settingsFromText,
} from './load.js';
export { Settings } from './schema.js';
