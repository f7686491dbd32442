import {
  isPassScopeId,
  keyId,
  newPassId,
  PASS_SCOPE_KINDS,
  type PassCard,
  type PassScope,
  signPass,
  vnDay,
} from '@qrkiosk/protocol';
import { parsePassCsv } from '../passes/csv.js';
import { passError, requireSigning as signingOf } from '../passes/errors.js';
import type { PassRow } from '../storage/repository.js';
import { checkListRoom, type PassDeps } from './pass-list.js';

/**
 * Printed passes (issue #20), one home for the HTTP routes, `qrkiosk-hub pass …` and the reception's
 * "issue a pass" on a kiosk (pass-requests.ts): issue one or a CSV batch, revoke, list, the cards to
 * print, and the signed pass list kiosks hold — revoked passes travel in it too (flagged, their holder
 * hash zeroed), so the hub, which owns every pass, can always regenerate the whole of it.
 *
 * The token (protocol/src/pass.ts) carries no name and no number; the row here ties its pass id to the
 * person's keyed hash, which reaches kiosks only in the signed pass list.
 */

export interface IssueInput {
  /** The person's keyed identity hash (hex, 32 digits), as in their check-ins. */
  idHash: string;
  nameMasked: string;
  /**
   * The person's other keyed hashes (32 hex each): the check-in's `document.links` (a CCCD's former CMND,
   * a BHYT card's BHXH number), which the pass list carries so a kiosk looks the card up by every key the
   * document has (review 2, finding 1). None for a CSV or officer pass.
   */
  links?: readonly string[];
  scope: PassScope;
  /** Days the pass is valid, today included (default deps.validDays, else 365). */
  validDays?: number;
  /** Who the card names as issuer: required for a ward or province; a site's default is its register name. */
  issuer?: string;
  issuedBy: string;
  /** The hash was typed by a technician (`pass issue --id-hash`), not computed here: the audit keeps it. */
  hashGiven?: boolean;
}

export interface IssuedPass {
  passId: string;
  token: string;
  validFrom: string;
  validUntil: string;
  nameMasked: string;
  issuer: string;
  scope: PassScope;
}

export const DEFAULT_PASS_DAYS = 365;
/** Five years: a card outlives a phone's absence; a longer one outlives its holder's address. */
export const MAX_PASS_DAYS = 1826;
const HASH = /^[0-9a-f]{32}$/;
const DAY_MS = 86_400_000;

/**
 * The scope is well formed and names a registered site, a ward some registered site is in, or the
 * hub's own province (hub.yaml passes.province: one hub key per province, so a kiosk admits a province
 * pass only when its list's header names that province). Returns the site register's name for a site.
 */
async function checkScope(deps: PassDeps, scope: PassScope): Promise<string | null> {
  const store = deps.store;
  if (!PASS_SCOPE_KINDS.includes(scope.kind) || !isPassScopeId(scope.id))
    throw passError(
      'bad-scope',
      `Phạm vi không hợp lệ: ${scope.kind} ${scope.id} (site, ward hoặc province; mã chữ thường, số, - _)`,
      `bad scope: ${scope.kind} ${scope.id} (site, ward or province; an id of lower-case letters, digits, - _)`,
    );
  if (scope.kind === 'province') {
    if (deps.province !== scope.id)
      throw passError(
        'unknown-scope',
        deps.province
          ? `Trung tâm này cấp thẻ cho tỉnh/thành ${deps.province}, không phải ${scope.id}`
          : 'Trung tâm chưa đặt mã tỉnh/thành (passes.province trong hub.yaml)',
        deps.province
          ? `this hub issues passes for province ${deps.province}, not ${scope.id}`
          : 'the hub has no province code (hub.yaml passes.province)',
      );
    return null;
  }
  const sites = await store.repo.sites();
  const known =
    scope.kind === 'site' ? sites.some((s) => s.site === scope.id) : sites.some((s) => s.ward === scope.id);
  if (!known)
    throw passError(
      'unknown-scope',
      `Không có ${scope.kind === 'site' ? 'địa điểm' : 'phường/xã'} ${scope.id} trong danh sách địa điểm`,
      `no ${scope.kind} ${scope.id} in the site register`,
    );
  return scope.kind === 'site' ? (sites.find((s) => s.site === scope.id)?.name ?? null) : null;
}

