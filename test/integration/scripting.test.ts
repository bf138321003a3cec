/**
 * Scripting against redis-server 7.0 (Shoal on 4 threads):
 *  - a corpus of scripts (conversions both ways, errors and their texts,
 *    cjson/cmsgpack/struct/bit, the sandbox's refusals, redis.call on every
 *    data type), in RESP2 and RESP3, replies compared byte for byte;
 *  - random scripts of redis.call/pcall sequences over keys of one shard;
 *  - SCRIPT LOAD/EXISTS/FLUSH, and EVALSHA from clients on every thread;
 *  - atomicity: script transfers against MULTI/EXEC transfers from every
 *    thread keep the total;
 *  - a script's writes replayed from the AOF give the same dataset.
 * Random scripts print their seed on failure (SEED=<n> replays one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { type RawClient, rawClient, resp, respMany, startRedis, startShoal, type ServerHandle } from '../helpers/servers.js';
import { spreadConnector } from '../helpers/threads.js';
import { shardOf } from '../helpers/shards.js';

const FILE = 'test/integration/scripting.test.ts';

/** Keys of one shard (one hash tag), so that every script here runs where its keys are. */
const K = (name: string): string => `{s}${name}`;

const ev = (body: string, keys: string[] = [], argv: (string | number)[] = []): DiffCommand => ({ args: ['EVAL', body, keys.length, ...keys, ...argv] });

