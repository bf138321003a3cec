/**
 * maxmemory and eviction, against redis-server 7.0 where the two can be
 * compared (the servers count memory differently: Shoal counts its arenas
 * and its threads' JS heaps, docs/configuration.md), with writers on every
 * thread of Shoal:
 *  - over the limit under noeviction, exactly the commands Redis refuses
 *    get its OOM error (writes that may grow memory), the others run;
 *  - allkeys-* keep used_memory within 5% of the limit while writes go on;
 *  - volatile-* evict only keys with a TTL, and answer OOM once none is
 *    left;
 *  - evicted keys reach the AOF as DELs (a restart from it has the same
 *    data), count in evicted_keys, and are announced as `evicted` events;
 *  - the LFU policies keep OBJECT FREQ as Redis does.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, sleep, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { connectSpread } from '../helpers/threads.js';

const info = async (c: RawClient, field: string): Promise<number> => Number(new RegExp(`\\r\\n${field}:(\\d+)`).exec(await c.callText('INFO', 'everything'))![1]);

async function clientsOf(server: ServerHandle, spread: boolean): Promise<RawClient[]> {
  return spread ? (await connectSpread(server.port, 4, 4)).map((s) => s.client) : Promise.all([0, 1, 2, 3].map(() => rawClient(server.port)));
}

describe('maxmemory', () => {
  it('over the limit with noeviction: the same commands refused with OOM as in redis-server, the others run', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const replies: Record<string, string[]> = {};
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const cs = await clientsOf(server, name === 'shoal');
        opened.push(...cs);
        await cs[0].call('SET', 'a', '1');
        await cs[0].call('RPUSH', 'l', 'x', 'y');
        // A limit below what the server uses now: every write that may grow memory is refused.
        await cs[0].call('CONFIG', 'SET', 'maxmemory', String(Math.floor((await info(cs[0], 'used_memory')) / 2)));
        const out: string[] = [];
        const cmds = [
          ['SET', 'b', '1'], ['GET', 'a'], ['INCR', 'a'], ['APPEND', 'a', 'x'], ['DEL', 'a'], ['LPOP', 'l'], ['RPUSH', 'l', 'z'],
          ['HSET', 'h', 'f', 'v'], ['SADD', 's', 'm'], ['EXPIRE', 'l', '100'], ['PERSIST', 'l'], ['ZADD', 'z', '1', 'm'], ['PING'], ['DBSIZE'],
        ];
        for (const [i, cmd] of cmds.entries()) out.push(`${cmd.join(' ')} => ${await cs[i % 4].callText(...cmd)}`);
        await cs[0].call('CONFIG', 'SET', 'maxmemory', '0');
        out.push(await cs[1].callText('SET', 'b', '2'));
        replies[name] = out;
      }
      expect(replies.shoal).toEqual(replies.redis);
      expect(replies.shoal[0]).toBe("SET b 1 => -OOM command not allowed when used memory > 'maxmemory'.\r\n");
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);

  for (const policy of ['allkeys-lru', 'allkeys-lfu', 'allkeys-random']) {
    it(`${policy}: writes from every thread go on and used_memory stays within 5% of the limit`, async () => {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-evict-'));
      const shoal = await startShoal({ threads: 4, args: ['--dir', dir, '--appendonly', 'yes', '--save', ''] });
      const opened: RawClient[] = [];
      try {
        const cs = await clientsOf(shoal, true);
        opened.push(...cs);
        const [subscriber] = [await rawClient(shoal.port)];
        opened.push(subscriber);
        await cs[0].call('CONFIG', 'SET', 'notify-keyspace-events', 'Ee');
        await subscriber.write(respMany([['SUBSCRIBE', '__keyevent@0__:evicted']]));
        await subscriber.readReply();
        const limit = (await info(cs[0], 'used_memory')) + 16 * 1024 * 1024;
        await cs[0].call('CONFIG', 'SET', 'maxmemory', String(limit));
        await cs[0].call('CONFIG', 'SET', 'maxmemory-policy', policy);
        const value = 'v'.repeat(1000);
        let refused = 0;
        await Promise.all(
          cs.map(async (c, w) => {
            for (let i = 0; i < 12_000; i += 100) {
              await c.write(respMany(Array.from({ length: 100 }, (_, j) => ['SET', `w${w}:${i + j}`, value])));
              for (const r of await c.readReplies(100)) if (r[0] === 0x2d) refused++;
            }
          }),
        );
        expect(refused).toBe(0);
        expect(await info(cs[1], 'used_memory')).toBeLessThan(limit * 1.05);
        // No more evictions from here (the crons evict while the process is over the limit).
        await cs[0].call('CONFIG', 'SET', 'maxmemory', '0');
        const evicted = await info(cs[1], 'evicted_keys');
        expect(evicted).toBeGreaterThan(0);
        const keys = Number((await cs[2].callText('DBSIZE')).slice(1));
        expect(keys + evicted).toBe(48_000);
        // Each eviction was announced.
        const first = (await subscriber.readReply()).toString('latin1');
        expect(first).toMatch(/^\*3\r\n\$7\r\nmessage\r\n\$22\r\n__keyevent@0__:evicted\r\n\$\d+\r\nw\d:\d+\r\n$/);
        // The AOF holds the evictions as DELs: a restart from it has the same keys.
        const digest = await cs[3].callText('DEBUG', 'DIGEST');
        for (const c of opened) c.destroy();
        opened.length = 0;
        await shoal.stop();
        const again = await startShoal({ threads: 4, args: ['--dir', dir, '--appendonly', 'yes', '--save', ''] });
        try {
          const c = await rawClient(again.port);
          opened.push(c);
          expect(await c.callText('DEBUG', 'DIGEST')).toBe(digest);
          expect(await c.callText('DBSIZE')).toBe(`:${keys}\r\n`);
        } finally {
          for (const c of opened) c.destroy();
          opened.length = 0;
          await again.stop();
        }
      } finally {
        for (const c of opened) c.destroy();
        await shoal.stop();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }, 120_000);
  }

  it('volatile-* evict only keys with a TTL, and answer OOM when none is left', async () => {
    const shoal = await startShoal({ threads: 4 });
    const opened: RawClient[] = [];
    try {
      const cs = await clientsOf(shoal, true);
      opened.push(...cs);
      const value = 'v'.repeat(1000);
      for (let i = 0; i < 2000; i++) await cs[i % 4].call('SET', `keep:${i}`, value);
      for (let i = 0; i < 2000; i++) await cs[i % 4].call('SET', `ttl:${i}`, value, 'EX', String(1000 + i));
      // The limit is set from what survives collections: garbage counted now could be collected
      // later and leave room for more than the 2000 keys with a TTL (no OOM at all).
      await cs[0].call('MEMORY', 'PURGE');
      await sleep(300);
      const limit = (await info(cs[0], 'used_memory')) + 2 * 1024 * 1024;
      await cs[0].call('CONFIG', 'SET', 'maxmemory', String(limit));
      await cs[0].call('CONFIG', 'SET', 'maxmemory-policy', 'volatile-ttl');
      let oom = 0;
      for (let i = 0; i < 8000 && oom === 0; i++) {
        const r = await cs[i % 4].callText('SET', `more:${i}`, value);
        if (r.startsWith('-OOM')) oom++;
      }
      // Every key without a TTL is still there; those with one went first, then writes were refused.
      expect(oom).toBe(1);
      let kept = 0;
      for (let i = 0; i < 2000; i++) if ((await cs[i % 4].callText('EXISTS', `keep:${i}`)) === ':1\r\n') kept++;
      expect(kept).toBe(2000);
      expect(await info(cs[0], 'evicted_keys')).toBeGreaterThanOrEqual(2000);
    } finally {
      for (const c of opened) c.destroy();
      await shoal.stop();
    }
  }, 120_000);

  it('the LFU policies keep OBJECT FREQ as redis-server does; the LRU ones refuse it (and LFU refuses IDLETIME)', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const replies: Record<string, string[]> = {};
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const [c, d] = await clientsOf(server, name === 'shoal');
        opened.push(c, d);
        const out: string[] = [];
        await c.call('SET', 'f', 'v');
        out.push(await d.callText('OBJECT', 'FREQ', 'f'));
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lfu');
        await c.call('SET', 'g', 'v');
        out.push(await d.callText('OBJECT', 'FREQ', 'g'), await d.callText('OBJECT', 'IDLETIME', 'g'), await d.callText('OBJECT', 'FREQ', 'nope'));
        // Counted up from 5 with a falling probability: a handful of reads stays between 5 and 15.
        for (let i = 0; i < 20; i++) await d.call('GET', 'g');
        const f = Number((await c.callText('OBJECT', 'FREQ', 'g')).slice(1));
        out.push(String(f >= 5 && f <= 15));
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
        replies[name] = out;
      }
      expect(replies.shoal).toEqual(replies.redis);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);

  it('LFU counters: the same accesses give OBJECT FREQ values distributed as redis-server\'s (the increment is random)', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    const levels = [1, 10, 100, 1000, 4000];
    const perLevel = 20;
    try {
      const means: Record<string, number[]> = {};
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const [c] = await clientsOf(server, name === 'shoal');
        opened.push(c);
        // No decay during the test (a minute boundary would take 1 off some counters on one server only).
        for (const [k, v] of [['maxmemory-policy', 'allkeys-lfu'], ['lfu-log-factor', '10'], ['lfu-decay-time', '0']]) await c.call('CONFIG', 'SET', k, v);
        const keyOf = (level: number, i: number) => `lfu:${level}:${i}`;
        for (const level of levels) for (let i = 0; i < perLevel; i++) await c.call('SET', keyOf(level, i), 'v');
        // The accesses, interleaved across keys, in pipelines.
        const gets: string[][] = [];
        for (const level of levels) for (let n = 0; n < level; n++) for (let i = 0; i < perLevel; i++) gets.push(['GET', keyOf(level, i)]);
        for (let i = 0; i < gets.length; i += 2000) {
          const batch = gets.slice(i, i + 2000);
          await c.write(respMany(batch));
          await c.readReplies(batch.length, 30_000);
        }
        means[name] = [];
        for (const level of levels) {
          let sum = 0;
          for (let i = 0; i < perLevel; i++) sum += Number((await c.callText('OBJECT', 'FREQ', keyOf(level, i))).slice(1));
          means[name].push(sum / perLevel);
        }
        await c.call('FLUSHALL');
        await c.call('CONFIG', 'SET', 'maxmemory-policy', 'noeviction');
      }
      // The mean counter of each access level agrees within a point or 15%, and grows with the accesses.
      const report = `redis ${means.redis.map((m) => m.toFixed(1)).join(' ')}, shoal ${means.shoal.map((m) => m.toFixed(1)).join(' ')}`;
      for (let l = 0; l < levels.length; l++) expect(Math.abs(means.shoal[l] - means.redis[l]), report).toBeLessThanOrEqual(Math.max(1, means.redis[l] * 0.15));
      for (let l = 1; l < levels.length; l++) expect(means.shoal[l], report).toBeGreaterThan(means.shoal[l - 1]);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 120_000);
});

describe('client-output-buffer-limit normal', () => {
  it('a client that asks for large replies and never reads them is disconnected at its limit; others go on', async () => {
    const shoal = await startShoal({ threads: 4, args: ['--client-output-buffer-limit', 'normal 4mb 0 0'] });
    const opened: RawClient[] = [];
    const stalled = net.createConnection({ port: shoal.port, host: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
      stalled.on('error', () => {});
      stalled.pause();
      const [admin] = (await connectSpread(shoal.port, 1, 4)).map((s) => s.client);
      opened.push(admin);
      await admin.call('SET', 'big', 'x'.repeat(512 * 1024));
      const disconnections = async () => Number(/client_output_buffer_limit_disconnections:(\d+)/.exec(await admin.callText('INFO', 'stats'))![1]);
      // 512 KiB replies, never read: the kernel's buffers fill, then Shoal's, up to 4 MiB.
      for (let i = 0; i < 400 && (await disconnections()) === 0; i++) stalled.write(respMany(Array.from({ length: 4 }, () => ['GET', 'big'])));
      expect(await disconnections()).toBe(1);
      expect(await admin.callText('GET', 'missing')).toBe('$-1\r\n');
      expect((await admin.callText('CLIENT', 'LIST')).match(/\bid=/g)).toHaveLength(1);
    } finally {
      stalled.destroy();
      for (const c of opened) c.destroy();
      await shoal.stop();
    }
  }, 60_000);
});

describe('a slow reader of a 500 MB reply', () => {
  it('is disconnected at its output limit, and the server\'s RSS returns to its level before the reply', async () => {
    const shoal = await startShoal({ threads: 4, args: ['--client-output-buffer-limit', 'normal 64mb 0 0'] });
    const stalled = net.createConnection({ port: shoal.port, host: '127.0.0.1' });
    const connected = new Promise<void>((resolve) => stalled.once('connect', () => resolve()));
    const [admin] = (await connectSpread(shoal.port, 1, 4)).map((s) => s.client);
    try {
      await connected;
      stalled.on('error', () => {});
      stalled.pause();
      // A 500 MB value (zeros) made by one small command.
      expect(await admin.callText('SETRANGE', 'big', String(500 * 1024 * 1024 - 1), 'x')).toBe(`:${500 * 1024 * 1024}\r\n`);
      const rss = () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${shoal.pid}/status`, 'utf8'))![1]) * 1024;
      const before = rss();
      const disconnections = async () => Number(/client_output_buffer_limit_disconnections:(\d+)/.exec(await admin.callText('INFO', 'stats'))![1]);
      stalled.write(respMany([['GET', 'big']]));
      const deadline = Date.now() + 30_000;
      while ((await disconnections()) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(await disconnections()).toBe(1);
      expect(await admin.callText('STRLEN', 'big')).toBe(`:${500 * 1024 * 1024}\r\n`);
      // The reply's owner may still be streaming the rest of it (dropped as it arrives) on a loaded
      // machine, and output buffers are freed as the collector sweeps: the lowest RSS within 15 s,
      // purging every second.
      const MB = 1024 * 1024;
      let after = rss();
      for (let i = 0; i < 150 && after >= before + 64 * MB; i++) {
        if (i % 10 === 0) expect(await admin.callText('MEMORY', 'PURGE')).toBe('+OK\r\n');
        await new Promise((r) => setTimeout(r, 100));
        after = Math.min(after, rss());
      }
      expect(after, `RSS ${before / MB | 0} MB before the reply, ${after / MB | 0} MB after`).toBeLessThan(before + 64 * MB);
    } finally {
      stalled.destroy();
      admin.destroy();
      await shoal.stop();
    }
  }, 120_000);
});

describe('MEMORY and INFO memory against redis-server 7.0', () => {
  it('MEMORY STATS has the fields Redis has, in its order; DOCTOR, MALLOC-STATS, PURGE and HELP answer as Redis shapes them', async () => {
    const [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
    const opened: RawClient[] = [];
    try {
      const shapes: Record<string, unknown[]> = {};
      for (const [name, server] of [
        ['redis', redis],
        ['shoal', shoal],
      ] as const) {
        const c = await rawClient(server.port);
        opened.push(c);
        for (let i = 0; i < 100; i++) await c.call('SET', `k${i}`, 'v');
        await c.call('SELECT', '3');
        await c.call('SET', 'in3', 'v');
        const stats = (await c.callText('MEMORY', 'STATS')).split('\r\n');
        // The field names (bulk strings that are not numbers), and db.0 / db.3's nested fields.
        const names = stats.filter((l, i) => i > 0 && stats[i - 1].startsWith('$') && !/^-?\d+(\.\d+)?$/.test(l));
        const info = await c.callText('INFO', 'memory');
        shapes[name] = [
          names,
          (await c.callText('MEMORY', 'DOCTOR'))[0],
          (await c.callText('MEMORY', 'MALLOC-STATS'))[0],
          await c.callText('MEMORY', 'PURGE'),
          await c.callText('MEMORY', 'HELP'),
          ['used_memory', 'used_memory_peak', 'used_memory_startup', 'used_memory_dataset', 'allocator_allocated', 'allocator_active', 'allocator_resident', 'mem_fragmentation_ratio', 'maxmemory_policy'].filter((f) => !new RegExp(`\\r\\n${f}:`).test(`\r\n${info}`)),
        ];
        const used = Number(/used_memory:(\d+)/.exec(info)![1]);
        const peak = Number(/used_memory_peak:(\d+)/.exec(info)![1]);
        expect(peak).toBeGreaterThanOrEqual(used);
      }
      expect(shapes.shoal).toEqual(shapes.redis);
    } finally {
      for (const c of opened) c.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);
});
