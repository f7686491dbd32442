/**
 * A live page that stops reading (issue #12, defect 12): real stalled clients — raw TCP sockets that
 * complete the WebSocket upgrade and then never read — while 30,000 check-ins go out. The hub must
 * close them (1013, "try again later") with their unread bytes bounded, and keep serving a page
 * that reads. On SQLite only: the live path does not touch the database after the snapshot.
 */
import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { setImmediate as turn } from 'node:timers/promises';
import type { CheckinMessage } from '@qrkiosk/protocol';
import { sampleCheckin } from '@qrkiosk/testkit';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { LIVE_BUFFER_BYTES } from '../src/routes/live.js';
import { httpHub } from './http-server.js';
import { logIn } from './session.js';

const checkin = (i: number): CheckinMessage =>
  sampleCheckin({
    id: ulid(),
    document: {
      numberMasked: `********${String(i % 10_000).padStart(4, '0')}`,
      idHash: randomBytes(16).toString('hex'),
    },
    versions: { software: '0.1.0', rules: 'builtin', cache: 1 },
  });

/** Opens /live over a raw socket, waits for the 101, then stops reading for good. */
function stalledClient(address: string, cookie: string): Promise<Socket> {
  const url = new URL(address);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => {
      socket.write(
        [
          'GET /live HTTP/1.1',
          `Host: ${url.host}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
          'Sec-WebSocket-Version: 13',
          `Cookie: ${cookie}`,
          '',
          '',
        ].join('\r\n'),
      );
    });
    let head = '';
    const onData = (chunk: Buffer) => {
      head += chunk.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.pause(); // from here on nothing is read: the kernel buffers fill, then the hub's
      if (head.startsWith('HTTP/1.1 101')) resolve(socket);
      else reject(new Error(head.split('\r\n')[0]));
    };
    socket.on('data', onData);
    socket.on('error', reject);
  });
}

/** Reads a resumed raw socket's WebSocket frames (unmasked, from the server) up to a close frame. */
function closeCodeAfterBacklog(socket: Socket): Promise<number> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (buffer.length < 2) return;
        const opcode = (buffer[0] ?? 0) & 0x0f;
        let length = (buffer[1] ?? 0) & 0x7f;
        let offset = 2;
        if (length === 126) {
          if (buffer.length < 4) return;
          length = buffer.readUInt16BE(2);
          offset = 4;
        } else if (length === 127) {
          if (buffer.length < 10) return;
          length = Number(buffer.readBigUInt64BE(2));
          offset = 10;
        }
        if (buffer.length < offset + length) return;
        if (opcode === 0x8) return resolve(buffer.readUInt16BE(offset));
        buffer = buffer.subarray(offset + length);
      }
    });
    socket.on('end', () => reject(new Error('no close frame')));
    socket.resume();
  });
}

describe('live page backpressure', () => {
  let hub: Awaited<ReturnType<typeof httpHub>>;
  let cookie: string;
  const stalled: Socket[] = [];
  beforeAll(async () => {
    hub = await httpHub('sqlite');
    await hub.store.users.add('0900000001', 'live-password', 'admin', ['*']);
    cookie = (await logIn(hub.address, '0900000001', 'live-password')).cookie;
  });
  afterAll(async () => {
    for (const s of stalled) s.destroy();
    await hub?.stop();
  });

  it('closes pages that stop reading, their unread bytes bounded, and keeps serving one that reads', async () => {
    for (let i = 0; i < 5; i++) stalled.push(await stalledClient(hub.address, cookie));
    const reader = new WebSocket(`${hub.address.replace('http', 'ws')}/live`, { headers: { cookie } });
    let received = 0;
    let readerClosed: number | null = null;
    reader.on('message', (data) => {
      if ((JSON.parse(String(data)) as { type: string }).type === 'checkin') received++;
    });
    reader.on('close', (code) => {
      readerClosed = code;
    });
    await new Promise((resolve) => reader.once('message', resolve)); // the snapshot
    const server = hub.app.websocketServer.clients;
    // Wait until the hub has all six pages subscribed (state, not time).
    while (server.size < 6 || hub.ingest.listenerCount('checkin') < 6) await turn();

    const total = 30_000;
    let maxBuffered = 0;
    for (let i = 0; i < total; i++) {
      hub.ingest.emit('checkin', checkin(i));
      if (i % 100 === 99) {
        for (const ws of server) maxBuffered = Math.max(maxBuffered, ws.bufferedAmount);
        await turn(); // let the sockets drain to whoever reads
      }
    }
    const open = () => [...server].filter((ws) => ws.readyState === ws.OPEN).length;
    // The five stalled pages are being closed (closing handshake pending: they never read it).
    expect(open()).toBe(1);
    // One message past the bound at most: the check comes before each send.
    expect(maxBuffered).toBeLessThan(LIVE_BUFFER_BYTES + 4096);
    while (received < total && readerClosed === null) await turn();
    expect(readerClosed).toBeNull();
    expect(received).toBe(total);
    reader.close();
    // A stalled page that reads again finds, after its backlog, the close frame: 1013, reconnect.
    expect(await closeCodeAfterBacklog(stalled[0] as Socket)).toBe(1013);
  });
});
