import type { Text } from './i18n.js';

/** A manual entry the reception page must correct; the text is shown as it is. */
export class ManualEntryError extends Error {
  constructor(readonly text: Text) {
    super(text.en);
  }
}
