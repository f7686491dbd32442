import type { KeyObject } from 'node:crypto';
import { FRESHNESS_SCHEMA_ID, type FreshnessStatement, keyId, signFreshness } from '@qrkiosk/protocol';
import { readPublished } from '../published-versions.js';

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
}

export async function publishFreshness(
  options: PublishFreshnessOptions & { skipIfEmpty: true },
): Promise<FreshnessResult | null>;
export async function publishFreshness(
  options: PublishFreshnessOptions & { skipIfEmpty?: false },
): Promise<FreshnessResult>;
export async function publishFreshness(options: PublishFreshnessOptions): Promise<FreshnessResult | null> {
  const { versions, problems } = readPublished(options.stateDir);
  if (options.skipIfEmpty && Object.values(versions).every((v) => v === null) && problems.length === 0)
    return null;
  const statement: FreshnessStatement = {
    schema: FRESHNESS_SCHEMA_ID,
    issuedAt: (options.now ?? new Date()).toISOString(),
    cache: versions.cache === null ? null : { version: versions.cache },
    rules: versions.rules === null ? null : { version: versions.rules },
    trust: versions.trust === null ? null : { version: versions.trust },
    revocation: versions.revocation === null ? null : { version: versions.revocation },
  };
  const payload = signFreshness(statement, options.signing.privateKey, keyId(options.signing.publicKey));
  await options.publish(payload);
  return { statement, payload, problems };
}
