/**
 * Collections and the keyspace give their table memory back as they empty
 * (native-free-arena's segment merges), and SCAN / HSCAN / SSCAN / ZSCAN
 * keep their guarantee while that happens: every element present for a
 * whole iteration is returned, though most of the others go between calls.
 * Random deletions: the seed is printed on failure, SEED=<n> replays it.
 */
import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, sleep, startShoal } from '../helpers/servers.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { parseOne, type Reply } from '../helpers/resp.js';

const [seed] = seedsFromEnv(1);
const tagged = (name: string) => `${name} (SEED=${seed})`;

const ELEMENTS = 20_000;

interface Kind {
  name: string;
  fill: (key: string, names: string[]) => string[][];
  remove: (key: string, names: string[]) => string[];
  scan: string;
  /** Names in a SCAN page's element list (hash and zset pages pair each name with its value or score). */
  namesOf: (page: string[]) => string[];
}

const pairs = (page: string[]) => page.filter((_, i) => i % 2 === 0);
const KINDS: Kind[] = [
  { name: 'hash', fill: (k, ns) => [['HSET', k, ...ns.flatMap((n) => [n, 'v'])]], remove: (k, ns) => ['HDEL', k, ...ns], scan: 'HSCAN', namesOf: pairs },
  { name: 'set', fill: (k, ns) => [['SADD', k, ...ns]], remove: (k, ns) => ['SREM', k, ...ns], scan: 'SSCAN', namesOf: (p) => p },
  { name: 'sorted set', fill: (k, ns) => [['ZADD', k, ...ns.flatMap((n, i) => [String(i), n])]], remove: (k, ns) => ['ZREM', k, ...ns], scan: 'ZSCAN', namesOf: pairs },
];

async function pipeline(c: RawClient, cmds: string[][]): Promise<void> {
  for (let i = 0; i < cmds.length; i += 500) {
    const batch = cmds.slice(i, i + 500);
    await c.write(respMany(batch));
    for (const r of await c.readReplies(batch.length, 30_000)) if (r[0] === 0x2d) throw new Error(r.toString());
  }
}

function text(r: Reply): string {
  if (r.type !== 'bulk' || r.value === null) throw new Error(`expected a bulk string, got ${r.type}`);
  return r.value.toString('latin1');
}

/** A SCAN-family reply: [cursor, [items]]. */
function scanPage(raw: Buffer): { cursor: string; items: string[] } {
  const r = parseOne(raw);
  if (r.type !== 'array' || r.value === null) throw new Error(`expected a SCAN reply, got ${raw.toString('latin1').slice(0, 80)}`);
  const items = r.value[1];
  if (items.type !== 'array' || items.value === null) throw new Error('expected a SCAN page');
  return { cursor: text(r.value[0]), items: items.value.map(text) };
}

const MB = 1024 * 1024;

function rssOf(pid: number): number {
  return Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
}

async function infoField(c: RawClient, field: string): Promise<number> {
  return Number(new RegExp(`\r\n${field}:(\\d+)`).exec(await c.callText('INFO', 'memory'))![1]);
}

describe('memory that comes back', () => {
  it('a 1,000,000-field hash and a 1,000,000-member set emptied to 10 elements give back their arena segments and most of the RSS they took', async () => {
    const shoal = await startShoal({ threads: 4 });
    const c = await rawClient(shoal.port);
    try {
      const before = { rss: rssOf(shoal.pid), reserved: await infoField(c, 'used_memory_arena_reserved') };
      const n = 1_000_000;
      const names = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => `element:${String(from + i).padStart(8, '0')}`);
      for (let i = 0; i < n; i += 20_000) {
        const cmds: string[][] = [];
        for (let j = i; j < i + 20_000; j += 1000) {
          const ns = names(j, j + 1000);
          cmds.push(['HSET', 'big:hash', ...ns.flatMap((x) => [x, 'value']), ], ['SADD', 'big:set', ...ns]);
        }
        await pipeline(c, cmds);
      }
      const full = { rss: rssOf(shoal.pid), reserved: await infoField(c, 'used_memory_arena_reserved') };
      for (let i = 10; i < n; i += 20_000) {
        const cmds: string[][] = [];
        for (let j = i; j < Math.min(n, i + 20_000); j += 1000) {
          const ns = names(j, Math.min(n, j + 1000));
          cmds.push(['HDEL', 'big:hash', ...ns], ['SREM', 'big:set', ...ns]);
        }
        await pipeline(c, cmds);
      }
      expect(await c.callText('HLEN', 'big:hash')).toBe(':10\r\n');
      expect(await c.callText('SCARD', 'big:set')).toBe(':10\r\n');
      expect(await c.callText('MEMORY', 'PURGE')).toBe('+OK\r\n');
      // The buffers let go are freed as the collector sweeps, just after MEMORY PURGE answers: the lowest RSS of the next 2 s.
      let rss = rssOf(shoal.pid);
      for (let i = 0; i < 20; i++) {
        await sleep(100);
        rss = Math.min(rss, rssOf(shoal.pid));
      }
      const after = { rss, reserved: await infoField(c, 'used_memory_arena_reserved') };
      const report = `RSS ${before.rss / MB | 0} -> ${full.rss / MB | 0} -> ${after.rss / MB | 0} MB; arenas reserved ${before.reserved / MB | 0} -> ${full.reserved / MB | 0} -> ${after.reserved / MB | 0} MB`;
      // The data filled tens of MB of segments; only those the 20 elements left (and their tables) sit in stay.
      expect(full.reserved - before.reserved, report).toBeGreaterThan(40 * MB);
      expect(after.reserved - before.reserved, report).toBeLessThan(0.3 * (full.reserved - before.reserved));
      // And the process gives most of it back (the rest: the reading thread's buffers, rings, heaps).
      expect(after.rss - before.rss, report).toBeLessThan(0.6 * (full.rss - before.rss));
    } finally {
      c.destroy();
      await shoal.stop();
    }
  }, 180_000);
});

