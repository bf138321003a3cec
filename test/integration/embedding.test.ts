/**
 * Shoal as a library: `startServer` from the package itself ('shoal', as an
 * application's test suite imports it; package.json `exports` points at
 * dist/src/index.js, so `npm run build` first) runs the server's threads in
 * this process. Real clients (ioredis, node-redis) use it; two servers run
 * side by side; `close()` gives the port back.
 */
import fs from 'node:fs';
import net from 'node:net';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { type RunningServer, startServer } from 'shoal';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient } from '../helpers/raw-client.js';
import { shardOf } from '../helpers/shards.js';
import { bulkText, connectSpread, threadsOf } from '../helpers/threads.js';

const THREADS = 2;

/** A key named prefix+i on `shard` of THREADS. */
function keyOn(prefix: string, shard: number): string {
  for (let i = 0; ; i++) if (shardOf(`${prefix}${i}`, THREADS) === shard) return `${prefix}${i}`;
}

/** Whether something (not reusing the port) can listen on 127.0.0.1:port right now. */
function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen({ port, host: '127.0.0.1' }, () => srv.close(() => resolve(true)));
  });
}

function connectRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'ECONNREFUSED'));
  });
}

type NodeRedis = ReturnType<typeof createClient>;

describe("startServer from 'shoal'", () => {
  let one: RunningServer | undefined;
  let two: RunningServer | undefined;
  const ios: Redis[] = [];
  const nrs: NodeRedis[] = [];
  const raws: RawClient[] = [];

  function io(port: number): Redis {
    const c = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1, commandTimeout: 20_000, retryStrategy: () => null });
    c.on('error', () => {
      /* surfaced through the commands */
    });
    ios.push(c);
    return c;
  }

  async function nr(port: number): Promise<NodeRedis> {
    const c = createClient({ socket: { port, host: '127.0.0.1', reconnectStrategy: false } });
    c.on('error', () => {
      /* surfaced through the commands */
    });
    nrs.push(c);
    await c.connect();
    return c;
  }

  beforeAll(async () => {
    // Two servers in this process at once, each on a port of the kernel's choosing.
    [one, two] = await Promise.all([startServer({ port: 0, threads: THREADS }), startServer({ port: 0, threads: THREADS })]);
  });
  afterAll(async () => {
    for (const c of ios) c.disconnect();
    for (const c of nrs) if (c.isOpen) c.destroy();
    for (const c of raws) c.destroy();
    await Promise.all([one?.close(), two?.close()]);
  });

  it('starts two servers on different ports, each with its threads running in this process', async () => {
    expect(one!.port).toBeGreaterThan(0);
    expect(two!.port).toBeGreaterThan(0);
    expect(one!.port).not.toBe(two!.port);
    expect([one!.threads, two!.threads]).toEqual([THREADS, THREADS]);
    for (const s of [one!, two!]) {
      // Connections spread over both threads of each server.
      const spread = await connectSpread(s.port, THREADS, THREADS);
      raws.push(...spread.map((x) => x.client));
      expect(threadsOf(spread)).toEqual([0, 1]);
      // The threads are threads of this process.
      const info = bulkText(await spread[0].client.call('INFO', 'threads'));
      const tids = [...info.matchAll(/^thread_\d+:tid=(\d+),/gm)].map((m) => Number(m[1]));
      expect(tids).toHaveLength(THREADS);
      for (const tid of tids) expect(fs.existsSync(`/proc/${process.pid}/task/${tid}`)).toBe(true);
    }
  });

  it('ioredis: SET/GET, MULTI/EXEC across shards, BLPOP served by a push from another client', async () => {
    const port = one!.port;
    const c = io(port);
    const [a, b] = [keyOn('io-a', 0), keyOn('io-b', 1)];
    await c.del(a, b);
    expect(await c.set(a, 'va')).toBe('OK');
    expect(await c.get(a)).toBe('va');
    const exec = await c.multi().set(b, 'vb').incr(`${a}:n`).mget(a, b).exec();
    expect(exec).toEqual([
      [null, 'OK'],
      [null, 1],
      [null, ['va', 'vb']],
    ]);
    const blocker = io(port);
    const list = keyOn('io-list', 1);
    await c.del(list);
    const popped = blocker.blpop(list, 10);
    // Pushed once the blocker waits (CLIENT LIST shows it blocked).
    for (let i = 0; i < 500; i++) {
      const clients = (await c.client('LIST')) as string;
      if (/ flags=b /.test(clients) && / cmd=blpop /.test(clients)) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await c.rpush(list, 'x', 'y')).toBe(2);
    expect(await popped).toEqual([list, 'x']);
    expect(await c.lrange(list, 0, -1)).toEqual(['y']);
    await c.del(a, b, `${a}:n`, list);
  });

  it('node-redis: SET/GET, MULTI/EXEC across shards, BLPOP served by a push from another client', async () => {
    const port = two!.port;
    const c = await nr(port);
    const [a, b] = [keyOn('nr-a', 0), keyOn('nr-b', 1)];
    await c.del([a, b]);
    expect(await c.set(a, 'va')).toBe('OK');
    expect(await c.get(a)).toBe('va');
    expect(await c.multi().set(b, 'vb').incr(`${a}:n`).mGet([a, b]).exec()).toEqual(['OK', 1, ['va', 'vb']]);
    const blocker = await nr(port);
    const list = keyOn('nr-list', 0);
    await c.del(list);
    const popped = blocker.blPop(list, 10);
    for (let i = 0; i < 500; i++) {
      const clients = await c.clientList();
      if (clients.some((x) => x.flags.includes('b') && x.cmd === 'blpop')) break;
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(await c.rPush(list, ['x', 'y'])).toBe(2);
    expect(await popped).toEqual({ key: list, element: 'x' });
    expect(await c.lRange(list, 0, -1)).toEqual(['y']);
    await c.del([a, b, `${a}:n`, list]);
  });

  it('keeps the two servers apart', async () => {
    const [c1, c2] = [io(one!.port), io(two!.port)];
    await c1.set('apart', 'one');
    await c2.set('apart', 'two');
    expect([await c1.get('apart'), await c2.get('apart')]).toEqual(['one', 'two']);
    await Promise.all([c1.del('apart'), c2.del('apart')]);
  });

  it('close() releases the port, while the other server goes on', async () => {
    const port = one!.port;
    const c = io(port);
    expect(await c.ping()).toBe('PONG');
    const closed = new Promise<void>((r) => c.once('end', () => r()));
    await one!.close();
    one = undefined;
    // Its clients are disconnected, new connections refused, and the port is free for anyone.
    await closed;
    expect(await connectRefused(port)).toBe(true);
    expect(await canListen(port)).toBe(true);
    const other = await nr(two!.port);
    expect(await other.ping()).toBe('PONG');
    // A new server can start in the same process afterwards.
    const again = await startServer({ port: 0, threads: THREADS });
    try {
      const d = io(again.port);
      expect(await d.set('again', '1')).toBe('OK');
      expect(await d.get('again')).toBe('1');
      d.disconnect();
    } finally {
      await again.close();
    }
  });
});
