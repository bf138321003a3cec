/**
 * The AOF against redis-server 7.0, with Shoal on 4 threads:
 *  - Shoal's appendonlydir, written by clients on every thread (random data
 *    of every type, and the commands Redis rewrites when it propagates:
 *    relative expiries, SPOP, INCRBYFLOAT, blocking pops, transactions and
 *    commands across shards), is accepted by redis-check-aof and loads in
 *    redis-server with the same dataset and digest; Shoal loads it back the
 *    same;
 *  - redis-server's appendonlydir loads in Shoal with the same dataset;
 *  - kill -9 under writes from several clients: with appendfsync always no
 *    acknowledged write is missing, and transfers made by MULTI/EXEC across
 *    shards keep their total;
 *  - a truncated file loads up to its last whole command with
 *    aof-load-truncated yes (and is cut there), and stops the start with
 *    the file's name otherwise; bytes that are not a command stop it too.
 * Random datasets print their seed on failure (SEED=<n> replays one).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { fill, snapshotOf, withSeed } from '../helpers/dataset.js';
import type { Rng } from '../helpers/rng.js';
import { scratch } from '../helpers/scratch.js';
import { connectOnThread } from '../helpers/threads.js';
import { type ServerHandle, freePort, repoRoot, startRedis, startShoal } from '../helpers/servers.js';

const FILE = 'test/integration/aof.test.ts';
const THREADS = 4;
const box = scratch('shoal-aof-');
const clients: Redis[] = [];
const servers: ServerHandle[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.disconnect();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

let dirs = 0;
function newDir(): string {
  const d = path.join(box.root, `d${++dirs}`);
  fs.mkdirSync(d);
  return d;
}

function client(s: ServerHandle): Redis {
  const c = new Redis({ port: s.port, host: s.host, maxRetriesPerRequest: 1, commandTimeout: 20_000, retryStrategy: () => null });
  c.on('error', () => {});
  clients.push(c);
  return c;
}

/** One client on each of Shoal's threads: bugs of routing and ordering show only across threads. */
function clientsOnEveryThread(s: ServerHandle): Promise<Redis[]> {
  const drop = (c: Redis): void => {
    c.disconnect();
    clients.splice(clients.indexOf(c), 1);
  };
  return Promise.all(Array.from({ length: THREADS }, (_, t) => connectOnThread(() => client(s), (c) => c.call('CLIENT', 'INFO') as Promise<string>, drop, t)));
}

async function shoalIn(dir: string, args: string[] = []): Promise<ServerHandle> {
  const s = await startShoal({ threads: THREADS, args: ['--dir', dir, '--save', '', '--appendonly', 'yes', ...args] });
  servers.push(s);
  return s;
}

async function redisIn(dir: string, args: string[] = []): Promise<ServerHandle> {
  const s = await startRedis({ args: ['--dir', dir, '--save', '', '--appendonly', 'yes', '--enable-debug-command', 'yes', ...args] });
  servers.push(s);
  return s;
}

async function stop(s: ServerHandle, signal: NodeJS.Signals | null = null): Promise<void> {
  if (signal === null) await s.stop();
  else {
    try {
      process.kill(s.pid, signal);
    } catch {
      // already gone (killed by the test)
    }
  }
  for (let i = 0; i < 200 && !s.exited; i++) await new Promise((r) => setTimeout(r, 50));
  expect(s.exited).toBe(true);
  servers.splice(servers.indexOf(s), 1);
}

function copyDir(from: string): string {
  const to = newDir();
  fs.cpSync(path.join(from, 'appendonlydir'), path.join(to, 'appendonlydir'), { recursive: true });
  return to;
}

function checkAof(dir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('redis-check-aof', [path.join(dir, 'appendonlydir', 'appendonly.aof.manifest')], (err, stdout, stderr) => (err ? reject(new Error(stdout + stderr)) : resolve(stdout)));
  });
}

