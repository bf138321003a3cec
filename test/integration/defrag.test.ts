/**
 * Active defragmentation (src/shard/defrag.ts): keys left scattered over
 * sparse arena segments after most were deleted are moved out, so the
 * segments empty and go back, while the data stays as it was (DEBUG DIGEST,
 * values) and a SCAN running meanwhile still returns every key. Keys on
 * every shard of 4.
 */
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, sleep, startShoal } from '../helpers/servers.js';

const MB = 1024 * 1024;

async function pipeline(c: RawClient, cmds: string[][]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 200) {
    const batch = cmds.slice(i, i + 200);
    await c.write(respMany(batch));
    for (const r of await c.readReplies(batch.length, 30_000)) if (r[0] === 0x2d) throw new Error(r.toString());
  }
}

/** DEBUG DIGEST, which takes a while over tens of thousands of collections. */
async function digestOf(c: RawClient): Promise<string> {
  await c.write(respMany([['DEBUG', 'DIGEST']]));
  return (await c.readReply(60_000)).toString('latin1');
}

async function info(c: RawClient, field: string): Promise<number> {
  return Number(new RegExp(`\\r\\n${field}:(\\d+)`).exec(await c.callText('INFO', 'everything'))![1]);
}

describe('activedefrag', () => {
  it('moves the keys left in sparse segments, which then go back; data and a running SCAN are unaffected', async () => {
    const shoal = await startShoal({ threads: 4 });
    const c = await rawClient(shoal.port);
    try {
      const n = 400_000;
      const value = (i: number) => `value:${i}:`.padEnd(200, 'x');
      const cmds: string[][] = [];
      for (let i = 0; i < n; i += 500) cmds.push(['MSET', ...Array.from({ length: 500 }, (_, j) => [`key:${i + j}`, value(i + j)]).flat()]);
      await pipeline(c, cmds);
      // Keep one key in eight: every segment stays, an eighth full.
      const dels: string[][] = [];
      for (let i = 0; i < n; i += 800) dels.push(['DEL', ...Array.from({ length: 800 }, (_, j) => i + j).filter((k) => k % 8 !== 0).map((k) => `key:${k}`)]);
      await pipeline(c, dels);
      expect(await c.callText('MEMORY', 'PURGE')).toBe('+OK\r\n');
      const digest = await digestOf(c);
      const before = await info(c, 'used_memory_arena_reserved');
      expect(await info(c, 'active_defrag_hits')).toBe(0);

      // A SCAN started before the pass and going on during it.
      const seen = new Set<string>();
      let cursor = (await c.call('SCAN', '0', 'COUNT', '500')).toString('latin1');
      const scanStep = async (): Promise<boolean> => {
        const raw = cursor;
        const next = /^\*2\r\n\$\d+\r\n(\d+)\r\n/.exec(raw)![1];
        for (const m of raw.matchAll(/\r\nkey:(\d+)\r\n/g)) seen.add(m[1]);
        if (next === '0') return false;
        cursor = (await c.call('SCAN', next, 'COUNT', '500')).toString('latin1');
        return true;
      };

      for (const [k, v] of [['active-defrag-ignore-bytes', '1mb'], ['active-defrag-threshold-lower', '5'], ['active-defrag-cycle-max', '50'], ['activedefrag', 'yes']]) {
        expect(await c.callText('CONFIG', 'SET', k, v)).toBe('+OK\r\n');
      }
      let scanning = true;
      let after = before;
      const deadline = Date.now() + 60_000;
      for (;;) {
        if (scanning) scanning = await scanStep();
        else await sleep(50);
        after = await info(c, 'used_memory_arena_reserved');
        if (!scanning && after < before * 0.5 && (await info(c, 'active_defrag_running')) === 0) break;
        if (Date.now() > deadline) break;
      }
      const report = `arenas reserved ${before / MB | 0} -> ${after / MB | 0} MB, ${await info(c, 'active_defrag_hits')} moved`;
      expect(after, report).toBeLessThan(before * 0.5);
      expect(await info(c, 'active_defrag_key_hits'), report).toBeGreaterThan(0);
      expect(await digestOf(c)).toBe(digest);
      expect(await c.callText('DBSIZE')).toBe(`:${n / 8}\r\n`);
      for (let k = 0; k < n; k += 8 * 997) expect((await c.call('GET', `key:${k}`)).toString('latin1')).toBe(`$200\r\n${value(k)}\r\n`);
      for (let k = 0; k < n; k += 8) if (!seen.has(String(k))) throw new Error(`SCAN missed key:${k}`);
      // A second purge finds nothing more to give back, and keys still change as usual.
      expect(await c.callText('APPEND', 'key:8', '!')).toBe(':201\r\n');
      expect(await c.callText('CONFIG', 'SET', 'activedefrag', 'no')).toBe('+OK\r\n');
    } finally {
      c.destroy();
      await shoal.stop();
    }
  }, 180_000);

  it('moves packed collections, set and hash elements, skiplist and list nodes too; WATCH is not disturbed', async () => {
    const shoal = await startShoal({ threads: 4 });
    const c = await rawClient(shoal.port);
    const watcher = await rawClient(shoal.port);
    try {
      const empty = await info(c, 'used_memory_arena_reserved');
      const n = 20_000;
      const cmds: string[][] = [];
      for (let i = 0; i < n; i++) {
        const kind = i % 5;
        if (kind === 0) cmds.push(['HSET', `h:${i}`, ...Array.from({ length: 8 }, (_, f) => [`f${f}`, `value-${i}-${f}`]).flat()]);
        else if (kind === 1) cmds.push(['SADD', `s:${i}`, ...Array.from({ length: 20 }, (_, m) => String(i * 100 + m))]);
        // Skiplist-encoded sorted sets (past 128 members), every one of them kept by the thinning below.
        else if (kind === 2 && i % 80 === 32) cmds.push(['ZADD', `bz:${i}`, ...Array.from({ length: 200 }, (_, m) => [String(m % 17), `member-${i}-${m}`]).flat()]);
        else if (kind === 2) cmds.push(['ZADD', `z:${i}`, ...Array.from({ length: 10 }, (_, m) => [String(m), `member-${m}`]).flat()]);
        // Hashtable-encoded hashes and sets (past the listpack limits), with few enough elements to be moved.
        else if (kind === 3 && i % 80 === 8) cmds.push(['HSET', `bh:${i}`, ...Array.from({ length: 600 }, (_, f) => [`field-${f}`, `v${f}`]).flat()]);
        // Fifty lists of two nodes each, every one kept by the thinning below.
        else if (kind === 3 && i % 400 === 48) cmds.push(['RPUSH', `l:${i}`, ...Array.from({ length: 300 }, (_, e) => `element-${i}-${e}-${'x'.repeat(e % 50)}`)]);
        else if (kind === 3) cmds.push(['SET', `k:${i}`, `string-${i}`]);
        else cmds.push(['SADD', `bs:${i}`, ...Array.from({ length: 150 }, (_, m) => `m-${i}-${m}`)]);
      }
      await pipeline(c, cmds);
      const nameOf = (k: number) => (k % 5 === 3 ? (k % 80 === 8 ? 'bh' : k % 400 === 48 ? 'l' : 'k') : k % 80 === 32 ? 'bz' : ['h', 's', 'z', '', 'bs'][k % 5]);
      // Keep one key in eight, of every kind (i % 5 and i % 8 are independent).
      const dels: string[][] = [];
      for (let i = 0; i < n; i += 400) dels.push(['DEL', ...Array.from({ length: 400 }, (_, j) => i + j).filter((k) => k % 8 !== 0).map((k) => `${nameOf(k)}:${k}`)]);
      await pipeline(c, dels);
      expect(await c.callText('MEMORY', 'PURGE')).toBe('+OK\r\n');
      const digest = await digestOf(c);
      const before = await info(c, 'used_memory_arena_reserved');
      // A client WATCHes a key whose value moves: its transaction must still go through.
      expect(await watcher.callText('WATCH', 'h:40')).toBe('+OK\r\n');
      for (const [k, v] of [['active-defrag-ignore-bytes', '1mb'], ['active-defrag-threshold-lower', '5'], ['active-defrag-cycle-max', '50'], ['activedefrag', 'yes']]) {
        expect(await c.callText('CONFIG', 'SET', k, v)).toBe('+OK\r\n');
      }
      let after = before;
      const deadline = Date.now() + 60_000;
      do {
        await sleep(100);
        after = await info(c, 'used_memory_arena_reserved');
      } while ((after - empty >= (before - empty) * 0.6 || (await info(c, 'active_defrag_running')) === 1) && Date.now() < deadline);
      const report = `arenas reserved ${empty / MB | 0} empty, ${before / MB | 0} -> ${after / MB | 0} MB, ${await info(c, 'active_defrag_hits')} blocks moved`;
      // Above what an empty server holds (each shard's first and current segments).
      expect(after - empty, report).toBeLessThan((before - empty) * 0.6);
      expect(await digestOf(c)).toBe(digest);
      await watcher.write(respMany([['MULTI'], ['HSET', 'h:40', 'extra', '1'], ['EXEC']]));
      const [, queued, exec] = await watcher.readReplies(3);
      expect(queued.toString()).toBe('+QUEUED\r\n');
      expect(exec.toString()).toBe('*1\r\n:1\r\n');
      expect(await c.callText('HGET', 'h:80', 'f7')).toBe('$10\r\nvalue-80-7\r\n');
      expect(await c.callText('SISMEMBER', 's:16', '1619')).toBe(':1\r\n');
      expect(await c.callText('ZSCORE', 'z:72', 'member-9')).toBe('$1\r\n9\r\n');
      expect(await c.callText('OBJECT', 'ENCODING', 'bh:8')).toBe('$9\r\nhashtable\r\n');
      expect(await c.callText('HLEN', 'bh:8')).toBe(':600\r\n');
      expect(await c.callText('HGET', 'bh:88', 'field-599')).toBe('$4\r\nv599\r\n');
      expect(await c.callText('SISMEMBER', 'bs:24', 'm-24-149')).toBe(':1\r\n');
      expect(await c.callText('OBJECT', 'ENCODING', 'bz:32')).toBe('$8\r\nskiplist\r\n');
      for (const i of [48, 19_648]) {
        const elements = Array.from({ length: 300 }, (_, e) => `element-${i}-${e}-${'x'.repeat(e % 50)}`);
        expect(await c.callText('LRANGE', `l:${i}`, '0', '-1')).toBe(`*300\r\n` + elements.map((e) => `$${e.length}\r\n${e}\r\n`).join(''));
      }
      for (const i of [32, 112, 19_952]) {
        const members = Array.from({ length: 200 }, (_, m) => ({ score: m % 17, member: `member-${i}-${m}` }));
        members.sort((x, y) => x.score - y.score || Buffer.compare(Buffer.from(x.member), Buffer.from(y.member)));
        const want = `*400\r\n` + members.map(({ score, member }) => `$${member.length}\r\n${member}\r\n$${String(score).length}\r\n${score}\r\n`).join('');
        expect(await c.callText('ZRANGE', `bz:${i}`, '0', '-1', 'WITHSCORES')).toBe(want);
        expect(await c.callText('ZREVRANK', `bz:${i}`, members[0]!.member)).toBe(':199\r\n');
      }
      expect(await c.callText('CONFIG', 'SET', 'activedefrag', 'no')).toBe('+OK\r\n');
    } finally {
      c.destroy();
      watcher.destroy();
      await shoal.stop();
    }
  }, 180_000);
});
