/**
 * A release's signature is fetched whole into the daemon's memory: past 64 KiB it is refused, not read on
 * (issue #17, second review #6). A real HTTP server (node:http) serves it.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadSmall } from '../src/software/download.js';

let server: Server;
let base: string;

beforeAll(async () => {
  server = createServer((req, res) => {
    const size = req.url === '/big.sig' ? 1024 * 1024 : 71;
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(size, 0x41));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('downloadSmall', () => {
  it('reads a signature-sized body whole', async () => {
    expect((await downloadSmall(`${base}/ok.sig`, 5000)).length).toBe(71);
  });

  it('refuses a body past 64 KiB instead of holding it', async () => {
    await expect(downloadSmall(`${base}/big.sig`, 5000)).rejects.toThrow(/more than 65536 bytes/);
  });
});
