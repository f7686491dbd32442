import type { Text } from '../text.js';

export type { Text };

/** One coded, bilingual error for releases and rollouts; the HTTP routes answer its text with a 4xx. */
export class UpdatesError extends Error {
  constructor(
    readonly code: string,
    readonly text: Text,
    readonly status = 400,
  ) {
    super(text.en);
    this.name = 'UpdatesError';
  }
}
