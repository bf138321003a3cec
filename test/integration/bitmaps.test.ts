/**
 * What bitmap writes tell the rest of the server, against redis-server 7.0
 * (Shoal on 4 threads):
 *  - the AOF: the commands each server appends for the same bitmap writes
 *    are the same (BITFIELD with only GETs and a BITOP that changes nothing
 *    are not propagated; BITOP across shards is), and Shoal loads its file
 *    back to the same values;
 *  - keyspace events: the same events in the same order (`setbit` for
 *    SETBIT and BITFIELD writes, `set` / `del` for BITOP, `new`);
 *  - WATCH: a transaction watching a key aborts after exactly the bitmap
 *    commands that abort it in Redis;
 *  - client-side tracking: the same invalidations.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { incrCommandLines } from '../helpers/aof-commands.js';
import { type RawClient, type ServerHandle, rawClient, respMany, startRedis, startShoal } from '../helpers/servers.js';
import { scratch } from '../helpers/scratch.js';
import { connectSpread } from '../helpers/threads.js';
import { shardOf } from '../helpers/shards.js';

const box = scratch('shoal-bitmaps-');

const K = (name: string): string => `{k}${name}`;

/** Bitmap writes (and refused or idle ones), on keys of several shards. */
const WRITES: string[][] = [
  ['SETBIT', 'a', '7', '1'],
  ['SETBIT', 'a', '7', '1'],
  ['SETBIT', 'a', '4294967296', '1'],
  ['SETBIT', 'b', '100', '1'],
  ['SET', 'n', '12345'],
  ['SETBIT', 'n', '3', '1'],
  ['BITFIELD', 'c', 'GET', 'u8', '0'],
  ['BITFIELD', 'c', 'SET', 'i8', '#1', '-5', 'GET', 'u8', '0'],
  ['BITFIELD', 'c', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '7'],
  ['BITFIELD', 'd', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '7'],
  ['BITFIELD', 'c', 'INCRBY', 'u4', '4', '100'],
  ['BITFIELD_RO', 'c', 'GET', 'u8', '0'],
  ['BITOP', 'AND', 'dst', 'a', 'b'],
  ['BITOP', 'OR', 'dst2', 'a', 'b', 'c', 'n'],
  ['BITOP', 'NOT', 'dst3', 'c'],
  ['BITOP', 'XOR', 'none', 'missing', 'missing2'],
  ['BITOP', 'XOR', 'dst3', 'missing'],
  ['BITOP', 'NOT', 'dst', 'a', 'b'],
];

/** The keys WRITES names. */
const KEYS = ['a', 'b', 'n', 'c', 'd', 'dst', 'dst2', 'dst3', 'none'];

async function values(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const k of KEYS) out.push((await c.call('GET', k)).toString('latin1'));
  return out;
}

