import { createHash, type KeyObject } from 'node:crypto';
import {
  BROKER_MAX_PACKET_BYTES,
  encodePassList,
  isPassScopeId,
  keyId,
  PASS_LIST_ENTRY_BYTES,
  PASS_LIST_LINK_BYTES,
  type PassArea,
  passKey,
  vnDay,
} from '@qrkiosk/protocol';
import { passError, requireSigning } from '../passes/errors.js';
import type { PassRow } from '../storage/repository.js';
import type { HubStore } from '../store.js';

/** What every pass operation reads and signs with (use-cases/passes.ts and this file). */
export interface PassDeps {
  store: HubStore;
  /** The hub's update signing key (Ed25519), the key kiosks already trust for rules. */
  signing?: { privateKey: KeyObject; publicKey: KeyObject };
  /** The deployment's identity hash key (privacy.hashKeyFile): a CSV's numbers become keyed hashes. */
  hashKey?: Buffer;
  /** hub.yaml passes.province: the only province a pass may be scoped to, and the list header's. */
  province?: string | null;
  /** hub.yaml passes.validDays: a pass's validity when the issuer names none. */
  validDays?: number;
  now?: () => Date;
}

/** What the site register allows (sites-csv.ts) and the list's areas carry (protocol AREA_ID_RE). */
const AREA_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** 35 bytes each: 400,000 passes are 14 MB, under the broker's 16 MiB message (protocol/src/limits.ts). */
const MAX_LIST_PASSES = 400_000;
/** The largest list the hub sends: the broker's message less room for the MQTT packet's own fields. */
export const MAX_LIST_BYTES = BROKER_MAX_PACKET_BYTES - 64 * 1024;
/** The header's fixed part and the signature, generously: the areas' JSON is counted on its own. */
const HEADER_SLACK_BYTES = 4096;
const ZERO_HASH = Buffer.alloc(16);

interface ListParts {
  rows: PassRow[];
  areas: Record<string, PassArea>;
  uncoded: string[];
  /**
   * SHA-256 of what the list says (entries, areas, province) and of the key that signs it, not of its
   * version or time: a hub restarted with a rotated key sees a change and re-signs (review 3 finding 1).
   */
  digest: string;
}

/** What the next pass list holds, read from the database. */
async function listParts(deps: PassDeps, now: Date): Promise<ListParts> {
  const rows = await deps.store.repo.passes.list({
    validOn: vnDay(now),
    revoked: true,
    limit: MAX_LIST_PASSES + 1,
  });
  if (rows.length > MAX_LIST_PASSES)
    throw passError(
      'too-many',
      `Hơn ${MAX_LIST_PASSES} thẻ còn hạn: danh sách không vừa một tin MQTT`,
      `more than ${MAX_LIST_PASSES} passes valid: the list would not fit one MQTT message`,
    );
  const areas: Record<string, PassArea> = {};
  const uncoded: string[] = [];
  const code = (v: string) => (AREA_ID.test(v) ? v : null);
  for (const s of await deps.store.repo.sites()) {
    if (!AREA_ID.test(s.site)) {
      uncoded.push(s.site);
      continue;
    }
    areas[s.site] = { ward: code(s.ward), district: code(s.district) };
    if (!isPassScopeId(s.ward)) uncoded.push(s.site);
  }
  const signer = keyId(requireSigning(deps).publicKey);
  const hash = createHash('sha256').update(JSON.stringify([areas, deps.province ?? null, signer]));
  for (const r of [...rows].sort((a, b) => (a.passId < b.passId ? -1 : 1)))
    hash.update(`${r.passId}${r.revokedAt ? '-' : `${r.idHash}${r.links ?? ''}`}${r.validUntil}`);
  return { rows, areas, uncoded, digest: hash.digest('hex') };
}

function encode(deps: PassDeps, parts: ListParts, version: number, now: Date): Buffer {
  const file = encodePassList(
    parts.rows.map((r) => ({
      passKey: passKey(r.passId),
      idHash: r.revokedAt ? ZERO_HASH : Buffer.from(r.idHash, 'hex'),
      // The holder's other keys (the check-in's document.links); a revoked pass names nobody.
      links: r.revokedAt ? [] : (r.links?.match(/[0-9a-f]{32}/g) ?? []).map((h) => Buffer.from(h, 'hex')),
      validUntil: r.validUntil,
      revoked: r.revokedAt !== null,
    })),
    { version, areas: parts.areas, province: deps.province ?? null },
    requireSigning(deps),
    now,
  );
  // Links (up to 4 × 32 bytes a pass) grow a list past the 35 bytes a pass the count cap assumes.
  if (file.length > MAX_LIST_BYTES)
    throw passError(
      'too-many',
      `Danh sách thẻ ${file.length} byte: không vừa một tin MQTT`,
      `the pass list is ${file.length} bytes: it would not fit one MQTT message`,
    );
  return file;
}

