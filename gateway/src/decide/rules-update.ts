import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { compareRulesVersions, type KeyRing, writeDurably } from '@qrkiosk/protocol';
import { loadSignedRules, type RuleSet, RulesError, verifyRules } from './rules.js';

/** Where the kiosk remembers the newest rules it installed from the hub: version and content hash. */
export const RULES_FLOOR_FILE = 'rules-floor.json';

interface Floor {
  version: string;
  sha256: string;
}

const fingerprint = (rules: RuleSet) => createHash('sha256').update(JSON.stringify(rules)).digest('hex');

/**
 * The newest of: the floor file, and the rules file installed now. Both, because a crash between
 * writing the rules and the floor leaves the floor one version behind the rules in force.
 */
function readFloor(dataDir: string, rulesFile: string, keys: KeyRing): Floor | null {
  let floor: Floor | null = null;
  try {
    const f = JSON.parse(readFileSync(join(dataDir, RULES_FLOOR_FILE), 'utf8')) as Partial<Floor>;
    if (typeof f.version === 'string' && typeof f.sha256 === 'string')
      floor = { version: f.version, sha256: f.sha256 };
  } catch {
    // no floor yet: the rules installed before this file existed set it
  }
  if (!existsSync(rulesFile)) return floor;
  try {
    const rules = loadSignedRules(rulesFile, keys);
    if (!floor || compareRulesVersions(rules.version, floor.version) > 0)
      return { version: rules.version, sha256: fingerprint(rules) };
  } catch {
    // an unreadable or unsigned rules file sets no floor
  }
  return floor;
}

export type RulesUpdateResult = { installed: true; rules: RuleSet } | { installed: false; version: string };

/**
 * A signed rules update from `fleet/rules`: verified, then installed only if its version is above the
 * newest installed (natural order, protocol's compareRulesVersions). The same version again with the
 * same content is the retained copy coming back (not installed again); with other content, or an
 * older version, it is refused: a captured old signed file must not roll the rules back. Throws
 * RulesError saying why. Verified first, then written as one envelope by a single rename.
 */
export function installRulesUpdate(
  payload: Buffer,
  keys: KeyRing,
  files: { rulesFile: string; dataDir: string },
): RulesUpdateResult {
  let envelope: { rules?: unknown; signature?: unknown };
  try {
    envelope = JSON.parse(payload.toString('utf8')) as typeof envelope;
  } catch {
    throw new RulesError('rules update: not JSON');
  }
  if (typeof envelope?.rules !== 'string')
    throw new RulesError('rules update: "rules" must be the file text');
  const rules = verifyRules(Buffer.from(envelope.rules, 'utf8'), envelope.signature, keys, 'rules update');
  const floor = readFloor(files.dataDir, files.rulesFile, keys);
  const sha256 = fingerprint(rules);
  if (floor) {
    const order = compareRulesVersions(rules.version, floor.version);
    // The retained copy of what is installed: nothing to do — unless the rules file is gone or torn
    // (a power cut, a technician), when the kiosk would run on its built-in rules while the floor
    // refused the very update that restores them. Same version, same content: no rollback.
    if (order === 0 && sha256 === floor.sha256 && installedIs(files.rulesFile, keys, sha256))
      return { installed: false, version: rules.version };
    if (order < 0)
      throw new RulesError(
        `rules update: version ${rules.version} is older than the installed ${floor.version} (a rollback is refused)`,
      );
    if (order === 0 && sha256 !== floor.sha256)
      throw new RulesError(
        `rules update: version ${rules.version} is installed with other content; a change needs a new version`,
      );
  }
  const file = files.rulesFile;
  writeDurably(file, JSON.stringify({ rules: envelope.rules, signature: envelope.signature }));
  // A detached .sig would now be stale.
  rmSync(`${file}.sig`, { force: true });
  writeDurably(join(files.dataDir, RULES_FLOOR_FILE), JSON.stringify({ version: rules.version, sha256 }));
  return { installed: true, rules };
}

/** Whether the rules file on disk verifies and holds exactly these rules. */
function installedIs(rulesFile: string, keys: KeyRing, sha256: string): boolean {
  try {
    return fingerprint(loadSignedRules(rulesFile, keys)) === sha256;
  } catch {
    return false;
  }
}
