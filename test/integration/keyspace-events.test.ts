/**
 * Keyspace notifications against redis-server 7.0: the same commands, with
 * notify-keyspace-events set, must publish the same events in the same
 * order (keyspace channel, then keyevent channel, for each). A subscriber
 * listens with a pattern on another connection (on Shoal, on another thread
 * than the writer: the test checks it); the commands' keys share a hash
 * tag, so on Shoal they live on one shard, which publishes them in order.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { connectSpread } from '../helpers/threads.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';

const K = (name: string): string => `{k}${name}`;

/** Commands of every family that publish events, and some that do not (refused, no change). */
const CORPUS: string[][] = [
  ['SET', K('s'), 'v'],
  ['SET', K('s'), 'v', 'EX', '100'],
  ['SET', K('s'), 'w', 'NX'],
  // Overwrites that need a bigger entry, or replace another type: no `new` event.
  ['SET', K('s'), 'a value too long to fit where the one-byte value was'],
  ['HSET', K('hs'), 'f', 'v'],
  ['SET', K('hs'), 'v'],
  ['SETNX', K('s2'), 'x'],
  ['GETSET', K('s2'), 'y'],
  ['APPEND', K('s2'), 'z'],
  ['INCR', K('n')],
  ['INCRBY', K('n'), '5'],
  ['DECR', K('n')],
  ['INCRBYFLOAT', K('n'), '1.5'],
  ['SETRANGE', K('s2'), '1', 'abc'],
  ['SETRANGE', K('s3'), '0', ''],
  ['GETEX', K('s2'), 'PX', '100000'],
  ['GETEX', K('s2'), 'PERSIST'],
  ['GETEX', K('s2'), 'PERSIST'],
  ['GETDEL', K('s2')],
  ['MSET', K('a'), '1', K('b'), '2'],
  ['MSETNX', K('a'), '1', K('c'), '2'],
  ['DEL', K('a'), K('b'), K('none')],
  ['SET', K('e'), '1'],
  ['EXPIRE', K('e'), '100'],
  ['PERSIST', K('e')],
  ['PERSIST', K('e')],
  ['PEXPIREAT', K('e'), '1'],
  ['SET', K('r'), '1'],
  ['RENAME', K('r'), K('r2')],
  ['RENAMENX', K('r2'), K('s')],
  ['COPY', K('r2'), K('r3')],
  ['MOVE', K('r3'), '1'],
  ['LPUSH', K('l'), 'a', 'b', 'c'],
  ['RPUSH', K('l'), 'd'],
  ['LPUSHX', K('nol'), 'x'],
  ['LINSERT', K('l'), 'BEFORE', 'a', 'z'],
  ['LINSERT', K('l'), 'BEFORE', 'nothere', 'z'],
  ['LSET', K('l'), '0', 'q'],
  ['LREM', K('l'), '1', 'z'],
  ['LPOP', K('l')],
  ['RPOP', K('l'), '1'],
  ['RPOPLPUSH', K('l'), K('l2')],
  ['LMOVE', K('l'), K('l2'), 'LEFT', 'RIGHT'],
  ['LTRIM', K('l2'), '5', '10'],
  ['RPUSH', K('l3'), 'x', 'y'],
  ['LMOVE', K('l3'), K('l3'), 'LEFT', 'RIGHT'],
  ['LPOP', K('l3'), '5'],
  ['HSET', K('h'), 'f', '1', 'g', '2'],
  ['HSETNX', K('h'), 'f', '3'],
  ['HSETNX', K('h'), 'k', '3'],
  ['HINCRBY', K('h'), 'f', '2'],
  ['HINCRBYFLOAT', K('h'), 'f', '0.5'],
  ['HDEL', K('h'), 'nope'],
  ['HDEL', K('h'), 'f', 'g', 'k'],
  ['SADD', K('set'), 'a', 'b', 'c'],
  ['SADD', K('set'), 'a'],
  ['SREM', K('set'), 'a', 'zz'],
  ['SMOVE', K('set'), K('set2'), 'b'],
  ['SMOVE', K('set'), K('set2'), 'nope'],
  ['SADD', K('set3'), 'c', 'd'],
  ['SINTERSTORE', K('dst'), K('set'), K('set3')],
  ['SUNIONSTORE', K('dst'), K('set'), K('set2')],
  ['SDIFFSTORE', K('dst'), K('set'), K('set')],
  ['SINTERSTORE', K('dst'), K('set'), K('missing')],
  ['SPOP', K('set2')],
  ['SPOP', K('set3'), '5'],
  ['SPOP', K('set'), '1'],
  ['ZADD', K('z'), '1', 'a', '2', 'b', '3', 'c'],
  ['ZADD', K('z'), 'NX', '5', 'a'],
  ['ZADD', K('z'), 'INCR', '5', 'a'],
  ['ZINCRBY', K('z'), '1', 'b'],
  // An increment that leaves the score as it was: no event.
  ['ZINCRBY', K('z'), '0', 'b'],
  ['ZREM', K('z'), 'nope'],
  ['ZREM', K('z'), 'c'],
  ['ZADD', K('z2'), '1', 'x', '2', 'y'],
  ['ZUNIONSTORE', K('zd'), '2', K('z'), K('z2')],
  ['ZINTERSTORE', K('zd'), '2', K('z'), K('z2')],
  ['ZRANGESTORE', K('zd2'), K('z'), '0', '0'],
  ['ZREMRANGEBYSCORE', K('z2'), '100', '200'],
  ['ZREMRANGEBYSCORE', K('z2'), '1', '1'],
  ['ZREMRANGEBYRANK', K('zd2'), '0', '-1'],
  ['ZPOPMIN', K('z')],
  ['ZPOPMAX', K('z'), '5'],
  ['RPUSH', K('sortme'), '3', '1', '2'],
  ['SORT', K('sortme'), 'STORE', K('sorted')],
  ['SORT', K('nothing'), 'STORE', K('sorted')],
  ['XADD', K('x'), '1-1', 'f', 'v'],
  ['XADD', K('x'), 'MAXLEN', '1', '2-1', 'f', 'v'],
  ['XADD', K('x'), 'NOMKSTREAM', '0-1', 'f', 'v'],
  ['XADD', K('nox'), 'NOMKSTREAM', '1-1', 'f', 'v'],
  ['XDEL', K('x'), '9-9'],
  ['XDEL', K('x'), '2-1'],
  ['XADD', K('x'), '3-1', 'f', 'v'],
  ['XTRIM', K('x'), 'MAXLEN', '0'],
  ['XSETID', K('x'), '10-0'],
  ['XGROUP', 'CREATE', K('x'), 'g', '0'],
  ['XGROUP', 'CREATE', K('x2'), 'g', '$', 'MKSTREAM'],
  ['XADD', K('x'), '11-1', 'f', 'v'],
  ['XREADGROUP', 'GROUP', 'g', 'c1', 'STREAMS', K('x'), '>'],
  ['XGROUP', 'CREATECONSUMER', K('x'), 'g', 'c2'],
  ['XCLAIM', K('x'), 'g', 'c3', '0', '11-1'],
  ['XAUTOCLAIM', K('x'), 'g', 'c4', '0', '0'],
  ['XGROUP', 'DELCONSUMER', K('x'), 'g', 'c2'],
  ['XGROUP', 'SETID', K('x'), 'g', '0'],
  ['XGROUP', 'DESTROY', K('x'), 'g'],
  ['XGROUP', 'DESTROY', K('x'), 'g'],
  ['SET', K('d'), 'dumped'],
  ['GET', K('missing')],
  ['EXISTS', K('missing')],
  ['FLUSHALL'],
];

