import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { writeDurably } from '@qrkiosk/protocol';
import { Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { RulesSection } from '../settings/schema.js';
import type { Tightening } from './tightening.js';

/** The hub's `config set`s, kept in the data folder so that they outlive a restart. */
export const REMOTE_CONFIG_FILE = 'remote-config.json';

/**
 * The file's shape: the keys a request may set, taken from kiosk.yaml's own schema (settings/schema.ts
 * RulesSection) — the same ranges and verdicts as in the file, one definition.
 */
export const RemoteConfig = Type.Object(
  { rules: Type.Pick(RulesSection, ['level', 'unknownPerson']) },
  { additionalProperties: false },
);

export type RemoteLoad = { ok: true; held: Tightening } | { ok: false; problem: string };

/**
 * Reads and writes `<data.dir>/remote-config.json`. Written whole and durably (a power cut leaves the old
 * file or the new one); read at start and re-applied on top of kiosk.yaml and the signed rules — still
 * only ever stricter (PolicyInForce takes the stricter of the two, always). A file that does not match
 * the schema is not applied, and said so: it can only have tightened, so ignoring it never loosens
 * below kiosk.yaml.
 */
export class RemoteConfigFile {
  readonly file: string;

  constructor(dataDir: string) {
    this.file = join(dataDir, REMOTE_CONFIG_FILE);
  }

  load(): RemoteLoad {
    if (!existsSync(this.file)) return { ok: true, held: {} };
    let value: unknown;
    try {
      value = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (err) {
      return { ok: false, problem: `not JSON (${(err as Error).message})` };
    }
    if (!Value.Check(RemoteConfig, value)) {
      const first = Value.Errors(RemoteConfig, value).First();
      return { ok: false, problem: `${first?.path || '/'} ${first?.message ?? 'does not match the schema'}` };
    }
    const { level, unknownPerson } = value.rules;
    return {
      ok: true,
      held: {
        ...(level !== undefined ? { level: level as 1 | 2 | 3 | 4 } : {}),
        ...(unknownPerson !== undefined ? { unknownPerson } : {}),
      },
    };
  }

  save(held: Tightening): void {
    const value = { rules: { ...held } };
    // Never write what the next start would refuse.
    if (!Value.Check(RemoteConfig, value)) throw new Error('remote config does not match the schema');
    writeDurably(this.file, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o640 });
  }

  /** An unenrolled kiosk starts from its kiosk.yaml alone. */
  remove(): void {
    rmSync(this.file, { force: true });
  }
}
