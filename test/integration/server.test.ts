/**
 * Connection and server behaviour against a real redis-server (the same
 * commands to both, replies compared byte for byte where they are
 * deterministic), plus what only Shoal has: active expiry across 4 shards,
 * SCAN over every shard, the config file, and clean shutdown.
 */
import { connectSpread, spreadConnector } from '../helpers/threads.js';
import { shardOf, taggedKeysOnEveryShard } from '../helpers/shards.js';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Arg, type RawClient, type ServerHandle, freePort, rawClient, repoRoot, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';

const clients: RawClient[] = [];
/** Each new client on the next of Shoal's 4 threads (redis-server has one), so a scenario's clients sit on different threads. */
const spread = spreadConnector(4);
async function connect(port: number): Promise<RawClient> {
  const c = await spread(port);
  clients.push(c);
  return c;
}

afterAll(() => {
  for (const c of clients) c.destroy();
});

/** Sends each command to both servers on fresh connections and expects identical bytes. */
async function sameReplies(redisPort: number, shoalPort: number, commands: Arg[][]): Promise<void> {
  const [a, b] = await Promise.all([connect(redisPort), connect(shoalPort)]);
  for (const cmd of commands) {
    const [ra, rb] = await Promise.all([a.callText(...cmd), b.callText(...cmd)]);
    expect({ cmd: cmd.map(String), reply: rb }).toEqual({ cmd: cmd.map(String), reply: ra });
  }
}

