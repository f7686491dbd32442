/**
 * One coded error for everything the software installer refuses (house style: one error type with stable codes,
 * not ad-hoc subclasses). The code goes into the update state the daemon reports (telemetry `update.detail`).
 */
export type SoftwareErrorCode =
  | 'signature'
  | 'sha256'
  | 'bundle'
  | 'manifest'
  | 'version'
  | 'downgrade'
  | 'no-bundle'
  | 'layout'
  | 'download'
  | 'restart'
  | 'check'
  | 'busy';

export class SoftwareError extends Error {
  constructor(
    readonly code: SoftwareErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SoftwareError';
  }
}
