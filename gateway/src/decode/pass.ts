import {
  findPass,
  type KeyRing,
  PASS_PREFIX,
  PASS_REVOCATION_KID,
  type Pass,
  PassError,
  type PassList,
  passKey,
  passValidity,
  verifyPass,
  vnDay,
} from '@qrkiosk/protocol';
import type { RevocationCheck } from './dcc/index.js';
import { type DecodeResult, failure } from './result.js';

export type { PassReport } from './result.js';

/**
 * What a kiosk judges a printed pass with (issue #20): the hub keys (updates.publicKeyFiles, the same
 * keys as rules), its own site, and the installed pass list (the holders and the site register's areas).
 */
export interface PassContext {
  keys: KeyRing;
  /** This kiosk's site; undefined (`qrkiosk decode` without --site): the scope is shown, not judged. */
  site: string | undefined;
  /** The installed signed pass list; none yet: a genuine pass names an unknown person. */
  list?: PassList;
}

const KID = Buffer.from(PASS_REVOCATION_KID, 'base64');

export const looksLikePass = (text: string): boolean => text.startsWith(PASS_PREFIX);

/** Whether the pass's scope covers this kiosk (a ward scope: the ward the pass list's site register gives its site). */
function inScope(pass: Pass, ctx: PassContext): boolean {
  const { kind, id } = pass.scope;
  if (ctx.site === undefined) return true;
  if (kind === 'site') return id === ctx.site;
  // A province pass is for every kiosk trusting the key that signed it (one hub per province).
  if (kind === 'province') return true;
  const { site, list } = ctx;
  const area = list && Object.hasOwn(list.header.areas, site) ? list.header.areas[site] : undefined;
  return area?.ward === id;
}

/**
 * Verifies a `QRKP1:` token offline: signature under a trusted hub key, the pass revocation section, the
 * Vietnam day against its validity, and its scope against this kiosk. Any of them failing is a decode
 * failure (the guard looks, REVIEW, with the reason); never ALLOW and never a throw.
 */
export function decodePass(
  text: string,
  at: Date,
  ctx: PassContext | undefined,
  revocation?: RevocationCheck,
): DecodeResult {
  if (!ctx) return failure('pass', 'pass-invalid');
  let pass: Pass;
  try {
    pass = verifyPass(text.trim(), ctx.keys);
  } catch (err) {
    if (err instanceof PassError) return failure('pass', 'pass-invalid');
    throw err;
  }
  const key = passKey(pass.passId);
  // Pass revocations are UCI entries under the pseudo-KID; the passKey stands in the SIGNATURE slot too (an
  // empty hash there would make the binary search read past it), so any section of that KID naming it revokes.
  if (revocation?.revoked(KID, { uci: key, countrycodeuci: [], signature: key }))
    return failure('pass', 'pass-revoked');
  const validity = passValidity(pass, vnDay(at));
  if (validity === 'expired') return failure('pass', 'pass-expired');
  if (validity === 'not-yet-valid') return failure('pass', 'pass-not-yet-valid');
  if (!inScope(pass, ctx)) return failure('pass', 'pass-out-of-scope');
  const record = ctx.list ? findPass(ctx.list, key) : undefined;
  // The list's record may end earlier than the card (the hub shortened it): the earlier day holds.
  if (record && record.validUntil < vnDay(at)) return failure('pass', 'pass-expired');
  return {
    kind: 'pass',
    ok: true,
    identity: {
      // Masked as "*****" + the pass id's first 4 hex: reception tells two cards apart, nothing names the person.
      documentNumber: `PASS-${pass.passId.slice(0, 4)}`,
      formerNumber: null,
      masked: true,
      name: '',
      dateOfBirth: null,
      sex: null,
    },
    pass: { ...pass, holder: record?.idHash ?? null },
  };
}