describe('connection and server commands, redis-server vs Shoal', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis(), startShoal({ shards: 4 }));
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it('answers connection commands and their errors as Redis does', async () => {
    await sameReplies(redis.port, shoal.port, [
      ['PING'],
      ['PING', 'hello'],
      ['PING', 'a', 'b'],
      ['ECHO', 'x\r\ny'],
      ['ECHO'],
      ['SELECT', '15'],
      ['SELECT', '16'],
      ['SELECT', '-1'],
      ['SELECT', 'x'],
      ['SELECT', '2147483648'],
      ['HELLO', '4'],
      ['HELLO', 'x'],
      ['HELLO', '2', 'FOO'],
      ['HELLO', '2', 'AUTH', 'default'],
      ['AUTH', 'x'],
      ['AUTH', 'nobody', 'x'],
      ['CLIENT', 'SETNAME', 'has space'],
      ['CLIENT', 'SETNAME', 'ok-name'],
      ['CLIENT', 'GETNAME'],
      ['CLIENT', 'NO-EVICT', 'maybe'],
      ['CLIENT', 'NO-EVICT', 'on'],
      ['CLIENT', 'REPLY', 'sometimes'],
      ['CLIENT', 'KILL', '1.2.3.4:5'],
      ['CLIENT', 'KILL', 'ID', '0'],
      ['CLIENT', 'KILL', 'ID', '999999'],
      ['CLIENT', 'FOO'],
      ['CLIENT'],
      ['OBJECT', 'FOO'],
      ['CONFIG', 'SET', 'databases', '1'],
      ['CONFIG', 'SET', 'nonexistent-param', '1'],
      ['CONFIG', 'SET', 'maxclients', 'abc'],
      ['CONFIG', 'SET', 'maxclients'],
      ['CONFIG', 'GET', 'maxclients'],
      ['CONFIG', 'GET', 'nonexistent-*'],
      ['SWAPDB', '0', 'x'],
      ['SWAPDB', 'x', '0'],
      ['SWAPDB', '0', '99'],
      ['FLUSHALL', 'SOMETIMES'],
      ['FLUSHDB', 'ASYNC'],
      ['DBSIZE'],
      ['EXPIRE', 'k', '10', 'NX', 'XX'],
      ['EXPIRE', 'k', '10', 'GT', 'LT'],
      ['EXPIRE', 'k', '10', 'FOO'],
      ['COMMAND', 'GETKEYS', 'GET'],
      ['COMMAND', 'GETKEYS', 'MSET', 'a', '1', 'b', '2'],
      ['COMMAND', 'GETKEYS', 'NOPE', 'x'],
      ['COMMAND', 'INFO', 'get', 'set', 'nope'],
      ['OBJECT', 'ENCODING', 'missing'],
      ['RANDOMKEY'],
      ['QUIT'],
    ]);
  });

  it('handles offsets at the ends of the int64 range exactly (no rounding through doubles)', async () => {
    const MIN = '-9223372036854775808';
    const MAX = '9223372036854775807';
    const cmds: Arg[][] = [['SET', 'r64', '12345']];
    for (const [a, b] of [[MIN, MIN], ['-9223372036854775807', MIN], [MIN, '-9223372036854775807'], ['0', MAX], [MIN, MAX], [MAX, '-1'], ['1', MIN], ['-9007199254740993', '-9007199254740992']]) {
      cmds.push(['GETRANGE', 'r64', a, b], ['SUBSTR', 'r64', a, b]);
    }
    cmds.push(['SETRANGE', 'r64', MAX, 'x'], ['SETRANGE', 'r64', MIN, 'x'], ['INCRBY', 'r64', MAX], ['DECRBY', 'r64', MIN], ['EXPIRE', 'r64', MAX], ['PEXPIRE', 'r64', MIN], ['DEL', 'r64']);
    await sameReplies(redis.port, shoal.port, cmds);
  });

  it('watches only the keys named by WATCH (a key called "watch" is just a key)', async () => {
    for (const port of [redis.port, shoal.port]) {
      const [a, b] = await Promise.all([connect(port), connect(port)]);
      // {watch}k lives on the same shard as the key "watch".
      expect(await a.callText('WATCH', '{watch}k')).toBe('+OK\r\n');
      expect(await b.callText('SET', 'watch', 'x')).toBe('+OK\r\n');
      expect(await a.callText('MULTI')).toBe('+OK\r\n');
      expect(await a.callText('GET', '{watch}k')).toBe('+QUEUED\r\n');
      expect(await a.callText('EXEC')).toBe('*1\r\n$-1\r\n');
      await b.callText('DEL', 'watch');
    }
  });

  it('keeps CLIENT REPLY OFF and SKIP silent, as Redis does', async () => {
    const script: Arg[][] = [['CLIENT', 'REPLY', 'SKIP'], ['SET', 'rk', '1'], ['GET', 'rk'], ['CLIENT', 'REPLY', 'OFF'], ['SET', 'rk', '2'], ['GET', 'rk'], ['CLIENT', 'REPLY', 'ON'], ['GET', 'rk']];
    const wire = Buffer.concat(script.map((c) => Buffer.from(`*${c.length}\r\n` + c.map((a) => `$${String(a).length}\r\n${a}\r\n`).join(''))));
    const [a, b] = await Promise.all([connect(redis.port), connect(shoal.port)]);
    await Promise.all([a.write(wire), b.write(wire)]);
    const [ra, rb] = await Promise.all([a.readUntilQuiet({ quietMs: 300 }), b.readUntilQuiet({ quietMs: 300 })]);
    expect(rb.toString('latin1')).toBe(ra.toString('latin1'));
    expect(ra.toString('latin1')).toBe('$1\r\n1\r\n+OK\r\n$1\r\n2\r\n');
  });

  it('closes the connection after QUIT, without running what follows', async () => {
    const b = await connect(shoal.port);
    await b.write('*1\r\n$4\r\nQUIT\r\n*3\r\n$3\r\nSET\r\n$4\r\nquit\r\n$1\r\n1\r\n');
    expect((await b.readUntilClose()).toString()).toBe('+OK\r\n');
    const c = await connect(shoal.port);
    expect(await c.callText('EXISTS', 'quit')).toBe(':0\r\n');
  });

  it('SCAN reads its cursor as Redis does (strtoul): the spellings of 0 start over, the others are refused alike', async () => {
    const c = await connect(shoal.port);
    const r = await connect(redis.port);
    for (const x of [c, r]) {
      await x.callText('SELECT', '7');
      await x.callText('MSET', ...Array.from({ length: 40 }, (_, i) => [`sc:${i}`, 'v']).flat());
    }
    const all = async (x: RawClient, first: string): Promise<number> => {
      const seen = new Set<string>();
      let cursor = first;
      do {
        const lines = (await x.call('SCAN', cursor, 'COUNT', '7')).toString('latin1').split('\r\n');
        cursor = lines[2]!;
        for (let i = 5; i < lines.length; i += 2) if (lines[i]?.startsWith('sc:')) seen.add(lines[i]!);
      } while (cursor !== '0');
      return seen.size;
    };
    for (const zero of ['0', '00', '+0', '-0', '', '0\u0000junk']) expect(await all(c, zero), `cursor ${JSON.stringify(zero)}`).toBe(40);
    // Accepted or refused as redis-server does (the next cursor itself is each server's own).
    for (const cursor of [' 0', '0 ', '0x0', '1e0', 'abc', '-', '+', '18446744073709551615', '18446744073709551616', '-18446744073709551615', '99999999999999999999']) {
      const [got, want] = [await c.callText('SCAN', cursor), await r.callText('SCAN', cursor)];
      expect(got.startsWith('-'), `cursor ${JSON.stringify(cursor)}: ${got}`).toBe(want.startsWith('-'));
      if (want.startsWith('-')) expect(got).toBe(want);
    }
    for (const x of [c, r]) await x.callText('FLUSHDB');
  });

  it('reports 4 shards in INFO and merges keyspace, stats and commandstats', async () => {
    const c = await connect(shoal.port);
    await c.callText('SELECT', '3');
    for (let i = 0; i < 200; i++) await c.write(Buffer.from(`*3\r\n$3\r\nSET\r\n$${String(i).length + 2}\r\ni:${i}\r\n$1\r\nv\r\n`));
    await c.readReplies(200);
    await c.callText('EXPIRE', 'i:1', '1000');
    const info = (await c.call('INFO', 'all')).toString();
    expect(info).toMatch(/^\$\d+\r\n# Server\r\n/);
    // The server's main script, as Redis names its binary (not the worker script threads run).
    expect(info).toMatch(/\r\nexecutable:\/\S*dist\/src\/main\.js\r\n/);
    expect(info).toContain('db3:keys=200,expires=1,avg_ttl=0\r\n');
    expect(info).toMatch(/cmdstat_set:calls=2\d\d,/);
    expect([...info.matchAll(/\r\nshard_\d+:keys=(\d+),/g)].length).toBe(4);
    for (const m of info.matchAll(/\r\nshard_\d+:keys=(\d+),/g)) expect(Number(m[1])).toBeGreaterThan(0);
    const sections = [...info.matchAll(/# (\w+)\r\n/g)].map((m) => m[1]);
    expect(sections).toEqual(expect.arrayContaining(['Server', 'Clients', 'Memory', 'Stats', 'CPU', 'Commandstats', 'Errorstats', 'Keyspace', 'Shards']));
    await c.callText('FLUSHDB');
  });
});

describe('Shoal across 4 shards', () => {
  let shoal: ServerHandle;
  beforeAll(async () => {
    shoal = await startShoal({ shards: 4 });
  });
  afterAll(async () => {
    await shoal?.stop();
  });

  it('a command read by an idle thread runs at the time it arrived: a key that expired meanwhile is gone', async () => {
    // Clients on every thread, each reading a key of its own thread's shard (run inline, no hop).
    const spread = await connectSpread(shoal.port, 4, 4);
    clients.push(...spread.map((s) => s.client));
    const tags = taggedKeysOnEveryShard('idle', ':', 4);
    const seen: string[] = [];
    for (let round = 0; round < 5; round++) {
      for (const { client, thread } of spread) {
        const key = `${tags[thread]}${round}`;
        expect(shardOf(key)).toBe(thread);
        // An absolute time (same machine clock): a relative one would start from the thread's clock too.
        await client.callText('SET', key, 'v', 'PXAT', String(Date.now() + 3));
        // Well under the cron's 100 ms: the thread sleeps, and nothing else refreshes its clock.
        await sleep(25);
        seen.push(await client.callText('GET', key));
      }
    }
    expect(seen.filter((r) => r !== '$-1\r\n')).toEqual([]);
  });

  it('reclaims expired keys that are never touched again, and counts them', async () => {
    const c = await connect(shoal.port);
    await c.callText('SELECT', '5');
    const n = 400;
    for (let i = 0; i < n; i++) await c.write(Buffer.from(`*5\r\n$3\r\nSET\r\n$${String(i).length + 2}\r\ne:${i}\r\n$1\r\nv\r\n$2\r\nPX\r\n$4\r\n1000\r\n`));
    await c.readReplies(n);
    // (A loaded machine may take a while to send them: some may be gone already.)
    expect(Number((await c.callText('DBSIZE')).slice(1, -2))).toBeGreaterThan(0);
    // No command touches those keys again: only the shards' expiry cycles can remove them.
    const deadline = Date.now() + 8000;
    let size = n;
    while (Date.now() < deadline && size > 0) {
      await sleep(100);
      size = Number((await c.callText('DBSIZE')).slice(1, -2));
    }
    expect(size).toBe(0);
    const stats = (await c.call('INFO', 'stats')).toString();
    expect(Number(/expired_keys:(\d+)/.exec(stats)![1])).toBeGreaterThanOrEqual(n);
  });

  it('SCAN visits every key of every shard, even while keys are added', async () => {
    const c = await connect(shoal.port);
    await c.callText('SELECT', '6');
    const present = 3000;
    for (let i = 0; i < present; i++) await c.write(Buffer.from(`*3\r\n$3\r\nSET\r\n$${String(i).length + 2}\r\ns:${i}\r\n$1\r\nv\r\n`));
    await c.readReplies(present);
    const seen = new Set<string>();
    let cursor = '0';
    let added = 0;
    do {
      const reply = (await c.call('SCAN', cursor, 'COUNT', '50')).toString('latin1');
      const lines = reply.split('\r\n');
      cursor = lines[2];
      for (let i = 5; i < lines.length; i += 2) if (lines[i]?.startsWith('s:') || lines[i]?.startsWith('n:')) seen.add(lines[i]);
      // Grow the keyspace between calls so segments split under the cursor.
      for (let k = 0; k < 20; k++) await c.callText('SET', `n:${added++}`, 'v');
    } while (cursor !== '0');
    for (let i = 0; i < present; i++) expect(seen.has(`s:${i}`)).toBe(true);
    // MATCH and TYPE filter on the shard.
    let matched = 0;
    cursor = '0';
    do {
      const lines = (await c.call('SCAN', cursor, 'MATCH', 's:1*', 'COUNT', '1000', 'TYPE', 'string')).toString('latin1').split('\r\n');
      cursor = lines[2];
      for (let i = 5; i < lines.length; i += 2) if (lines[i]?.startsWith('s:1')) matched++;
    } while (cursor !== '0');
    expect(matched).toBe(1111);
    await c.callText('FLUSHDB');
  });

  it('carries values larger than a ring record to and from every shard', async () => {
    const c = await connect(shoal.port);
    // 12 keys cover all 4 shards, the one hosted on the front included (checked below).
    for (let k = 0; k < 12; k++) {
      const value = Buffer.alloc(4.5 * 1024 * 1024 + k, 97 + (k % 26)); // more than a whole ring
      await c.write(Buffer.concat([Buffer.from(`*3\r\n$3\r\nSET\r\n$${String(k).length + 4}\r\nbig:${k}\r\n$${value.length}\r\n`), value, Buffer.from('\r\n')]));
      expect((await c.readReply(20000)).toString()).toBe('+OK\r\n');
      const got = await c.call('GET', `big:${k}`);
      const header = `$${value.length}\r\n`;
      expect(got.length).toBe(header.length + value.length + 2);
      expect(got.subarray(header.length, header.length + value.length).equals(value)).toBe(true);
    }
    const shards = (await c.call('INFO', 'shards')).toString();
    for (const m of shards.matchAll(/shard_\d+:keys=(\d+),/g)) expect(Number(m[1])).toBeGreaterThan(0);
    await c.callText('FLUSHALL');
  });

  it('keeps MGET, MSET, DEL and EXISTS across shards in argument order', async () => {
    const c = await connect(shoal.port);
    const keys = Array.from({ length: 40 }, (_, i) => `m:${i}`);
    await c.callText('MSET', ...keys.flatMap((k) => [k, `v-${k}`]));
    const reply = (await c.call('MGET', ...keys, 'missing')).toString('latin1');
    expect(reply).toBe(`*41\r\n` + keys.map((k) => `$${`v-${k}`.length}\r\nv-${k}\r\n`).join('') + '$-1\r\n');
    expect(await c.callText('EXISTS', ...keys, keys[0])).toBe(':41\r\n');
    expect(await c.callText('MSETNX', 'm:0', 'x', 'fresh', 'y')).toBe(':0\r\n');
    expect(await c.callText('EXISTS', 'fresh')).toBe(':0\r\n');
    expect(await c.callText('MSETNX', 'fresh', 'y', '{other}k', 'z')).toBe(':1\r\n');
    expect(await c.callText('DEL', ...keys, 'fresh', '{other}k')).toBe(':42\r\n');
  });
});

describe('requirepass', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis({ args: ['--requirepass', 'sekret'] }), startShoal({ shards: 4, args: ['--requirepass', 'sekret'] }));
  });
  afterAll(async () => {
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it('asks for AUTH and accepts it as Redis does', async () => {
    await sameReplies(redis.port, shoal.port, [
      ['GET', 'x'],
      ['HELLO', '3'],
      ['AUTH', 'wrong'],
      ['AUTH', 'default', 'wrong'],
      ['HELLO', '2', 'AUTH', 'default', 'wrong'],
      ['AUTH', 'sekret'],
      ['GET', 'x'],
    ]);
    await sameReplies(redis.port, shoal.port, [['AUTH', 'default', 'sekret'], ['CLIENT', 'GETNAME'], ['SET', 'x', '1'], ['GET', 'x']]);
    // HELLO ... AUTH authenticates too (its map names the server's version and client id, so only the effect is compared).
    for (const port of [redis.port, shoal.port]) {
      const c = await connect(port);
      expect((await c.call('HELLO', '2', 'AUTH', 'default', 'sekret', 'SETNAME', 'hello-name')).toString()).toMatch(/^\*14\r\n\$6\r\nserver\r\n/);
      expect(await c.callText('CLIENT', 'GETNAME')).toBe('$10\r\nhello-name\r\n');
    }
  });

  it('limits unauthenticated requests as Redis does', async () => {
    for (const port of [redis.port, shoal.port]) {
      const c = await connect(port);
      await c.write('*20\r\n');
      expect((await c.readUntilClose()).toString()).toBe('-ERR Protocol error: unauthenticated multibulk length\r\n');
    }
  });
});

