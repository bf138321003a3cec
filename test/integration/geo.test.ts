/**
 * The geo commands' side effects against redis-server 7.0: keyspace events,
 * what the AOF records (GEOADD as the ZADD it becomes, the STORE forms as
 * themselves), WATCH, MULTI/EXEC and scripts, with keys on one shard and on
 * different shards of a 4-thread Shoal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type RawClient, type ServerHandle, rawClient, respMany, startRedis, startShoal } from '../helpers/servers.js';
import { connectSpread } from '../helpers/threads.js';
import { scratch } from '../helpers/scratch.js';
import { incrCommandLines } from '../helpers/aof-commands.js';
import { keysOnEveryShard, shardsTouched } from '../helpers/shards.js';

/** Source, destinations: on one shard (a hash tag), or on four. */
const TAGGED = ['{g}src', '{g}d1', '{g}d2', '{g}d3'];
const SPREAD = keysOnEveryShard('geokey', 4);

/** Geo commands (and ZADDs on the geo key) that write or publish, and some that change nothing. */
function corpus([src, d1, d2, d3]: string[]): string[][] {
  return [
    ['GEOADD', src, '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania'],
    ['GEOADD', src, 'NX', '13.361389', '38.115556', 'Palermo'],
    // ZADDs that change nothing: Redis records none in the AOF.
    ['ZADD', src, 'NX', '1', 'Catania'],
    ['ZADD', src, 'XX', '1', 'absent'],
    ['GEOADD', src, 'XX', 'CH', '13.5', '38.2', 'Palermo', '1', '1', 'nowhere'],
    ['GEOADD', src, '200', '1', 'bad'],
    ['GEOSEARCHSTORE', d1, src, 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km'],
    ['GEOSEARCHSTORE', d2, src, 'FROMMEMBER', 'Palermo', 'BYBOX', '400', '400', 'km', 'DESC', 'COUNT', '1', 'STOREDIST'],
    ['GEORADIUS', src, '15', '37', '200', 'km', 'STORE', d3],
    ['GEORADIUSBYMEMBER', src, 'Catania', '1000', 'km', 'STOREDIST', d3, 'STORE', d2],
    ['GEORADIUS', src, '15', '37', '1', 'm', 'STORE', d1],
    ['GEOSEARCHSTORE', d2, `${src}:missing`, 'FROMLONLAT', '15', '37', 'BYRADIUS', '1', 'km'],
    ['GEOPOS', `${src}:missing`, 'x'],
    ['GEOSEARCH', src, 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'WITHDIST'],
    ['ZREM', src, 'Palermo', 'Catania'],
  ];
}

async function run(c: RawClient, commands: string[][]): Promise<string[]> {
  const out: string[] = [];
  for (const cmd of commands) out.push((await c.call(...cmd)).toString('latin1'));
  return out;
}

/** Runs the corpus and collects what a pattern subscriber heard, up to an end marker. */
async function eventsOf(writer: RawClient, subscriber: RawClient, keys: string[]): Promise<string[]> {
  await writer.callText('FLUSHALL');
  await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', 'KEAm');
  await subscriber.write(respMany([['PSUBSCRIBE', '__key*@*__:*']]));
  await subscriber.readReply();
  await run(writer, corpus(keys));
  await writer.call('SET', 'geo:end', '1');
  const out: string[] = [];
  for (;;) {
    const parts = (await subscriber.readReply(5000)).toString('latin1').split('\r\n');
    out.push(`${parts[6]} ${parts[8]}`);
    if (parts[6] === '__keyevent@0__:set' && parts[8] === 'geo:end') break;
  }
  await subscriber.write(respMany([['PUNSUBSCRIBE']]));
  await subscriber.readReply();
  await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', '');
  return out;
}

describe('geo against redis-server 7.0: events, AOF, transactions', () => {
  const s = scratch('shoal-geo-');
  let redis: ServerHandle;
  let shoal: ServerHandle;
  const dirs = { redis: '', shoal: '' };

  beforeAll(async () => {
    if (shardsTouched(SPREAD) !== 4) throw new Error('keys must span 4 shards');
    dirs.redis = fs.mkdtempSync(path.join(s.root, 'redis-'));
    dirs.shoal = fs.mkdtempSync(path.join(s.root, 'shoal-'));
    const aof = ['--save', '', '--appendonly', 'yes', '--appendfsync', 'always'];
    [redis, shoal] = await Promise.all([startRedis({ args: ['--dir', dirs.redis, ...aof] }), startShoal({ threads: 4, args: ['--dir', dirs.shoal, ...aof] })]);
    s.servers.push(redis, shoal);
  }, 60_000);

  for (const [name, keys] of [['one shard', TAGGED], ['four shards', SPREAD]] as const) {
    it(`publishes Redis's keyspace events (${name})`, async () => {
      const r = [await rawClient(redis.port), await rawClient(redis.port)];
      const t = (await connectSpread(shoal.port, 2, 4)).map((c) => c.client);
      s.clients.push(...r, ...t);
      const expected = await eventsOf(r[0]!, r[1]!, keys);
      expect(expected).toContain('__keyevent@0__:geosearchstore ' + keys[1]);
      expect(expected).toContain('__keyevent@0__:georadiusstore ' + keys[3]);
      const got = await eventsOf(t[0]!, t[1]!, keys);
      // Events of commands run on different shards reach the subscriber's thread on different rings.
      if (name === 'one shard') expect(got).toEqual(expected);
      else expect([...got].sort()).toEqual([...expected].sort());
    });
  }

  it('replies, and records in the AOF, what Redis does', async () => {
    const r = await rawClient(redis.port);
    const t = await rawClient(shoal.port);
    s.clients.push(r, t);
    for (const c of [r, t]) await c.callText('FLUSHALL');
    const commands = [...corpus(TAGGED), ...corpus(SPREAD)];
    expect(await run(t, commands)).toEqual(await run(r, commands));
    const theirs = incrCommandLines(dirs.redis, { transactions: true });
    expect(theirs.some((l) => l.startsWith('ZADD {g}src 3479099956230698 Palermo'))).toBe(true);
    expect(incrCommandLines(dirs.shoal, { transactions: true })).toEqual(theirs);
  });

  it('invalidates tracked keys as Redis does (GEOADD, STORE destinations across shards)', async () => {
    const [src, d1, d2] = SPREAD;
    /** The invalidations heard; on Shoal, PINGs until `want` are in (another thread's may follow a PONG). */
    const heard = async (port: number, want = 0): Promise<string[]> => {
      const tracker = await rawClient(port);
      const writer = await rawClient(port);
      s.clients.push(tracker, writer);
      await writer.callText('FLUSHALL');
      await writer.call('GEOADD', src!, '13.361389', '38.115556', 'Palermo');
      await tracker.call('HELLO', '3');
      await tracker.callText('CLIENT', 'TRACKING', 'ON');
      for (const k of [src!, d1!, d2!]) await tracker.call('GEOPOS', k, 'Palermo');
      await writer.call('GEOADD', src!, 'NX', '13.361389', '38.115556', 'Palermo'); // no change: no invalidation
      await writer.call('GEOADD', src!, '15.087269', '37.502669', 'Catania');
      await writer.call('GEOSEARCHSTORE', d1!, src!, 'FROMMEMBER', 'Palermo', 'BYRADIUS', '500', 'km');
      await writer.call('GEORADIUS', src!, '15', '37', '1', 'm', 'STORE', d2!); // empty: d2 stays missing
      await writer.call('GEOADD', src!, '1', '1', 'x'); // src is no longer tracked
      const out: string[] = [];
      do {
        await tracker.write(respMany([['PING']]));
        for (;;) {
          const r = (await tracker.readReply()).toString('latin1');
          if (r.startsWith('+PONG')) break;
          out.push(r);
        }
      } while (out.length < want);
      return out;
    };
    const expected = await heard(redis.port);
    expect(expected.length).toBe(2);
    // Invalidations of keys on different shards come from different threads.
    expect((await heard(shoal.port, expected.length)).sort()).toEqual([...expected].sort());
  });

  it('runs in MULTI/EXEC across shards, aborts on a WATCHed destination, and runs in scripts', async () => {
    const [src, d1, d2] = SPREAD;
    const watched = async (port: number): Promise<string[]> => {
      const a = await rawClient(port);
      const b = await rawClient(port);
      s.clients.push(a, b);
      const out: string[] = [];
      await a.callText('FLUSHALL');
      await a.call('GEOADD', src!, '13.361389', '38.115556', 'Palermo', '15.087269', '37.502669', 'Catania');
      out.push(await a.callText('WATCH', d1!));
      out.push(await a.callText('MULTI'));
      out.push(await a.callText('GEORADIUS', src!, '15', '37', '200', 'km', 'STOREDIST', d2!));
      out.push(await a.callText('GEOSEARCH', src!, 'FROMMEMBER', 'Catania', 'BYRADIUS', '1', 'km'));
      // Another client writes the watched key: EXEC must fail.
      out.push(await b.callText('GEOSEARCHSTORE', d1!, src!, 'FROMMEMBER', 'Palermo', 'BYBOX', '10', '10', 'km'));
      out.push(await a.callText('EXEC'));
      out.push(await a.callText('MULTI'));
      out.push(await a.callText('GEORADIUS', src!, '15', '37', '200', 'km', 'STOREDIST', d2!));
      out.push(await a.callText('GEOSEARCHSTORE', d1!, src!, 'FROMLONLAT', '15', '37', 'BYRADIUS', '200', 'km', 'COUNT', '1'));
      out.push(await a.callText('EXEC'));
      out.push(await a.callText('ZRANGE', d2!, '0', '-1', 'WITHSCORES'));
      out.push(await a.callText('ZRANGE', d1!, '0', '-1'));
      out.push(await a.callText('EVAL', "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'WITHCOORD', 'ASC')", '1', src!));
      out.push(await a.callText('EVAL', "return redis.call('GEOADD', KEYS[1], 1, 2, 'x')", '1', src!));
      return out;
    };
    const expected = await watched(redis.port);
    expect(expected[5]).toBe('*-1\r\n');
    expect(await watched(shoal.port)).toEqual(expected);
  });
});
