/**
 * writeDurably's temp file: the mode asked for is the mode the file ends with, whatever a crash left
 * behind under the temp name (the kernel's own answer via stat; open(2)'s mode applies only on creation).
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeDurably } from '../src/durable-file.js';

describe('writeDurably', () => {
  it('a 644 temp file left by a crash does not make a 600 secret readable by others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'durable-'));
    const file = join(dir, 'mqtt-password');
    writeFileSync(`${file}.tmp`, 'left by a crash');
    chmodSync(`${file}.tmp`, 0o644);
    writeDurably(file, 'secret', { mode: 0o600 });
    expect(readFileSync(file, 'utf8')).toBe('secret');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(existsSync(`${file}.tmp`)).toBe(false);
  });
});
