import {
  ENROL_PATH,
  ENROL_REQUEST_SCHEMA_ID,
  ENROLMENT_REFUSALS,
  type EnrolmentCode,
  EnrolmentGrant,
  type EnrolmentRefusal,
  type EnrolRequest,
  MIN_DEPLOYMENT_KEY_BYTES,
  newKioskKeyPair,
  openGrant,
  openSealed,
  type SignedGrant,
  validatorFor,
} from '@qrkiosk/protocol';

const checkGrant = validatorFor(EnrolmentGrant);
/** A grant is a few kilobytes (8 hub keys, a CA): anything far larger is not a hub's answer. */
const MAX_ANSWER_BYTES = 256 * 1024;

export interface RedeemOptions {
  /** Node's fetch (undici) unless a test passes another. */
  fetch?: typeof fetch;
  /** How long the hub may take to answer, in ms (default 15 s). */
  timeoutMs?: number;
  software: string;
}

/** A checked grant and its opened secrets: what the kiosk writes. */
export interface Redeemed {
  grant: EnrolmentGrant;
  password: string;
  hashKey: Buffer;
}

export type Redemption =
  | { ok: true; value: Redeemed }
  /** hubText: the hub's own sentence for a refusal, for the log and the CLI's detail line only. */
  | { ok: false; reason: EnrolmentRefusal; detail: string; hubText?: string };

/** The answer was larger than MAX_ANSWER_BYTES: reading stopped there. */
class TooLarge extends Error {}

/**
 * Reads a body up to `max` bytes and stops there (the stream cancelled): `res.text()` would first hold
 * whatever a rogue "hub" sends, and a Pi has little memory.
 */
async function readBounded(res: Response, max: number): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel().catch(() => undefined);
      throw new TooLarge(`answer larger than ${max} bytes`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

const refused = (reason: EnrolmentRefusal, detail: string): Redemption => ({ ok: false, reason, detail });

/**
 * Redeems a code at its hub: a fresh X25519 key pair, `POST <hub>/api/enrol`, and every check on the
 * answer before anything is believed — the signature by the key the code names (openGrant), the grant's
 * shape (EnrolmentGrant, protocol's validator), that it was sealed to the key just sent, and that the
 * sealed part opens to a usable password and hash key. The private key never leaves this function.
 */
export async function redeemCode(code: EnrolmentCode, o: RedeemOptions): Promise<Redemption> {
  const keys = newKioskKeyPair();
  const request: EnrolRequest = {
    schema: ENROL_REQUEST_SCHEMA_ID,
    token: code.token,
    publicKey: keys.publicKey,
    software: o.software.slice(0, 32),
  };
  let status: number;
  let text: string;
  try {
    const res = await (o.fetch ?? fetch)(`${code.hubUrl}${ENROL_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(request),
      signal: AbortSignal.timeout(o.timeoutMs ?? 15_000),
      redirect: 'error',
    });
    status = res.status;
    text = await readBounded(res, MAX_ANSWER_BYTES);
  } catch (err) {
    if (err instanceof TooLarge) return refused('hub-unreachable', err.message);
    // Refused connection, DNS, TLS, timeout, a redirect: the code's address did not answer as a hub.
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    return refused('hub-unreachable', cause?.code ?? cause?.message ?? (err as Error).message);
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    // A proxy's error page, a web server without the hub: not the hub answering.
    return refused('hub-unreachable', `HTTP ${status}, not JSON`);
  }
  if (status !== 200) {
    const error = (body as { error?: unknown })?.error;
    if (typeof error === 'string' && error in ENROLMENT_REFUSALS) {
      const message = (body as { message?: { en?: unknown } }).message;
      // Only the code is believed: the screen shows OUR sentence for it (ENROLMENT_REFUSALS), never text
      // from whoever answered at the code's address. The hub's own words go to the log and the CLI's
      // detail line, cut short and on one line.
      const hubText =
        typeof message?.en === 'string' ? message.en.replace(/[\p{Cc}]+/gu, ' ').slice(0, 300) : undefined;
      return {
        ok: false,
        reason: error as EnrolmentRefusal,
        detail: `HTTP ${status}`,
        ...(hubText ? { hubText } : {}),
      };
    }
    return refused('hub-unreachable', `HTTP ${status} without a known refusal`);
  }
  const opened = openGrant(body as SignedGrant, code.keyId);
  if (!opened.ok) return refused('grant-invalid', 'signature or key id does not match the code');
  const shape = checkGrant(opened.grant);
  if (!shape.ok) return refused('grant-invalid', `grant: ${shape.errors.join('; ')}`);
  const grant = shape.value;
  if (grant.kioskKey !== keys.publicKey) return refused('grant-invalid', 'grant sealed to another kiosk key');
  let secrets: { password?: unknown; hashKey?: unknown };
  try {
    secrets = JSON.parse(openSealed(keys.privateKey, grant.sealed).toString('utf8'));
  } catch (err) {
    return refused('grant-invalid', `sealed part: ${(err as Error).message}`);
  }
  const { password, hashKey } = secrets ?? {};
  // secretText drops one final newline when the file is read back: a password must not have any.
  if (typeof password !== 'string' || !/^[^\r\n]{1,1000}$/.test(password))
    return refused('grant-invalid', 'sealed part: no usable password');
  const key = typeof hashKey === 'string' ? Buffer.from(hashKey, 'base64') : Buffer.alloc(0);
  if (key.length < MIN_DEPLOYMENT_KEY_BYTES || key.toString('base64') !== hashKey)
    return refused('grant-invalid', 'sealed part: no usable hash key');
  return { ok: true, value: { grant, password, hashKey: key } };
}
