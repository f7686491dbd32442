import type { Text } from '../i18n.js';

/**
 * Settings that once existed and did nothing: a kiosk.yaml that still has one keeps loading (the
 * schema is strict, so the key would otherwise stop the kiosk after an upgrade), and the key is named
 * in a warning — `qrkiosk config check` prints it, `qrkiosk run` logs it — so the file gets cleaned.
 */
export const RETIRED_SETTINGS: ReadonlyArray<{ path: [string, string]; why: Text }> = [
  {
    path: ['log', 'pretty'],
    why: {
      vi: 'log.pretty không còn dùng: kiosk luôn ghi log JSON (journald); xóa dòng này',
      en: 'log.pretty is gone: the kiosk always logs JSON (journald); remove the line',
    },
  },
  {
    path: ['mqtt', 'allowFullIdentity'],
    why: {
      vi: 'mqtt.allowFullIdentity không còn dùng: check-in luôn che số và tên; xóa dòng này',
      en: 'mqtt.allowFullIdentity is gone: check-ins are always masked; remove the line',
    },
  },
];

/** A retired key found in the file: where, and why it is ignored. */
export interface SettingsWarning {
  path: string;
  source: string;
  problem: Text;
}

/** Removes retired keys from the parsed file (before validation); returns one warning per key found. */
export function dropRetired(
  raw: Record<string, unknown>,
  sourceOf: (path: string) => string,
): SettingsWarning[] {
  const warnings: SettingsWarning[] = [];
  for (const { path, why } of RETIRED_SETTINGS) {
    const section = raw[path[0]];
    if (typeof section !== 'object' || section === null || !(path[1] in section)) continue;
    const dotted = path.join('.');
    warnings.push({ path: dotted, source: sourceOf(dotted), problem: why });
    delete (section as Record<string, unknown>)[path[1]];
  }
  return warnings;
}