/** Runs the corpus on one connection and collects what the subscriber heard, in order. */
async function eventsOf(writer: RawClient, subscriber: RawClient, setting: string): Promise<string[]> {
  expect(await writer.callText('FLUSHALL')).toBe('+OK\r\n');
  expect(await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', setting)).toBe('+OK\r\n');
  await subscriber.write(respMany([['PSUBSCRIBE', '__key*@*__:*']]));
  await subscriber.readReply();
  for (const cmd of CORPUS) await writer.call(...cmd);
  // RESTORE a value DUMPed here, and a marker that ends the stream.
  const dump = await writer.call('DUMP', K('d'));
  const payload = dump.subarray(dump.indexOf('\r\n') + 2, dump.length - 2);
  await writer.call('RESTORE', K('d2'), '0', payload);
  // The end marker is a keyspace event whatever the setting.
  expect(await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', 'K$')).toBe('+OK\r\n');
  await writer.call('SET', K('end'), '1');
  const out: string[] = [];
  for (;;) {
    const r = (await subscriber.readReply(5000)).toString('latin1');
    const parts = r.split('\r\n');
    // *4 $8 pmessage $n pattern $n channel $n message
    const channel = parts[6];
    const message = parts[8];
    out.push(`${channel} ${message}`);
    if (channel.endsWith(`:${K('end')}`)) break;
  }
  await subscriber.write(respMany([['PUNSUBSCRIBE']]));
  await subscriber.readReply();
  await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', '');
  return out;
}

describe('keyspace notifications against redis-server 7.0', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  const clients: RawClient[] = [];
  beforeAll(async () => {
    [redis, shoal] = await Promise.all([startRedis(), startShoal({ threads: 4 })]);
  }, 60_000);
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  for (const setting of ['KEA', 'KA', 'E$lshz', 'Kg', 'AKEnm', 'Ex']) {
    it(`notify-keyspace-events ${setting}: the same events, in the same order`, async () => {
      const r = [await rawClient(redis.port), await rawClient(redis.port)];
      // On Shoal the writer and the subscriber are on different threads.
      const s = (await connectSpread(shoal.port, 2, 4)).map((c) => c.client);
      clients.push(...r, ...s);
      const expected = await eventsOf(r[0], r[1], setting);
      expect(expected.length).toBeGreaterThan(setting === 'Ex' ? 0 : 10);
      expect(await eventsOf(s[0], s[1], setting)).toEqual(expected);
    });
  }

  it('CONFIG GET shows the setting as Redis does; unknown letters are refused with its message', async () => {
    for (const server of [redis, shoal]) {
      const c = await rawClient(server.port);
      clients.push(c);
      for (const [set, shown] of [
        ['KEA', 'AKE'],
        ['Ex', 'xE'],
        ['Kg$lshzxe', 'g$lshzxeK'],
        ['AKEm', 'AKEm'],
        ['Kn', 'nK'],
        ['', ''],
      ]) {
        expect(await c.callText('CONFIG', 'SET', 'notify-keyspace-events', set)).toBe('+OK\r\n');
        expect(await c.callText('CONFIG', 'GET', 'notify-keyspace-events')).toBe(`*2\r\n$22\r\nnotify-keyspace-events\r\n$${shown.length}\r\n${shown}\r\n`);
      }
      expect(await c.callText('CONFIG', 'SET', 'notify-keyspace-events', 'KEZ')).toBe(
        "-ERR CONFIG SET failed (possibly related to argument 'notify-keyspace-events') - Invalid event class character. Use 'Ag$lshzxeKEtmdn'.\r\n",
      );
    }
  });

  it('expired keys are announced when they expire (lazily or by the active cycle) on any shard', async () => {
    const s = (await connectSpread(shoal.port, 2, 4)).map((c) => c.client);
    clients.push(...s);
    const [writer, subscriber] = s;
    await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', 'Ex');
    await subscriber.write(respMany([['SUBSCRIBE', '__keyevent@0__:expired']]));
    await subscriber.readReply();
    const keys = Array.from({ length: 20 }, (_, i) => `exp:${i}`);
    for (const k of keys) await writer.callText('SET', k, '1', 'PX', '50');
    const heard = new Set<string>();
    for (let i = 0; i < keys.length; i++) {
      const r = (await subscriber.readReply(10_000)).toString('latin1').split('\r\n');
      heard.add(r[6]);
    }
    expect([...heard].sort()).toEqual([...keys].sort());
    await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', '');
  });
});

describe('keyspace events of transactions across shards', () => {
  it('a MULTI/EXEC over keys of every shard publishes its events in the order its commands ran', async () => {
    const shoal = await startShoal({ threads: 4 });
    const opened: RawClient[] = [];
    try {
      const [writer, subscriber] = (await connectSpread(shoal.port, 2, 4)).map((c) => c.client);
      opened.push(writer, subscriber);
      await writer.callText('CONFIG', 'SET', 'notify-keyspace-events', 'E$l');
      await subscriber.write(respMany([['PSUBSCRIBE', '__keyevent@0__:*']]));
      await subscriber.readReply();
      const seed = seedsFromEnv(1)[0];
      const rng = new Rng(seed);
      for (let round = 0; round < 30; round++) {
        const cmds: string[][] = [];
        const expected: string[] = [];
        for (let i = 0; i < 8; i++) {
          // Distinct keys: an RPUSH after a SET of the same key would fail (WRONGTYPE) and publish nothing.
          const key = `t${round}:${i}:${rng.int(1000)}`;
          if (rng.int(2) === 0) {
            cmds.push(['SET', key, 'v']);
            expected.push(`set ${key}`);
          } else {
            cmds.push(['RPUSH', key, 'v']);
            expected.push(`rpush ${key}`);
          }
        }
        // A failed command in the middle publishes nothing, as in Redis.
        cmds.splice(4, 0, ['INCR', cmds[0][1] === 'SET' ? 'not-a-number' : 'x']);
        await writer.call('SET', 'not-a-number', 'abc');
        await subscriber.readReply();
        await writer.write(respMany([['MULTI'], ...cmds, ['EXEC']]));
        await writer.readReplies(cmds.length + 2);
        const got: string[] = [];
        for (let i = 0; i < expected.length + (cmds[4][1] === 'x' ? 1 : 0); i++) {
          const parts = (await subscriber.readReply()).toString('latin1').split('\r\n');
          got.push(`${parts[6].slice('__keyevent@0__:'.length)} ${parts[8]}`);
        }
        if (cmds[4][1] === 'x') expected.splice(4, 0, 'incrby x');
        expect({ seed, round, got }).toEqual({ seed, round, got: expected });
      }
    } finally {
      for (const c of opened) c.destroy();
      await shoal.stop();
    }
  }, 60_000);
});
