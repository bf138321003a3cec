/**
 * Shoal's threads seen from clients: every one of the 4 threads accepts
 * connections on the shared port, and what concerns connections (CLIENT
 * LIST / KILL / UNBLOCK / PAUSE, INFO, blocked clients, protocol errors)
 * behaves as in redis-server whichever threads the clients landed on.
 *
 * Scenarios that can run on both servers do (`same`): against redis-server
 * every role sits on its one thread, against Shoal on the threads the
 * scenario names (ThreadPool), and the replies are compared. Each scenario
 * asserts that its clients really are on different threads.
 *
 * Key names are chosen by the shard (= thread) they live on with 4 threads
 * (test/helpers/shards.ts), so "a key on a thread no client is on" is known
 * in advance and the same names are used against redis-server.
 */
import { afterEach, beforeAll, afterAll, describe, expect, it } from 'vitest';
import { type RawClient, type ServerHandle, resp, rawClient, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { shardOf } from '../helpers/shards.js';
import { type SpreadClient, type ThreadPool, bulkText, connectSpread, parseClientLine, sameTranscript, threadOf, threadPool, threadsOf } from '../helpers/threads.js';

const THREADS = 4;

let redis: ServerHandle;
let shoal: ServerHandle;
beforeAll(async () => {
  [redis, shoal] = await startAll(startRedis(), startShoal({ threads: THREADS }));
});
afterAll(async () => {
  for (const c of opened) c.destroy();
  await Promise.all([redis?.stop(), shoal?.stop()]);
});

/** Every connection a test opened; closed after each test, and the servers left without clients. */
const opened: RawClient[] = [];
afterEach(async () => {
  for (const c of opened.splice(0)) c.destroy();
  for (const s of [redis, shoal]) if (s && !s.exited) await waitConnected(s.port, 0);
});

async function connect(port: number): Promise<RawClient> {
  const c = await rawClient(port);
  opened.push(c);
  return c;
}

/**
 * A ThreadPool with `perThread` clients on each of Shoal's 4 threads; on a
 * server with fewer threads, as many clients in all (on its threads).
 */
async function pool(port: number, threads: number, perThread: number): Promise<ThreadPool> {
  const p = await threadPool(port, threads, (perThread * THREADS) / threads);
  for (const c of p.clients) opened.push(c.client);
  return p;
}

/** The server's connected clients, as seen by a fresh connection (not counted). */
async function waitConnected(port: number, others: number): Promise<void> {
  const probe = await rawClient(port);
  try {
    await waitClientCount(probe, others + 1);
  } finally {
    probe.destroy();
  }
}

/** Waits until CLIENT LIST (asked through `c`) shows exactly `n` clients: closes of other connections are processed asynchronously. */
async function waitClientCount(c: RawClient, n: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  let lines: string[] = [];
  while (Date.now() < deadline) {
    lines = await clientList(c);
    if (lines.length === n) return;
    await sleep(20);
  }
  throw new Error(`expected ${n} clients, CLIENT LIST shows ${lines.length}:\n${lines.join('\n')}`);
}

async function clientList(c: RawClient, ...args: string[]): Promise<string[]> {
  return bulkText(await c.call('CLIENT', 'LIST', ...args))
    .split('\n')
    .filter((l) => l !== '');
}

/** Waits until client `id` shows flag `b` (blocked) in CLIENT LIST, asked through `observer`. */
async function waitBlocked(observer: RawClient, id: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const [line] = await clientList(observer, 'ID', String(id));
    if (line !== undefined && parseClientLine(line).flags.includes('b')) return;
    if (Date.now() > deadline) throw new Error(`client ${id} never showed as blocked: ${line}`);
    await sleep(10);
  }
}

/**
 * Makes sure the blocking command client `waiter` sent on `key` is
 * registered where the key lives, before a later waiter blocks: once
 * CLIENT LIST shows the waiter blocked, its thread has sent the command to
 * the key's shard, and a command on the same key from another client of the
 * same thread travels after it (one ordered ring per pair of threads), so
 * its reply means the shard has the waiter.
 */
async function registered(waiter: SpreadClient, sibling: SpreadClient, key: string): Promise<void> {
  expect(sibling.thread).toBe(waiter.thread);
  await waitBlocked(sibling.client, waiter.id);
  await sibling.client.callText('EXISTS', key);
}

