/**
 * Only changes reach the AOF, as in Redis: a write command that changed
 * nothing (SADD of a member already there, SREM/HDEL/ZREM/LREM of what is
 * not there, pops and GETDEL of a missing key, PERSIST of a key without a
 * TTL, SMOVE of nothing, DEL of a missing key, ZINCRBY by 0, ZADD NX of a
 * member already there, LTRIM that keeps everything, LMOVE from a missing
 * list, RENAME of a key to itself, SETRANGE of nothing, a STORE whose empty
 * result meets no destination) is not propagated, because its dirty counter
 * did not move. The same commands run on redis-server and on Shoal (4 threads,
 * keys on every shard); their incr files must hold the same commands.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { incrCommandLines } from '../helpers/aof-commands.js';
import { type RawClient, type ServerHandle, rawClient, sleep, startRedis, startShoal } from '../helpers/servers.js';
import { scratch } from '../helpers/scratch.js';
import { oneKeyPerShard } from '../helpers/shards.js';

const { root } = scratch('shoal-aof-changes-');
const servers: ServerHandle[] = [];
const clients: RawClient[] = [];
afterAll(async () => {
  for (const c of clients) c.destroy();
  await Promise.all(servers.map((s) => s.stop()));
});

/** The same sequence on a key of each shard: changes and no-ops of each kind, in turn. */
function corpus(k: string): string[][] {
  const [s, h, l, z, str, none] = ['s', 'h', 'l', 'z', 'str', 'none'].map((t) => `{${k}}${t}`);
  return [
    ['SADD', s, 'a', 'b'], ['SADD', s, 'a'], ['SREM', s, 'zz'], ['SREM', none, 'a'],
    ['HSET', h, 'f', 'v'], ['HDEL', h, 'zz'], ['HDEL', none, 'f'],
    ['RPUSH', l, 'a', 'b'], ['LREM', l, '0', 'zz'], ['LREM', none, '0', 'a'], ['LPOP', none], ['RPOP', none, '2'],
    ['ZADD', z, '1', 'a'], ['ZADD', z, 'NX', '5', 'a'], ['ZREM', z, 'zz'], ['ZREM', none, 'a'], ['ZINCRBY', z, '0', 'a'], ['ZINCRBY', z, '2', 'a'],
    ['SET', str, 'v'], ['PERSIST', str], ['PERSIST', none], ['PEXPIREAT', str, '4102444800000'], ['PERSIST', str],
    ['SMOVE', s, `{${k}}s2`, 'zz'], ['SMOVE', none, `{${k}}s2`, 'a'], ['SMOVE', s, s, 'a'], ['SMOVE', s, `{${k}}s2`, 'a'],
    ['SPOP', none], ['GETDEL', none], ['DEL', none], ['UNLINK', none],
    ['LTRIM', l, '0', '-1'], ['LTRIM', none, '0', '1'], ['LMOVE', none, l, 'LEFT', 'RIGHT'], ['RPOPLPUSH', none, l], ['LSET', l, '0', 'x'],
    ['RENAME', str, str], ['RENAMENX', str, str], ['SETRANGE', str, '0', ''], ['SETRANGE', none, '0', ''], ['APPEND', str, ''],
    ['SINTERSTORE', `{${k}}dst`, none, s], ['SUNIONSTORE', `{${k}}dst`, none], ['ZUNIONSTORE', `{${k}}dst`, '1', none], ['SDIFFSTORE', `{${k}}dst`, none, s],
    ['ZRANGESTORE', `{${k}}dst`, none, '0', '-1'], ['SORT', none, 'STORE', `{${k}}dst`], ['GEOSEARCHSTORE', `{${k}}dst`, none, 'FROMLONLAT', '0', '0', 'BYRADIUS', '1', 'km'],
    ['SUNIONSTORE', `{${k}}dst`, s], ['SINTERSTORE', `{${k}}dst`, none], ['ZUNIONSTORE', `{${k}}dst`, '1', none], ['SORT', none, 'STORE', `{${k}}dst`],
    ['SREM', s, 'b'], ['HDEL', h, 'f'], ['LREM', l, '1', 'a'], ['ZREM', z, 'a'], ['GETDEL', str], ['DEL', l],
  ];
}

describe('the AOF records changes only, as redis-server does', () => {
  it('leaves out writes that changed nothing, on keys of every shard', async () => {
    const rdir = fs.mkdtempSync(path.join(root, 'r-'));
    const sdir = fs.mkdtempSync(path.join(root, 's-'));
    const args = ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
    const r = await startRedis({ args: ['--dir', rdir, ...args] });
    const s = await startShoal({ threads: 4, args: ['--dir', sdir, ...args] });
    servers.push(r, s);
    const [rc, sc] = await Promise.all([rawClient(r.port), rawClient(s.port)]);
    clients.push(rc, sc);
    for (const k of oneKeyPerShard('c', 4)) {
      for (const cmd of corpus(k)) {
        const want = await rc.callText(...cmd);
        expect(await sc.callText(...cmd), cmd.join(' ')).toBe(want);
      }
    }
    // appendfsync always: written by the reply; a moment for the files to be closed.
    await sleep(200);
    const theirs = incrCommandLines(rdir);
    expect(theirs.filter((l) => l.startsWith('SADD')).length).toBe(4);
    expect(incrCommandLines(sdir)).toEqual(theirs);
  }, 60_000);
});