/** The issuer the card names: as given (one line, ≤ 80), else a site's register name; a ward or province must name itself. */
function issuerOf(scope: PassScope, given: string | undefined, siteName: string | null): string {
  const text = (given ?? '').replace(/\s+/g, ' ').trim();
  if (text.length > 80)
    throw passError(
      'bad-issuer',
      'Tên nơi cấp dài quá 80 ký tự',
      'the issuer name is longer than 80 characters',
    );
  if (text) return text;
  if (scope.kind === 'site') return siteName || scope.id;
  throw passError(
    'bad-issuer',
    'Ghi tên nơi cấp in trên thẻ (ví dụ "UBND phường Yết Kiêu")',
    'give the issuer printed on the card (e.g. "UBND phường Yết Kiêu")',
  );
}

function validity(now: Date, days: number | undefined): { validFrom: string; validUntil: string } {
  const n = days ?? DEFAULT_PASS_DAYS;
  if (!Number.isInteger(n) || n < 1 || n > MAX_PASS_DAYS)
    throw passError(
      'bad-days',
      `Số ngày hiệu lực phải từ 1 đến ${MAX_PASS_DAYS}`,
      `validity must be 1 to ${MAX_PASS_DAYS} days`,
    );
  return { validFrom: vnDay(now), validUntil: vnDay(new Date(now.getTime() + (n - 1) * DAY_MS)) };
}

/** Signs and stores passes for people already checked (one transaction: a batch is whole or absent). */
async function issueMany(
  deps: PassDeps,
  people: ReadonlyArray<{ idHash: string; nameMasked: string; links?: readonly string[] }>,
  common: CommonInput & { hashGiven?: boolean },
): Promise<IssuedPass[]> {
  const signing = signingOf(deps);
  const now = deps.now?.() ?? new Date();
  const issuer = issuerOf(common.scope, common.issuer, await checkScope(deps, common.scope));
  const dates = validity(now, common.validDays ?? deps.validDays);
  const kid = keyId(signing.publicKey);
  const issued = people.map((p) => {
    if (!HASH.test(p.idHash) || !(p.links ?? []).every((l) => HASH.test(l)))
      throw passError(
        'bad-hash',
        'Mã băm người không hợp lệ (32 chữ số hex)',
        'bad person hash (32 hex digits)',
      );
    const passId = newPassId();
    const token = signPass({ passId, scope: common.scope, ...dates }, signing.privateKey, kid);
    return {
      passId,
      token,
      ...dates,
      nameMasked: p.nameMasked.slice(0, 120),
      issuer,
      scope: common.scope,
      idHash: p.idHash,
      // At most 4, as a check-in carries (admission/index.ts): a card is never looked up by more keys.
      links: [...new Set(p.links ?? [])].filter((l) => l !== p.idHash).slice(0, 4),
    };
  });
  const rows: PassRow[] = issued.map((p) => ({
    passId: p.passId,
    idHash: p.idHash,
    links: p.links.join(''),
    scopeKind: p.scope.kind,
    scopeId: p.scope.id,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    nameMasked: p.nameMasked,
    issuer,
    issuedBy: common.issuedBy,
    issuedAt: now.toISOString(),
    revokedAt: null,
    revokedBy: null,
    reason: null,
  }));
  await checkListRoom(deps, issued);
  await deps.store.repo.passes.add(rows);
  await deps.store.audit(
    common.issuedBy,
    'pass-issue',
    {
      count: rows.length,
      scope: common.scope,
      validUntil: dates.validUntil,
      passIds: rows.map((r) => r.passId),
      // A hash typed by hand binds a card to whoever it names: who did it must be traceable.
      ...(common.hashGiven ? { idHash: rows[0]?.idHash } : {}),
    },
    now,
  );
  return issued.map(({ idHash: _, links: __, ...p }) => p);
}

