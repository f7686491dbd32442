/** Every message a person reads comes in Vietnamese first, English second. */
export type Lang = 'vi' | 'en';
export interface Text {
  vi: string;
  en: string;
}

/** The language for CLI output: `--lang`, then QRKIOSK_LANG, then Vietnamese. */
export function pickLang(flag?: string): Lang {
  const wanted = (flag ?? process.env.QRKIOSK_LANG ?? 'vi').toLowerCase();
  return wanted.startsWith('en') ? 'en' : 'vi';
}