describe('bitmaps and the AOF', () => {
  it('appends what Redis appends, and both load back the same values', async () => {
    // BITOP's keys span shards (the foreign-keys path is what gets checked).
    expect(new Set(['dst2', 'a', 'b', 'c', 'n'].map((k) => shardOf(k))).size).toBeGreaterThan(1);
    const dirs = ['redis', 'shoal'].map((n) => {
      const d = path.join(box.root, `aof-${n}`);
      fs.mkdirSync(d);
      return d;
    });
    const aof = (dir: string) => ['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    let redis = await startRedis({ args: aof(dirs[0]!) });
    let shoal = await startShoal({ threads: 4, args: aof(dirs[1]!) });
    box.servers.push(redis, shoal);
    const r = await rawClient(redis.port);
    const s = await rawClient(shoal.port);
    box.clients.push(r, s);
    for (const cmd of WRITES) expect((await s.call(...cmd)).toString('latin1'), cmd.join(' ')).toBe((await r.call(...cmd)).toString('latin1'));
    const want = await values(r);
    expect(await values(s)).toEqual(want);
    await redis.stop();
    await shoal.stop();
    expect(incrCommandLines(dirs[1]!, { transactions: true })).toEqual(incrCommandLines(dirs[0]!, { transactions: true }));

    // Not quite `want`: a key that BITFIELD created with only refused writes is not in Redis's file either.
    redis = await startRedis({ args: aof(dirs[0]!) });
    shoal = await startShoal({ threads: 4, args: aof(dirs[1]!) });
    box.servers.push(redis, shoal);
    const again = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
    box.clients.push(...again);
    const reloaded = await values(again[0]);
    expect(reloaded).not.toEqual(want);
    expect(await values(again[1])).toEqual(reloaded);
  }, 60_000);
});

/** Commands that publish events, and some that do not; one hash tag, so one shard publishes them in order. */
const CORPUS: string[][] = [
  ['SETBIT', K('a'), '7', '1'],
  ['SETBIT', K('a'), '7', '1'],
  ['SETBIT', K('a'), '-1', '1'],
  ['GETBIT', K('missing'), '1'],
  ['BITCOUNT', K('missing')],
  ['BITFIELD', K('b'), 'GET', 'u8', '0'],
  ['BITFIELD', K('b'), 'SET', 'u8', '0', '1'],
  ['BITFIELD', K('b'), 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '0', '9'],
  ['BITFIELD_RO', K('b'), 'GET', 'u8', '0'],
  ['SET', K('t'), 'x', 'EX', '100'],
  ['BITOP', 'OR', K('t'), K('a'), K('b')],
  ['BITOP', 'OR', K('new'), K('a'), K('missing')],
  ['BITOP', 'AND', K('t'), K('missing')],
  ['BITOP', 'AND', K('t'), K('missing')],
  ['HSET', K('h'), 'f', 'v'],
  ['BITOP', 'NOT', K('h'), K('a')],
];

async function eventsOf(writer: RawClient, subscriber: RawClient): Promise<string[]> {
  expect(await writer.callText('FLUSHALL')).toBe('+OK\r\n');
  expect(await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', 'KEA')).toBe('+OK\r\n');
  await subscriber.write(respMany([['PSUBSCRIBE', '__key*@*__:*']]));
  await subscriber.readReply();
  for (const cmd of CORPUS) await writer.call(...cmd);
  await writer.call('SET', K('end'), '1');
  const out: string[] = [];
  for (;;) {
    const parts = (await subscriber.readReply(5000)).toString('latin1').split('\r\n');
    out.push(`${parts[6]} ${parts[8]}`);
    if (parts[6] === `__keyevent@0__:set` && parts[8] === K('end')) break;
  }
  await subscriber.write(respMany([['PUNSUBSCRIBE']]));
  await subscriber.readReply();
  await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', '');
  return out;
}

/** Runs `body` against a redis-server and a Shoal (4 threads) started for it. */
async function onBoth<T>(body: (port: number, server: ServerHandle, isShoal: boolean) => Promise<T>): Promise<[T, T]> {
  const redis = await startRedis();
  const shoal = await startShoal({ threads: 4 });
  box.servers.push(redis, shoal);
  return [await body(redis.port, redis, false), await body(shoal.port, shoal, true)];
}

describe('bitmaps, keyspace events, WATCH and tracking', () => {
  it('publish the same keyspace events as Redis, in the same order', async () => {
    const [want, got] = await onBoth(async (port, _server, isShoal) => {
      // On Shoal the writer and the subscriber are on different threads.
      const [w, sub] = isShoal ? (await connectSpread(port, 2, 4)).map((c) => c.client) : [await rawClient(port), await rawClient(port)];
      box.clients.push(w!, sub!);
      return eventsOf(w!, sub!);
    });
    expect(want.length).toBeGreaterThan(10);
    expect(got).toEqual(want);
  }, 60_000);

  it('abort a watching transaction after the same commands as Redis', async () => {
    // Each step: a setup, the command another client runs while the key is watched.
    const steps: string[][] = [
      ['SETBIT', 'w', '3', '1'],
      ['SETBIT', 'w', '3', '1'],
      ['GETBIT', 'w', '3'],
      ['BITFIELD', 'w', 'GET', 'u8', '0'],
      ['BITFIELD', 'w', 'SET', 'u8', '0', '255'],
      ['BITFIELD', 'w', 'OVERFLOW', 'FAIL', 'INCRBY', 'u8', '0', '1'],
      ['BITOP', 'NOT', 'w', 'src'],
      ['BITOP', 'AND', 'w', 'missing'],
      ['BITOP', 'AND', 'w', 'missing'],
      ['BITOP', 'OR', 'w', 'src', 'w'],
    ];
    const [want, got] = await onBoth(async (port, _server, isShoal) => {
      const [a, b] = isShoal ? (await connectSpread(port, 2, 4)).map((c) => c.client) : [await rawClient(port), await rawClient(port)];
      box.clients.push(a!, b!);
      await b!.call('SET', 'src', 'xyz');
      const out: string[] = [];
      for (const step of steps) {
        await a!.call('WATCH', 'w');
        await b!.call(...step);
        await a!.call('MULTI');
        await a!.call('PING');
        out.push(`${step.join(' ')} -> ${(await a!.call('EXEC')).toString('latin1')}`);
      }
      return out;
    });
    expect(want.filter((l) => l.endsWith('*-1\r\n')).length).toBeGreaterThan(3);
    expect(got).toEqual(want);
  }, 60_000);

  it('invalidate tracked keys as Redis does', async () => {
    const writes: string[][] = [
      ['SETBIT', 't', '1', '1'],
      ['SETBIT', 't', '1', '1'],
      ['BITFIELD', 't', 'GET', 'u8', '0'],
      ['BITFIELD', 't', 'INCRBY', 'u8', '0', '1'],
      ['BITOP', 'NOT', 't', 'src'],
      ['BITOP', 'AND', 't', 'missing'],
    ];
    /**
     * Each write's invalidations of `t`. Redis has sent them by the next round
     * trip; Shoal's come from the key's shard, maybe another thread: wait
     * for as many as Redis sent (`expected`), PING by PING.
     */
    const run = async (port: number, isShoal: boolean, expected: number[] | null): Promise<number[]> => {
      const [a, b] = isShoal ? (await connectSpread(port, 2, 4)).map((c) => c.client) : [await rawClient(port), await rawClient(port)];
      box.clients.push(a!, b!);
      let pushes = 0;
      const reply = async (): Promise<string> => {
        for (;;) {
          const r = (await a!.readReply(5000)).toString('latin1');
          if (!r.startsWith('>')) return r;
          expect(r).toBe('>2\r\n$10\r\ninvalidate\r\n*1\r\n$1\r\nt\r\n');
          pushes++;
        }
      };
      const call = async (...args: string[]): Promise<string> => {
        await a!.write(respMany([args]));
        return reply();
      };
      await b!.call('SET', 'src', 'xyz');
      await call('HELLO', '3');
      expect(await call('CLIENT', 'TRACKING', 'ON')).toBe('+OK\r\n');
      const out: number[] = [];
      for (const [i, w] of writes.entries()) {
        pushes = 0;
        await call('GET', 't');
        await b!.call(...w);
        for (let tries = 0; tries < 200; tries++) {
          expect(await call('PING')).toBe('+PONG\r\n');
          if (expected === null || pushes >= expected[i]!) break;
          await new Promise((r) => setTimeout(r, 5));
        }
        out.push(pushes);
      }
      return out;
    };
    const redis = await startRedis();
    const shoal = await startShoal({ threads: 4 });
    box.servers.push(redis, shoal);
    const want = await run(redis.port, false, null);
    expect(want).toEqual([1, 0, 0, 1, 1, 1]);
    // A last PING round after the expected count: an extra invalidation would show.
    expect(await run(shoal.port, true, want)).toEqual(want);
  }, 60_000);
});
