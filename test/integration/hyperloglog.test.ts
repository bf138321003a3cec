/**
 * HyperLogLog side effects against redis-server 7.0, with Shoal on 4 threads
 * and the HLLs on different shards:
 *  - the AOF records what Redis propagates: PFADD when it changed something,
 *    PFCOUNT when it computed and cached a cardinality, PFMERGE always,
 *    PFDEBUG TODENSE / GETREG when they converted; nothing else. Shoal's
 *    file loads back in Shoal and in redis-server with the same bytes.
 *  - client-side caching: a PFCOUNT that caches a cardinality invalidates
 *    the key (Redis's signalModifiedKey), a cached one does not;
 *  - CLIENT PAUSE WRITE holds PFCOUNT, as Redis holds its may_replicate
 *    commands;
 *  - keyspace events: `pfadd` for PFADD (when it changed something) and for
 *    PFMERGE, nothing for PFCOUNT or PFDEBUG; keymiss for the keys PFCOUNT
 *    and PFMERGE read.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { incrCommands } from '../helpers/aof-commands.js';
import { type RawClient, type ServerHandle, rawClient, resp, sleep, startRedis, startShoal } from '../helpers/servers.js';
import { scratch } from '../helpers/scratch.js';
import { oneKeyPerShard } from '../helpers/shards.js';

const box = scratch('shoal-hll-');
const [A, B, C, D] = oneKeyPerShard('pf');

/** Commands whose AOF records the test compares. */
const WORKLOAD: string[][] = [
  ['PFADD', A!, 'a', 'b', 'c'],
  ['PFADD', A!, 'a'], // nothing new: not recorded
  ['PFCOUNT', A!], // computes and caches: recorded
  ['PFCOUNT', A!], // cached: not recorded
  ['PFADD', B!, ...Array.from({ length: 3000 }, (_, i) => `b${i}`)],
  ['PFCOUNT', A!, B!], // several keys: not recorded
  ['PFMERGE', C!, A!, B!],
  ['PFADD', D!, 'x'],
  ['PFDEBUG', 'TODENSE', D!], // converts: recorded
  ['PFDEBUG', 'TODENSE', D!], // already dense: not recorded
  ['PFDEBUG', 'ENCODING', A!],
  ['PFADD', A!, 'z'],
  ['PFDEBUG', 'GETREG', A!], // converts: recorded
  ['PFCOUNT', C!],
];

let dirs = 0;
function newDir(): string {
  const d = path.join(box.root, `d${++dirs}`);
  fs.mkdirSync(d);
  return d;
}

async function connect(s: ServerHandle): Promise<RawClient> {
  const c = await rawClient(s.port);
  box.clients.push(c);
  return c;
}

/** The commands of a server's incr AOF file(s), SELECT / MULTI / EXEC left out, as text (long ones cut after two arguments). */
function recorded(dir: string): string[] {
  return incrCommands(dir).map((a) => a.slice(0, 3).join(' ') + (a.length > 3 ? ` …${a.length}` : ''));
}

