import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { stopChild } from './child.js';
import { freePort, waitForPort } from './net.js';
import { REPO_ROOT } from './shared.js';
import { makeTempDir } from './tmp.js';

/** `qrkiosk-hub …` as an operator runs it: the built CLI (hub/dist, so `npm run build` first) in a child process. */
export const hubCli = (...args: string[]) =>
  spawnSync(process.execPath, [join(REPO_ROOT, 'hub/dist/cli.js'), ...args], { encoding: 'utf8' });

export interface InitBroker {
  dir: string;
  url: string;
  /** The hub's login from DIR/hub.password. */
  hub: { username: string; password: string };
  log(): string;
  stop(): Promise<void>;
}

/**
 * A broker made the way an operator makes one: `qrkiosk-hub broker init --dir DIR --port N`, then
 * Debian's `mosquitto -c DIR/mosquitto.conf` started here, untouched (testkit's startMosquitto writes
 * its own configuration, which is what this must not do).
 */
export async function initAndStartBroker(): Promise<InitBroker> {
  const dir = makeTempDir('broker-init-');
  const port = await freePort();
  const init = hubCli('broker', 'init', '--dir', dir, '--port', String(port));
  if (init.status !== 0) throw new Error(`broker init failed: ${init.stderr}`);
  let output = '';
  const child = spawn(
    process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto',
    ['-c', join(dir, 'mosquitto.conf')],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    output += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitForPort(port, 5000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`mosquitto -c ${dir}/mosquitto.conf did not start: ${(err as Error).message}\n${output}`);
  }
  return {
    dir,
    url: `mqtt://127.0.0.1:${port}`,
    hub: { username: 'hub', password: readFileSync(join(dir, 'hub.password'), 'utf8').trim() },
    log: () => output,
    stop: () => stopChild(child, exited),
  };
}