/** Runs a scenario on redis-server (1 thread) and on Shoal (4 threads); expects the same transcript. */
async function same(scenario: (port: number, threads: number, out: unknown[]) => Promise<void>): Promise<unknown[]> {
  return sameTranscript(redis, shoal, THREADS, opened, scenario);
}

/** A key named prefix+i that lives on `shard` of 4 (its thread in Shoal). */
function keyOn(prefix: string, shard: number): string {
  for (let i = 0; ; i++) if (shardOf(`${prefix}${i}`, THREADS) === shard) return `${prefix}${i}`;
}

/** Whether any reply byte arrives within `ms` (nothing is consumed). */
async function repliesWithin(c: RawClient, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (c.buffered === 0 && Date.now() < deadline) await sleep(10);
  return c.buffered > 0;
}

async function nextReply(c: RawClient, timeoutMs = 10_000): Promise<string> {
  return (await c.readReply(timeoutMs)).toString('latin1');
}

function infoField(info: string, field: string): string {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  if (!m) throw new Error(`no ${field} in INFO: ${info}`);
  return m[1].trim();
}

describe('connections on every thread', () => {
  it('spreads connections over all 4 threads; ids are unique and increase across threads; INFO threads counts them', async () => {
    const port = shoal.port;
    const conns: { c: RawClient; id: number; thread: number }[] = [];
    for (let i = 0; i < 64; i++) {
      const c = await connect(port);
      const id = Number((await c.callText('CLIENT', 'ID')).slice(1, -2));
      conns.push({ c, id, thread: await threadOf(c) });
    }
    // 64 connections all on fewer than 4 threads would happen with probability < 1e-7 if the kernel spreads them.
    expect(threadsOf(conns.map((x) => ({ client: x.c, thread: x.thread, id: x.id })))).toEqual([0, 1, 2, 3]);
    for (let i = 1; i < conns.length; i++) expect(conns[i].id).toBeGreaterThan(conns[i - 1].id);
    const info = bulkText(await conns[0].c.call('INFO', 'threads'));
    for (let t = 0; t < THREADS; t++) {
      const m = new RegExp(`^thread_${t}:tid=(\\d+),clients=(\\d+),`, 'm').exec(info);
      expect(m, info).not.toBeNull();
      expect(Number(m![2])).toBe(conns.filter((x) => x.thread === t).length);
    }
    expect(infoField(bulkText(await conns[0].c.call('INFO', 'clients')), 'connected_clients')).toBe('64');
  });

  it("CLIENT LIST shows every thread's clients with their thread, address and id; CLIENT LIST ID reaches other threads", async () => {
    const spread = await connectSpread(shoal.port, 8, THREADS);
    for (const s of spread) opened.push(s.client);
    expect(threadsOf(spread)).toEqual([0, 1, 2, 3]);
    const [asker] = spread;
    await waitClientCount(asker.client, 8);
    const lines = (await clientList(asker.client)).map(parseClientLine);
    expect(lines.map((l) => Number(l.id))).toEqual(spread.map((s) => s.id).sort((a, b) => a - b));
    for (const s of spread) {
      const line = lines.find((l) => Number(l.id) === s.id)!;
      expect(line['io-thread']).toBe(String(s.thread));
      expect(line.addr).toBe(`127.0.0.1:${s.client.socket.localPort}`);
      expect(line.laddr).toBe(`127.0.0.1:${shoal.port}`);
      expect(line.cmd).toBe(s === asker ? 'client|list' : 'client|info');
    }
    const others = spread.filter((s) => s.thread !== asker.thread);
    const one = (await clientList(asker.client, 'ID', String(others[0].id))).map(parseClientLine);
    expect(one.map((l) => [l.id, l['io-thread']])).toEqual([[String(others[0].id), String(others[0].thread)]]);
    const ids = [...new Set(others.map((o) => o.thread))].map((t) => others.find((o) => o.thread === t)!);
    expect(ids.length).toBe(3);
    const several = (await clientList(asker.client, 'ID', ...ids.map((o) => String(o.id)), '999999')).map(parseClientLine);
    expect(several.map((l) => Number(l.id))).toEqual(ids.map((o) => o.id).sort((a, b) => a - b));
    expect(several.map((l) => l['io-thread']).sort()).toEqual(ids.map((o) => String(o.thread)).sort());
  });

  it('answers CLIENT LIST argument errors as Redis does', async () => {
    await same(async (port, _threads, out) => {
      const c = await connect(port);
      for (const args of [['ID'], ['ID', 'abc'], ['ID', '0'], ['ID', '-1'], ['TYPE', 'foo'], ['TYPE'], ['FOO', 'bar'], ['ID', '999999'], ['TYPE', 'master']]) {
        out.push(await c.callText('CLIENT', 'LIST', ...args));
      }
    });
  });
});

