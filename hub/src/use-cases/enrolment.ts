import { createHash, createPublicKey, type KeyObject, randomBytes } from 'node:crypto';
import {
  type Direction,
  ENROLMENT_REFUSAL_STATUS,
  ENROLMENT_REFUSALS,
  ENROLMENT_SCHEMA_ID,
  type EnrolmentGrant,
  type EnrolmentRefusal,
  type EnrolmentRefused,
  type EnrolRequest,
  enrolmentTokenHash,
  formatEnrolmentCode,
  isId,
  keyId,
  newEnrolmentToken,
  type SignedGrant,
  sealTo,
  signGrant,
} from '@qrkiosk/protocol';
import type { Logger } from 'pino';
import type { KioskLogins } from '../dynsec-accounts.js';
import type { HubStore } from '../store.js';

/**
 * Enrolment, one home for the CLI (`kiosk add|revoke`), the page and POST /api/enrol: a code for one
 * kiosk (only its token's hash kept), and its redemption — the code checked and spent at most once,
 * the kiosk's broker login given a fresh password and enabled, and a grant signed with the hub's update
 * key whose secrets are sealed to the kiosk's key. Every attempt is audited, every refusal with why.
 */
export interface EnrolmentKeys {
  /** The hub's address put in codes (what the kiosk POSTs to). */
  publicUrl: string;
  /** The broker URL kiosks dial, and the CA of its TLS certificate (PEM), given in the grant. */
  brokerUrl: string;
  brokerCa?: string;
  /** The hub's update signing key (Ed25519): grants are signed with it, its id is in every code. */
  signing: { privateKey: KeyObject; publicKey: KeyObject };
  /** The deployment's identity hash key (privacy.hashKeyFile), sealed into every grant. */
  hashKey: Buffer;
  /** Hours a code stays valid unless the caller says otherwise. */
  codeHours: number;
}

/** HTTP status of each refusal: protocol's contract. */
export const REFUSAL_STATUS = ENROLMENT_REFUSAL_STATUS;

export type Redemption =
  | { ok: true; status: 200; body: SignedGrant; kiosk: string }
  | { ok: false; status: number; body: EnrolmentRefused };

export const refused = (error: EnrolmentRefusal): Redemption => ({
  ok: false,
  status: REFUSAL_STATUS[error],
  body: { error, message: ENROLMENT_REFUSALS[error] },
});

/** A short, stable name of a kiosk key for the audit: the first 16 hex of SHA-256 over its SPKI DER. */
export const keyFingerprint = (publicKey: string): string =>
  createHash('sha256').update(Buffer.from(publicKey, 'base64')).digest('hex').slice(0, 16);

/** An address as logs show it: the host part dropped (IPv4 last byte, IPv6 past /48). The audit keeps it whole. */
export const maskAddress = (ip: string): string =>
  ip.includes(':') ? `${ip.split(':').slice(0, 3).join(':')}::/48` : ip.replace(/\.\d+$/, '.x');

const isX25519 = (b64: string): boolean => {
  try {
    return (
      createPublicKey({ key: Buffer.from(b64, 'base64'), format: 'der', type: 'spki' }).asymmetricKeyType ===
      'x25519'
    );
  } catch {
    return false;
  }
};

/** Whether a shared secret can be made with the key (X25519 refuses low-order points: all-zero output). */
const canSealTo = (b64: string): boolean => {
  try {
    sealTo(b64, Buffer.alloc(1));
    return true;
  } catch {
    return false;
  }
};

export interface IssuedCode {
  code: string;
  expiresAt: string;
  /** Older unredeemed codes of this kiosk that this one withdrew. */
  withdrawn: number;
}

export class Enrolment {
  constructor(
    private readonly store: HubStore,
    private readonly logins: KioskLogins,
    private readonly keys: EnrolmentKeys,
    private readonly log: Logger,
  ) {}

  /**
   * A new code for `kiosk` at `site`: makes the kiosk's broker role and disabled client when it has
   * none (a working kiosk's login, binding and role are left as they are until the code is redeemed —
   * a code never redeemed changes nothing), stores the token's hash and withdraws the kiosk's older
   * unredeemed codes. Throws when the broker refuses — KioskAccountConflict when the id is a login that
   * is not a kiosk's — and no code is stored then.
   */
  async issue(
    request: { kiosk: string; site: string; direction: Direction; hours?: number; by: string },
    now = new Date(),
  ): Promise<IssuedCode> {
    const { kiosk, site, direction } = request;
    if (!isId(kiosk) || !isId(site) || kiosk === 'hub')
      throw new Error(`not a kiosk or site id: ${kiosk} ${site}`);
    const hours = request.hours ?? this.keys.codeHours;
    await this.logins.prepare({ kiosk, site, how: 'registered' });
    const token = newEnrolmentToken();
    const tokenHash = enrolmentTokenHash(token);
    const expiresAt = new Date(now.getTime() + hours * 3_600_000).toISOString();
    const withdrawn = await this.store.repo.enrolments.add({
      tokenHash,
      kiosk,
      site,
      direction,
      createdAt: now.toISOString(),
      expiresAt,
      createdBy: request.by,
    });
    await this.store.audit(request.by, 'enrol-code', {
      kiosk,
      site,
      direction,
      expiresAt,
      token: tokenHash.slice(0, 12),
      withdrawn,
    });
    const code = formatEnrolmentCode({
      token,
      keyId: keyId(this.keys.signing.publicKey),
      hubUrl: this.keys.publicUrl,
    });
    return { code, expiresAt, withdrawn };
  }

