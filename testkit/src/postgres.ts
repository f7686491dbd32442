import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, waitForPort } from './net.js';
import { makeTempDir } from './tmp.js';

export interface PostgresOptions {
  /**
   * Durable like a real server (fsync on). Tests default to false: they check behaviour, not
   * crash safety, and fsync makes a 2-core CI machine slow. Benchmarks pass true.
   */
  durable?: boolean;
  /** Extra `-c name=value` server settings. */
  settings?: Record<string, string | number>;
}

export interface RunningPostgres {
  port: number;
  /** The server's process id (benchmarks read its CPU time). */
  readonly pid: number;
  /** `postgres://qrkiosk@127.0.0.1:<port>/postgres` (trust authentication on loopback). */
  url: string;
  dir: string;
  /** A fresh empty database; returns its URL. */
  createDatabase(name: string): string;
  /** Stops the server (fast shutdown, then SIGKILL after 5 s). Safe to call twice. */
  stop(): Promise<void>;
  /** Starts it again after stop(), same data and port ("the database was down for a while"). */
  start(): Promise<void>;
  log(): string;
}

/** Debian's server binaries live in /usr/lib/postgresql/<major>/bin, not on PATH. */
export function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root)
    ? readdirSync(root)
        .filter((d) => existsSync(join(root, d, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (!majors[0])
    throw new Error(
      'PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: install them with bash scripts/install.sh --test',
    );
  return join(root, majors[0], 'bin');
}

/** PostgreSQL refuses to run as root; under root (CI) the server runs as Debian's `postgres` user. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (!uid || !gid) throw new Error('running as root needs the postgres user (Debian package postgresql)');
  return { uid: Number(uid), gid: Number(gid) };
}

/**
 * Starts a real PostgreSQL server of its own: initdb into a temp dir, listening on a free loopback
 * port only (no Unix socket), trust authentication for the `qrkiosk` superuser. Tests own its
 * life: call stop() in afterAll.
 */
export async function startPostgres(options: PostgresOptions = {}): Promise<RunningPostgres> {
  const bin = postgresBinDir();
  const dir = makeTempDir('postgres-');
  const data = join(dir, 'data');
  const user = serverUser();
  if (user) chownSync(dir, user.uid, user.gid);
  const asServer = user ? { uid: user.uid, gid: user.gid } : {};
  execFileSync(
    join(bin, 'initdb'),
    ['-D', data, '-U', 'qrkiosk', '--auth=trust', '-E', 'UTF8', '--no-locale', '--no-sync'],
    { ...asServer, stdio: 'pipe', cwd: dir },
  );
  const port = await freePort();
  const settings: Record<string, string | number> = {
    listen_addresses: '127.0.0.1',
    port,
    unix_socket_directories: '',
    ...(options.durable ? {} : { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' }),
    ...options.settings,
  };
  const args = ['-D', data, ...Object.entries(settings).flatMap(([k, v]) => ['-c', `${k}=${v}`])];
  let output = '';
  let child: ChildProcess;
  let exited: Promise<void>;
  const spawnServer = async () => {
    child = spawn(join(bin, 'postgres'), args, { ...asServer, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      output += d.toString();
    });
    const current = child;
    exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
    try {
      await waitForPort(port, 15_000);
    } catch (err) {
      current.kill('SIGKILL');
      throw new Error(`postgres did not start on port ${port}: ${(err as Error).message}\n${output}`);
    }
  };
  const running = () => child.exitCode === null && child.signalCode === null;
  await spawnServer();
  const url = (db: string) => `postgres://qrkiosk@127.0.0.1:${port}/${db}`;
  return {
    port,
    get pid() {
      return child.pid ?? 0;
    },
    dir,
    url: url('postgres'),
    log: () => output,
    createDatabase(name) {
      if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`bad database name ${name}`);
      execFileSync('psql', [url('postgres'), '-v', 'ON_ERROR_STOP=1', '-qc', `CREATE DATABASE ${name}`], {
        stdio: 'pipe',
      });
      return url(name);
    },
    async stop() {
      if (!running()) return;
      // SIGINT = fast shutdown: open connections are closed, the server exits cleanly.
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
    async start() {
      if (running()) return;
      await spawnServer();
    },
  };
}
