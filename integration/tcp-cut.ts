import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '@qrkiosk/testkit';

/**
 * A TCP relay in front of the broker for one kiosk, so a test can cut that kiosk off (every connection
 * dropped, new ones refused) while the broker and the other kiosks go on, then let it back.
 */
export async function tcpCut(target: { host: string; port: number }) {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((inbound) => {
        const outbound = createConnection(target);
        for (const s of [inbound, outbound]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        inbound.pipe(outbound).pipe(inbound);
        inbound.on('close', () => outbound.destroy());
        outbound.on('close', () => inbound.destroy());
      });
      server.listen(port, '127.0.0.1', () => resolve());
    });
  await listen();
  const close = async () => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  };
  return { url: `mqtt://127.0.0.1:${port}`, cut: close, restore: listen, close };
}
