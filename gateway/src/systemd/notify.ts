import { createRequire } from 'node:module';
import type { Logger } from '../log.js';

/** What the daemon tells systemd (sd_notify(3)): `READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`. */
export interface Notifier {
  /** False when there is no one to tell (no NOTIFY_SOCKET: a dev run, a test). send() is then a no-op. */
  readonly enabled: boolean;
  send(state: string): void;
  close(): void;
}

/** The part of unix-dgram used here (the package ships no types). */
interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}
interface UnixDgram {
  createSocket(type: 'unix_dgram'): DgramSocket;
}

const disabled: Notifier = { enabled: false, send: () => undefined, close: () => undefined };

/**
 * A notifier for $NOTIFY_SOCKET. Node has no AF_UNIX datagram sockets, so this uses unix-dgram (a small
 * native addon, as zigbee2mqtt's lib/util/sd-notify.ts does). Notifying is never worth crashing the kiosk
 * for: every failure is logged and the kiosk runs on (with Type=notify, systemd then times the start out
 * or misses pings and restarts it, which the log explains).
 *
 * Abstract sockets (`@name`) are refused here, unlike zigbee2mqtt, which passes `@name` on as a relative
 * path and fails on every send: unix-dgram copies the path with strncpy (stops at the leading NUL) and
 * passes sizeof(sockaddr_un) as the address length, so it cannot reach an abstract name. systemd's own
 * managers use a path (/run/systemd/notify); `@` shows up in containers, where the kiosk does not run.
 */
export function systemdNotifier(env: NodeJS.ProcessEnv, log: Logger): Notifier {
  const path = env.NOTIFY_SOCKET;
  if (!path) return disabled;
  if (path.startsWith('@')) {
    log.error(
      { notifySocket: path },
      'NOTIFY_SOCKET is an abstract socket, which unix-dgram cannot address: systemd is not told READY',
    );
    return disabled;
  }
  let socket: DgramSocket;
  try {
    const dgram = createRequire(import.meta.url)('unix-dgram') as UnixDgram;
    socket = dgram.createSocket('unix_dgram');
  } catch (err) {
    log.error(
      { err },
      'cannot load unix-dgram: systemd is not told READY (rebuild it: npm rebuild unix-dgram)',
    );
    return disabled;
  }
  // Each kind of failure once (a missing socket would otherwise be logged on every ping), again after a success.
  let lastFailure = '';
  socket.on('error', (err) => log.warn({ err }, 'systemd notify socket error'));
  let open = true;
  return {
    enabled: true,
    send(state) {
      if (!open) return;
      const buf = Buffer.from(state);
      socket.send(buf, 0, buf.length, path, (err) => {
        if (!err) {
          lastFailure = '';
          return;
        }
        const kind = `${(err as NodeJS.ErrnoException).code ?? err.message}`;
        if (kind !== lastFailure) log.warn({ err, state, notifySocket: path }, 'cannot notify systemd');
        lastFailure = kind;
      });
    },
    close() {
      if (!open) return;
      open = false;
      // The addon polls the socket for reading: left open, it would keep the process alive after stop().
      try {
        socket.close();
      } catch (err) {
        log.warn({ err }, 'cannot close the systemd notify socket');
      }
    },
  };
}