describe('CLIENT KILL across threads', () => {
  it('kills clients of other threads by ID, ADDR, LADDR, USER, old addr:port form, SKIPME; replies as Redis', async () => {
    await same(async (port, threads, out) => {
      const p = await pool(port, threads, 2);
      // The admin on thread 0; victims on threads 1, 2, 3 (two each) and the admin's neighbour on thread 0.
      const admin = p.take(0);
      const [a, b, c, d, e, g] = [p.take(1), p.take(2), p.take(3), p.take(1), p.take(2), p.take(3)];
      const neighbour = p.take(0);
      if (threads > 1) {
        expect(new Set([admin, a, b, c].map((x) => x.thread)).size).toBe(4);
        for (const v of [a, b, c, d, e, g]) expect(v.thread).not.toBe(admin.thread);
        expect(neighbour.thread).toBe(admin.thread);
      }
      await waitClientCount(admin.client, 8);
      const addr = (x: SpreadClient) => `127.0.0.1:${x.client.socket.localPort}`;
      const laddr = `127.0.0.1:${port}`;
      const kill = (...args: string[]) => admin.client.callText('CLIENT', 'KILL', ...args);
      const closed = async (x: SpreadClient) => ((await x.client.waitClosed(5000)) ? 'closed' : 'open');
      out.push(await kill('ID', String(a.id)), await closed(a));
      out.push(await kill('ID', String(a.id))); // gone: 0
      out.push(await kill('ADDR', addr(b)), await closed(b));
      out.push(await kill(addr(c)), await closed(c)); // the old form answers OK
      out.push(await kill(addr(c))); // ... and ERR No such client when nothing matches
      out.push(await kill('LADDR', '127.0.0.1:1'));
      out.push(await kill('LADDR', laddr, 'ID', String(d.id)), await closed(d));
      out.push(await kill('USER', 'default', 'ID', String(e.id)), await closed(e));
      out.push(await kill('ID', String(neighbour.id), 'SKIPME', 'yes'), await closed(neighbour));
      out.push(await kill('ID', String(admin.id))); // SKIPME yes is the default: 0
      out.push(await kill('ID', String(admin.id), 'SKIPME', 'yes'));
      // Only g is left besides the admin.
      out.push(await kill('USER', 'default'), await closed(g));
      out.push(await admin.client.callText('PING'));
      // SKIPME no: the admin kills itself, gets the count, then the connection closes.
      out.push(await kill('LADDR', laddr, 'SKIPME', 'no'), await closed(admin));
    });
  });

  it('answers CLIENT KILL argument errors as Redis does', async () => {
    await same(async (port, _threads, out) => {
      const c = await connect(port);
      for (const args of [
        ['ID', '0'],
        ['ID', 'abc'],
        ['ID'],
        ['SKIPME', 'maybe'],
        ['TYPE', 'foo'],
        ['TYPE', 'normal', 'ID', '999999'],
        ['USER', 'nobody'],
        ['FOO', 'bar'],
        ['1.2.3.4:5'],
        ['ADDR', '1.2.3.4:5'],
      ]) {
        out.push(await c.callText('CLIENT', 'KILL', ...args));
      }
      out.push(await c.callText('PING'));
    });
  });

  it('kills by MAXAGE only clients older than the age given, on every thread (Shoal; redis-server 7.0 has no MAXAGE)', async () => {
    const old = await connectSpread(shoal.port, 4, THREADS);
    for (const s of old) opened.push(s.client);
    expect(threadsOf(old)).toEqual([0, 1, 2, 3]);
    // Margins both ways: the old ones are over 3 s old, the young ones (connected just now) under 2.
    await sleep(3200);
    const young = await connectSpread(shoal.port, 4, THREADS);
    for (const s of young) opened.push(s.client);
    expect(threadsOf(young)).toEqual([0, 1, 2, 3]);
    const admin = young[0].client;
    await waitClientCount(admin, 8);
    expect(await admin.callText('CLIENT', 'KILL', 'MAXAGE', '2')).toBe(':4\r\n');
    for (const s of old) expect(await s.client.waitClosed(5000)).toBe(true);
    for (const s of young) expect(await s.client.callText('PING')).toBe('+PONG\r\n');
    expect(await admin.callText('CLIENT', 'KILL', 'MAXAGE', '1000')).toBe(':0\r\n');
  });
});

