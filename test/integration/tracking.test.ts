/**
 * Client-side caching against redis-server 7.0: a tracking client, a
 * writer, a redirect target and others, on different threads of Shoal
 * (the test checks they are), with keys of every shard. Each step's
 * invalidations must be the ones Redis sends: the same messages to the
 * same clients (within a step, in any order: on Shoal they come from the
 * shards of the keys), and the same replies to every command.
 */
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { clientInfo, connectSpread } from '../helpers/threads.js';
import { shardOf } from '../helpers/shards.js';

type Who = 'tracker' | 'writer' | 'target' | 'optin';

/** A step: commands (who sends them), then every watching client's invalidations are collected. */
type Step = [who: Who, args: string[]][];

const KEYS = Array.from({ length: 8 }, (_, i) => `k${i}`);

function steps(targetId: number): Step[] {
  return [
    [
      ['tracker', ['HELLO', '3']],
      ['optin', ['HELLO', '3']],
      ['target', ['SUBSCRIBE', '__redis__:invalidate']],
      ['tracker', ['CLIENT', 'TRACKING', 'ON']],
      ['optin', ['CLIENT', 'TRACKING', 'ON', 'OPTIN']],
    ],
    [...KEYS.map((k): [Who, string[]] => ['writer', ['SET', k, 'v']]), ['writer', ['SET', 'e1', 'v', 'PX', '1']]],
    [...KEYS.map((k): [Who, string[]] => ['tracker', ['GET', k]]), ['tracker', ['MGET', 'm1', 'm2', 'm3']]],
    // Written by another client: one invalidation each; written again (no longer tracked): none.
    [['writer', ['SET', 'k1', 'x']], ['writer', ['DEL', 'k3', 'k5', 'nope']], ['writer', ['INCR', 'k1']], ['writer', ['MSET', 'm1', 'a', 'm3', 'b']]],
    [['tracker', ['GET', 'e1']], ['tracker', ['HGETALL', 'h']], ['tracker', ['LRANGE', 'l', '0', '-1']]],
    [['writer', ['HSET', 'h', 'f', 'v']], ['writer', ['RPUSH', 'l', 'a']], ['writer', ['RENAME', 'k0', 'k7']]],
    // The tracker's own write of a key it read: it hears of it (no NOLOOP).
    [['tracker', ['GET', 'k2']], ['tracker', ['SET', 'k2', 'mine']]],
    // OPTIN: only the command after CLIENT CACHING YES is tracked.
    [['optin', ['CLIENT', 'CACHING', 'YES']], ['optin', ['GET', 'k4']], ['optin', ['GET', 'k6']], ['optin', ['CLIENT', 'TRACKINGINFO']]],
    [['writer', ['SET', 'k4', '1']], ['writer', ['SET', 'k6', '1']]],
    // NOLOOP and REDIRECT: the tracker's invalidations go to the target (a RESP2 subscriber), its own writes are not sent.
    [['tracker', ['CLIENT', 'TRACKING', 'ON', 'REDIRECT', String(targetId), 'NOLOOP']], ['tracker', ['CLIENT', 'GETREDIR']], ['tracker', ['GET', 'r1']], ['tracker', ['GET', 'r2']]],
    [['tracker', ['SET', 'r1', 'mine']], ['writer', ['SET', 'r2', 'theirs']]],
    // BCAST: every key under the prefixes, read or not.
    [['tracker', ['CLIENT', 'TRACKING', 'OFF']], ['tracker', ['CLIENT', 'TRACKING', 'ON', 'BCAST', 'PREFIX', 'user:', 'PREFIX', 'cart:']]],
    [['writer', ['SET', 'user:1', 'a']], ['writer', ['SET', 'other:1', 'a']], ['writer', ['DEL', 'cart:9']], ['writer', ['SET', 'cart:9', 'x']], ['tracker', ['CLIENT', 'TRACKINGINFO']]],
    // FLUSHALL: every tracking client hears that everything changed.
    [['writer', ['FLUSHALL']]],
    [['tracker', ['CLIENT', 'TRACKING', 'OFF']], ['optin', ['CLIENT', 'TRACKING', 'OFF']], ['writer', ['SET', 'user:2', 'b']]],
  ];
}

/** The replies a command answers with, and out-of-band messages, told apart. */
function isPush(r: string): boolean {
  return r.startsWith('>') || r.startsWith('*3\r\n$7\r\nmessage\r\n');
}

