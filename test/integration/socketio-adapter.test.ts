/**
 * A real library built on pub/sub: socket.io's Redis adapter joins several
 * socket.io servers through PSUBSCRIBE, PUBLISH (binary messages) and
 * PUBSUB NUMSUB. Three servers with clients in rooms broadcast to a room,
 * to everyone, ask every server for its sockets (a request answered through
 * pub/sub) and count the servers — against redis-server and against Shoal
 * on 4 threads (the adapters' connections land on different threads), with
 * the same outcome.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { io as connectClient, type Socket as ClientSocket } from 'socket.io-client';
import { createAdapter } from '@socket.io/redis-adapter';
import { describe, expect, it } from 'vitest';
import { startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';

interface Outcome {
  servers: number;
  /** What each client received, sorted. */
  received: string[][];
  fetched: number;
  roomFetched: number;
}

async function scenario(backend: ServerHandle): Promise<Outcome> {
  const redisClients: Redis[] = [];
  const ios: Server[] = [];
  const https: http.Server[] = [];
  const clients: ClientSocket[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const pub = new Redis({ port: backend.port, host: '127.0.0.1' });
      const sub = pub.duplicate();
      redisClients.push(pub, sub);
      const httpServer = http.createServer();
      const io = new Server(httpServer, { adapter: createAdapter(pub, sub) });
      io.on('connection', (socket) => {
        socket.on('join', (room: string, ack: () => void) => {
          void socket.join(room);
          ack();
        });
      });
      await new Promise<void>((resolve) => httpServer.listen(0, '127.0.0.1', () => resolve()));
      https.push(httpServer);
      ios.push(io);
    }
    // Wait until every adapter is subscribed: each one counts the others through NUMSUB.
    for (let tries = 0; (await ios[0].of('/').adapter.serverCount()) < 3 && tries < 100; tries++) await new Promise((r) => setTimeout(r, 20));
    const received: string[][] = [];
    for (let c = 0; c < 6; c++) {
      const port = (https[c % 3].address() as AddressInfo).port;
      const client = connectClient(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true });
      clients.push(client);
      received.push([]);
      client.on('news', (msg: string) => received[c].push(msg));
      await new Promise<void>((resolve) => client.on('connect', () => resolve()));
      // Clients 0, 2 and 4 (one per server) join the room.
      if (c % 2 === 0) await new Promise<void>((resolve) => client.emit('join', 'room', () => resolve()));
    }
    ios[1].to('room').emit('news', 'to the room');
    ios[2].emit('news', 'to everyone');
    ios[0].except('room').emit('news', 'to the others');
    // Every client gets two messages: the room's or the others', and everyone's.
    for (let tries = 0; received.some((r) => r.length < 2) && tries < 250; tries++) await new Promise((r) => setTimeout(r, 20));
    const fetched = (await ios[0].fetchSockets()).length;
    const roomFetched = (await ios[2].in('room').fetchSockets()).length;
    return { servers: await ios[1].of('/').adapter.serverCount(), received: received.map((r) => [...r].sort()), fetched, roomFetched };
  } finally {
    for (const c of clients) c.disconnect();
    for (const io of ios) await new Promise<void>((resolve) => io.close(() => resolve()));
    // The adapters unsubscribe as they close: their connections quit once that is answered.
    await Promise.all(redisClients.map((r) => r.quit().catch(() => undefined)));
  }
}

describe('socket.io Redis adapter', () => {
  it('delivers room, broadcast and except messages and answers fetchSockets across three servers, on Shoal as on redis-server', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    try {
      const expected = await scenario(redis);
      expect(expected).toEqual({
        servers: 3,
        received: [
          ['to everyone', 'to the room'],
          ['to everyone', 'to the others'],
          ['to everyone', 'to the room'],
          ['to everyone', 'to the others'],
          ['to everyone', 'to the room'],
          ['to everyone', 'to the others'],
        ],
        fetched: 6,
        roomFetched: 3,
      });
      expect(await scenario(shoal)).toEqual(expected);
    } finally {
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);
});