describe('CLIENT UNBLOCK across threads', () => {
  it('unblocks a client blocked on another thread with TIMEOUT, ERROR, or by default, as Redis does', async () => {
    await same(async (port, threads, out) => {
      const p = await pool(port, threads, 1);
      const admin = p.take(0);
      const w = p.take(1);
      const idle = p.take(2);
      if (threads > 1) expect(threadsOf([admin, w, idle])).toHaveLength(3);
      // Keys: one on the waiter's thread, one on the admin's, one on thread 3 (no client), for multi-key waits.
      const [k1, k0, k3] = [keyOn('ub', 1), keyOn('ub', 0), keyOn('ub', 3)];
      await admin.client.callText('DEL', k1, k0, k3);
      const waits: string[][] = [
        ['BLPOP', k3, '0'],
        ['BLPOP', k1, k0, k3, '0'],
        ['BRPOP', k0, '0'],
        ['BZPOPMIN', k3, k1, '0'],
        ['BLMOVE', k3, k0, 'LEFT', 'RIGHT', '0'],
        ['BLMPOP', '0', '2', k1, k3, 'LEFT'],
      ];
      for (const mode of [['TIMEOUT'], ['ERROR'], []]) {
        for (const wait of waits) {
          await w.client.write(resp(...wait));
          await waitBlocked(admin.client, w.id);
          out.push(`${wait[0]} ${mode.join('')}`);
          out.push(await admin.client.callText('CLIENT', 'UNBLOCK', String(w.id), ...mode));
          out.push((await w.client.readReply(5000)).toString('latin1'));
          out.push(await w.client.callText('PING'));
        }
      }
      // An element pushed afterwards stays: the unblocked client waits no more.
      out.push(await admin.client.callText('RPUSH', k3, 'v'), await admin.client.callText('LLEN', k3));
      // Not blocked, unknown, or bad arguments.
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', String(idle.id)));
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', String(idle.id), 'ERROR'));
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', '999999'));
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', 'x'));
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', String(w.id), 'MAYBE'));
      out.push(await admin.client.callText('CLIENT', 'UNBLOCK', String(w.id), 'TIMEOUT', 'x'));
      out.push(await idle.client.callText('PING'));
    });
  });
});

