import { closeSync, mkdirSync, openSync, readFileSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from './fleet-state.js';

/**
 * What the hub published last of each kind, as the `publish-*` commands record it in their state folder
 * (`--state-dir`, default `<data-dir>/fleet`): the freshness statement (use-cases/freshness.ts) says these
 * versions, and a kiosk holding exactly them counts its data as confirmed now (issue #19).
 *
 *   fleet-cache.state   the facts cache (fleet-state.ts): its header's `seq`
 *   rules.version       the signed rules' `version` text
 *   trust.version       the DCC trust list's version
 *   revocation.version  the DCC revocation list's version
 *
 * One small text file per list, as revocation.version already was: each command writes its own, so two
 * commands run at once never lose each other's line. null: never published from this folder.
 */
export interface PublishedVersions {
  cache: number | null;
  rules: string | null;
  trust: number | null;
  revocation: number | null;
}

export type ListKind = 'rules' | 'trust' | 'revocation';

export const versionFile = (stateDir: string, kind: ListKind) => join(stateDir, `${kind}.version`);

/** Records a list's version once it went out on the broker (never for a --no-publish file). */
export function recordPublished(stateDir: string, kind: ListKind, version: string | number): void {
  mkdirSync(stateDir, { recursive: true });
  writeFileAtomic(versionFile(stateDir, kind), [Buffer.from(`${version}\n`, 'utf8')]);
}

/** The versions, and why any could not be read (a damaged file states nothing rather than a guess). */
export function readPublished(stateDir: string): { versions: PublishedVersions; problems: string[] } {
  const problems: string[] = [];
  const text = (kind: ListKind): string | null => {
    try {
      const v = readFileSync(versionFile(stateDir, kind), 'utf8').trim();
      return v === '' ? null : v;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        problems.push(`${versionFile(stateDir, kind)}: ${(err as NodeJS.ErrnoException).code}`);
      return null;
    }
  };
  const counter = (kind: 'trust' | 'revocation'): number | null => {
    const v = text(kind);
    if (v === null) return null;
    const n = Number(v);
    if (Number.isSafeInteger(n) && n >= 0) return n;
    problems.push(`${versionFile(stateDir, kind)}: "${v.slice(0, 40)}" is not a version number`);
    return null;
  };
  const rules = text('rules');
  const rulesOk = rules === null || (rules.length <= 64 && !rules.includes('\n'));
  if (!rulesOk) problems.push(`${versionFile(stateDir, 'rules')}: not a rules version`);
  return {
    versions: {
      cache: cacheSeq(stateDir, problems),
      rules: rulesOk ? rules : null,
      trust: counter('trust'),
      revocation: counter('revocation'),
    },
    problems,
  };
}

/** Bytes enough for fleet-cache.state's magic and header line (seq, createdAt, count, SHA-256: ~150). */
const HEADER_BYTES = 1024;

/**
 * The cache's `seq` from fleet-cache.state's header alone: the file holds 32 bytes per identity (320 MB at
 * 10M), and an hourly statement must not read it all; its checksum is publish-cache's to check.
 */
function cacheSeq(stateDir: string, problems: string[]): number | null {
  const file = join(stateDir, 'fleet-cache.state');
  let head: Buffer;
  try {
    const fd = openSync(file, 'r');
    try {
      head = Buffer.alloc(HEADER_BYTES);
      head = head.subarray(0, readSync(fd, head, 0, HEADER_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`${file}: ${(err as NodeJS.ErrnoException).code}`);
    return null;
  }
  const magic = 'QRKS1\n';
  const newline = head.indexOf(0x0a, magic.length);
  if (head.subarray(0, magic.length).toString('latin1') !== magic || newline < 0) {
    problems.push(`${file}: not a fleet cache state`);
    return null;
  }
  try {
    const seq = (JSON.parse(head.subarray(magic.length, newline).toString('utf8')) as { seq?: unknown }).seq;
    if (Number.isSafeInteger(seq) && (seq as number) >= 0) return seq as number;
  } catch {
    // said below
  }
  problems.push(`${file}: header has no seq`);
  return null;
}
