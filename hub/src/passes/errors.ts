import type { KeyObject } from 'node:crypto';
import type { Text } from '../text.js';

/**
 * One coded error for issuing and revoking passes (as user-error.ts for users), shown as is by the
 * CLI (`vi / en` on standard error, exit 2) and the HTTP routes (`{ error: { vi, en } }` with `status`).
 */
export type PassErrorCode =
  | 'bad-scope'
  | 'unknown-scope'
  | 'bad-hash'
  | 'bad-days'
  | 'bad-csv'
  | 'bad-encoding'
  | 'bad-issuer'
  | 'too-many'
  | 'list-full'
  | 'no-pass'
  | 'no-key';

export const PASS_ERROR_STATUS: Record<PassErrorCode, number> = {
  'bad-scope': 400,
  'unknown-scope': 400,
  'bad-hash': 400,
  'bad-days': 400,
  'bad-csv': 400,
  'bad-encoding': 400,
  'bad-issuer': 400,
  'too-many': 409,
  'list-full': 409,
  'no-pass': 404,
  'no-key': 503,
};

export class PassIssueError extends Error {
  readonly status: number;
  /** What the hub's error handler (routes/access.ts) answers with. */
  readonly statusCode: number;
  constructor(
    readonly code: PassErrorCode,
    readonly text: Text,
  ) {
    super(`${code}: ${text.en}`);
    this.status = PASS_ERROR_STATUS[code];
    this.statusCode = this.status;
  }
}

export const passError = (code: PassErrorCode, vi: string, en: string) =>
  new PassIssueError(code, { vi, en });

/** The hub's signing key, or the no-key error (vi/en) every pass operation that signs answers without one. */
export function requireSigning<T extends { signing?: { privateKey: KeyObject; publicKey: KeyObject } }>(
  deps: T,
): { privateKey: KeyObject; publicKey: KeyObject } {
  if (!deps.signing)
    throw passError(
      'no-key',
      'Hub chưa có khóa ký (hub.yaml fleet.signingKeyFile)',
      'the hub has no signing key (hub.yaml fleet.signingKeyFile)',
    );
  return deps.signing;
}