describe('blocked clients on different threads', () => {
  /**
   * Clients on threads 0, 1 and 2 (three on each) and none on thread 3: the
   * pool's thread-3 clients are closed, and (Shoal) CLIENT LIST shows none
   * left there. Keys on shard 3 then live on a thread no client is on.
   */
  async function threeThreads(port: number, threads: number): Promise<ThreadPool> {
    const p = await pool(port, threads, 3);
    if (threads > 1) {
      const keeper = p.take(0);
      for (const c of p.takeAll(3)) c.client.destroy();
      const deadline = Date.now() + 10_000;
      while ((await clientList(keeper.client)).some((l) => parseClientLine(l)['io-thread'] === '3')) {
        if (Date.now() > deadline) throw new Error('clients of thread 3 did not go away');
        await sleep(20);
      }
      p.giveBack(keeper);
    }
    return p;
  }

  /**
   * Three waiters, on threads 0, 1 and 2 in the order given, block in turn
   * on `key` (each one registered before the next blocks); then a client of
   * the thread of the first waiter runs `push`. Returns the push's reply and
   * what each waiter got, in blocking order.
   */
  async function fifo(p: ThreadPool, threads: number, order: number[], key: string, wait: (key: string) => string[], push: string[]): Promise<string[]> {
    const waiters = order.map((t) => p.take(t));
    const siblings = order.map((t) => p.take(t));
    if (threads > 1) expect(waiters.map((w) => w.thread)).toEqual(order);
    for (let i = 0; i < 3; i++) {
      await waiters[i].client.write(resp(...wait(key)));
      await registered(waiters[i], siblings[i], key);
    }
    const out = [await siblings[0].client.callText(...push)];
    for (const w of waiters) out.push((await w.client.readReply(5000)).toString('latin1'));
    return out;
  }

  it("serves BLPOP waiters of 3 threads first blocked first served, with the key on a waiter's thread or on a thread without clients", async () => {
    await same(async (port, threads, out) => {
      // The key on thread 1 (a waiter's), then on thread 3 (no client's).
      for (const shard of [1, 3]) {
        const key = keyOn('fifo', shard);
        let p = await threeThreads(port, threads);
        await p.take(0).client.callText('DEL', key);
        out.push(...(await fifo(p, threads, [0, 1, 2], key, (k) => ['BLPOP', k, '10'], ['RPUSH', key, 'e1', 'e2', 'e3', 'e4'])));
        out.push(await p.take(1).client.callText('LRANGE', key, '0', '-1'));
        for (const c of opened.splice(0)) c.destroy();

        // Blocking in another order, and the elements pushed one command at a time from each thread.
        p = await threeThreads(port, threads);
        const order = [2, 0, 1];
        const waiters = order.map((t) => p.take(t));
        const siblings = order.map((t) => p.take(t));
        if (threads > 1) expect(waiters.map((w) => w.thread)).toEqual(order);
        await siblings[0].client.callText('DEL', key);
        for (let i = 0; i < 3; i++) {
          await waiters[i].client.write(resp('BRPOP', key, '10'));
          await registered(waiters[i], siblings[i], key);
        }
        for (let i = 0; i < 3; i++) out.push(await siblings[(i + 1) % 3].client.callText('LPUSH', key, `s${i}`));
        for (const w of waiters) out.push((await w.client.readReply(5000)).toString('latin1'));
        out.push(await siblings[0].client.callText('EXISTS', key));
        for (const c of opened.splice(0)) c.destroy();
      }
    });
  });

  it('serves BLMOVE and BZPOPMIN waiters of 3 threads in blocking order, with the key on a thread without clients', async () => {
    await same(async (port, threads, out) => {
      const src = keyOn('mv', 3);
      // Destinations on the waiters' threads 0, 1 and 2: every move crosses shards.
      const dst = [keyOn('dst', 1), keyOn('dst', 2), keyOn('dst', 0)];
      let p = await threeThreads(port, threads);
      await p.take(2).client.callText('DEL', src, ...dst);
      let i = 0;
      out.push(...(await fifo(p, threads, [1, 2, 0], src, (k) => ['BLMOVE', k, dst[i++ % 3], 'RIGHT', 'LEFT', '10'], ['RPUSH', src, 'm1', 'm2', 'm3', 'm4'])));
      const reader = p.take(0).client;
      for (const k of [src, ...dst]) out.push(await reader.callText('LRANGE', k, '0', '-1'));
      for (const c of opened.splice(0)) c.destroy();

      const z = keyOn('z', 3);
      p = await threeThreads(port, threads);
      await p.take(1).client.callText('DEL', z);
      out.push(...(await fifo(p, threads, [0, 1, 2], z, (k) => ['BZPOPMIN', k, '10'], ['ZADD', z, '3', 'c', '1', 'a', '2', 'b', '4', 'd'])));
      out.push(await p.take(2).client.callText('ZRANGE', z, '0', '-1', 'WITHSCORES'));
    });
  });
});

