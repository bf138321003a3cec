/**
 * Streams travel as Redis's do, checked against redis-server: DUMP payloads
 * restore both ways (entries, deleted entries, counters, consumer groups
 * with their pending lists and consumers), Shoal's RDB passes
 * redis-check-rdb and loads in redis-server and back, DEBUG RELOAD keeps
 * every stream as it was, the AOF replays to the same streams (XADD's
 * generated IDs, approximate trims, what XREADGROUP/XCLAIM/XAUTOCLAIM did to
 * the groups), streams move between shards and databases (RENAME, COPY,
 * MOVE) with their groups, and a script calls the stream commands. Streams
 * are compared by XINFO STREAM FULL (consumers' seen-time masked: it is
 * when each server last saw them) and DEBUG DIGEST-VALUE.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { type RawClient, type ServerHandle, rawClient, respMany, sleep, startRedis, startShoal } from '../helpers/servers.js';
import { oneKeyPerShard } from '../helpers/shards.js';

const servers: ServerHandle[] = [];
const clients: RawClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
});

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-streams-'));
}

async function shoal(args: string[] = []): Promise<ServerHandle> {
  const s = await startShoal({ threads: 4, args: ['--save', '', ...args] });
  servers.push(s);
  return s;
}

async function redis(args: string[] = []): Promise<ServerHandle> {
  const s = await startRedis({ args: ['--enable-debug-command', 'yes', '--enable-protected-configs', 'yes', ...args] });
  servers.push(s);
  return s;
}

async function client(s: ServerHandle): Promise<RawClient> {
  const c = await rawClient(s.port);
  clients.push(c);
  return c;
}

/** Keys on every shard (and a tagged pair). */
const KEYS = [...oneKeyPerShard('st:', 4), '{t}a'];

/** Streams with deleted entries, several nodes, groups, pending entries and consumers. */
async function build(c: RawClient): Promise<void> {
  await c.callText('CONFIG', 'SET', 'stream-node-max-entries', '4');
  for (const [n, k] of KEYS.entries()) {
    for (let i = 1; i <= 12 + n; i++) await c.callText('XADD', k, `${i}-${i % 3}`, 'f', String(i), ...(i % 4 === 0 ? ['other', 'x'.repeat(i * 7)] : []));
    await c.callText('XDEL', k, '3-0', '5-2');
    await c.callText('XGROUP', 'CREATE', k, 'g1', '0');
    await c.callText('XGROUP', 'CREATE', k, 'g2', '$', 'ENTRIESREAD', '3');
    await c.callText('XREADGROUP', 'GROUP', 'g1', 'alice', 'COUNT', '3', 'STREAMS', k, '>');
    await c.callText('XREADGROUP', 'GROUP', 'g1', 'bob', 'COUNT', '2', 'STREAMS', k, '>');
    await c.callText('XGROUP', 'CREATECONSUMER', k, 'g2', 'carol');
    await c.callText('XCLAIM', k, 'g1', 'carol', '0', '2-2', 'RETRYCOUNT', '7', 'TIME', '1000');
    await c.callText('XACK', k, 'g1', '1-1');
    await c.callText('XSETID', k, '99-0', 'ENTRIESADDED', '50', 'MAXDELETEDID', '6-0');
  }
  await c.callText('XADD', 'empty', '1-1', 'a', 'b');
  await c.callText('XDEL', 'empty', '1-1');
  KEYS.push('empty');
}

/** XINFO STREAM FULL with the seen-times blanked. */
async function full(c: RawClient, key: string): Promise<string> {
  const r = (await c.call('XINFO', 'STREAM', key, 'FULL', 'COUNT', '0')).toString('latin1');
  return r.replace(/(seen-time\r\n:)\d+/g, '$10');
}

async function picture(c: RawClient): Promise<string[]> {
  const out: string[] = [];
  for (const k of KEYS) out.push(await full(c, k), await c.callText('DEBUG', 'DIGEST-VALUE', k));
  return out;
}