/** Writes that Redis propagates as other commands, from clients on different threads, on keys of every shard. */
async function rewrittenWrites(cs: Redis[], rng: Rng): Promise<void> {
  const c = (i: number): Redis => cs[i % cs.length];
  for (let i = 0; i < 40; i++) {
    const k = `w:${i}:${rng.string(3)}`;
    await c(i).set(`${k}:ex`, 'v', 'EX', 1000 + rng.int(1000));
    await c(i + 1).setex(`${k}:setex`, 500, 'v');
    await c(i + 2).set(`${k}:px`, 'v', 'PX', 900_000);
    await c(i + 3).set(`${k}:e`, 'v');
    await c(i).expire(`${k}:e`, 700);
    await c(i + 1).getex(`${k}:ex`, 'PX', 800_000);
    await c(i + 2).sadd(`${k}:s`, 'a', 'b', 'c', 'd', 'e', '1', '2');
    await c(i + 3).spop(`${k}:s`);
    await c(i).spop(`${k}:s`, 2);
    await c(i + 1).incrbyfloat(`${k}:f`, '1.1');
    await c(i + 2).incrbyfloat(`${k}:f`, '2.25');
    await c(i + 3).hincrbyfloat(`${k}:h`, 'x', '0.5');
    await c(i).rpush(`${k}:l`, '1', '2', '3', '4');
    await c(i + 1).blpop(`${k}:l`, 0);
    await c(i + 2).blmove(`${k}:l`, `${k}:l2`, 'LEFT', 'RIGHT', 0);
    await c(i + 3).zadd(`${k}:z`, 1, 'a', 2, 'b', 3, 'c');
    await c(i).bzpopmin(`${k}:z`, 0);
    await c(i + 1).call('BZMPOP', '0', '2', 'nokey', `${k}:z`, 'MAX', 'COUNT', '5');
    await c(i + 2).mset(`${k}:m1`, '1', `${k}:m2`, '2', `${k}:m3`, '3');
    await c(i + 3).rename(`${k}:m1`, `${k}:renamed`);
    await c(i).copy(`${k}:m2`, `${k}:copied`);
    await c(i + 1).multi().set(`${k}:t1`, 'a').incr(`${k}:t2`).sadd(`${k}:t3`, 'x').expire(`${k}:t1`, 900).exec();
    await c(i + 2).restore(`${k}:r`, 600_000, (await c(i + 3).dumpBuffer(`${k}:m3`))!);
    if (rng.chance(0.3)) await c(i + 3).del(`${k}:m3`, `${k}:e`, `${k}:nothing`);
  }
  await c(0).select(5);
  await c(0).set('in5', 'x');
  await c(0).select(0);
  await c(1).swapdb(5, 6);
  await c(2).select(7);
  await c(2).set('gone', 'x');
  await c(2).flushdb();
  await c(2).select(0);
}

describe('AOF against redis-server 7.0', () => {
  it(
    "Shoal's AOF passes redis-check-aof and loads in redis-server and in Shoal with the same data",
    withSeed(FILE, 'shoal→redis', async (rng) => {
      const dir = newDir();
      const shoal = await shoalIn(dir);
      const cs = await clientsOnEveryThread(shoal);
      await fill(cs[0], rng, 150);
      await rewrittenWrites(cs, rng);
      const want = await snapshotOf(cs[0]);
      const digest = await cs[0].call('DEBUG', 'DIGEST');
      await stop(shoal);
      expect(await checkAof(dir)).toContain('valid');
      const redis = await redisIn(copyDir(dir));
      const r = client(redis);
      expect(await snapshotOf(r)).toEqual(want);
      expect(await r.call('DEBUG', 'DIGEST')).toBe(digest);
      const again = await shoalIn(dir);
      const s = client(again);
      expect(await snapshotOf(s)).toEqual(want);
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      // Relative expiries went to the file as absolute times: the TTLs kept running while it was down.
      const setex = (await s.keys('w:*:setex'))[0];
      const ttl = await s.pttl(setex);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThan(500_000);
    }),
    120_000,
  );

  it(
    "redis-server's AOF loads in Shoal with the same data",
    withSeed(FILE, 'redis→shoal', async (rng) => {
      const dir = newDir();
      const redis = await redisIn(dir, ['--aof-timestamp-enabled', 'yes']);
      const r = client(redis);
      await fill(r, rng, 150);
      await rewrittenWrites([r], rng);
      await r.bgrewriteaof();
      for (let i = 0; i < 100 && (await r.info('persistence')).includes('aof_rewrite_in_progress:1'); i++) await new Promise((res) => setTimeout(res, 50));
      await r.set('after-rewrite', '1');
      await r.multi().incr('after-rewrite').rpush('list-after', 'x').exec();
      const want = await snapshotOf(r);
      const digest = await r.call('DEBUG', 'DIGEST');
      await stop(redis);
      const shoal = await shoalIn(copyDir(dir));
      const s = client(shoal);
      expect(await snapshotOf(s)).toEqual(want);
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      expect(await s.info('persistence')).toMatch(/aof_enabled:1\r\n/);
    }),
    120_000,
  );
});

