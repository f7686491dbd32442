import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from './child.js';
import { freePort, waitForPort } from './net.js';
import { makeTempDir } from './tmp.js';

export interface MosquittoOptions {
  /** Extra lines appended to the generated mosquitto.conf (ACLs, password files, limits). */
  extraConfig?: string[];
  /** Reuse a port, e.g. to restart a broker where clients expect it. */
  port?: number;
  /** Allow clients without a username (default true; false with a password file). */
  anonymous?: boolean;
}

export interface RunningMosquitto {
  port: number;
  /** The server's process id (benchmarks read its CPU time). */
  pid: number;
  url: string;
  dir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after 3 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Output the broker printed, for failing tests. */
  log(): string;
}

/**
 * Starts a real Mosquitto on a free loopback port with a config of its own (no persistence,
 * listener on 127.0.0.1 only). Tests own its life: call stop() in afterAll.
 */
export async function startMosquitto(options: MosquittoOptions = {}): Promise<RunningMosquitto> {
  const dir = makeTempDir('mosquitto-');
  const port = options.port ?? (await freePort());
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      `allow_anonymous ${options.anonymous === false ? 'false' : 'true'}`,
      // Started as root (CI), Mosquitto would switch to its own user and lose access to our temp files.
      ...(process.getuid?.() === 0 ? ['user root'] : []),
      'persistence false',
      'log_dest stdout',
      'log_type error',
      'log_type warning',
      ...(options.extraConfig ?? []),
      '',
    ].join('\n'),
  );
  let output = '';
  const child: ChildProcess = spawn(mosquittoBinary(), ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const failedToSpawn = new Promise<never>((_, reject) =>
    child.once('error', (err) =>
      reject(
        new Error(
          `cannot run ${mosquittoBinary()} (${err.message}): install it with bash scripts/install.sh --test`,
        ),
      ),
    ),
  );
  try {
    await Promise.race([waitForPort(port, 5000), failedToSpawn]);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`mosquitto did not start on port ${port}: ${(err as Error).message}\n${output}`);
  }
  return {
    port,
    pid: child.pid ?? 0,
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    log: () => output,
    stop: () => stopChild(child, exited),
  };
}

function mosquittoBinary(): string {
  // Debian installs the broker in /usr/sbin, which is not on every user's PATH.
  return process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
}

/** A Mosquitto password file for these logins (mosquitto_passwd -b), as hardware/mosquitto/ sets up. */
export function writePasswordFile(file: string, logins: Readonly<Record<string, string>>): string {
  writeFileSync(file, '');
  for (const [user, pass] of Object.entries(logins)) {
    const r = spawnSync('mosquitto_passwd', ['-b', file, user, pass], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`mosquitto_passwd failed: ${r.stderr}`);
  }
  return file;
}