describe('CLIENT PAUSE across threads', () => {
  it('PAUSE WRITE from one thread holds writes, not reads, of other threads until UNPAUSE or the end of the pause', async () => {
    await same(async (port, threads, out) => {
      const p = await pool(port, threads, 1);
      const [pauser, writer, reader, observer] = [p.take(0), p.take(1), p.take(2), p.take(3)];
      if (threads > 1) expect(threadsOf([pauser, writer, reader, observer])).toEqual([0, 1, 2, 3]);
      const [k0, k1, k2, k3] = [keyOn('pw', 0), keyOn('pw', 1), keyOn('pw', 2), keyOn('pw', 3)];
      await pauser.client.callText('DEL', k0, k1, k2, k3);
      const blockedClients = async () => infoField(bulkText(await reader.client.call('INFO', 'clients')), 'blocked_clients');

      out.push(await pauser.client.callText('CLIENT', 'PAUSE', '20000', 'WRITE'));
      // Writes to keys of every shard, from the writer's thread: held.
      await writer.client.write(Buffer.concat([resp('SET', k0, 'v0'), resp('SET', k3, 'v3'), resp('GET', k0)]));
      out.push(await repliesWithin(writer.client, 300));
      // Reads of other threads are not held, nor reads of keys on every shard.
      out.push(await reader.client.callText('MGET', k0, k1, k2, k3));
      out.push(await reader.client.callText('PING'));
      out.push(await reader.client.callText('EXISTS', k0));
      // A read-only MULTI is not held; inside MULTI a write is held before it is even queued (Redis 7.0).
      out.push(await reader.client.callText('MULTI'), await reader.client.callText('GET', k1), await reader.client.callText('EXEC'));
      out.push(await observer.client.callText('MULTI'));
      await observer.client.write(Buffer.concat([resp('INCR', k2), resp('EXEC')]));
      out.push(await repliesWithin(observer.client, 300));
      // Paused clients count as blocked, as in Redis.
      out.push(await blockedClients());
      const writerLine = parseClientLine((await clientList(reader.client, 'ID', String(writer.id)))[0]);
      out.push(writerLine.flags, writerLine.cmd);
      out.push(await pauser.client.callText('CLIENT', 'UNPAUSE'));
      out.push(await nextReply(writer.client), await nextReply(writer.client), await nextReply(writer.client));
      out.push(await nextReply(observer.client), await nextReply(observer.client));
      out.push(await reader.client.callText('MGET', k0, k1, k2, k3));

      // Until the pause ends by itself; a shorter pause asked meanwhile does not shorten it.
      out.push(await pauser.client.callText('CLIENT', 'PAUSE', '3000', 'WRITE'));
      out.push(await observer.client.callText('CLIENT', 'PAUSE', '10', 'WRITE'));
      await writer.client.write(resp('SET', k1, 'later'));
      out.push(await repliesWithin(writer.client, 300));
      out.push(await reader.client.callText('GET', k1));
      out.push(await nextReply(writer.client, 10_000));
      out.push(await reader.client.callText('GET', k1));
      out.push(await blockedClients());
      // A WRITE pause made ALL by a later, shorter ALL pause holds reads too.
      out.push(await pauser.client.callText('CLIENT', 'PAUSE', '3000', 'WRITE'));
      out.push(await observer.client.callText('CLIENT', 'PAUSE', '10', 'ALL'));
      await reader.client.write(resp('GET', k1));
      out.push(await repliesWithin(reader.client, 300));
      out.push(await nextReply(reader.client, 10_000));
    });
  });

  it('PAUSE ALL holds every command of every thread (the pauser\'s too) until the pause ends', async () => {
    await same(async (port, threads, out) => {
      const p = await pool(port, threads, 1);
      const [pauser, a, b, observer] = [p.take(0), p.take(1), p.take(2), p.take(3)];
      if (threads > 1) expect(threadsOf([pauser, a, b, observer])).toEqual([0, 1, 2, 3]);
      const key = keyOn('pa', 2);
      await pauser.client.callText('SET', key, 'before');
      out.push(await pauser.client.callText('CLIENT', 'PAUSE', '2500', 'ALL'));
      await a.client.write(resp('GET', key));
      await b.client.write(resp('PING'));
      await pauser.client.write(resp('PING'));
      out.push(await repliesWithin(a.client, 250), await repliesWithin(b.client, 0), await repliesWithin(pauser.client, 0));
      await observer.client.write(resp('INFO', 'clients'));
      out.push(await repliesWithin(observer.client, 0));
      // After the pause: everything answered; then INFO sees no blocked client.
      out.push(await nextReply(a.client), await nextReply(b.client), await nextReply(pauser.client));
      out.push(infoField(bulkText(Buffer.from(await nextReply(observer.client), 'latin1')), 'connected_clients'));
      out.push(infoField(bulkText(await observer.client.call('INFO', 'clients')), 'blocked_clients'));
    });
  });

  // BUG (found here, not fixed: not small): after CLIENT UNPAUSE (or the end of a pause) each
  // thread resumes the clients it held on its own, so commands held on different threads run in no
  // particular order; redis-server resumes held clients in the order they were held. Below, `early`
  // (thread 1) sends SET a 1 and is held; then `late` (thread 0, the pauser's) sends SET b 1 + GET a
  // and is held; after UNPAUSE, Redis answers late's GET a with "1", Shoal with nil. With a on thread
  // 0's own shard this is certain: thread 0 runs its part of the UNPAUSE (resuming `late`, whose
  // GET a runs on its shard at once) before it even publishes the UNPAUSE to thread 1. Fixing it
  // needs a global resume order across threads (and shards).
  it.fails('resumes commands held on different threads in the order they were held, as Redis does', async () => {
    await same(async (port, threads, out) => {
      const p = await pool(port, threads, 2);
      const [pauser, late, early] = [p.take(0), p.take(0), p.take(1)];
      if (threads > 1) expect([pauser.thread, late.thread, early.thread]).toEqual([0, 0, 1]);
      const [a, b] = [keyOn('order', 0), keyOn('order', 3)];
      await pauser.client.callText('DEL', a, b);
      out.push(await pauser.client.callText('CLIENT', 'PAUSE', '10000', 'WRITE'));
      await early.client.write(resp('SET', a, '1'));
      await waitBlocked(pauser.client, early.id);
      await late.client.write(Buffer.concat([resp('SET', b, '1'), resp('GET', a)]));
      await waitBlocked(pauser.client, late.id);
      out.push(await pauser.client.callText('CLIENT', 'UNPAUSE'));
      out.push(await nextReply(early.client), await nextReply(late.client), await nextReply(late.client));
    });
  });

  it('answers CLIENT PAUSE argument errors as Redis does', async () => {
    await same(async (port, _threads, out) => {
      const c = await connect(port);
      for (const args of [[], ['abc'], ['-1'], ['1.5'], ['99999999999999999999'], ['10', 'foo'], ['10', 'write', 'extra'], ['10', ''], ['', 'ALL']]) {
        out.push(await c.callText('CLIENT', 'PAUSE', ...args));
      }
      out.push(await c.callText('CLIENT', 'UNPAUSE', 'x'));
      out.push(await c.callText('CLIENT', 'UNPAUSE'));
      out.push(await c.callText('SET', 'pause-errors', '1'));
    });
  });
});