describe('AOF annotations', () => {
  it('aof-timestamp-enabled writes #TS lines that redis-check-aof, redis-server and Shoal accept', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir, ['--aof-timestamp-enabled', 'yes']);
    const c = client(shoal);
    await c.set('a', '1');
    await c.multi().incr('n').rpush('l', 'x').exec();
    const want = await snapshotOf(c);
    await stop(shoal);
    const text = fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1');
    expect(text).toMatch(/^#TS:\d+\r\n\*2\r\n\$6\r\nSELECT\r\n/);
    expect(await checkAof(dir)).toContain('valid');
    expect(await snapshotOf(client(await redisIn(copyDir(dir))))).toEqual(want);
    expect(await snapshotOf(client(await shoalIn(dir)))).toEqual(want);
  }, 60_000);
});

describe('AOF faults', () => {
  async function startFails(dir: string, args: string[] = []): Promise<string> {
    const port = await freePort();
    const child = spawn(process.execPath, [path.join(repoRoot(), 'dist', 'src', 'main.js'), '--port', String(port), '--threads', String(THREADS), '--save', '', '--dir', dir, '--appendonly', 'yes', ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve(null);
      }, 20_000);
      child.on('exit', (c) => {
        clearTimeout(t);
        resolve(c);
      });
    });
    expect(code, out).not.toBe(0);
    expect(code, out).not.toBeNull();
    return out;
  }

  async function aofWith(commands: number): Promise<{ dir: string; incr: string }> {
    const dir = newDir();
    const shoal = await shoalIn(dir);
    const c = client(shoal);
    for (let i = 0; i < commands; i++) await c.set(`k${i}`, `v${i}`);
    await c.multi().set('m1', '1').set('m2', '2').exec();
    await stop(shoal);
    return { dir, incr: path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof') };
  }

  it('a file cut inside a command loads up to it with aof-load-truncated yes, and is cut there; with no it stops the start', async () => {
    const { dir, incr } = await aofWith(20);
    fs.appendFileSync(incr, '*3\r\n$3\r\nSET\r\n$2\r\nk9');
    const whole = fs.statSync(incr).size;
    const out = await startFails(dir, ['--aof-load-truncated', 'no']);
    expect(out).toContain('Unexpected end of file reading the append only file appendonly.aof.1.incr.aof');
    const shoal = await shoalIn(dir);
    const c = client(shoal);
    expect(await c.dbsize()).toBe(22);
    expect(fs.statSync(incr).size).toBe(whole - '*3\r\n$3\r\nSET\r\n$2\r\nk9'.length);
    await c.set('after', '1');
    await stop(shoal);
    const again = await shoalIn(dir);
    expect(await client(again).dbsize()).toBe(23);
  }, 60_000);

  it('a transaction cut before its EXEC is left out whole', async () => {
    const { dir, incr } = await aofWith(5);
    fs.appendFileSync(incr, '*1\r\n$5\r\nMULTI\r\n*3\r\n$3\r\nSET\r\n$2\r\nt1\r\n$1\r\n1\r\n*3\r\n$3\r\nSET\r\n$2\r\nt2\r\n$1\r\n2\r\n');
    const shoal = await shoalIn(dir);
    const c = client(shoal);
    expect(await c.dbsize()).toBe(7);
    expect(await c.exists('t1', 't2')).toBe(0);
  }, 60_000);

  it('bytes that are not a command, or an unknown command, stop the start naming the file', async () => {
    const { dir, incr } = await aofWith(5);
    fs.appendFileSync(incr, 'garbage\r\n');
    expect(await startFails(dir)).toContain('Bad file format reading the append only file appendonly.aof.1.incr.aof');
    fs.truncateSync(incr, fs.statSync(incr).size - 'garbage\r\n'.length);
    fs.appendFileSync(incr, '*1\r\n$7\r\nNOSUCHX\r\n');
    expect(await startFails(dir)).toContain("Unknown command 'NOSUCHX' reading the append only file appendonly.aof.1.incr.aof");
    fs.rmSync(incr);
    expect(await startFails(dir)).toContain("doesn't exist");
  }, 60_000);
});