describe('configuration and lifecycle', () => {
  const entry = () => path.join(repoRoot(), 'dist/src/main.js');

  function run(args: string[]): Promise<{ code: number | null; out: string }> {
    return new Promise((resolve) => {
      const p = spawn(process.execPath, [entry(), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      p.stdout.on('data', (d) => (out += d));
      p.stderr.on('data', (d) => (out += d));
      p.on('exit', (code) => resolve({ code, out }));
    });
  }

  it('reports an unknown directive with its file and line, and does not start', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-conf-'));
    const file = path.join(dir, 'shoal.conf');
    writeFileSync(file, '# a comment\nport 7777\nnot-a-parameter 5\n');
    const r = await run([file]);
    expect(r.code).toBe(1);
    expect(r.out).toContain(`${file}:3`);
    expect(r.out).toContain("'not-a-parameter'");
  });

  it('reads a config file, lets flags override it, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'shoal-conf-'));
    const file = path.join(dir, 'shoal.conf');
    writeFileSync(file, `port 1\nshards 3\nmaxclients 77\nrequirepass "pw"\n`);
    const p = spawn(process.execPath, [entry(), file, '--port', String(port), '--loglevel', 'warning'], { stdio: 'ignore' });
    let c: RawClient | null = null;
    for (let i = 0; i < 100 && c === null; i++) {
      try {
        c = await rawClient(port);
      } catch {
        await sleep(50);
      }
    }
    expect(c).not.toBeNull();
    clients.push(c!);
    expect(await c!.callText('AUTH', 'pw')).toBe('+OK\r\n');
    expect(await c!.callText('CONFIG', 'GET', 'maxclients')).toBe('*2\r\n$10\r\nmaxclients\r\n$2\r\n77\r\n');
    expect((await c!.call('INFO', 'shards')).toString().match(/shard_\d+:/g)?.length).toBe(3);
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    p.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