describe('HyperLogLog side effects, redis-server vs Shoal (4 threads)', () => {
  it('the AOF records what Redis propagates, and loads back with the same values', async () => {
    const redisDir = newDir();
    const shoalDir = newDir();
    const redis = await startRedis({ args: ['--dir', redisDir, '--save', '', '--appendonly', 'yes'] });
    const shoal = await startShoal({ threads: 4, args: ['--dir', shoalDir, '--save', '', '--appendonly', 'yes'] });
    box.servers.push(redis, shoal);
    const [r, s] = [await connect(redis), await connect(shoal)];
    for (const cmd of WORKLOAD) expect((await s.call(...cmd)).toString('latin1')).toBe((await r.call(...cmd)).toString('latin1'));
    const values = async (c: RawClient) => Promise.all([A!, B!, C!, D!].map((k) => c.call('GET', k)));
    const want = await values(r);
    expect(await values(s)).toEqual(want);
    await sleep(1500); // appendfsync everysec
    await Promise.all([redis.stop(), shoal.stop()]);
    // Shoal's threads write in their own order: compare the records as a multiset, and PFADD's per key in order.
    const theirs = recorded(redisDir);
    expect(theirs).toEqual([
      `PFADD ${A} a …5`,
      `PFCOUNT ${A}`,
      `PFADD ${B} b0 …3002`,
      `PFMERGE ${C} ${A} …4`,
      `PFADD ${D} x`,
      `PFDEBUG TODENSE ${D}`,
      `PFADD ${A} z`,
      `PFDEBUG GETREG ${A}`,
      `PFCOUNT ${C}`,
    ]);
    expect(recorded(shoalDir).sort()).toEqual([...theirs].sort());
    const again = await startShoal({ threads: 4, args: ['--dir', shoalDir, '--save', '', '--appendonly', 'yes'] });
    box.servers.push(again);
    expect(await values(await connect(again))).toEqual(want);
    const redisAgain = await startRedis({ args: ['--dir', shoalDir, '--save', '', '--appendonly', 'yes'] });
    box.servers.push(redisAgain);
    expect(await values(await connect(redisAgain))).toEqual(want);
  }, 60_000);

  it('client-side caching: a PFCOUNT that caches a cardinality invalidates the key, a cached one does not', async () => {
    const redis = await startRedis();
    const shoal = await startShoal({ threads: 4 });
    box.servers.push(redis, shoal);
    /** What a tracking client (RESP3) receives after each command another client runs on the key it read. */
    const invalidations = async (server: ServerHandle): Promise<boolean[]> => {
      const tracker = await connect(server);
      const other = await connect(server);
      await tracker.call('HELLO', '3');
      await tracker.call('CLIENT', 'TRACKING', 'ON');
      await other.call('PFADD', A!, 'a', 'b');
      const out: boolean[] = [];
      for (const cmd of [['PFCOUNT', A!], ['PFCOUNT', A!], ['PFCOUNT', A!, B!], ['PFADD', A!, 'a'], ['PFADD', A!, 'c'], ['PFDEBUG', 'ENCODING', A!], ['PFMERGE', A!, B!]]) {
        await tracker.call('GET', A!);
        await other.call(...cmd);
        await sleep(100);
        out.push((await tracker.readUntilQuiet({ quietMs: 100, maxMs: 1000 })).toString('latin1').includes('invalidate'));
      }
      return out;
    };
    const theirs = await invalidations(redis);
    expect(theirs).toEqual([true, false, false, false, true, false, true]);
    expect(await invalidations(shoal)).toEqual(theirs);
  }, 60_000);

  it('CLIENT PAUSE WRITE holds PFCOUNT (Redis\'s may_replicate) as it holds PFADD, not GET', async () => {
    const redis = await startRedis();
    const shoal = await startShoal({ threads: 4 });
    box.servers.push(redis, shoal);
    const held = async (server: ServerHandle): Promise<string[]> => {
      const [admin, paused, reader] = [await connect(server), await connect(server), await connect(server)];
      await admin.call('PFADD', A!, 'a');
      await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      const out: string[] = [];
      for (const cmd of [['PFCOUNT', A!], ['PFCOUNT', A!, B!], ['PFADD', A!, 'b']]) {
        await paused.write(resp(...cmd));
        // Held: nothing comes while the pause lasts (another client's GET is answered meanwhile).
        out.push(`${cmd.join(' ')} during pause: ${JSON.stringify((await paused.readUntilQuiet({ quietMs: 300, maxMs: 300 })).toString('latin1'))}`);
        out.push(`GET: ${(await reader.call('GET', 'pf-none')).toString('latin1')}`);
        await admin.call('CLIENT', 'UNPAUSE');
        out.push(`after: ${(await paused.readReply()).toString('latin1')}`);
        await admin.call('CLIENT', 'PAUSE', '60000', 'WRITE');
      }
      await admin.call('CLIENT', 'UNPAUSE');
      return out;
    };
    const theirs = await held(redis);
    expect(theirs.filter((l) => l.includes('during pause'))).toEqual([`PFCOUNT ${A} during pause: ""`, `PFCOUNT ${A} ${B} during pause: ""`, `PFADD ${A} b during pause: ""`]);
    expect(await held(shoal)).toEqual(theirs);
  }, 60_000);

  it('keyspace events: pfadd for PFADD that changed something and for PFMERGE, none for PFCOUNT or PFDEBUG; keymiss for what PFCOUNT and PFMERGE read', async () => {
    const redis = await startRedis();
    const shoal = await startShoal({ threads: 4 });
    box.servers.push(redis, shoal);
    const events = async (server: ServerHandle): Promise<string> => {
      const c = await connect(server);
      const sub = await connect(server);
      await c.call('CONFIG', 'SET', 'notify-keyspace-events', 'KEAm');
      await sub.call('PSUBSCRIBE', '__key*__:*');
      for (const cmd of WORKLOAD) await c.call(...cmd);
      // keymiss: PFCOUNT and PFMERGE read their keys (the merge's sources on other shards too); PFADD and PFDEBUG do not.
      await c.call('PFCOUNT', 'pf-missing');
      await c.call('PFCOUNT', A!, 'pf-missing', B!);
      await c.call('PFMERGE', 'pf-new', C!, 'pf-missing2');
      await c.call('PFADD', 'pf-new2', 'x');
      await c.call('PFDEBUG', 'ENCODING', 'pf-missing3');
      await sleep(300);
      return (await sub.readUntilQuiet({ quietMs: 200, maxMs: 3000 })).toString('latin1');
    };
    const [theirs, ours] = [await events(redis), await events(shoal)];
    expect(theirs).toContain('pfadd');
    expect(theirs).toContain('keymiss');
    // Events of different keys may come from different threads: compare them as a multiset of messages.
    const messages = (raw: string) => raw.split('*4\r\n').filter((m) => m !== '').sort();
    expect(messages(ours)).toEqual(messages(theirs));
  }, 60_000);
});
