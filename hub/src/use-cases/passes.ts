import type { KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  encodePassList,
  keyId,
  newPassId,
  PASS_SCOPE_KINDS,
  type PassArea,
  type PassScope,
  passKey,
  signPass,
  vnDay,
} from '@qrkiosk/protocol';
import { writeFileAtomic } from '../fleet-state.js';
import { parsePassCsv } from '../passes/csv.js';
import { passError } from '../passes/errors.js';
import type { PassCard } from '../passes/print.js';
import type { PassRow } from '../storage/repository.js';
import type { HubStore } from '../store.js';

/**
 * Printed passes (issue #20), one home for the HTTP routes and `qrkiosk-hub pass …` (and, later, the
 * reception's "issue a pass" on a kiosk, which asks the hub): issue one or a CSV batch, revoke, list,
 * the cards to print, the signed pass list kiosks hold, and the revocation section every DCC
 * revocation list the hub signs carries from then on.
 *
 * The token (protocol/src/pass.ts) carries no name and no number; the row here ties its pass id to the
 * person's keyed hash, which reaches kiosks only in the signed pass list.
 */
export interface PassDeps {
  store: HubStore;
  /** The hub's update signing key (Ed25519), the key kiosks already trust for rules. */
  signing?: { privateKey: KeyObject; publicKey: KeyObject };
  /** The deployment's identity hash key (privacy.hashKeyFile): a CSV's numbers become keyed hashes. */
  hashKey?: Buffer;
  now?: () => Date;
}

export interface IssueInput {
  /** The person's keyed identity hash (hex, 32 digits), as in their check-ins. */
  idHash: string;
  nameMasked: string;
  scope: PassScope;
  /** Days the pass is valid, today included (default 365). */
  validDays?: number;
  issuedBy: string;
}

export interface IssuedPass {
  passId: string;
  token: string;
  validFrom: string;
  validUntil: string;
  nameMasked: string;
  scope: PassScope;
}

export const DEFAULT_PASS_DAYS = 365;
/** Five years: a card outlives a phone's absence; a longer one outlives its holder's address. */
export const MAX_PASS_DAYS = 1826;
const HASH = /^[0-9a-f]{32}$/;
const SCOPE_ID = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const DAY_MS = 86_400_000;
/** 35 bytes each: 400,000 passes are 14 MB, under the broker's 16 MiB message (protocol/src/limits.ts). */
const MAX_LIST_PASSES = 400_000;

function signingOf(deps: PassDeps) {
  if (!deps.signing)
    throw passError(
      'no-key',
      'Hub chưa có khóa ký (updates.signingKeyFile)',
      'the hub has no signing key (updates.signingKeyFile)',
    );
  return deps.signing;
}

/** The scope is well formed and names a registered site, or a ward or province some registered site is in. */
async function checkScope(store: HubStore, scope: PassScope): Promise<void> {
  if (!PASS_SCOPE_KINDS.includes(scope.kind) || !SCOPE_ID.test(scope.id))
    throw passError(
      'bad-scope',
      `Phạm vi không hợp lệ: ${scope.kind} ${scope.id} (site, ward hoặc province; mã chữ thường, số, - _)`,
      `bad scope: ${scope.kind} ${scope.id} (site, ward or province; an id of lower-case letters, digits, - _)`,
    );
  if (scope.kind === 'province') return;
  const sites = await store.repo.sites();
  const known =
    scope.kind === 'site' ? sites.some((s) => s.site === scope.id) : sites.some((s) => s.ward === scope.id);
  if (!known)
    throw passError(
      'unknown-scope',
      `Không có ${scope.kind === 'site' ? 'địa điểm' : 'phường/xã'} ${scope.id} trong danh sách địa điểm`,
      `no ${scope.kind} ${scope.id} in the site register`,
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
  people: ReadonlyArray<{ idHash: string; nameMasked: string }>,
  common: { scope: PassScope; validDays?: number; issuedBy: string },
): Promise<IssuedPass[]> {
  const signing = signingOf(deps);
  const now = deps.now?.() ?? new Date();
  await checkScope(deps.store, common.scope);
  const dates = validity(now, common.validDays);
  const kid = keyId(signing.publicKey);
  const issued = people.map((p) => {
    if (!HASH.test(p.idHash))
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
      scope: common.scope,
      idHash: p.idHash,
    };
  });
  const rows: PassRow[] = issued.map((p) => ({
    passId: p.passId,
    idHash: p.idHash,
    scopeKind: p.scope.kind,
    scopeId: p.scope.id,
    validFrom: p.validFrom,
    validUntil: p.validUntil,
    nameMasked: p.nameMasked,
    issuedBy: common.issuedBy,
    issuedAt: now.toISOString(),
    revokedAt: null,
    revokedBy: null,
    reason: null,
  }));
  await deps.store.repo.passes.add(rows);
  await deps.store.audit(
    common.issuedBy,
    'pass-issue',
    {
      count: rows.length,
      scope: common.scope,
      validUntil: dates.validUntil,
      passIds: rows.map((r) => r.passId),
    },
    now,
  );
  return issued.map(({ idHash: _, ...p }) => p);
}

export async function issuePass(deps: PassDeps, input: IssueInput): Promise<IssuedPass> {
  const [issued] = await issueMany(deps, [input], input);
  return issued as IssuedPass;
}

