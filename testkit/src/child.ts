import type { ChildProcess } from 'node:child_process';

/**
 * Stops a server child the tests started: SIGTERM (so it closes its files as in production), SIGKILL after
 * 3 s if it has not gone; a child that already exited is left alone. `exited` must be made right after the
 * spawn, so an exit before this call is not missed.
 */
export async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
  await exited;
  clearTimeout(timer);
}
