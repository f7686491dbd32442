import {
  findPass,
  type KeyRing,
  PASS_PREFIX,
  type Pass,
  PassError,
  type PassList,
  passKey,
  passValidity,
  verifyPass,
  vnDay,
} from '@qrkiosk/protocol';
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
  /** The installed signed pass list; none yet: no pass is admitted (`pass-unlisted`). */
  list?: PassList;
}

export const looksLikePass = (text: string): boolean => text.startsWith(PASS_PREFIX);

/**
 * Whether the pass's scope covers this kiosk. A ward scope: the ward the pass list's site register gives
 * this site. A province scope: the province the list's header names, so a kiosk trusting two hubs' keys
 * does not take one province's cards for the other's (one hub key per province, but not only on paper).
 */
function inScope(pass: Pass, site: string, list: PassList): boolean {
  const { kind, id } = pass.scope;
  if (kind === 'site') return id === site;
  if (kind === 'province') return list.header.province === id;
  const area = Object.hasOwn(list.header.areas, site) ? list.header.areas[site] : undefined;
  return area?.ward === id;
}

/**
 * Verifies a `QRKP1:` token offline: signature under a trusted hub key, then the installed pass list (a
 * revoked entry; no entry at all), the Vietnam day against its validity, and its scope against this kiosk.
 * A card is admitted only as the holder the list names: a pass the list does not hold yet (issued after it,
 * or no list installed) is `pass-unlisted`, so the guard checks a document rather than admitting a
 * stranger. Any failure is a decode failure (REVIEW with the reason); never ALLOW and never a throw.
 */
export function decodePass(text: string, at: Date, ctx: PassContext | undefined): DecodeResult {
  if (!ctx) return failure('pass', 'pass-invalid');
  let pass: Pass;
  try {
    pass = verifyPass(text.trim(), ctx.keys);
  } catch (err) {
    if (err instanceof PassError) return failure('pass', 'pass-invalid');
    throw err;
  }
  const { list } = ctx;
  const record = list ? findPass(list, passKey(pass.passId)) : undefined;
  // A lost card first: its reason is the one the guard must hear, whatever else is wrong with it.
  if (record?.revoked) return failure('pass', 'pass-revoked');
  const today = vnDay(at);
  const validity = passValidity(pass, today);
  if (validity === 'expired') return failure('pass', 'pass-expired');
  if (validity === 'not-yet-valid') return failure('pass', 'pass-not-yet-valid');
  if (!list) return failure('pass', 'pass-unlisted');
  // `qrkiosk decode` without --site shows the scope rather than judging it.
  if (ctx.site !== undefined && !inScope(pass, ctx.site, list)) return failure('pass', 'pass-out-of-scope');
  if (!record) return failure('pass', 'pass-unlisted');
  // The list's record may end earlier than the card (the hub shortened it): the earlier day holds.
  if (record.validUntil < today) return failure('pass', 'pass-expired');
  return {
    kind: 'pass',
    ok: true,
    identity: {
      // "PASS-" + the pass id's first 4 hex (shown masked): reception tells two cards apart, nothing names the person.
      documentNumber: `PASS-${pass.passId.slice(0, 4)}`,
      formerNumber: null,
      masked: true,
      name: '',
      dateOfBirth: null,
      sex: null,
    },
    pass: { ...pass, holder: record.idHash, links: record.links },
  };
}