/**
 * A batch from a CSV (id_type,id,name; passes/csv.ts). Any bad row: nothing is issued and the rows are
 * returned — a ward officer fixes the file and runs it again rather than printing half a ward.
 */
export async function issuePassesFromCsv(
  deps: PassDeps,
  csv: string,
  common: { scope: PassScope; validDays?: number; issuedBy: string },
): Promise<{ issued: IssuedPass[]; problems: Array<{ line: number; message: string }> }> {
  if (!deps.hashKey)
    throw passError(
      'no-key',
      'Hub chưa có khóa băm (privacy.hashKeyFile)',
      'the hub has no hash key (privacy.hashKeyFile)',
    );
  const { people, problems } = parsePassCsv(csv, deps.hashKey);
  if (problems.length) return { issued: [], problems };
  if (people.length === 0) throw passError('bad-csv', 'Tệp CSV không có người nào', 'the CSV names nobody');
  return { issued: await issueMany(deps, people, common), problems };
}

/** Revokes a lost card; false when it was revoked already. The next revocation list signed carries it. */
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
 * The signed pass list (QRKPL1) of every pass valid today or later (revoked ones too), with the sites'
 * areas (how a kiosk knows its ward and district). A site whose ward or district is a name rather
 * than a code gets null there — a ward-scoped pass cannot name it — and is counted in `uncoded`.
 */
export async function passListFile(
  deps: PassDeps,
  version: number,
): Promise<{ file: Buffer; count: number; uncoded: string[] }> {
  const signing = signingOf(deps);
  const now = deps.now?.() ?? new Date();
  // Revoked passes stay in, flagged and without their holder (protocol pass-list.ts): a kiosk refuses them.
  const rows = await deps.store.repo.passes.list({
    validOn: vnDay(now),
    revoked: true,
    limit: MAX_LIST_PASSES + 1,
  });
  if (rows.length > MAX_LIST_PASSES)
    throw new Error(`more than ${MAX_LIST_PASSES} passes valid: the list would not fit one MQTT message`);
  const areas: Record<string, PassArea> = {};
  const uncoded: string[] = [];
  const code = (v: string) => (SCOPE_ID.test(v) ? v : null);
  for (const s of await deps.store.repo.sites()) {
    if (!SCOPE_ID.test(s.site)) continue;
    areas[s.site] = { ward: code(s.ward), district: code(s.district) };
    if (!code(s.ward)) uncoded.push(s.site);
  }
  const file = encodePassList(
    rows.map((r) => ({
      passKey: passKey(r.passId),
      idHash: Buffer.from(r.idHash, 'hex'),
      validUntil: r.validUntil,
      revoked: r.revokedAt !== null,
    })),
    // The hub's province code comes with hub.yaml's `passes` section (H); none configured yet.
    { version, areas, province: null },
    signing,
    now,
  );
  return { file, count: rows.length, uncoded };
}

/**
 * The cards to print. A stored pass is signed again rather than its token kept: Ed25519 signatures are
 * deterministic (RFC 8032), so the same pass and key give the same token, and a reprint after a key
 * rotation carries the key kiosks trust now. The issuer's name comes from the site register.
 */
export async function passCards(deps: PassDeps, rows: readonly PassRow[]): Promise<PassCard[]> {
  const signing = signingOf(deps);
  const kid = keyId(signing.publicKey);
  const sites = await deps.store.repo.sites();
  return rows.map((r) => {
    const scope = { kind: r.scopeKind, id: r.scopeId } as PassScope;
    const issuer =
      scope.kind === 'site'
        ? sites.find((s) => s.site === scope.id)?.name || scope.id
        : scope.kind === 'ward'
          ? `Phường/xã ${scope.id}`
          : `Tỉnh/thành ${scope.id}`;
    const token = signPass(
      { passId: r.passId, scope, validFrom: r.validFrom, validUntil: r.validUntil },
      signing.privateKey,
      kid,
    );
    return { token, passId: r.passId, nameMasked: r.nameMasked, issuer, validUntil: r.validUntil };
  });
}

/**
 * Signs the pass list with the next version and hands it to `send` (the broker, retained on
 * fleet/passes). Versions only go up — a kiosk installs a list only when it is newer — so the last one
 * is kept in `<stateDir>/passes.version`, and the next is the larger of it + 1 and the Unix time.
 */
export async function publishPassList(
  deps: PassDeps & { stateDir: string; send: (file: Buffer) => Promise<void> },
): Promise<{ version: number; count: number; bytes: number; uncoded: string[] }> {
  const file = join(deps.stateDir, 'passes.version');
  let last = 0;
  try {
    last = Number(readFileSync(file, 'utf8').trim()) || 0;
  } catch {
    // the first list from this state folder
  }
  const now = deps.now?.() ?? new Date();
  const version = Math.max(Math.floor(now.getTime() / 1000), last + 1);
  const list = await passListFile(deps, version);
  await deps.send(list.file);
  mkdirSync(deps.stateDir, { recursive: true });
  writeFileAtomic(file, [Buffer.from(`${version}\n`)]);
  return { version, count: list.count, bytes: list.file.length, uncoded: list.uncoded };
}
