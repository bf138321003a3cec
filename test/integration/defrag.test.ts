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
      const digest = await c.callText('DEBUG', 'DIGEST');
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
      expect(await c.callText('DEBUG', 'DIGEST')).toBe(digest);
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
});