describe('protocol errors close the connection as Redis does', () => {
  const cases: [string, string][] = [
    ['a negative multibulk length with junk', '*1\r\n$4\r\nPING\r\n*-2x\r\n'],
    ['a NUL byte then a line longer than 64 KiB', '*1\r\n$4\r\nPING\r\n\0' + 'x'.repeat(70_000)],
    ['a bad bulk length', '*1\r\n$4\r\nPING\r\n*1\r\n$x\r\n'],
    ['a bulk length over proto-max-bulk-len', '*1\r\n$4\r\nPING\r\n*1\r\n$600000000\r\n'],
    ['unbalanced quotes inline', '*1\r\n$4\r\nPING\r\n"abc\r\n'],
  ];
  for (const [name, bytes] of cases) {
    it(`${name}: the reply, the error, then the close`, async () => {
      await same(async (port, threads, out) => {
        // On every thread.
        const spread = await connectSpread(port, threads, threads);
        for (const s of spread) opened.push(s.client);
        expect(threadsOf(spread)).toHaveLength(threads);
        const seen = new Set<string>();
        for (const s of spread) {
          await s.client.write(bytes);
          seen.add((await s.client.readUntilClose(10_000)).toString('latin1'));
        }
        // The same on every thread.
        out.push(...seen);
      });
    });
  }

  // Whether such a client sees a reset (ECONNRESET / EPIPE) or a plain end of stream depends on
  // timing, with redis-server as with Shoal (a reset also drops replies not read yet): what both
  // guarantee is that the connection is closed, with nothing but a prefix of the replies.
  it('a client that keeps writing after a protocol error is disconnected (reset, EPIPE or end of stream), not left hanging', async () => {
    await same(async (port, threads, out) => {
      const spread = await connectSpread(port, threads, threads);
      for (const s of spread) opened.push(s.client);
      expect(threadsOf(spread)).toHaveLength(threads);
      const chunk = Buffer.alloc(64 * 1024, 'y');
      const seen = new Set<string>();
      for (const s of spread) {
        const c = s.client;
        void c.write('*1\r\n$4\r\nPING\r\n\0');
        const deadline = Date.now() + 20_000;
        // The endless line: the server must give up on it and close.
        while (!c.closed && !c.socket.destroyed && Date.now() < deadline) {
          await c.write(chunk);
          await new Promise((r) => setImmediate(r));
        }
        await c.waitClosed(5000);
        const got = c.peek().toString('latin1');
        // What arrived before the reset is a prefix of the full answer (a reset may drop it).
        const ended = c.error === undefined || ['ECONNRESET', 'EPIPE', 'ERR_STREAM_WRITE_AFTER_END'].includes(c.error);
        seen.add(JSON.stringify({ closed: c.closed, ended, error: ended ? undefined : c.error, prefix: '+PONG\r\n-ERR Protocol error: too big inline request\r\n'.startsWith(got) }));
      }
      out.push(...seen);
    });
  });
});