describe('AOF under kill -9', () => {
  /** Clients on several threads write until the kill; returns what was acknowledged. */
  async function writeUntilKilled(shoal: ServerHandle, ms: number): Promise<{ acked: Set<string>; ackedAt: Map<string, number>; transfers: number; killedAt: number }> {
    const acked = new Set<string>();
    const ackedAt = new Map<string, number>();
    let transfers = 0;
    let stop = false;
    const cs = await clientsOnEveryThread(shoal);
    const writer = async (w: number): Promise<void> => {
      const c = cs[w];
      for (let i = 0; !stop; i++) {
        try {
          if (i % 5 === 4) {
            // A transfer between accounts that live on different shards: the total must survive.
            const a = `acct:${(w + i) % 8}`;
            const b = `acct:${(w + i + 3) % 8}`;
            await c.multi().decrby(a, 7).incrby(b, 7).exec();
            transfers++;
          } else {
            await c.set(`w${w}:${i}`, String(i));
            acked.add(`w${w}:${i}`);
            ackedAt.set(`w${w}:${i}`, Date.now());
          }
        } catch {
          return;
        }
      }
    };
    const runs = [0, 1, 2, 3].map(writer);
    await new Promise((r) => setTimeout(r, ms));
    const killedAt = Date.now();
    process.kill(shoal.pid, 'SIGKILL');
    stop = true;
    await Promise.all(runs);
    return { acked, ackedAt, transfers, killedAt };
  }

  it('appendfsync everysec: every write acknowledged a second before the kill survives, and the totals', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir, ['--appendfsync', 'everysec']);
    const c = client(shoal);
    for (let a = 0; a < 8; a++) await c.set(`acct:${a}`, '1000');
    const { ackedAt, killedAt } = await writeUntilKilled(shoal, 1800);
    await stop(shoal, 'SIGKILL');
    const old = [...ackedAt].filter(([, t]) => t <= killedAt - 1000).map(([k]) => k);
    const s = client(await shoalIn(dir));
    let present = 0;
    for (let i = 0; i < old.length; i += 500) present += await s.exists(...old.slice(i, i + 500));
    expect(old.length).toBeGreaterThan(0);
    expect(present).toBe(old.length);
    const total = (await s.mget(...Array.from({ length: 8 }, (_, a) => `acct:${a}`))).reduce((sum, v) => sum + Number(v), 0);
    expect(total).toBe(8000);
  }, 60_000);

  it('appendfsync always: every acknowledged write survives, and transfers across shards keep their total', async () => {
    for (let trial = 0; trial < 3; trial++) {
      const dir = newDir();
      const shoal = await shoalIn(dir, ['--appendfsync', 'always']);
      const c = client(shoal);
      for (let a = 0; a < 8; a++) await c.set(`acct:${a}`, '1000');
      const { acked, transfers } = await writeUntilKilled(shoal, 300 + trial * 200);
      await stop(shoal, 'SIGKILL');
      const again = await shoalIn(dir);
      const s = client(again);
      const missing: string[] = [];
      const keys = [...acked];
      for (let i = 0; i < keys.length; i += 500) {
        const got = await s.exists(...keys.slice(i, i + 500));
        if (got !== Math.min(500, keys.length - i)) for (const k of keys.slice(i, i + 500)) if ((await s.exists(k)) === 0) missing.push(k);
      }
      expect(missing, `trial ${trial}: ${acked.size} acknowledged, ${transfers} transfers`).toEqual([]);
      const total = (await s.mget(...Array.from({ length: 8 }, (_, a) => `acct:${a}`))).reduce((sum, v) => sum + Number(v), 0);
      expect(total).toBe(8000);
      expect(acked.size).toBeGreaterThan(0);
    }
  }, 120_000);

  it('appendfsync always: acknowledged writes of the newer types survive (stream entries, bits, field TTLs, geo members)', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir, ['--appendfsync', 'always']);
    const cs = await clientsOnEveryThread(shoal);
    const acked: Array<[kind: number, w: number, what: string]> = [];
    let halt = false;
    const writer = async (w: number): Promise<void> => {
      const c = cs[w]!;
      for (let i = 0; !halt; i++) {
        try {
          const kind = i % 4;
          if (kind === 0) acked.push([kind, w, String(await c.xadd(`xs:${w}`, '*', 'i', String(i)))]);
          else if (kind === 1) (await c.setbit(`xb:${w}`, i, 1), acked.push([kind, w, String(i)]));
          else if (kind === 2) (await c.call('HSETEX', `xh:${w}`, 'EX', '100000', 'FIELDS', '1', `f${i}`, 'v'), acked.push([kind, w, `f${i}`]));
          else (await c.geoadd(`xg:${w}`, (i % 300) - 150, ((i * 7) % 160) - 80, `m${i}`), acked.push([kind, w, `m${i}`]));
        } catch {
          return;
        }
      }
    };
    const runs = [0, 1, 2, 3].map(writer);
    await new Promise((r) => setTimeout(r, 1500));
    process.kill(shoal.pid, 'SIGKILL');
    halt = true;
    await Promise.all(runs);
    await stop(shoal, 'SIGKILL');
    const s = client(await shoalIn(dir));
    const missing: string[] = [];
    for (const [kind, w, what] of acked) {
      const ok =
        kind === 0 ? ((await s.xrange(`xs:${w}`, what, what)) as unknown[]).length === 1
        : kind === 1 ? (await s.getbit(`xb:${w}`, Number(what))) === 1
        : kind === 2 ? ((await s.call('HTTL', `xh:${w}`, 'FIELDS', '1', what)) as number[])[0]! > 0
        : (await s.geopos(`xg:${w}`, what))[0] !== null;
      if (!ok) missing.push(`${kind}:${w}:${what}`);
    }
    expect(acked.length).toBeGreaterThan(100);
    expect(missing).toEqual([]);
  }, 60_000);
});

