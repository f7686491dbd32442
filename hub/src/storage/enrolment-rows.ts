/** The enrolment codes' rows (storage/enrolments.ts), apart from their SQL so that the repository's interface can name them without importing the engines' code. */

export interface EnrolmentRow {
  tokenHash: string;
  kiosk: string;
  site: string;
  direction: string;
  createdAt: string;
  expiresAt: string;
  createdBy: string;
  withdrawnAt: string | null;
  withdrawnWhy: string | null;
  redeemedAt: string | null;
  /** The fingerprint of the kiosk key that redeemed it. */
  redeemedKey: string | null;
  /** The address it was redeemed from. */
  redeemedFrom: string | null;
}

export type NewEnrolment = Pick<
  EnrolmentRow,
  'tokenHash' | 'kiosk' | 'site' | 'direction' | 'createdAt' | 'expiresAt' | 'createdBy'
>;

/** Why a token did not redeem. */
export type ClaimRefusal = 'code-unknown' | 'code-used' | 'code-revoked' | 'code-expired';
export type Claim = { ok: true; row: EnrolmentRow } | { ok: false; reason: ClaimRefusal; row?: EnrolmentRow };
