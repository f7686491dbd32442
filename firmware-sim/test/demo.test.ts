/**
 * The README's first command ends in `npm start`. This runs the same program (built) with short
 * gaps and no input: it must scan every sample, see each check-in acknowledged by the hub's
 * broker, stop by itself at end of input, and leave no socat behind.
 */
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '@qrkiosk/testkit';
import { describe, expect, it } from 'vitest';

describe('npm start demo', () => {
  it('runs the samples through scanner → gateway → broker → hub and exits cleanly', async () => {
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'firmware-sim/dist/demo/main.js'),
        '--gap-ms',
        '400',
        '--hub-port',
        '0',
        '--mqtt-port',
        '0',
        '--kiosk-port',
        '0',
        '--lang',
        'en',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code, `${stdout}\n${stderr}`).toBe(0);
    expect(stdout).toMatch(/Hub page \(open in a browser\): http:\/\/127\.0\.0\.1:\d+/);
    expect(stdout).toMatch(/log in: 0900000000 \/ qrkiosk-demo/);
    expect(stdout).toMatch(
      /Kiosk screen: http:\/\/127\.0\.0\.1:\d+\/ {3}Reception: http:\/\/127\.0\.0\.1:\d+\/reception/,
    );
    // Five samples decode to a person and are journaled; the place's QR is not a check-in.
    expect(stdout.match(/✓ hub acknowledged/g)).toHaveLength(5);
    expect(stdout).toContain('ALLOW  green');
    expect(stdout).toContain('REFUSE  red');
    expect(stdout).toContain("This is the place's QR code");
    const pty = /Virtual scanner \(real pty\): (\S+)/.exec(stdout)?.[1];
    expect(pty).toBeDefined();
    const leftover = spawnSync('pgrep', ['-f', pty!.replace(/ttyACM0$/, '')], { encoding: 'utf8' });
    expect(leftover.stdout.trim()).toBe('');
  });
});
