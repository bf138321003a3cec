/**
 * maxmemory-clients and CLIENT NO-EVICT, each scenario run on redis-server
 * 7.0 and on Shoal with its clients on different threads: the same clients
 * must be disconnected, largest first, and only until the clients' total is
 * below the limit. The limits are set from each server's own CLIENT LIST
 * (the servers' per-client costs differ), with margins far above what the
 * control client's own commands change.
 */
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, sleep, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { connectSpread, parseClientLine } from '../helpers/threads.js';

const MB = 1024 * 1024;

interface Side {
  name: 'redis' | 'shoal';
  server: ServerHandle;
}

async function clients(side: Side, n: number): Promise<RawClient[]> {
  if (side.name === 'redis') return Promise.all(Array.from({ length: n }, () => rawClient(side.server.port)));
  const spread = await connectSpread(side.server.port, n, 4);
  expect(new Set(spread.map((s) => s.thread)).size).toBe(n);
  return spread.map((s) => s.client);
}

/** Every client's tot-mem, by id, from CLIENT LIST. */
async function clientMemories(admin: RawClient): Promise<Map<string, number>> {
  const raw = (await admin.call('CLIENT', 'LIST')).toString('latin1');
  const lines = raw.slice(raw.indexOf('\r\n') + 2).split('\n').filter((l) => l.startsWith('id='));
  return new Map(lines.map((l) => parseClientLine(l)).map((f) => [f.id, Number(f['tot-mem'])]));
}

async function totalMemory(admin: RawClient): Promise<number> {
  let n = 0;
  for (const m of (await clientMemories(admin)).values()) n += m;
  return n;
}

async function idOf(c: RawClient): Promise<string> {
  return String(Number((await c.callText('CLIENT', 'ID')).slice(1)));
}

/** Sends a SET whose value is `size` bytes, all but its last 2: the server holds it in the client's query buffer. */
async function holdQuery(c: RawClient, size: number): Promise<void> {
  await c.write(`*3\r\n$3\r\nSET\r\n$1\r\nq\r\n$${size}\r\n`);
  await c.write(Buffer.alloc(size - 2, 'x'));
}

/** Until the server's CLIENT LIST shows client `id` holding at least `bytes`. */
async function untilHolds(admin: RawClient, id: string, bytes: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await clientMemories(admin)).get(id)! < bytes) {
    if (Date.now() > deadline) throw new Error(`client ${id} never held ${bytes} bytes`);
    await sleep(10);
  }
}

/** Until client `id` is no longer in CLIENT LIST; false if it stays 10 s. */
async function untilGone(admin: RawClient, id: string): Promise<boolean> {
  const deadline = Date.now() + 10_000;
  while ((await clientMemories(admin)).has(id)) {
    if (Date.now() > deadline) return false;
    await sleep(10);
  }
  return true;
}

async function evictedClients(admin: RawClient): Promise<number> {
  return Number(/evicted_clients:(\d+)/.exec(await admin.callText('INFO', 'stats'))![1]);
}

async function onBoth(scenario: (side: Side) => Promise<unknown>): Promise<Record<string, unknown>> {
  const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
  try {
    const out: Record<string, unknown> = {};
    for (const side of [{ name: 'redis', server: redis }, { name: 'shoal', server: shoal }] as Side[]) out[side.name] = await scenario(side);
    return out;
  } finally {
    await Promise.all([redis.stop(), shoal.stop()]);
  }
}