describe('tables that shrink as they empty', () => {
  for (const kind of KINDS) {
    it(tagged(`${kind.name}: MEMORY USAGE falls as 95% of ${ELEMENTS} elements go, and ${kind.scan} returns every element kept throughout`), async () => {
      const rng = new Rng(seed! ^ kind.name.length);
      const shoal = await startShoal({ threads: 4 });
      const c = await rawClient(shoal.port);
      try {
        const key = `big:${kind.name}`;
        const names = Array.from({ length: ELEMENTS }, (_, i) => `member:${i}`);
        for (let i = 0; i < names.length; i += 1000) await pipeline(c, kind.fill(key, names.slice(i, i + 1000)));
        const full = Number((await c.callText('MEMORY', 'USAGE', key)).slice(1));
        const kept = new Set(names.filter((_, i) => i % 20 === 0));
        // Shuffled, so the deletions hit segments all over the table.
        const victims = rng.shuffle(names.filter((n) => !kept.has(n)));
        const seen = new Set<string>();
        let cursor = '0';
        let pages = 0;
        do {
          const page = scanPage(await c.call(kind.scan, key, cursor, 'COUNT', String(rng.range(10, 300))));
          cursor = page.cursor;
          for (const n of kind.namesOf(page.items)) seen.add(n);
          pages++;
          const batch = victims.splice(0, rng.range(100, 1500));
          if (batch.length > 0) await pipeline(c, [kind.remove(key, batch)]);
        } while (cursor !== '0');
        if (victims.length > 0) await pipeline(c, [kind.remove(key, victims)]);
        for (const n of kept) if (!seen.has(n)) throw new Error(`${kind.scan} missed ${n} (of ${kept.size} kept, ${pages} pages)`);
        expect(await c.callText(kind.name === 'hash' ? 'HLEN' : kind.name === 'set' ? 'SCARD' : 'ZCARD', key)).toBe(`:${kept.size}\r\n`);
        const left = Number((await c.callText('MEMORY', 'USAGE', key)).slice(1));
        // The elements left are a twentieth; their tables must have shrunk with them (without merges: over half of it stays).
        expect(left).toBeLessThan(full / 4);
      } finally {
        c.destroy();
        await shoal.stop();
      }
    }, 120_000);
  }

  it(tagged('the keyspace: SCAN returns every key kept throughout while 95% of the keys of every shard go'), async () => {
    const rng = new Rng(seed! ^ 0x77);
    const shoal = await startShoal({ threads: 4 });
    const c = await rawClient(shoal.port);
    try {
      const keys = Array.from({ length: ELEMENTS }, (_, i) => `key:${i}`);
      for (let i = 0; i < keys.length; i += 1000) await pipeline(c, [['MSET', ...keys.slice(i, i + 1000).flatMap((k) => [k, 'v'])]]);
      const kept = new Set(keys.filter((_, i) => i % 20 === 0));
      const victims = rng.shuffle(keys.filter((k) => !kept.has(k)));
      const seen = new Set<string>();
      let cursor = '0';
      do {
        const page = scanPage(await c.call('SCAN', cursor, 'COUNT', String(rng.range(10, 300))));
        cursor = page.cursor;
        for (const k of page.items) seen.add(k);
        const batch = victims.splice(0, rng.range(50, 400));
        if (batch.length > 0) await pipeline(c, [['DEL', ...batch]]);
      } while (cursor !== '0');
      for (const k of kept) if (!seen.has(k)) throw new Error(`SCAN missed ${k}`);
    } finally {
      c.destroy();
      await shoal.stop();
    }
  }, 120_000);
});
