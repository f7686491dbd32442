import { createServer, type Server } from 'node:net';
import { Aedes } from 'aedes';

/** An embedded MQTT broker (aedes, MQTT 3.1.1) so the demo needs no services installed. */
export async function startEmbeddedBroker(
  preferredPort: number,
): Promise<{ port: number; stop(): Promise<void> }> {
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  const port = await new Promise<number>((resolve, reject) => {
    const listen = (p: number) => {
      server.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'EADDRINUSE' && p !== 0) listen(0);
        else reject(err);
      });
      server.listen(p, '127.0.0.1', () => {
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : p);
      });
    };
    listen(preferredPort);
  });
  return {
    port,
    async stop() {
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** `preferred` when it is free (0 means any), else a free port. */
export function pickPort(preferred: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE' && preferred !== 0) resolve(pickPort(0));
      else reject(err);
    });
    probe.listen(preferred, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : preferred;
      probe.close(() => resolve(port));
    });
  });
}