describe('AOF rewrites', () => {
  /** Clients on several threads write (transfers across shards by MULTI/EXEC among them) until `done` resolves. */
  async function writeDuring(shoal: ServerHandle, done: Promise<unknown>): Promise<number> {
    let stop = false;
    let n = 0;
    const cs = await clientsOnEveryThread(shoal);
    const writer = async (w: number): Promise<void> => {
      const c = cs[w];
      for (let i = 0; !stop; i++) {
        if (i % 3 === 2) await c.multi().decrby(`acct:${(w + i) % 8}`, 3).incrby(`acct:${(w + i + 5) % 8}`, 3).exec();
        else await c.hset(`h:${w}:${i % 200}`, `f${i}`, String(i));
        n++;
      }
    };
    const runs = [0, 1, 2, 3].map(writer);
    await done;
    stop = true;
    await Promise.all(runs);
    return n;
  }

  async function rewritten(c: Redis, count: number): Promise<void> {
    for (let i = 0; i < 400; i++) {
      const info = await c.info('persistence');
      if (info.includes('aof_rewrite_in_progress:0') && info.includes(`aof_rewrites:${count}\r\n`)) return;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`no rewrite finished: ${await c.info('persistence')}`);
  }

  for (const preamble of ['yes', 'no']) {
    it(`BGREWRITEAOF under writes across shards keeps every write and the totals (aof-use-rdb-preamble ${preamble})`, async () => {
      const dir = newDir();
      const shoal = await shoalIn(dir, ['--aof-use-rdb-preamble', preamble]);
      const c = client(shoal);
      for (let a = 0; a < 8; a++) await c.set(`acct:${a}`, '1000');
      for (let i = 0; i < 2000; i++) await c.set(`pre:${i}`, String(i));
      const writes = writeDuring(
        shoal,
        (async () => {
          await new Promise((r) => setTimeout(r, 100));
          expect(await c.bgrewriteaof()).toBe('Background append only file rewriting started');
          await rewritten(c, 1);
          await new Promise((r) => setTimeout(r, 100));
        })(),
      );
      expect(await writes).toBeGreaterThan(0);
      const digest = await c.call('DEBUG', 'DIGEST');
      const files = fs.readdirSync(path.join(dir, 'appendonlydir')).sort();
      expect(files).toEqual([`appendonly.aof.2.base.${preamble === 'yes' ? 'rdb' : 'aof'}`, 'appendonly.aof.2.incr.aof', 'appendonly.aof.manifest']);
      await stop(shoal);
      expect(await checkAof(dir)).toContain('valid');
      const redis = await redisIn(copyDir(dir));
      expect(await client(redis).call('DEBUG', 'DIGEST')).toBe(digest);
      const again = await shoalIn(dir);
      const s = client(again);
      expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
      const total = (await s.mget(...Array.from({ length: 8 }, (_, a) => `acct:${a}`))).reduce((sum, v) => sum + Number(v), 0);
      expect(total).toBe(8000);
    }, 60_000);
  }

  it('CONFIG SET appendonly yes writes the dataset as the base and records from then on; no stops recording', async () => {
    const dir = newDir();
    const shoal = await startShoal({ threads: THREADS, args: ['--dir', dir, '--save', ''] });
    servers.push(shoal);
    const c = client(shoal);
    for (let i = 0; i < 500; i++) await c.rpush(`l:${i % 50}`, String(i));
    expect(await c.info('persistence')).toMatch(/aof_enabled:0\r\n/);
    expect(await c.config('SET', 'appendonly', 'yes')).toBe('OK');
    await rewritten(c, 1);
    expect(await c.info('persistence')).toMatch(/aof_enabled:1\r\n/);
    await c.set('after-on', '1');
    await c.expire('l:0', 1000);
    const digest = await c.call('DEBUG', 'DIGEST');
    expect(await c.config('SET', 'appendonly', 'no')).toBe('OK');
    await c.set('after-off', '1');
    await stop(shoal);
    const again = await shoalIn(dir);
    const s = client(again);
    expect(await s.call('DEBUG', 'DIGEST')).toBe(digest);
    expect(await s.exists('after-off')).toBe(0);
    expect(await s.ttl('l:0')).toBeGreaterThan(900);
  }, 60_000);

  it('CONFIG SET appendonly no keeps the writes acknowledged before it, on every shard (their last batches were on their way)', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir);
    const c = client(shoal);
    // One pipeline: the SETs reach every shard, and each thread posts its records every 2 ms, so
    // the last ones are still in their threads when the AOF goes off.
    for (let round = 0; round < 3; round++) {
      const p = c.pipeline();
      for (let i = 0; i < 200; i++) p.set(`k${round}:${i}`, 'v');
      p.config('SET', 'appendonly', 'no');
      const replies = await p.exec();
      expect(replies!.every(([err]) => err === null)).toBe(true);
      // On again with a new base holding everything so far: the next round's records go to a new incr file.
      if (round < 2) {
        expect(await c.config('SET', 'appendonly', 'yes')).toBe('OK');
        await rewritten(c, round + 1);
        for (let i = 0; i < 200; i++) await c.del(`k${round}:${i}`);
      }
    }
    c.disconnect();
    await stop(shoal);
    const again = client(await shoalIn(dir));
    const missing: string[] = [];
    for (let i = 0; i < 200; i++) if ((await again.exists(`k2:${i}`)) !== 1) missing.push(`k2:${i}`);
    expect(missing).toEqual([]);
    expect(await again.dbsize()).toBe(200);
  }, 60_000);

  it('an AOF grown past auto-aof-rewrite-percentage of its last size (and past the minimum) is rewritten', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir, ['--auto-aof-rewrite-min-size', '20kb', '--auto-aof-rewrite-percentage', '100']);
    const c = client(shoal);
    for (let i = 0; i < 50; i++) await c.set('same-key', 'x'.repeat(1000));
    await rewritten(c, 1);
    const info = await c.info('persistence');
    expect(Number(/aof_current_size:(\d+)/.exec(info)![1])).toBeLessThan(20_000);
    expect(await c.get('same-key')).toBe('x'.repeat(1000));
  }, 60_000);
});