export async function issuePass(deps: PassDeps, input: IssueInput): Promise<IssuedPass> {
  const [issued] = await issueMany(deps, [input], input);
  return issued as IssuedPass;
}

/** What a batch's passes share. */
export interface CommonInput {
  scope: PassScope;
  validDays?: number;
  issuer?: string;
  issuedBy: string;
}

/**
 * A batch from a CSV (id_type,id,name; passes/csv.ts). Any bad row: nothing is issued and the rows are
 * returned — a ward officer fixes the file and runs it again rather than printing half a ward.
 */
export async function issuePassesFromCsv(
  deps: PassDeps,
  csv: string,
  common: CommonInput,
): Promise<{ issued: IssuedPass[]; problems: Array<{ line: number; message: string }> }> {
  if (!deps.hashKey)
    throw passError(
      'no-key',
      'Hub chưa có khóa băm (privacy.hashKeyFile)',
      'the hub has no hash key (privacy.hashKeyFile)',
    );
  // Excel's plain "CSV" on Vietnamese Windows is cp1258: read as UTF-8 its letters become U+FFFD, and
  // the cards would print garbled names. Refused whole, with how to save it instead.
  if (csv.includes('\uFFFD'))
    throw passError(
      'bad-encoding',
      'Tệp không phải UTF-8 (chữ tiếng Việt bị lỗi). Trong Excel chọn Lưu thành → "CSV UTF-8 (Comma delimited)" rồi gửi lại',
      'the file is not UTF-8 (Vietnamese letters are garbled). In Excel use Save As → "CSV UTF-8 (Comma delimited)" and send it again',
    );
  const { people, problems } = parsePassCsv(csv, deps.hashKey);
  if (problems.length) return { issued: [], problems };
  if (people.length === 0) throw passError('bad-csv', 'Tệp CSV không có người nào', 'the CSV names nobody');
  return { issued: await issueMany(deps, people, common), problems };
}

/**
 * Revokes a lost card; false when it was revoked already. It reaches kiosks in the next pass list signed
 * (a revoked entry): the caller asks for one (the daemon's publisher, or the CLI's own publish).
 */
export async function revokePass(
  deps: PassDeps,
  input: { passId: string; reason: string; revokedBy: string },
): Promise<{ revoked: boolean; pass: PassRow }> {
  const now = deps.now?.() ?? new Date();
  const pass = await deps.store.repo.passes.get(input.passId.toLowerCase().replace(/\s+/g, ''));
  if (!pass) throw passError('no-pass', 'Không có thẻ này', 'no such pass');
  const revoked = await deps.store.repo.passes.revoke(
    pass.passId,
    now,
    input.revokedBy,
    input.reason.slice(0, 200),
  );
  if (revoked)
    await deps.store.audit(
      input.revokedBy,
      'pass-revoke',
      { passId: pass.passId, reason: input.reason },
      now,
    );
  return { revoked, pass: (await deps.store.repo.passes.get(pass.passId)) ?? pass };
}

/**
 * The cards to print. A stored pass is signed again rather than its token kept: Ed25519 signatures are
 * deterministic (RFC 8032), so the same pass and key give the same token, and a reprint after a key
 * rotation carries the key kiosks trust now. The issuer is the one stored with the pass.
 */
export async function passCards(deps: PassDeps, rows: readonly PassRow[]): Promise<PassCard[]> {
  const signing = signingOf(deps);
  const kid = keyId(signing.publicKey);
  return rows.map((r) => {
    const scope = { kind: r.scopeKind, id: r.scopeId } as PassScope;
    const issuer = r.issuer;
    const token = signPass(
      { passId: r.passId, scope, validFrom: r.validFrom, validUntil: r.validUntil },
      signing.privateKey,
      kid,
    );
    return { token, passId: r.passId, nameMasked: r.nameMasked, issuer, validUntil: r.validUntil };
  });
}

export { type PassDeps, type PassListPublication, passListFile, publishPassList } from './pass-list.js';