  /** Redeems a request from address `from`. Never throws for a caller's mistake: a refusal says why. */
  async redeem(request: EnrolRequest, from: string, now = new Date()): Promise<Redemption> {
    const key = isX25519(request.publicKey) ? keyFingerprint(request.publicKey) : 'not-x25519';
    const tokenHash = enrolmentTokenHash(request.token);
    const refuse = async (reason: EnrolmentRefusal, kiosk?: string): Promise<Redemption> => {
      await this.store.audit('enrolment', 'enrol-refused', {
        reason,
        ...(kiosk ? { kiosk } : {}),
        ip: from,
        key,
        token: tokenHash.slice(0, 12),
      });
      this.log.warn({ reason, kiosk, from: maskAddress(from), key }, 'kiosk enrolment refused');
      return refused(reason);
    };
    // Checked before the code is spent: a kiosk with a broken key can try again with the same code.
    // A low-order X25519 key parses but has no shared secret: the trial seal finds it here, not later.
    if (key === 'not-x25519' || !canSealTo(request.publicKey)) return refuse('bad-request');
    const claim = await this.store.repo.enrolments.claim(tokenHash, now, key, from);
    if (!claim.ok) return refuse(claim.reason, claim.row?.kiosk);
    const { kiosk, site } = claim.row;
    const direction = claim.row.direction as Direction;
    // From the claim on, any failure gives the code back and is audited: nothing was handed out, the
    // technician may scan the same code again (a password set on the broker is replaced next time).
    try {
      const password = randomBytes(24).toString('base64url');
      // The broker first: the hub's binding moves to the code's site only once the login goes there too.
      await this.logins.activate({ kiosk, site, how: 'registered' }, password);
      await this.store.registerKiosk({ kiosk, site, how: 'registered' }, now);
      // Enrolled again after a revocation: back in alerts, rollouts and the fleet's live rows.
      await this.store.repo.fleet.unretire(kiosk);
      const secrets = { password, hashKey: this.keys.hashKey.toString('base64') };
      const grant: EnrolmentGrant = {
        schema: ENROLMENT_SCHEMA_ID,
        kiosk,
        site,
        direction,
        issuedAt: now.toISOString(),
        kioskKey: request.publicKey,
        broker: { url: this.keys.brokerUrl, ...(this.keys.brokerCa ? { ca: this.keys.brokerCa } : {}) },
        username: kiosk,
        hubPublicKeys: [this.keys.signing.publicKey.export({ type: 'spki', format: 'pem' }).toString()],
        sealed: sealTo(request.publicKey, Buffer.from(JSON.stringify(secrets), 'utf8')),
      };
      const signed = signGrant(grant, this.keys.signing);
      await this.store.audit(`kiosk:${kiosk}`, 'enrol-redeemed', {
        kiosk,
        site,
        direction,
        ip: from,
        key,
        software: request.software,
        token: tokenHash.slice(0, 12),
      });
      this.log.info({ kiosk, site, from: maskAddress(from), key }, 'kiosk enrolled');
      return { ok: true, status: 200, body: signed, kiosk };
    } catch (err) {
      this.log.error({ err, kiosk }, 'enrolment: the kiosk’s broker login could not be set');
      await this.store.repo.enrolments.release(tokenHash);
      return refuse('broker-failed', kiosk);
    }
  }
}

/** Withdraws the kiosk's codes and deletes its broker client (its login stops at once). */
export async function revokeKiosk(
  store: HubStore,
  logins: KioskLogins,
  kiosk: string,
  by: string,
  now = new Date(),
): Promise<{ withdrawn: number }> {
  const withdrawn = await store.repo.enrolments.withdraw(kiosk, now, 'revoked');
  await logins.remove(kiosk);
  // Its row stays (history, reports); retired, it stops raising "silent" and counting in rollouts.
  await store.repo.fleet.retire(kiosk, now, by);
  await store.audit(by, 'kiosk-revoke', { kiosk, withdrawn });
  return { withdrawn };
}
