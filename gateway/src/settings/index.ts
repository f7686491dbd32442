export {
  formatProblems,
  type LoadedSettings,
  loadSettings,
  SettingsError,
  type SettingsProblem,
  settingsFromText,
} from './load.js';
export { RETIRED_SETTINGS, type SettingsWarning } from './retired.js';
export { Settings } from './schema.js';
