import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Two linked pseudo-terminals made by socat: what is written to `devicePath` comes out of
 * `hostPath` and back. The gateway opens hostPath as if it were /dev/ttyACM0; the virtual scanner
 * writes to devicePath. Real ptys, real termios: serialport runs exactly as on a Pi.
 */
export class PtyPair {
  readonly devicePath: string;
  readonly hostPath: string;
  private child: ChildProcess | undefined;
  private exited: Promise<void> | undefined;

  constructor(dir = mkdtempSync(join(tmpdir(), 'qrkiosk-pty-'))) {
    this.devicePath = join(dir, 'scanner');
    this.hostPath = join(dir, 'ttyACM0');
  }

  async open(timeoutMs = 5000): Promise<void> {
    let stderr = '';
    const child = spawn(
      'socat',
      [`pty,raw,echo=0,link=${this.devicePath}`, `pty,raw,echo=0,link=${this.hostPath}`],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    this.child = child;
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (err) =>
        reject(new Error(`cannot start socat (${err.message}); install it: sudo apt-get install socat`)),
      ),
    );
    const ready = (async () => {
      const deadline = Date.now() + timeoutMs;
      while (!(existsSync(this.devicePath) && existsSync(this.hostPath))) {
        if (child.exitCode !== null) throw new Error(`socat exited (${child.exitCode}): ${stderr}`);
        if (Date.now() > deadline)
          throw new Error(`socat did not create the ptys in ${timeoutMs} ms: ${stderr}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    await Promise.race([ready, spawnError]);
  }

  /** Ends socat: both ptys vanish, as when a USB scanner is unplugged. */
  async close(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000);
    await this.exited;
    clearTimeout(timer);
  }
}