describe('a stuck client does not hold up clients of other threads', () => {
  it('keeps answering other threads while one client never reads a huge pipeline and another stalls mid-bulk', async () => {
    const port = shoal.port;
    const p = await pool(port, THREADS, 2);
    const reader = p.take(0); // never reads
    const staller = p.take(1); // stops in the middle of a bulk string
    const workers = [p.take(2), p.take(3), p.take(0), p.take(1)];
    expect(threadsOf([reader, staller, workers[0], workers[1]])).toEqual([0, 1, 2, 3]);
    const admin = workers[1].client;

    // A 1 MB value on thread 2's shard: the stuck reader's replies come through a ring.
    const big = keyOn('big', 2);
    const value = Buffer.alloc(1 << 20, 'v');
    expect(await admin.callText('SET', big, value)).toBe('+OK\r\n');
    const keys = [0, 1, 2, 3].map((s) => keyOn('small', s));
    for (const k of keys) await admin.callText('SET', k, `val-${k}`);

    // 120 MB of replies the reader never reads.
    const GETS = 120;
    reader.client.socket.pause();
    await reader.client.write(Buffer.concat(Array.from({ length: GETS }, () => resp('GET', big))));
    // Its output backs up on the server.
    const deadline = Date.now() + 20_000;
    let omem = 0;
    while (Date.now() < deadline) {
      const [line] = await clientList(admin, 'ID', String(reader.id));
      omem = Number(parseClientLine(line).omem);
      if (omem > 8 << 20) break;
      await sleep(50);
    }
    expect(omem).toBeGreaterThan(8 << 20);

    // The staller sends most of a command and stops.
    const stalledKey = keyOn('stalled', 3);
    const head = `*3\r\n$3\r\nSET\r\n$${stalledKey.length}\r\n${stalledKey}\r\n$100000\r\n`;
    await staller.client.write(head + 'x'.repeat(1000));

    // Meanwhile 200 round trips on every worker (threads 0-3, so the stuck clients' threads too), on keys of every shard.
    await Promise.all(
      workers.map(async (w) => {
        for (let i = 0; i < 200; i++) {
          if (i % 2 === 0) expect(await w.client.callText('PING')).toBe('+PONG\r\n');
          else {
            const k = keys[i % 4];
            expect(await w.client.callText('GET', k)).toBe(`$${4 + k.length}\r\nval-${k}\r\n`);
          }
        }
      }),
    );
    // The stuck clients are still stuck (nothing was lost or answered early).
    const [after] = await clientList(admin, 'ID', String(reader.id));
    expect(Number(parseClientLine(after).omem)).toBeGreaterThan(8 << 20);
    expect(await admin.callText('EXISTS', stalledKey)).toBe(':0\r\n');
    expect(staller.client.buffered).toBe(0);

    // And both recover: the staller finishes its command, the reader drains every reply.
    await staller.client.write('x'.repeat(99_000) + '\r\n');
    expect((await staller.client.readReply(10_000)).toString()).toBe('+OK\r\n');
    expect(await admin.callText('STRLEN', stalledKey)).toBe(':100000\r\n');
    reader.client.socket.resume();
    const one = `$${value.length}\r\n`.length + value.length + 2;
    const all = await reader.client.readBytes(one * GETS, 60_000);
    expect(all.length).toBe(one * GETS);
    expect(all.subarray(0, 12).toString()).toBe('$1048576\r\nvv');
    expect(await reader.client.callText('PING')).toBe('+PONG\r\n');
  });
});
