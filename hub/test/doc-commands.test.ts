/**
 * The hub commands the guides and the kiosk's `doctor` tell people to run are commands the hub CLI has
 * (review 3, finding 3: `qrkiosk-hub publish fresh` was written where the command is `publish-fresh`).
 * The oracle is the CLI's own dispatch list (PUBLISH_COMMANDS, what cli.ts runs), not a list kept here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';
import { PUBLISH_COMMANDS } from '../src/cli-publish.js';

const filesIn = (dir: string, ext: string) =>
  readdirSync(join(REPO_ROOT, dir))
    .filter((f) => f.endsWith(ext))
    .map((f) => join(dir, f));

describe('publish commands named in the guides and the doctor', () => {
  it('every `qrkiosk-hub publish…` said to an operator or technician is a real command', () => {
    const files = [
      ...filesIn('docs', '.md'),
      ...filesIn('gateway/src/doctor', '.ts'),
      ...filesIn('hub/src', '.ts'),
    ];
    const named: Array<{ file: string; command: string }> = [];
    for (const file of files) {
      const text = readFileSync(join(REPO_ROOT, file), 'utf8');
      for (const m of text.matchAll(/qrkiosk-hub (publish[a-z-]*)/g))
        named.push({ file, command: m[1] as string });
    }
    // The search finds what is there: publish-fresh is named in the doctor's fix and the technician guide.
    expect(named).toContainEqual({ file: 'gateway/src/doctor/freshness.ts', command: 'publish-fresh' });
    expect(named).toContainEqual({ file: 'docs/technician-guide.md', command: 'publish-fresh' });
    const known = PUBLISH_COMMANDS as readonly string[];
    expect(named.filter((n) => !known.includes(n.command))).toEqual([]);
  });
});