describe('AOF and expiry', () => {
  it('a key that expired is recorded as deleted, so a replay (where keys do not expire) agrees with what clients saw', async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir);
    const c = client(shoal);
    await c.set('k', 'old', 'PX', 50);
    await c.set('active', 'old', 'PX', 50);
    await c.hset('h', 'f', '1');
    await c.pexpire('h', 50);
    await new Promise((r) => setTimeout(r, 300));
    // Lazily: the first command to touch k finds it gone; actively: the cron reclaims `active` and `h`.
    expect(await c.set('k', 'new', 'NX')).toBe('OK');
    expect(await c.append('active', 'x')).toBe(1);
    expect(await c.hsetnx('h', 'g', '2')).toBe(1);
    const want = await snapshotOf(c);
    await stop(shoal);
    expect(fs.readFileSync(path.join(dir, 'appendonlydir', 'appendonly.aof.1.incr.aof'), 'latin1')).toContain('$3\r\nDEL\r\n$1\r\nk\r\n');
    for (const server of [await shoalIn(dir), await redisIn(copyDir(dir))]) {
      expect(await snapshotOf(client(server)), server.name).toEqual(want);
    }
  }, 60_000);
});

describe('AOF leftovers', () => {
  it("a rewrite's temporary files left by a server that was killed are removed at start; other files stay", async () => {
    const dir = newDir();
    const shoal = await shoalIn(dir);
    await client(shoal).set('a', '1');
    await stop(shoal);
    const aofDir = path.join(dir, 'appendonlydir');
    // pid 2^22+1 is above Linux's pid_max: no process has it.
    const stale = ['temp-4194305-1.rdb', 'temp-rewriteaof-bg-4194305.rdb'];
    for (const f of [...stale, 'temp-mine.rdb']) fs.writeFileSync(path.join(aofDir, f), 'x');
    fs.writeFileSync(path.join(dir, stale[0]), 'x');
    const again = await shoalIn(dir);
    expect(await client(again).get('a')).toBe('1');
    for (const f of stale) expect(fs.existsSync(path.join(aofDir, f)), f).toBe(false);
    expect(fs.existsSync(path.join(dir, stale[0]))).toBe(false);
    expect(fs.existsSync(path.join(aofDir, 'temp-mine.rdb'))).toBe(true);
  }, 60_000);
});
