export { formatProblems, loadHubSettings, NO_FILE, SettingsError, type SettingsProblem } from './load.js';
export { HubSettings } from './schema.js';
