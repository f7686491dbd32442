import { HASH_BYTES, hashIdentity, type IdType } from '@qrkiosk/protocol';
import type { DecodeResult } from '../decode/index.js';

export { HASH_BYTES, hashIdentity, type IdType };

export interface IdentityKey {
  /** 'pass': a printed pass's holder (their hash comes from the pass list, its type unknown here). */
  type: IdType | 'pass';
  /** HMAC-SHA-256(deploymentKey, "type:value"), first 16 bytes. */
  hash: Buffer;
}

function documentType(number: string): IdType {
  if (/^\d{12}$/.test(number)) return 'cccd';
  if (/^\d{9}$/.test(number)) return 'cmnd';
  return 'passport';
}

/**
 * Every key a decoded code can be looked up by, the primary one first (it identifies the person
 * in the check-in). A masked personal QR resolves through its QID only.
 */
export function identityKeys(decoded: DecodeResult, key: Buffer): IdentityKey[] {
  const id = decoded.identity;
  if (!decoded.ok || !id) return [];
  if (decoded.kind === 'pass') return decoded.pass ? passHolderKeys(decoded.pass) : [];
  const keys: Array<[IdType, string]> = [];
  switch (decoded.kind) {
    case 'cccd':
      keys.push(['cccd', id.documentNumber]);
      if (id.formerNumber) keys.push(['cmnd', id.formerNumber]);
      break;
    case 'bhyt':
      // 2021 cards carry the 10-digit social-insurance (BHXH) number alone; older ones end with it.
      if (id.documentNumber.length > 10) keys.push(['bhyt', id.documentNumber]);
      keys.push(['bhxh', id.documentNumber.slice(-10)]);
      break;
    case 'personal-qr':
      if (!id.masked) keys.push([documentType(id.documentNumber), id.documentNumber]);
      if (decoded.personal) keys.push(['qid', decoded.personal.qid]);
      break;
    case 'dcc':
      if (id.documentNumber) keys.push(['uvci', id.documentNumber]);
      break;
    default:
      break;
  }
  return keys.map(([type, value]) => ({ type, hash: hashIdentity(key, type, value) }));
}

/**
 * A pass's holder is the person the pass list names: their keyed hash (of the manual entry's phone or the
 * document reception scanned) is the check-in's, so the duplicate window, facts and tracing treat the
 * card as that person. The list's links are that document's other keys (a CCCD's former CMND number, a
 * BHYT card's BHXH number): the card is looked up by all of them, primary first as the document is, so
 * facts filed under any of them reach the card (review 2, finding 1) and the card's check-in carries
 * them as `document.links`. A pass the list does not hold never decodes (decode/pass.ts `pass-unlisted`).
 */
function passHolderKeys(pass: { holder: string; links: readonly string[] }): IdentityKey[] {
  return [pass.holder, ...pass.links].map((h) => ({ type: 'pass', hash: Buffer.from(h, 'hex') }));
}
