/**
 * The hub's commands read secret files with protocol's readers (as the kiosk does): a missing file or
 * a deployment key too short ends the command with exit 2 and a bilingual line naming the file — never
 * a stack trace.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir, REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

const cli = join(REPO_ROOT, 'hub/dist/cli.js');
const hub = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

describe('hub secret files', () => {
  const dir = makeTempDir('hub-secrets-');
  const trace = (keyFile: string) =>
    hub(['trace', '--key-file', keyFile, '--type', 'cccd', '--id', '079090001234', '--data-dir', dir]);

  it('a missing key file: exit 2, the file and the fix in both languages, no stack', () => {
    const r = trace(join(dir, 'nope.key'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /Không đọc được tệp khóa .*nope\.key \(ENOENT\).* \/ cannot read the key file .*nope\.key/,
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('a deployment key under 32 bytes is refused, as on the kiosk', () => {
    writeFileSync(join(dir, 'short.key'), 'abcd\n');
    const r = trace(join(dir, 'short.key'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/too short \(5 bytes\): openssl rand -hex 32/);
  });
});