const linkCount = (links: string | undefined) => (links?.length ?? 0) / 32;

/**
 * Refuses passes about to be issued (use-cases/passes.ts, before they are stored) when the next list
 * would no longer fit one MQTT message, by count or by bytes (review 3 finding 4): refused then, in
 * vi/en, rather than stored and every later publish, revokes included, failing for ever. `adding`: the
 * new passes' links. An estimate from the format's sizes (protocol PASS_LIST_*_BYTES), not a signing:
 * two processes issuing at once may still pass it together, and the publish then says too-many.
 */
export async function checkListRoom(
  deps: PassDeps,
  adding: ReadonlyArray<{ links: readonly string[] }>,
): Promise<void> {
  const now = deps.now?.() ?? new Date();
  const parts = await listParts(deps, now);
  const count = parts.rows.length + adding.length;
  const links =
    parts.rows.reduce((n, r) => n + (r.revokedAt ? 0 : linkCount(r.links)), 0) +
    adding.reduce((n, a) => n + a.links.length, 0);
  const bytes =
    count * PASS_LIST_ENTRY_BYTES +
    links * PASS_LIST_LINK_BYTES +
    Buffer.byteLength(JSON.stringify(parts.areas)) +
    HEADER_SLACK_BYTES;
  if (count > MAX_LIST_PASSES || bytes > MAX_LIST_BYTES)
    throw passError(
      'list-full',
      `Không cấp thêm được: danh sách thẻ sẽ có ${count} thẻ, khoảng ${bytes} byte, vượt giới hạn ${MAX_LIST_PASSES} thẻ hoặc ${MAX_LIST_BYTES} byte của một tin MQTT. Khóa các thẻ không còn dùng hoặc cấp thẻ ngắn hạn hơn`,
      `cannot issue: the pass list would hold ${count} passes, about ${bytes} bytes, over the limit of ${MAX_LIST_PASSES} passes or ${MAX_LIST_BYTES} bytes of one MQTT message. Revoke passes no longer in use or issue shorter ones`,
    );
}

/**
 * The signed pass list (QRKPL1) of every pass valid today or later: a revoked one with the revoked flag
 * and a zero holder hash (the holder of a lost card need not travel), an expired one left out (a kiosk
 * refuses it by its dates). With the sites' areas (how a kiosk knows its ward and district) and the
 * hub's province. `uncoded`: sites a kiosk cannot place — an id the list cannot carry, or a ward that
 * no ward pass can name — so a ward pass is out of scope there.
 */
export async function passListFile(
  deps: PassDeps,
  version: number,
): Promise<{ file: Buffer; count: number; revoked: number; uncoded: string[] }> {
  requireSigning(deps);
  const now = deps.now?.() ?? new Date();
  const parts = await listParts(deps, now);
  const file = encode(deps, parts, version, now);
  const rows = parts.rows;
  return {
    file,
    count: rows.length,
    revoked: rows.filter((r) => r.revokedAt).length,
    uncoded: parts.uncoded,
  };
}

export interface PassListPublication {
  version: number;
  count: number;
  revoked: number;
  bytes: number;
  uncoded: string[];
  /** What the list says, without its version (listParts): the same digest, the same list. */
  digest: string;
}

/**
 * Signs the pass list under a version reserved in the database (storage/passes.ts: never one version
 * for two lists, whichever hub process or CLI asks) and hands it to `send` (the broker, retained on
 * fleet/passes); once sent, the version is recorded as published (the freshness statement says it).
 * Two processes may still send out of order (the lower version last): the broker then retains the
 * older list until the next publish, which the daemon's periodic one (PassListPublisher) brings.
 * `unless`: asked with the list's digest before a version is reserved; true sends nothing (null).
 */
export async function publishPassList(
  deps: PassDeps & { send: (file: Buffer) => Promise<void> },
): Promise<PassListPublication>;
export async function publishPassList(
  deps: PassDeps & { send: (file: Buffer) => Promise<void>; unless: (digest: string) => Promise<boolean> },
): Promise<PassListPublication | null>;
export async function publishPassList(
  deps: PassDeps & { send: (file: Buffer) => Promise<void>; unless?: (digest: string) => Promise<boolean> },
): Promise<PassListPublication | null> {
  requireSigning(deps);
  const now = deps.now?.() ?? new Date();
  const parts = await listParts(deps, now);
  if (deps.unless && (await deps.unless(parts.digest))) return null;
  const version = await deps.store.repo.passes.reserveListVersion(Math.floor(now.getTime() / 1000));
  const file = encode(deps, parts, version, now);
  await deps.send(file);
  await deps.store.repo.passes.listPublished(version, parts.digest);
  return {
    version,
    count: parts.rows.length,
    revoked: parts.rows.filter((r) => r.revokedAt).length,
    bytes: file.length,
    uncoded: parts.uncoded,
    digest: parts.digest,
  };
}
