import type { KeyObject } from 'node:crypto';
import { FRESHNESS_SCHEMA_ID, type FreshnessStatement, keyId, signFreshness } from '@qrkiosk/protocol';
import { type ListKind, readPublished, recordPublished, versionFile } from '../published-versions.js';
import { type RetainedReader, retainedVersion } from '../retained-versions.js';

/**
 * The freshness statement (issue #19, protocol/src/freshness-statement.ts): "this is what the office publishes
 * now", read from what the `publish-*` commands recorded (published-versions.ts), signed, and handed to
 * `publish` (retained on fleet/fresh). A kiosk holding exactly these versions counts them as confirmed at
 * `issuedAt`; a kiosk that cannot hear the hub gets no statement, so its data ages until the limits in the
 * signed rules make its admissions REVIEW. One use case: the daemon's timer (FreshnessPublisher) and
 * `qrkiosk-hub publish-fresh` both call it.
 */
export interface FreshnessResult {
  statement: FreshnessStatement;
  payload: Buffer;
  /** Version files that could not be read: their kind is stated as never published (null). */
  problems: string[];
  /** Kinds never recorded here whose version was read back from the broker (and recorded now). */
  recovered: ListKind[];
}

export interface PublishFreshnessOptions {
  stateDir: string;
  signing: { privateKey: KeyObject; publicKey: KeyObject };
  publish: (payload: Buffer) => Promise<void>;
  now?: Date;
  /**
   * Publish nothing when no kind was ever recorded in `stateDir` (the daemon): a hub process whose folder is
   * empty — another machine, a wrong `fleet.stateDir` — must not replace the retained statement with one that
   * confirms nothing. null then.
   */
  skipIfEmpty?: boolean;
  /**
   * The broker's retained lists (retained-versions.ts): a list kind with no version file — a hub from before
   * issue #19 recorded only revocation.version — is read back from what is retained, and recorded, so an
   * upgraded fleet's installed rules and trust list are confirmed without publishing them again. Absent: no
   * read-back (tests that replace `publish`).
   */
  retained?: RetainedReader;
  /**
   * The pass list's last published version (issue #20): the hub database's (storage/passes.ts), where the
   * daemon has it. Absent: read back from the broker's retained fleet/passes (the CLI), else null.
   */
  passes?: () => Promise<number | null>;
}

const LIST_KINDS: readonly ListKind[] = ['rules', 'trust', 'revocation'];

export async function publishFreshness(
  options: PublishFreshnessOptions & { skipIfEmpty: true },
): Promise<FreshnessResult | null>;
export async function publishFreshness(
  options: PublishFreshnessOptions & { skipIfEmpty?: false },
): Promise<FreshnessResult>;
export async function publishFreshness(options: PublishFreshnessOptions): Promise<FreshnessResult | null> {
  const { versions, problems } = readPublished(options.stateDir);
  const recovered = options.retained
    ? await readBack(options.stateDir, options.retained, versions, problems)
    : [];
  // The pass list alone does not count: a second hub process on the shared database but with an empty state
  // folder would otherwise state every other kind as null and turn the fleet stale.
  if (options.skipIfEmpty && Object.values(versions).every((v) => v === null) && problems.length === 0)
    return null;
  const passes = await passesVersion(options, problems);
  const statement: FreshnessStatement = {
    schema: FRESHNESS_SCHEMA_ID,
    issuedAt: (options.now ?? new Date()).toISOString(),
    cache: versions.cache === null ? null : { version: versions.cache },
    rules: versions.rules === null ? null : { version: versions.rules },
    trust: versions.trust === null ? null : { version: versions.trust },
    revocation: versions.revocation === null ? null : { version: versions.revocation },
    passes: passes === null ? null : { version: passes },
  };
  const payload = signFreshness(statement, options.signing.privateKey, keyId(options.signing.publicKey));
  await options.publish(payload);
  return { statement, payload, problems, recovered };
}

/**
 * The list kinds never recorded in `stateDir` (no file; a damaged one stays a problem, never replaced by a
 * guess), read back from the broker: each version found goes into `versions` and is recorded for next time.
 */
async function readBack(
  stateDir: string,
  retained: RetainedReader,
  versions: ReturnType<typeof readPublished>['versions'],
  problems: string[],
): Promise<ListKind[]> {
  const missing = LIST_KINDS.filter(
    (k) => versions[k] === null && !problems.some((p) => p.startsWith(versionFile(stateDir, k))),
  );
  if (missing.length === 0) return [];
  const found = await retained(missing);
  const recovered: ListKind[] = [];
  for (const kind of missing) {
    const payload = found[kind];
    if (!payload) continue;
    const version = retainedVersion(kind, payload);
    if (version === null) {
      problems.push(`retained fleet/${kind}: no version could be read from it`);
      continue;
    }
    if (kind === 'rules') versions.rules = String(version);
    else versions[kind] = Number(version);
    recovered.push(kind);
    try {
      recordPublished(stateDir, kind, version);
    } catch (err) {
      // Stated anyway (it is what the broker holds); read back again next time.
      problems.push(
        `${versionFile(stateDir, kind)}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      );
    }
  }
  return recovered;
}

/** The pass list's version: the database's, else what the broker retains; null (and why) when neither says. */
async function passesVersion(options: PublishFreshnessOptions, problems: string[]): Promise<number | null> {
  if (options.passes) return options.passes();
  if (!options.retained) return null;
  const payload = (await options.retained(['passes'])).passes;
  if (!payload) return null;
  const version = retainedVersion('passes', payload);
  if (typeof version === 'number') return version;
  problems.push('retained fleet/passes: no version could be read from it');
  return null;
}
