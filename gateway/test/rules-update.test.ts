/**
 * Rules updates and the rules floor (issue #12, defect 13 and its review): versions only go up, and a
 * rules file lost or torn on disk is restored from the retained copy of the same version instead of
 * leaving the kiosk on its built-in rules.
 */
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { signedRulesEnvelope } from '@qrkiosk/hub';
import { KeyRing } from '@qrkiosk/protocol';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { installRulesUpdate } from '../src/decide/index.js';

const signing = generateKeyPairSync('ed25519');
const keys = new KeyRing();
keys.add(signing.publicKey);
const base = JSON.parse(readFileSync(join(REPO_ROOT, 'gateway/assets/rules/default-rules.json'), 'utf8'));
const update = (version: string) =>
  Buffer.from(signedRulesEnvelope(JSON.stringify({ ...base, version }), signing));

describe('rules updates', () => {
  it('the retained copy of the installed version restores a rules file that was deleted or torn', () => {
    const dataDir = makeTempDir('rules-floor-');
    const files = { rulesFile: join(dataDir, 'rules.json'), dataDir };
    expect(installRulesUpdate(update('province-2026-11-26'), keys, files).installed).toBe(true);
    // The same retained update again: already installed, nothing written.
    expect(installRulesUpdate(update('province-2026-11-26'), keys, files).installed).toBe(false);

    writeFileSync(files.rulesFile, '{"rules": "{\\"ver'); // torn by a power cut
    expect(installRulesUpdate(update('province-2026-11-26'), keys, files).installed).toBe(true);
    rmSync(files.rulesFile);
    expect(installRulesUpdate(update('province-2026-11-26'), keys, files).installed).toBe(true);
    // Still no rollback: an older version is refused even while the file is missing.
    rmSync(files.rulesFile);
    expect(() => installRulesUpdate(update('province-2026-11-01'), keys, files)).toThrow(/rollback/);
  });
});