async function runAll(server: ServerHandle, clients: Record<Who, RawClient>, targetId: number, expected: string[][] | null): Promise<string[][]> {
  const out: string[][] = [];
  for (const [n, step] of steps(targetId).entries()) {
    const seen: string[] = [];
    const pushes: Record<Who, string[]> = { tracker: [], writer: [], target: [], optin: [] };
    const read = async (who: Who, replies: number): Promise<string[]> => {
      const got: string[] = [];
      while (got.length < replies) {
        const r = (await clients[who].readReply(5000)).toString('latin1');
        if (isPush(r) && !(who === 'target' && n === 0)) pushes[who].push(r);
        else got.push(r);
      }
      return got;
    };
    for (const [who, args] of step) {
      await clients[who].write(respMany([args]));
      // HELLO's reply names the server's version and the client's id: only its type matters here.
      for (const r of await read(who, 1)) seen.push(`${who} ${args.join(' ')} => ${args[0] === 'HELLO' ? r.slice(0, 2) : r}`);
    }
    if (n === 1) await new Promise((r) => setTimeout(r, 20)); // e1 expires
    // Every message of the step: on redis-server they are in by the next round trip; on Shoal, wait for as many as it sent.
    const want = expected === null ? null : expected[n].filter((l) => l.startsWith('push ')).length;
    for (;;) {
      for (const who of ['tracker', 'target', 'optin'] as Who[]) {
        await clients[who].write(respMany([['PING']]));
        await read(who, 1);
      }
      const total = pushes.tracker.length + pushes.target.length + pushes.optin.length;
      if (want === null || total >= want) break;
    }
    for (const who of ['tracker', 'target', 'optin'] as Who[]) for (const p of pushes[who].sort()) seen.push(`push ${who} ${p}`);
    out.push(seen.map((l) => l.replace(/redirect\r\n:\d+/, 'redirect\r\n:ID').replace(/^tracker CLIENT GETREDIR => :\d+/, 'tracker CLIENT GETREDIR => :ID').replace(/REDIRECT \d+/, 'REDIRECT ID')));
  }
  void server;
  return out;
}

describe('client-side caching against redis-server 7.0', () => {
  it('the same invalidations to the same clients, step by step, with clients and keys on every thread', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      expect(new Set(KEYS.map((k) => shardOf(k))).size).toBe(4);
      const names: Who[] = ['tracker', 'writer', 'target', 'optin'];
      const r = Object.fromEntries(await Promise.all(names.map(async (n) => [n, await rawClient(redis.port)]))) as Record<Who, RawClient>;
      const spread = await connectSpread(shoal.port, 4, 4);
      const s = Object.fromEntries(names.map((n, i) => [n, spread[i].client])) as Record<Who, RawClient>;
      opened.push(...Object.values(r), ...Object.values(s));
      expect(new Set(spread.map((c) => c.thread)).size).toBe(4);
      const expected = await runAll(redis, r, Number((await clientInfo(r.target)).id), null);
      expect(expected.flat().filter((l) => l.startsWith('push ')).length).toBeGreaterThan(15);
      const got = await runAll(shoal, s, Number((await clientInfo(s.target)).id), expected);
      expect(got).toEqual(expected);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);

  it('a key that expires as the tracking client reads it does not invalidate that read; a later write does', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const out: Record<string, string[]> = {};
      const keys = Array.from({ length: 24 }, (_, i) => `exp:{t}${i}`);
      for (const [name, server] of [['redis', redis], ['shoal', shoal]] as const) {
        const [tracker, writer] = name === 'shoal' ? (await connectSpread(server.port, 2, 4)).map((c) => c.client) : [await rawClient(server.port), await rawClient(server.port)];
        opened.push(tracker, writer);
        const log: string[] = [];
        await tracker.call('HELLO', '3');
        await tracker.call('CLIENT', 'TRACKING', 'ON');
        // Something tracked already, so that the keys' shard tracks changes.
        await tracker.call('GET', 'exp:{t}other');
        for (const k of keys) await writer.call('SET', k, 'v', 'PX', '1');
        await new Promise((r) => setTimeout(r, 20));
        // Read as they expire (most lazily, by this very read): Redis invalidates before the read is tracked.
        log.push((await tracker.call('MGET', ...keys)).toString('latin1'));
        log.push((await tracker.call('PING')).toString('latin1'));
        // Now the reads are tracked: a write of one key invalidates it.
        await writer.call('SET', keys[0], 'again');
        const push = await tracker.readReply(5000);
        log.push(push.toString('latin1'), (await tracker.call('PING')).toString('latin1'));
        out[name] = log;
      }
      expect(out.shoal).toEqual(out.redis);
      expect(out.shoal[1]).toBe('+PONG\r\n');
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);
});
