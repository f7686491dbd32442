import { decodeBhyt, looksLikeBhyt } from './bhyt.js';
import { decodeCccd, looksLikeCccd } from './cccd.js';
import { type DccContext, decodeDcc } from './dcc/index.js';
import { isLocationHost, urlHost } from './location.js';
import { decodePass, looksLikePass, type PassContext } from './pass.js';
import { decodePersonalQr, looksLikePersonalQr } from './personal.js';
import { type DecodeResult, failure } from './result.js';
import { cleanPayload, MAX_PAYLOAD_CHARS } from './text.js';

export {
  base45Encode,
  type DccReport,
  type DccRevocationHashes,
  type DccType,
  dccRevocationHashes,
  decodeDcc,
  kidOf,
  type RevocationCheck,
  TrustError,
  TrustStore,
} from './dcc/index.js';
export { decodePass, type PassContext, type PassReport } from './pass.js';
export {
  type BirthParts,
  DECODE_ERRORS,
  type DecodedKind,
  type DecodeErrorCode,
  type DecodeResult,
  type Identity,
} from './result.js';
export { cleanPayload, MAX_PAYLOAD_CHARS, repairMojibake, trimLineEnds, WINDOWS_1252 } from './text.js';

/**
 * What decoding may depend on besides the payload: the clock (DCC and pass validity), the DSC trust store,
 * the revocation list, and for printed passes the hub keys, the kiosk's site and the pass list.
 */
export type DecodeContext = Partial<DccContext> & { pass?: PassContext };

/**
 * Decode stage: classify first, then decode with the one matching decoder. Pure: no I/O (the clock and the
 * trust store come in `ctx`), never throws — every input gets a well-formed result.
 */
export function decodePayload(raw: string, ctx: DecodeContext = {}): DecodeResult {
  try {
    return classifyAndDecode(raw, ctx);
  } catch {
    // A decoder bug must not take the kiosk down; the fuzz tests keep this path unreached.
    return failure('unknown', 'internal-error');
  }
}

/** The one way into the DCC decoder (both paths below): a step after DCC decoding belongs here. */
function decodeHealthCert(text: string, ctx: DecodeContext): DecodeResult {
  return decodeDcc(text, ctx.at ? (ctx as DccContext) : { ...ctx, at: new Date() });
}

function classifyAndDecode(raw: string, ctx: DecodeContext): DecodeResult {
  if (raw.length > MAX_PAYLOAD_CHARS) return failure('unknown', 'too-long');
  // `HC1:` text goes straight to the DCC decoder, skipping the clean-up's passes over its ~600
  // characters. Base45 accepts only its 45 characters, all printable ASCII, so a code that gets past it
  // was already clean (no BOM, line ends, NUL, control characters, mojibake, non-NFC text): the result is
  // what the full path gives. A code refused at base45 is cleaned up and decoded again below.
  if (raw.startsWith('HC1:')) {
    const direct = decodeHealthCert(raw, ctx);
    if (direct.error?.code !== 'dcc-base45') return direct;
  }
  const text = cleanPayload(raw);
  if (text.trim() === '') return failure('unknown', 'empty');
  // Control characters other than tab mean a scanner misconfiguration or binary garbage.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
  if (/[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) return failure('unknown', 'not-text');
  if (/^HC\d:/.test(text)) return decodeHealthCert(text, ctx);
  if (looksLikePass(text)) return decodePass(text, ctx.at ?? new Date(), ctx.pass);
  // The personal QR first: unmasked, it starts with 12 digits and `|` like a CCCD.
  if (looksLikePersonalQr(text)) return decodePersonalQr(text);
  if (looksLikeCccd(text)) return decodeCccd(text);
  if (looksLikeBhyt(text)) return decodeBhyt(text);
  const host = urlHost(text.trim());
  if (host)
    return failure(
      isLocationHost(host) ? 'location' : 'unknown',
      isLocationHost(host) ? 'location-code' : 'web-link',
    );
  return failure('unknown', 'unknown-format');
}
