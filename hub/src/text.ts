/** A message for a person: Vietnamese first, its English twin beside it (the page picks one). */
export interface Text {
  vi: string;
  en: string;
}