describe('maxmemory-clients', () => {
  it('CONFIG SET takes bytes or a percentage of maxmemory, with the replies of redis-server', async () => {
    const out = await onBoth(async ({ server }) => {
      const c = await rawClient(server.port);
      const replies: string[] = [];
      for (const v of ['10%', '0%', '100%', '101%', '-10%', '1mb', '1.5mb', 'abc', '10%%', '2gb', '0']) {
        replies.push(`${v} => ${await c.callText('CONFIG', 'SET', 'maxmemory-clients', v)} ${await c.callText('CONFIG', 'GET', 'maxmemory-clients')}`);
      }
      c.destroy();
      return replies;
    });
    expect(out.shoal).toEqual(out.redis);
  }, 60_000);

  it('a client whose query buffer takes the total past the limit is evicted; NO-EVICT and small clients stay', async () => {
    const out = await onBoth(async (side) => {
      const [ctl, big, kept, idle] = await clients(side, 4);
      await ctl.call('CLIENT', 'NO-EVICT', 'ON');
      expect(await kept.callText('CLIENT', 'NO-EVICT', 'ON')).toBe('+OK\r\n');
      const keptId = await idOf(kept);
      const base = await totalMemory(ctl);
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', String(base + 2.5 * MB));
      await holdQuery(kept, 1.5 * MB);
      await untilHolds(ctl, keptId, 1.5 * MB - 4);
      await sleep(300); // a cron of every thread: nothing is evicted under the limit
      const keptAlive = !kept.closed && !idle.closed;
      await holdQuery(big, 1.5 * MB);
      const bigClosed = await big.waitClosed(10_000);
      await kept.write('yy\r\n');
      const keptReply = await kept.readReply();
      const idleReply = (await idle.call('PING')).toString();
      const evicted = await evictedClients(ctl);
      for (const c of [ctl, kept, idle]) c.destroy();
      return { keptAlive, bigClosed, keptReply: keptReply.toString(), idleReply, evicted };
    });
    expect(out.shoal).toEqual(out.redis);
    expect(out.shoal).toEqual({ keptAlive: true, bigClosed: true, keptReply: '+OK\r\n', idleReply: '+PONG\r\n', evicted: 1 });
  }, 60_000);

  it('evicts the largest clients first, wherever their threads, and stops below the limit (bytes, then a percentage)', async () => {
    const out = await onBoth(async (side) => {
      const [ctl, small, medium, large] = await clients(side, 4);
      await ctl.call('CLIENT', 'NO-EVICT', 'ON');
      const ids = await Promise.all([small, medium, large].map(idOf));
      // Sizes in different powers of two: Redis evicts by buckets of sizes, in no set order within one.
      const sizes = [300_000, 0.75 * MB, 1.5 * MB];
      for (const [i, c] of [small, medium, large].entries()) {
        await holdQuery(c, sizes[i]);
        await untilHolds(ctl, ids[i], sizes[i] - 4);
      }
      const total = await totalMemory(ctl);
      // Taking the large client (1.5 MB) is enough for this limit.
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', String(total - 0.75 * MB));
      const largeClosed = await large.waitClosed(10_000);
      await sleep(300);
      const afterFirst = [small.closed, medium.closed];
      // Then the medium one (0.75 MB) too: the limit as 25% of a maxmemory four times it.
      const limit = Math.floor(total - 2 * MB);
      await ctl.call('CONFIG', 'SET', 'maxmemory', String(limit * 4));
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', '25%');
      const mediumClosed = await medium.waitClosed(10_000);
      await sleep(300);
      const smallClosed = small.closed;
      const evicted = await evictedClients(ctl);
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', '0');
      await ctl.call('CONFIG', 'SET', 'maxmemory', '0');
      for (const c of [ctl, small]) c.destroy();
      return { largeClosed, afterFirst, mediumClosed, smallClosed, evicted };
    });
    expect(out.shoal).toEqual(out.redis);
    expect(out.shoal).toEqual({ largeClosed: true, afterFirst: [false, false], mediumClosed: true, smallClosed: false, evicted: 2 });
  }, 60_000);

  it('a client that does not read its replies is evicted once its output takes the total past the limit', async () => {
    const out = await onBoth(async (side) => {
      const [ctl, reader, idle] = await clients(side, 3);
      await ctl.call('CLIENT', 'NO-EVICT', 'ON');
      const readerId = await idOf(reader);
      await ctl.call('SET', 'big', 'v'.repeat(100_000));
      const base = await totalMemory(ctl);
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', String(base + 4 * MB));
      reader.socket.pause();
      await reader.write(respMany(Array.from({ length: 400 }, () => ['GET', 'big'])));
      // Its socket is paused, so its close shows in CLIENT LIST rather than on the socket.
      const readerClosed = await untilGone(ctl, readerId);
      reader.destroy();
      const idleReply = (await idle.call('PING')).toString();
      const evicted = await evictedClients(ctl);
      await ctl.call('CONFIG', 'SET', 'maxmemory-clients', '0');
      for (const c of [ctl, idle]) c.destroy();
      return { readerClosed, idleReply, evicted };
    });
    expect(out.shoal).toEqual(out.redis);
    expect(out.shoal).toEqual({ readerClosed: true, idleReply: '+PONG\r\n', evicted: 1 });
  }, 60_000);
});
