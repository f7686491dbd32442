/**
 * Where a kiosk keeps its config. On its own so that main.ts can show it in `--help` without importing the
 * settings loader (and its YAML and schema libraries) on every start.
 */
export const DEFAULT_CONFIG = '/etc/qrkiosk/kiosk.yaml';