const CORPUS: DiffCommand[] = [
  { args: ['FLUSHALL'] },
  // Conversions Lua → RESP.
  ev('return 7/2'),
  ev('return 3.99'),
  ev('return -3.99'),
  ev("return '10' + 5"),
  ev('return #{1,2,nil,4}'),
  ev("return {1,2,3.7,'x',nil,9}"),
  ev('return {1,{2,{3,{4}}},"deep"}'),
  ev('return true'),
  ev('return false'),
  ev('return nil'),
  ev('return loadstring'),
  ev("return {err='bad thing'}"),
  ev("return {ok='fine'}"),
  ev("return redis.error_reply('MY err')"),
  ev("return redis.status_reply('FINE')"),
  ev('return 2^53'),
  ev('return -2^63'),
  ev("return 'bin\\0ary'"),
  ev('return {KEYS[1], ARGV[1], ARGV[2], #KEYS, #ARGV}', [K('k')], ['a', 'b']),
  // Lua errors and the sandbox.
  ev("error('boom')"),
  ev('return x'),
  ev('x = 5'),
  ev('local t = {} t.x = 1 return t.x'),
  ev("return redis.call('NOSUCH')"),
  ev("return redis.call('CONFIG','GET','port')"),
  ev("return redis.call('GET')"),
  ev("return redis.call()"),
  ev("return redis.pcall('NOSUCH')"),
  ev("return redis.call('EVAL', 'return 1', 0)"),
  ev("return redis.call('BLPOP', 'x', 0)"),
  ev('return string.rep("x", 3)'),
  ev('return tostring(os.time ~= nil)'),
  ev('return type(loadstring)'),
  ev('return pcall(function() return setmetatable({}, {}) end)'),
  // Libraries.
  ev("return cjson.encode({a=1,b={1,2,'x'}})"),
  ev("return cjson.decode('[1,2,3,{\"a\":true}]')[4].a"),
  ev("return cmsgpack.unpack(cmsgpack.pack({1,2,'three'}))"),
  ev("return struct.unpack('>I2', struct.pack('>I2', 258))"),
  ev('return bit.band(7, 3) + bit.bor(8, 1) + bit.bxor(5, 1)'),
  ev("return redis.sha1hex('abc')"),
  ev("return redis.REDIS_VERSION ~= nil"),
  // redis.call on every type, and its replies as Lua sees them.
  ev("redis.call('SET', KEYS[1], 'v') return redis.call('GET', KEYS[1])", [K('str')]),
  ev("return redis.call('INCRBY', KEYS[1], 5)", [K('n')]),
  ev("return redis.call('INCRBYFLOAT', KEYS[1], '1.5')", [K('f')]),
  ev("return redis.call('GET', KEYS[1])", [K('missing')]),
  ev("return type(redis.call('GET', KEYS[1]))", [K('missing')]),
  ev("return redis.call('INCR', KEYS[1])", [K('str')]),
  ev("return redis.pcall('INCR', KEYS[1])", [K('str')]),
  ev("local r = redis.pcall('INCR', KEYS[1]) return r.err", [K('str')]),
  ev("redis.call('RPUSH', KEYS[1], 'a', 'b', 'c') return redis.call('LRANGE', KEYS[1], 0, -1)", [K('list')]),
  ev("return redis.call('LPOP', KEYS[1], 5)", [K('list')]),
  ev("redis.call('HSET', KEYS[1], 'f1', 'v1', 'f2', 'v2') return redis.call('HGETALL', KEYS[1])", [K('hash')]),
  ev("redis.call('SADD', KEYS[1], 3, 1, 2) return redis.call('SMEMBERS', KEYS[1])", [K('set')]),
  ev("redis.call('ZADD', KEYS[1], 1.5, 'a', 2, 'b') return redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')", [K('zset')]),
  ev("return redis.call('ZSCORE', KEYS[1], 'a')", [K('zset')]),
  ev("return redis.call('HGET', KEYS[1], 'f1')", [K('str')]),
  ev("return redis.call('SET', KEYS[1], 'x')", [K('str')]),
  ev("return redis.call('SET', KEYS[1], 'x', 'NX')", [K('str')]),
  ev("return redis.call('PING')"),
  ev("return redis.call('PING', 'hi')"),
  ev("return redis.call('ECHO', 'e')"),
  ev("redis.call('SELECT', 3) redis.call('SET', KEYS[1], 'in3') return redis.call('GET', KEYS[1])", [K('db')]),
  { args: ['GET', K('db')] },
  { args: ['SELECT', '3'] },
  { args: ['GET', K('db')] },
  { args: ['SELECT', '0'] },
  ev("return redis.call('EXPIRE', KEYS[1], 100)", [K('str')]),
  ev("return redis.call('TTL', KEYS[1])", [K('str')]),
  ev("return redis.call('DEL', KEYS[1], KEYS[2])", [K('str'), K('n')]),
  ev("return redis.call('EXISTS', KEYS[1])", [K('str')]),
  // Read-only forms.
  { args: ['EVAL_RO', "return redis.call('GET', KEYS[1])", '1', K('f')] },
  { args: ['EVAL_RO', "return redis.call('SET', KEYS[1], 'x')", '1', K('f')] },
  { args: ['EVAL_RO', "return redis.pcall('DEL', KEYS[1])", '1', K('f')] },
  // Arguments and the script cache.
  { args: ['EVAL', 'return 1', '-1'] },
  { args: ['EVAL', 'return 1', 'abc'] },
  { args: ['EVAL', 'return 1', '2', 'a'] },
  { args: ['EVAL', 'return 1'] },
  { args: ['EVALSHA', 'ffffffffffffffffffffffffffffffffffffffff', '0'] },
  { args: ['EVALSHA', 'short', '0'] },
  { args: ['SCRIPT', 'LOAD', "return 'loaded'"] },
  { args: ['EVALSHA', '9e5a0add1c58e5d9c6b1a15e3f5e4fc0fe6d6b2e', '0'] },
  { args: ['SCRIPT', 'EXISTS', 'ffffffffffffffffffffffffffffffffffffffff'] },
  { args: ['SCRIPT', 'FLUSH', 'BOGUS'] },
  { args: ['SCRIPT', 'KILL'] },
  { args: ['SCRIPT', 'NOSUCH'] },
  // Shoal's help leaves out SCRIPT DEBUG, which it does not have.
  { args: ['SCRIPT', 'HELP'], compare: bothNonError },
  { args: ['SCRIPT', 'FLUSH'] },
  { args: ['SCRIPT', 'EXISTS', 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db'] },
  // redis.setresp: the script's calls reply in RESP3 (maps, sets, doubles, nulls as Lua sees them).
  ev("redis.call('HSET', KEYS[1], 'a', '1') redis.setresp(3) local t = redis.call('HGETALL', KEYS[1]) return {type(t.map), t.map and t.map.a}", [K('h3')]),
  ev("redis.setresp(3) return redis.call('HGETALL', KEYS[1])", [K('h3')]),
  // (A null reply after setresp(3) reads as false here, where Redis gives nil: the engine maps every null to false.)
  ev("redis.call('ZADD', KEYS[1], 1.5, 'm') redis.setresp(3) return redis.call('ZSCORE', KEYS[1], 'm')", [K('z3')]),
  ev("redis.setresp(3) redis.setresp(2) return redis.call('HGETALL', KEYS[1])", [K('h3')]),
  ev('redis.setresp(4)'),
  ev("redis.setresp('x')"),
  // Shebangs (Redis 7): flags, errors, line numbers.
  ev('#!lua flags=no-writes\nreturn redis.call("set",KEYS[1],"1")', [K('x')]),
  ev('#!lua flags=no-writes\nreturn redis.call("get",KEYS[1])', [K('x')]),
  ev('#!lua\nreturn 1'),
  ev('#!lua flags=bogus\nreturn 1'),
  ev('#!python\nreturn 1'),
  ev('#!lua flags=no-writes,allow-oom\nreturn x'),
  ev('#!lua name=foo\nreturn 1'),
  ev('#!lua flags=no-writes\nerror("e")'),
  { args: ['EVAL_RO', '#!lua\nreturn redis.call("set",KEYS[1],"1")', '1', K('x')] },
  { args: ['EVAL_RO', '#!lua flags=no-writes\nreturn redis.call("get",KEYS[1])', '1', K('x')] },
  ev("redis.log(redis.LOG_WARNING, 'from a script') return 1"),
  // Inside MULTI/EXEC.
  { args: ['MULTI'] },
  ev("return redis.call('INCR', KEYS[1])", [K('m')]),
  ev("return redis.call('INCR', KEYS[1])", [K('m')]),
  { args: ['EXEC'] },
];

const lib = (name: string, body: string): string => `#!lua name=${name}\n${body}`;

/** FUNCTION and FCALL: libraries, their errors, calls and their errors. */
const FUNCTIONS: DiffCommand[] = [
  { args: ['FUNCTION', 'FLUSH'] },
  { args: ['FUNCTION', 'LOAD', lib('mylib', "redis.register_function('hello', function(keys, args) return redis.call('GET', keys[1]) end)")] },
  { args: ['FUNCTION', 'LOAD', lib('mylib', "redis.register_function('x', function() return 1 end)")] },
  { args: ['FUNCTION', 'LOAD', 'return 1'] },
  { args: ['FUNCTION', 'LOAD', lib('empty', 'local a = 1')] },
  { args: ['FUNCTION', 'LOAD', lib('bad-name', "redis.register_function('x', function() return 1 end)")] },
  { args: ['FUNCTION', 'LOAD', '#!lua name=lib2 foo=bar\nredis.register_function(\'y\', function() return 1 end)'] },
  { args: ['FUNCTION', 'LOAD', lib('lib3', "redis.register_function('hello', function() return 1 end)")] },
  { args: ['FUNCTION', 'LOAD', lib('lib4', "redis.call('set','x','1')")] },
  { args: ['FUNCTION', 'LOAD', 'BOGUS', lib('lib5', "redis.register_function('f5', function() return 1 end)")] },
  { args: ['FUNCTION', 'LOAD', lib('ro', "redis.register_function{function_name='ro', callback=function(keys, args) return #keys + #args end, flags={'no-writes'}, description='counts'}")] },
  { args: ['FUNCTION', 'LOAD', lib('w', "redis.register_function('w', function(keys, args) redis.call('SET', keys[1], args[1]) return redis.call('GET', keys[1]) end)\nredis.register_function('boom', function(keys, args) error('bad') end)\nredis.register_function('callbad', function(keys, args) return redis.call('INCR', keys[1]) end)")] },
  { args: ['FCALL', 'hello', '1', K('fk')] },
  { args: ['FCALL', 'w', '1', K('fk'), 'value'] },
  { args: ['FCALL', 'hello', '1', K('fk')] },
  { args: ['FCALL', 'ro', '2', K('a'), K('b'), 'x'] },
  { args: ['FCALL_RO', 'ro', '1', K('a')] },
  { args: ['FCALL_RO', 'w', '1', K('fk'), 'v'] },
  { args: ['FCALL', 'nope', '0'] },
  { args: ['FCALL', 'boom', '0'] },
  { args: ['FCALL', 'callbad', '1', K('fk')] },
  { args: ['FCALL', 'hello', '-1'] },
  { args: ['FCALL', 'hello', '3', K('a')] },
  { args: ['FUNCTION', 'STATS'] },
  { args: ['FUNCTION', 'LIST', 'LIBRARYNAME', 'ro'] },
  { args: ['FUNCTION', 'LIST', 'LIBRARYNAME', 'ro', 'WITHCODE'] },
  { args: ['FUNCTION', 'LIST'], compare: bothNonError },
  { args: ['FUNCTION', 'LIST', 'bogus'] },
  { args: ['FUNCTION', 'LIST', 'LIBRARYNAME'] },
  { args: ['FUNCTION', 'DUMP'], compare: bothNonError },
  { args: ['FUNCTION', 'RESTORE', 'garbage'] },
  { args: ['FUNCTION', 'RESTORE', 'garbage', 'BOGUS'] },
  { args: ['FUNCTION', 'DELETE', 'nope'] },
  { args: ['FUNCTION', 'DELETE', 'mylib'] },
  { args: ['FCALL', 'hello', '1', K('fk')] },
  { args: ['FUNCTION', 'KILL'] },
  { args: ['FUNCTION', 'FLUSH', 'BOGUS'] },
  { args: ['FUNCTION', 'FLUSH', 'ASYNC'] },
  { args: ['FUNCTION', 'STATS'] },
  { args: ['FCALL', 'ro', '0'] },
];

/** A random script: a sequence of redis.call/pcall over keys of one shard, returning every reply. */
function randomScript(rng: Rng): DiffCommand {
  const keys = [K('a'), K('b'), K('c')];
  const ops = [
    "redis.call('SET', KEYS[%k], ARGV[%a])",
    "redis.pcall('INCR', KEYS[%k])",
    "redis.pcall('APPEND', KEYS[%k], ARGV[%a])",
    "redis.call('GET', KEYS[%k])",
    "redis.pcall('RPUSH', KEYS[%k], ARGV[%a])",
    "redis.pcall('LRANGE', KEYS[%k], 0, -1)",
    "redis.pcall('HSET', KEYS[%k], 'f', ARGV[%a])",
    "redis.pcall('HGETALL', KEYS[%k])",
    "redis.pcall('SADD', KEYS[%k], ARGV[%a])",
    "redis.pcall('SCARD', KEYS[%k])",
    "redis.pcall('ZINCRBY', KEYS[%k], 1.5, ARGV[%a])",
    "redis.pcall('ZRANGE', KEYS[%k], 0, -1, 'WITHSCORES')",
    "redis.call('DEL', KEYS[%k])",
    "redis.call('EXISTS', KEYS[1], KEYS[2], KEYS[3])",
    "redis.pcall('TYPE', KEYS[%k])",
  ];
  const lines = ['local r = {}'];
  for (let i = 0, n = 1 + rng.int(8); i < n; i++) {
    const op = ops[rng.int(ops.length)].replace('%k', String(1 + rng.int(3))).replace('%a', String(1 + rng.int(3)));
    lines.push(`r[#r+1] = ${op}`);
  }
  lines.push(rng.chance(0.1) ? "error('stop')" : 'return r');
  const argv = [String(rng.int(100)), rng.string(3), String(rng.int(10) - 5)];
  return { args: ['EVAL', lines.join('\n'), '3', ...keys, ...argv] };
}

describe('scripts against redis-server 7.0', () => {
  const suite = useDifferentialServers('scripting', FILE);

  it('the corpus gives the same replies in RESP2 and RESP3', async () => {
    for (const proto of [2, 3]) {
      const [ref, tgt] = await suite.connectPair();
      const hello: DiffCommand[] = proto === 3 ? [{ args: ['HELLO', '3'], compare: () => true }] : [];
      await suite.run(ref, tgt, [...hello, ...CORPUS], `corpus RESP${proto}`, 0);
    }
  });

  it('FUNCTION and FCALL give the same replies in RESP2 and RESP3', async () => {
    for (const proto of [2, 3]) {
      const [ref, tgt] = await suite.connectPair();
      const hello: DiffCommand[] = proto === 3 ? [{ args: ['HELLO', '3'], compare: () => true }] : [];
      await suite.run(ref, tgt, [...hello, ...FUNCTIONS], `functions RESP${proto}`, 0);
    }
  });

  it('random scripts give the same replies', async () => {
    for (const seed of seedsFromEnv(3)) {
      const rng = new Rng(seed);
      const [ref, tgt] = await suite.connectPair();
      const commands: DiffCommand[] = [{ args: ['DEL', K('a'), K('b'), K('c')] }];
      for (let i = 0; i < 150; i++) commands.push(randomScript(rng));
      commands.push({ args: ['MGET', K('a'), K('b'), K('c')], compare: () => true });
      await suite.run(ref, tgt, commands, 'random scripts', seed);
    }
  });
});

describe('scripts on Shoal across threads', () => {
  let shoal: ServerHandle;
  const opened: RawClient[] = [];

  async function onEveryThread(): Promise<RawClient[]> {
    const connect = spreadConnector(4);
    const cs: RawClient[] = [];
    for (let t = 0; t < 4; t++) cs.push(await connect(shoal.port));
    opened.push(...cs);
    return cs;
  }

  it('SCRIPT LOAD and a first EVAL make the script known to EVALSHA on every thread; SCRIPT FLUSH forgets it everywhere', async () => {
    shoal = await startShoal({ threads: 4 });
    try {
      const cs = await onEveryThread();
      const sha = (await cs[0].callText('SCRIPT', 'LOAD', 'return ARGV[1]')).split('\r\n')[1];
      for (let i = 0; i < 40; i++) {
        const key = `k${i}`; // keys on every shard: each EVALSHA runs on its key's thread
        expect(await cs[i % 4].callText('EVALSHA', sha, '1', key, `v${i}`)).toBe(`$${`v${i}`.length}\r\nv${i}\r\n`);
      }
      await cs[1].callText('EVAL', 'return 42', '0');
      for (const c of cs) expect(await c.callText('EVALSHA', '1fa00e76656cc152ad327c13fe365858fd7be306', '0')).toBe(':42\r\n');
      // INFO counts them on any thread (every thread holds every script).
      expect(await cs[3].callText('INFO', 'memory')).toMatch(/number_of_cached_scripts:2\r\n/);
      expect(await cs[2].callText('SCRIPT', 'FLUSH')).toBe('+OK\r\n');
      expect(await cs[2].callText('INFO', 'memory')).toMatch(/number_of_cached_scripts:0\r\n/);
      for (const c of cs) expect(await c.callText('EVALSHA', sha, '0')).toMatch(/^-NOSCRIPT/);
      // A script whose keys live on different shards holds every shard and reaches each key's shard.
      const keys = Array.from({ length: 16 }, (_, i) => `x${i}`);
      const sum = "local t = 0 for i, k in ipairs(KEYS) do t = t + redis.call('INCRBY', k, i) end redis.call('SET', 'undeclared', t) return t";
      expect(await cs[0].callText('EVAL', sum, String(keys.length), ...keys)).toBe(':136\r\n');
      expect(await cs[1].callText('GET', 'undeclared')).toBe('$3\r\n136\r\n');
      expect(await cs[2].callText('GET', 'x15')).toBe('$2\r\n16\r\n');
      // A command whose own keys span shards splits as a client's would (DEL, MGET, MSET, EXISTS …).
      const split = "redis.call('MSET', KEYS[1], 'a', KEYS[2], 'b', KEYS[3], 'c') return {redis.call('MGET', KEYS[1], KEYS[2], KEYS[3], 'none'), redis.call('EXISTS', KEYS[1], KEYS[2], 'none'), redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], 'none')}";
      expect(await cs[3].callText('EVAL', split, '3', 'p1', 'p2', 'p3')).toBe('*3\r\n*4\r\n$1\r\na\r\n$1\r\nb\r\n$1\r\nc\r\n$-1\r\n:2\r\n:3\r\n');
      // Commands that move a value between two shards run as steps on each (every shard is held): RENAME, RPOPLPUSH, LMOVE, SMOVE.
      expect(shardOf('x0')).not.toBe(shardOf('x1'));
      expect(await cs[0].callText('EVAL', "return redis.call('RENAME', KEYS[1], KEYS[2])", '2', 'x0', 'x1')).toBe('+OK\r\n');
      expect(await cs[1].callText('MGET', 'x0', 'x1')).toBe('*2\r\n$-1\r\n$1\r\n1\r\n');
      const lists = "redis.call('RPUSH', KEYS[1], 'a', 'b', 'c') return {redis.call('RPOPLPUSH', KEYS[1], KEYS[2]), redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT'), redis.call('LRANGE', KEYS[2], 0, -1), redis.pcall('SMOVE', KEYS[1], KEYS[2], 'b')}";
      // A script may touch keys it did not declare, on any shard, as in Redis: not yet known to keep to its
      // declared keys, it runs holding every shard (scripting/key-use.ts).
      const b = Array.from({ length: 20 }, (_, i) => `u${i}`).find((k) => shardOf(k) !== shardOf('u0'))!;
      const touch = "redis.call('SET', KEYS[1], 'declared') return redis.call('SET', ARGV[1], 'undeclared')";
      for (let i = 0; i < 3; i++) expect(await cs[i].callText('EVAL', touch, '1', 'u0', b)).toBe('+OK\r\n');
      expect(await cs[3].callText('MGET', 'u0', b)).toBe('*2\r\n$8\r\ndeclared\r\n$10\r\nundeclared\r\n');
      const l1 = 'list0';
      const l2 = Array.from({ length: 20 }, (_, i) => `list${i}`).find((k) => shardOf(k) !== shardOf(l1))!;
      expect(await cs[2].callText('EVAL', lists, '2', l1, l2)).toBe('*4\r\n$1\r\nc\r\n$1\r\na\r\n*2\r\n$1\r\nc\r\n$1\r\na\r\n-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');
    } finally {
      for (const c of opened.splice(0)) c.destroy();
      await shoal.stop();
    }
  }, 60_000);

  it('script transfers between accounts of different shards and MULTI/EXEC transfers from every thread keep the total', async () => {
    shoal = await startShoal({ threads: 4 });
    try {
      const cs = await onEveryThread();
      const ACCOUNTS = 10;
      for (let a = 0; a < ACCOUNTS; a++) await cs[0].callText('SET', `bank:${a}`, '100');
      const move = "local n = tonumber(redis.call('GET', KEYS[1])) if n < tonumber(ARGV[1]) then return 0 end redis.call('DECRBY', KEYS[1], ARGV[1]) redis.call('INCRBY', KEYS[2], ARGV[1]) return 1";
      const sha = (await cs[0].callText('SCRIPT', 'LOAD', move)).split('\r\n')[1];
      const sum = "local t = 0 for i, k in ipairs(KEYS) do t = t + tonumber(redis.call('GET', k)) end return t";
      const all = Array.from({ length: ACCOUNTS }, (_, a) => `bank:${a}`);
      const rng = new Rng(seedsFromEnv(1)[0]);
      let bad = 0;
      await Promise.all(
        cs.map(async (c, w) => {
          for (let i = 0; i < 300; i++) {
            const a = `bank:${rng.int(ACCOUNTS)}`;
            const b = `bank:${rng.int(ACCOUNTS)}`;
            if (w % 2 === 0) await c.callText('EVALSHA', sha, '2', a, b, String(1 + rng.int(5)));
            else {
              await c.callText('MULTI');
              await c.callText('DECRBY', a, '2');
              await c.callText('INCRBY', b, '2');
              await c.callText('EXEC');
            }
            if (i % 10 === 0 && (await c.callText('EVAL', sum, String(ACCOUNTS), ...all)) !== `:${ACCOUNTS * 100}\r\n`) bad++;
          }
        }),
      );
      expect(bad).toBe(0);
      expect(await cs[3].callText('EVAL', sum, String(ACCOUNTS), ...all)).toBe(`:${ACCOUNTS * 100}\r\n`);
    } finally {
      for (const c of opened.splice(0)) c.destroy();
      await shoal.stop();
    }
  }, 60_000);

  it('short scripts from every thread on keys of every shard never answer BUSY', async () => {
    // Regression: a thread read another's running-script start twice; a script ending between the reads looked 0 ms old… from 1970.
    shoal = await startShoal({ threads: 4 });
    try {
      const cs = await onEveryThread();
      const sha = (await cs[0].callText('SCRIPT', 'LOAD', "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return n")).split('\r\n')[1];
      const PER_CLIENT = 4000;
      const DEPTH = 16;
      const replies = await Promise.all(
        cs.map(async (c, w) => {
          const seen: string[] = [];
          for (let i = 0; i < PER_CLIENT; i += DEPTH) {
            await c.write(respMany(Array.from({ length: DEPTH }, (_, j) => ['EVALSHA', sha, '1', `n:${(w * 7919 + i + j) % 512}`])));
            for (const r of await c.readReplies(DEPTH)) seen.push(r.toString('latin1'));
          }
          return seen;
        }),
      );
      const all = replies.flat();
      expect(all.filter((r) => !r.startsWith(':'))).toEqual([]);
      expect(all).toHaveLength(4 * PER_CLIENT);
    } finally {
      for (const c of opened.splice(0)) c.destroy();
      await shoal.stop();
    }
  }, 60_000);

  it("a script's writes reach the AOF as the commands it ran, one MULTI/EXEC, and replay to the same data", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-script-aof-'));
    try {
      shoal = await startShoal({ threads: 4, args: ['--dir', dir, '--save', '', '--appendonly', 'yes'] });
      const [c] = await onEveryThread();
      await c.callText('EVAL', "redis.call('SET', KEYS[1], 'a') redis.call('INCR', KEYS[2]) redis.call('EXPIRE', KEYS[1], 100) return redis.call('SPOP', KEYS[3])", '3', '{t}1', '{t}2', '{t}3');
      // Keys of several shards, and one it did not declare.
      await c.callText('EVAL', "for i, k in ipairs(KEYS) do redis.call('RPUSH', k, i) end redis.call('SET', 'free', 'x') return 1", '4', 'l1', 'l2', 'l3', 'l4');
      await c.callText('EVAL', "redis.call('SADD', KEYS[1], 'x', 'y') return redis.call('SPOP', KEYS[1])", '1', '{t}3');
      const digest = await c.callText('DEBUG', 'DIGEST');
      for (const x of opened.splice(0)) x.destroy();
      await shoal.stop();
      const text = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
      expect(text).toContain('MULTI');
      expect(text).toContain('PEXPIREAT');
      expect(text).not.toContain('EVAL');
      shoal = await startShoal({ threads: 4, args: ['--dir', dir, '--save', '', '--appendonly', 'yes'] });
      const again = await rawClient(shoal.port);
      opened.push(again);
      expect(await again.callText('DEBUG', 'DIGEST')).toBe(digest);
    } finally {
      for (const c of opened.splice(0)) c.destroy();
      await shoal.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('function libraries survive restarts', () => {
  const LIB = "#!lua name=keep\nredis.register_function('bump', function(keys, args) return redis.call('INCRBY', keys[1], args[1]) end)";

  async function withServer<T>(start: () => Promise<ServerHandle>, body: (c: RawClient) => Promise<T>): Promise<T> {
    const s = await start();
    const c = await rawClient(s.port);
    try {
      return await body(c);
    } finally {
      c.destroy();
      await s.stop();
    }
  }

  it('FUNCTION DUMP payloads restore in the other server, with FLUSH, APPEND and REPLACE as Redis applies them', async () => {
    const redis = await startRedis();
    const shoal = await startShoal({ threads: 4 });
    const [r, s] = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
    try {
      for (const [from, to] of [
        [r, s],
        [s, r],
      ]) {
        for (const c of [from, to]) expect(await c.callText('FUNCTION', 'FLUSH')).toBe('+OK\r\n');
        expect(await from.callText('FUNCTION', 'LOAD', LIB)).toBe('$4\r\nkeep\r\n');
        const payload = (await from.call('FUNCTION', 'DUMP')) as Buffer;
        const body = payload.subarray(payload.indexOf(10) + 1, payload.length - 2);
        expect(await to.callText('FUNCTION', 'RESTORE', body)).toBe('+OK\r\n');
        expect(await to.callText('FCALL', 'bump', '1', 'n', '2')).toMatch(/^:\d+\r\n$/);
        // APPEND (the default) refuses a library that is there, and changes nothing; REPLACE and FLUSH take it.
        const again = await to.callText('FUNCTION', 'RESTORE', body);
        expect(again).toBe(await from.callText('FUNCTION', 'RESTORE', body));
        expect(await to.callText('FUNCTION', 'RESTORE', body, 'REPLACE')).toBe('+OK\r\n');
        expect(await to.callText('FUNCTION', 'RESTORE', body, 'FLUSH')).toBe('+OK\r\n');
        expect(await to.callText('FUNCTION', 'STATS')).toBe(await from.callText('FUNCTION', 'STATS'));
      }
    } finally {
      r.destroy();
      s.destroy();
      await Promise.all([redis.stop(), shoal.stop()]);
    }
  }, 60_000);

  it("in the RDB (Shoal's dump loads in redis-server and the other way round) and in the AOF (both ways)", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-functions-'));
    try {
      for (const aof of [false, true]) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir);
        const args = ['--dir', dir, '--save', '', ...(aof ? ['--appendonly', 'yes'] : [])];
        const shoal = () => startShoal({ threads: 4, args });
        const redis = () => startRedis({ args });
        await withServer(shoal, async (c) => {
          expect(await c.callText('FUNCTION', 'LOAD', LIB)).toBe('$4\r\nkeep\r\n');
          expect(await c.callText('FCALL', 'bump', '1', 'n', '5')).toBe(':5\r\n');
          if (!aof) expect(await c.callText('SAVE')).toBe('+OK\r\n');
        });
        await withServer(redis, async (c) => {
          expect(await c.callText('FCALL', 'bump', '1', 'n', '1')).toBe(':6\r\n');
          expect(await c.callText('FUNCTION', 'LOAD', "#!lua name=fromredis\nredis.register_function('r42', function() return 42 end)")).toBe('$9\r\nfromredis\r\n');
          if (!aof) expect(await c.callText('SAVE')).toBe('+OK\r\n');
        });
        await withServer(shoal, async (c) => {
          expect(await c.callText('FCALL', 'bump', '1', 'n', '1')).toBe(':7\r\n');
          expect(await c.callText('FCALL', 'r42', '0')).toBe(':42\r\n');
        });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('long scripts', () => {
  it('run as long as they need; past busy-reply-threshold their shard answers BUSY; SCRIPT KILL stops one that has not written; SHUTDOWN NOSAVE works while one runs', async () => {
    const shoal = await startShoal({ threads: 4, args: ['--busy-reply-threshold', '200'] });
    const connect = spreadConnector(4);
    const cs: RawClient[] = [];
    for (let t = 0; t < 4; t++) cs.push(await connect(shoal.port));
    try {
      // Tens of millions of Lua instructions: Redis never stops a script for its length.
      expect(await cs[0].callText('EVAL', 'local i = 0 while i < 30000000 do i = i + 1 end return i', '0')).toBe(':30000000\r\n');
      // A script that only reads, forever, on the shard of `k`: its first run (short) shows it keeps to its
      // declared key, so this one runs on k's thread alone. Clients there wait for it (their socket is not
      // read); clients of the other threads get BUSY for k's shard and are served elsewhere.
      const busy = shardOf('k');
      const others = cs.filter((_, t) => t !== busy);
      const reader = "local i = 0 while i < tonumber(ARGV[1]) do redis.call('GET', KEYS[1]) i = i + 1 end return i";
      expect(await cs[busy].callText('EVAL', reader, '1', 'k', '3')).toBe(':3\r\n');
      await cs[busy].write(resp('EVAL', reader, '1', 'k', '1e15'));
      const looping = cs[busy].readReply(30_000).then((b) => b.toString('latin1'));
      await new Promise((r) => setTimeout(r, 400));
      for (const c of others) expect(await c.callText('GET', 'k')).toBe('-BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.\r\n');
      // Other shards serve as usual.
      const elsewhere = Array.from({ length: 50 }, (_, i) => `e${i}`).find((key) => shardOf(key) !== busy)!;
      expect(await others[0].callText('SET', elsewhere, '1')).toBe('+OK\r\n');
      expect(await others[0].callText('SCRIPT', 'KILL')).toBe('+OK\r\n');
      expect(await looping).toMatch(/^-ERR Script killed by user with SCRIPT KILL\.\.\. script: [0-9a-f]{40}, on @user_script:1\.\r\n$/);
      expect(await others[1].callText('SCRIPT', 'KILL')).toBe('-NOTBUSY No scripts in execution right now.\r\n');
      // A script that touches a key it did not declare holds every shard: past the threshold every shard is busy.
      await cs[busy].write(resp('EVAL', "redis.call('GET', 'undeclared') while true do redis.call('GET', KEYS[1]) end", '1', 'k'));
      const wide = cs[busy].readReply(30_000).then((b) => b.toString('latin1'));
      await new Promise((r) => setTimeout(r, 400));
      expect(await others[0].callText('SET', elsewhere, '2')).toMatch(/^-BUSY /);
      expect(await others[1].callText('SCRIPT', 'KILL')).toBe('+OK\r\n');
      expect(await wide).toMatch(/^-ERR Script killed by user with SCRIPT KILL/);
      expect(await others[0].callText('GET', elsewhere)).toBe('$1\r\n1\r\n');
      // One that wrote cannot be killed; SHUTDOWN NOSAVE still stops the server.
      void cs[busy].callText('EVAL', "redis.call('SET', KEYS[1], 'x') while true do redis.call('GET', KEYS[1]) end", '1', 'k').catch(() => '');
      await new Promise((r) => setTimeout(r, 400));
      expect(await others[2].callText('FUNCTION', 'KILL')).toMatch(/^-UNKILLABLE Sorry the script already executed write commands/);
      await others[2].callText('SHUTDOWN', 'NOSAVE').catch(() => '');
      for (let i = 0; i < 200 && !shoal.exited; i++) await new Promise((r) => setTimeout(r, 50));
      expect(shoal.exited).toBe(true);
    } finally {
      for (const c of cs) c.destroy();
      await shoal.stop();
    }
  }, 60_000);
});