describe('streams across servers and restarts', () => {
  it('DUMP payloads restore in both directions', async () => {
    const [r, s] = [await redis(), await shoal()];
    const [rc, sc] = [await client(r), await client(s)];
    KEYS.splice(5);
    await build(rc);
    await sc.callText('CONFIG', 'SET', 'stream-node-max-entries', '4');
    for (const k of KEYS) {
      const payload = (await rc.call('DUMP', k)).subarray(0);
      const body = payload.subarray(payload.indexOf(10) + 1, payload.length - 2);
      expect(await sc.callText('RESTORE', k, '0', body)).toBe('+OK\r\n');
    }
    expect(await picture(sc)).toEqual(await picture(rc));
    // And back: Shoal's payloads in redis-server.
    for (const k of KEYS) {
      const payload = await sc.call('DUMP', k);
      const body = payload.subarray(payload.indexOf(10) + 1, payload.length - 2);
      await rc.callText('DEL', k);
      expect(await rc.callText('RESTORE', k, '0', body)).toBe('+OK\r\n');
    }
    expect(await picture(rc)).toEqual(await picture(sc));
    // A corrupt payload is refused, and nothing is stored.
    const bad = Buffer.from(await sc.call('DUMP', KEYS[0]!));
    const body = bad.subarray(bad.indexOf(10) + 1, bad.length - 2);
    body[40] ^= 0xff;
    expect(await sc.callText('RESTORE', 'broken', '0', body)).toMatch(/^-/);
    expect(await sc.callText('EXISTS', 'broken')).toBe(':0\r\n');
  }, 60_000);

  it("Shoal's RDB passes redis-check-rdb and loads in redis-server, and redis-server's loads in Shoal", async () => {
    const dir = tempDir();
    const s = await shoal(['--dir', dir]);
    const sc = await client(s);
    KEYS.splice(5);
    await build(sc);
    const want = await picture(sc);
    expect(await sc.callText('SAVE')).toBe('+OK\r\n');
    const checked = await new Promise<string>((resolve) => execFile('redis-check-rdb', [path.join(dir, 'dump.rdb')], (err, stdout) => resolve(err ? `failed: ${stdout}` : 'ok')));
    expect(checked).toBe('ok');
    const r = await redis(['--dir', dir]);
    const rc = await client(r);
    expect(await picture(rc)).toEqual(want);
    // DEBUG RELOAD in Shoal keeps every stream.
    expect(await sc.callText('DEBUG', 'RELOAD')).toBe('+OK\r\n');
    expect(await picture(sc)).toEqual(want);
    // redis-server's file in a new Shoal.
    const dir2 = tempDir();
    await rc.callText('CONFIG', 'SET', 'dir', dir2);
    expect(await rc.callText('SAVE')).toBe('+OK\r\n');
    const s2 = await shoal(['--dir', dir2]);
    expect(await picture(await client(s2))).toEqual(want);
  }, 60_000);

  it('the AOF replays to the same streams', async () => {
    const dir = tempDir();
    const s = await shoal(['--dir', dir, '--appendonly', 'yes', '--appendfsync', 'always', '--stream-node-max-entries', '4']);
    const sc = await client(s);
    KEYS.splice(5);
    await build(sc);
    for (const k of KEYS.slice(0, 5)) {
      await sc.callText('XADD', k, 'MAXLEN', '~', '6', '*', 'auto', '1');
      await sc.callText('XADD', k, '200-*', 'partial', '1');
      await sc.callText('XTRIM', k, 'MINID', '~', '9');
      await sc.callText('XAUTOCLAIM', k, 'g1', 'dave', '0', '0', 'COUNT', '2');
      await sc.callText('XREADGROUP', 'GROUP', 'g2', 'erin', 'NOACK', 'STREAMS', k, '>');
      await sc.callText('XGROUP', 'DELCONSUMER', k, 'g1', 'bob');
    }
    const want = await picture(sc);
    await s.stop();
    servers.splice(servers.indexOf(s), 1);
    // Node limits are configuration, not data: the replay builds nodes with the same ones.
    const s2 = await shoal(['--dir', dir, '--appendonly', 'yes', '--stream-node-max-entries', '4']);
    expect(await picture(await client(s2))).toEqual(want);
  }, 60_000);

  it('RENAME, COPY and MOVE carry streams with their groups, across shards and databases', async () => {
    const s = await shoal();
    const sc = await client(s);
    KEYS.splice(5);
    await build(sc);
    const [a, b, c] = oneKeyPerShard('mv:', 4);
    const want = await full(sc, KEYS[0]!);
    await sc.callText('COPY', KEYS[0]!, a!);
    expect(await full(sc, a!)).toBe(want);
    await sc.callText('RENAME', a!, b!);
    expect(await full(sc, b!)).toBe(want);
    expect(await sc.callText('MOVE', b!, '3')).toBe(':1\r\n');
    await sc.callText('SELECT', '3');
    expect(await full(sc, b!)).toBe(want);
    await sc.callText('RENAME', b!, c!);
    expect(await full(sc, c!)).toBe(want);
    expect(await sc.callText('TYPE', c!)).toBe('+stream\r\n');
  }, 60_000);

  it('scripts call the stream commands', async () => {
    const [r, s] = [await redis(), await shoal()];
    const [rc, sc] = [await client(r), await client(s)];
    const script = `
      redis.call('XADD', KEYS[1], '1-1', 'a', '1')
      redis.call('XADD', KEYS[1], '2-1', 'b', '2')
      redis.call('XADD', KEYS[1], '3-1', 'c', '3')
      redis.call('XDEL', KEYS[1], '2-1')
      redis.call('XTRIM', KEYS[1], 'MAXLEN', '5')
      return {redis.call('XLEN', KEYS[1]), redis.call('XRANGE', KEYS[1], '-', '+'), redis.call('XREAD', 'COUNT', '1', 'STREAMS', KEYS[1], '0'), redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', '1')}`;
    for (const c of [rc, sc]) await c.callText('DEL', 'scripted');
    const want = (await rc.call('EVAL', script, '1', 'scripted')).toString();
    expect((await sc.call('EVAL', script, '1', 'scripted')).toString()).toBe(want);
    // BLOCK is refused inside scripts.
    for (const blocking of [`return redis.pcall('XREAD', 'BLOCK', '0', 'STREAMS', KEYS[1], '$')`, `return redis.pcall('xreadgroup', 'GROUP', 'g', 'c', 'BLOCK', 'x', 'STREAMS', KEYS[1], '>')`]) {
      expect((await sc.call('EVAL', blocking, '1', 'scripted')).toString()).toBe((await rc.call('EVAL', blocking, '1', 'scripted')).toString());
    }
  }, 60_000);

  it('active defragmentation moves streams with their groups, which read the same after', async () => {
    const s = await shoal();
    const c = await client(s);
    // Several arena segments per shard (defragmentation leaves each shard's first and current ones).
    const n = 40_000;
    const cmds: string[][] = [];
    for (let i = 0; i < n; i++) {
      cmds.push(['XADD', `df:${i}`, '1-1', 'f', `v${i}`.padEnd(1500, 'x')], ['XADD', `df:${i}`, '2-1', 'g', String(i)]);
      if (i % 8 === 0) cmds.push(['XGROUP', 'CREATE', `df:${i}`, 'g', '0'], ['XREADGROUP', 'GROUP', 'g', 'c', 'COUNT', '1', 'STREAMS', `df:${i}`, '>']);
    }
    const run = async (batch: string[][]): Promise<void> => {
      for (let i = 0; i < batch.length; i += 500) {
        const part = batch.slice(i, i + 500);
        await c.write(respMany(part));
        for (const r of await c.readReplies(part.length, 30_000)) if (r[0] === 0x2d) throw new Error(r.toString());
      }
    };
    await run(cmds);
    // Keep one stream in eight (those with a group): every segment stays, sparse.
    const dels: string[][] = [];
    for (let i = 0; i < n; i += 800) dels.push(['DEL', ...Array.from({ length: 800 }, (_, j) => i + j).filter((k) => k % 8 !== 0).map((k) => `df:${k}`)]);
    await run(dels);
    expect(await c.callText('MEMORY', 'PURGE')).toBe('+OK\r\n');
    const info = async (field: string): Promise<number> => Number(new RegExp(`\\r\\n${field}:(\\d+)`).exec(await c.callText('INFO', 'everything'))![1]);
    const sample = async (): Promise<string[]> => {
      const out: string[] = [];
      for (let k = 0; k < n; k += 8 * 167) out.push(await full(c, `df:${k}`));
      return out;
    };
    await c.write(respMany([['DEBUG', 'DIGEST']]));
    const digest = (await c.readReply(60_000)).toString('latin1');
    const want = await sample();
    for (const [k, v] of [['active-defrag-ignore-bytes', '1mb'], ['active-defrag-threshold-lower', '5'], ['active-defrag-cycle-max', '50'], ['activedefrag', 'yes']]) {
      expect(await c.callText('CONFIG', 'SET', k!, v!)).toBe('+OK\r\n');
    }
    const deadline = Date.now() + 60_000;
    while ((await info('active_defrag_key_hits')) === 0 || (await info('active_defrag_running')) === 1) {
      if (Date.now() > deadline) break;
      await sleep(50);
    }
    expect(await info('active_defrag_key_hits')).toBeGreaterThan(0);
    expect(await c.callText('CONFIG', 'SET', 'activedefrag', 'no')).toBe('+OK\r\n');
    await c.write(respMany([['DEBUG', 'DIGEST']]));
    expect((await c.readReply(60_000)).toString('latin1')).toBe(digest);
    expect(await sample()).toEqual(want);
    // The groups moved with their streams: a consumer reads on.
    expect((await c.call('XREADGROUP', 'GROUP', 'g', 'c', 'STREAMS', 'df:0', '>')).toString()).toContain('2-1');
    expect(await c.callText('XACK', 'df:0', 'g', '1-1', '2-1')).toBe(':2\r\n');
  }, 180_000);
});
