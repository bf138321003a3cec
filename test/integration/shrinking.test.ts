/**
 * Collections and the keyspace give their table memory back as they empty
 * (native-free-arena's segment merges), and SCAN / HSCAN / SSCAN / ZSCAN
 * keep their guarantee while that happens: every element present for a
 * whole iteration is returned, though most of the others go between calls.
 * Random deletions: the seed is printed on failure, SEED=<n> replays it.
 */
import { describe, expect, it } from 'vitest';
import { type RawClient, rawClient, respMany, startShoal } from '../helpers/servers.js';
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
        const victims = names.filter((n) => !kept.has(n));
        // Shuffled, so the deletions hit segments all over the table.
        for (let i = victims.length - 1; i > 0; i--) {
          const j = rng.int(i + 1);
          [victims[i], victims[j]] = [victims[j], victims[i]];
        }
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
        // The elements left are a twentieth; their tables must have shrunk with them.
        expect(left).toBeLessThan(full / 8);
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
      const victims = keys.filter((k) => !kept.has(k));
      for (let i = victims.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [victims[i], victims[j]] = [victims[j], victims[i]];
      }
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
