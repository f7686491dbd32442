import type { KeyObject } from 'node:crypto';
import { type KeyRing, keyId, signBytes, verifyBytes } from './signing.js';
import { isId } from './vocabulary.js';

/**
 * Hub → kiosk requests (`qrkiosk/v1/<site>/<kiosk>/request/<command>`), signed with the hub's update
 * key like rules and cache updates. Anyone who can write the request topic (a broker admin, a
 * misconfigured ACL, a stolen hub password) could otherwise change a kiosk's verdicts: an unsigned
 * `rules.unknownPerson=ALLOW` admitted an unknown person. A request names the kiosk and command it
 * is for and expires; the kiosk remembers its `tid` until then and refuses a replay.
 *
 *   payload = {"request": "<RequestBody as JSON text>", "signature": {"keyId": "…", "signature": "<base64>"}}
 *   signature = Ed25519 over "qrkiosk-request/1\n" ‖ the request text
 */
export const REQUEST_SCHEMA_ID = 'qrkiosk.request/1';
const CONTEXT = Buffer.from('qrkiosk-request/1\n', 'ascii');
/** A request lives at most 5 minutes: long enough for a kiosk that is reconnecting, short for a replay. */
export const MAX_REQUEST_LIFETIME_MS = 5 * 60_000;
/** The transaction id is the nonce: 8–64 characters of [A-Za-z0-9_-]. */
const TID = /^[A-Za-z0-9_-]{8,64}$/;

export interface RequestBody {
  schema: typeof REQUEST_SCHEMA_ID;
  tid: string;
  site: string;
  kiosk: string;
  command: string;
  issuedAt: string;
  expiresAt: string;
  action?: string;
  key?: string;
  value?: unknown;
}

export type OpenedRequest = { ok: true; request: RequestBody } | { ok: false; reason: string; tid?: string };

export function signRequest(
  body: RequestBody,
  signing: { privateKey: KeyObject; publicKey: KeyObject },
): string {
  const text = JSON.stringify(body);
  const signature = signBytes(signing.privateKey, Buffer.concat([CONTEXT, Buffer.from(text, 'utf8')]));
  return JSON.stringify({
    request: text,
    signature: { keyId: keyId(signing.publicKey), signature: signature.toString('base64') },
  });
}

/**
 * Verifies a request payload for this kiosk and command at `now`: signed by a trusted key, meant for
 * this site, kiosk and command, issued no more than MAX_REQUEST_LIFETIME_MS before it expires, and
 * not expired. Replays within the lifetime are the caller's to refuse (it remembers tids).
 */
export function openRequest(
  payload: Uint8Array,
  keys: KeyRing,
  expect: { site: string; kiosk: string; command: string; now: Date },
): OpenedRequest {
  let envelope: { request?: unknown; signature?: { keyId?: unknown; signature?: unknown } };
  try {
    envelope = JSON.parse(Buffer.from(payload).toString('utf8')) as typeof envelope;
  } catch {
    return { ok: false, reason: 'request is not JSON' };
  }
  if (typeof envelope?.request !== 'string' || typeof envelope.signature !== 'object' || !envelope.signature)
    return { ok: false, reason: 'request is not signed (needs "request" and "signature")' };
  const { keyId: id, signature } = envelope.signature;
  const key = typeof id === 'string' ? keys.get(id) : undefined;
  if (!key)
    return {
      ok: false,
      reason: `request signed by key ${String(id).slice(0, 40)}, which this kiosk does not trust`,
    };
  const text = Buffer.from(envelope.request, 'utf8');
  if (
    typeof signature !== 'string' ||
    !verifyBytes(key, Buffer.concat([CONTEXT, text]), Buffer.from(signature, 'base64'))
  )
    return { ok: false, reason: 'request signature does not match' };
  let body: RequestBody;
  try {
    body = JSON.parse(envelope.request) as RequestBody;
  } catch {
    return { ok: false, reason: 'signed request is not JSON' };
  }
  const tid = typeof body?.tid === 'string' && TID.test(body.tid) ? body.tid : undefined;
  if (body?.schema !== REQUEST_SCHEMA_ID || !tid)
    return { ok: false, reason: `request needs schema ${REQUEST_SCHEMA_ID} and a tid of 8–64 [A-Za-z0-9_-]` };
  if (body.site !== expect.site || body.kiosk !== expect.kiosk || body.command !== expect.command)
    return { ok: false, tid, reason: 'request is meant for another kiosk or command' };
  const issued = Date.parse(body.issuedAt);
  const expires = Date.parse(body.expiresAt);
  if (
    !Number.isFinite(issued) ||
    !Number.isFinite(expires) ||
    expires <= issued ||
    expires - issued > MAX_REQUEST_LIFETIME_MS
  )
    return { ok: false, tid, reason: 'request lifetime must be positive and at most 5 minutes' };
  if (expect.now.getTime() >= expires) return { ok: false, tid, reason: 'request expired' };
  // A hub clock ahead of the kiosk's by more than a lifetime: refused rather than kept valid longer.
  if (issued - expect.now.getTime() > MAX_REQUEST_LIFETIME_MS)
    return { ok: false, tid, reason: 'request issued in the future (check the clocks)' };
  return { ok: true, request: body };
}

/** A request body for `site`/`kiosk`, valid from `now` for `lifetimeMs` (at most 5 minutes). */
export function requestBody(
  where: { site: string; kiosk: string },
  command: string,
  fields: { tid: string; action?: string; key?: string; value?: unknown },
  now: Date,
  lifetimeMs = 60_000,
): RequestBody {
  if (!isId(where.site) || !isId(where.kiosk)) throw new Error('site and kiosk must be ids');
  return {
    schema: REQUEST_SCHEMA_ID,
    ...fields,
    site: where.site,
    kiosk: where.kiosk,
    command,
    issuedAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + Math.min(lifetimeMs, MAX_REQUEST_LIFETIME_MS)).toISOString(),
  };
}
