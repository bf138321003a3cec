/**
 * Hashes in a running server, against redis-server 7.0 and Shoal (4 shards),
 * for what the random differential test (test/differential/hashes.diff.test.ts)
 * does not reach: HSCAN's guarantee while the hash grows and shrinks between
 * calls, hashes moving between shards (RENAME, COPY) and databases (MOVE)
 * with their contents, encoding and TTL, every arena block given back by
 * DEL / UNLINK / FLUSHALL / expiry, WATCH invalidation by hash writes (and
 * not by no-op writes, as Redis decides), HRANDFIELD's contract on both
 * encodings, and MEMORY USAGE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unordered } from '../helpers/differential.js';
import { type RawClient, type ServerHandle, rawClient, resp, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import { oneKeyPerShard, shardOf } from '../helpers/shards.js';
import { Twin, TwinLog } from '../helpers/twin.js';

const OK = '+OK\r\n';
const QUEUED = '+QUEUED\r\n';
const NIL_ARRAY = '*-1\r\n';
/** One key per shard: S[i] lives on shard i. */
const S = oneKeyPerShard('hs:', 4);

let redis: ServerHandle;
let shoal: ServerHandle;
const opened: Twin[] = [];

async function session(label: string, ...who: string[]): Promise<Twin[]> {
  const log = new TwinLog(label);
  const twins = await Promise.all(who.map((w) => Twin.open(redis.port, shoal.port, w, log, ['redis', shoal.name])));
  opened.push(...twins);
  return twins;
}

beforeAll(async () => {
  [redis, shoal] = await startAll(startRedis(), startShoal({ shards: 4 }));
});

afterAll(async () => {
  for (const t of opened) t.destroy();
  await Promise.all([redis?.stop(), shoal?.stop()]);
});

async function call(c: RawClient, ...args: string[]): Promise<Reply> {
  await c.write(resp(...args));
  const [r] = await c.readReplies(1, 10_000);
  return parseOne(r!);
}

/** Sends one command to Shoal alone and returns its parsed reply. */
async function shoalOnly(...args: string[]): Promise<Reply> {
  const c = await rawClient(shoal.port);
  try {
    return await call(c, ...args);
  } finally {
    c.destroy();
  }
}

function arrayOf(r: Reply): Reply[] {
  if (r.type !== 'array' || r.value === null) throw new Error(`not an array: ${JSON.stringify(r)}`);
  return r.value;
}
function bulkText(r: Reply): string {
  if (r.type !== 'bulk' || r.value === null) throw new Error(`not a bulk: ${r.type}`);
  return r.value.toString('latin1');
}
function intOf(r: Reply): number {
  if (r.type !== 'integer') throw new Error(`not an integer: ${JSON.stringify(r)}`);
  return Number(r.value);
}

/** HGETALL as field → value, compared without order. */
function pairsUnordered(a: Buffer, b: Buffer): boolean {
  const pairs = (x: Buffer): string[] => {
    const items = arrayOf(parseOne(x)).map(bulkText);
    const out: string[] = [];
    for (let i = 0; i < items.length; i += 2) out.push(`${items[i]}=${items[i + 1]}`);
    return out.sort();
  };
  const pa = pairs(a);
  const pb = pairs(b);
  return pa.length === pb.length && pa.every((x, i) => x === pb[i]);
}

/** Arena bytes of every shard (INFO memory used_memory_arena_allocated). */
async function datasetBytes(): Promise<number> {
  const info = bulkText(await shoalOnly('INFO', 'memory'));
  const m = /used_memory_arena_allocated:(\d+)/.exec(info);
  if (!m) throw new Error('no used_memory_arena_allocated in INFO');
  return Number(m[1]);
}

function fieldArgs(n: number, prefix = 'f', value = (i: number) => `value-${i}`): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${prefix}${i}`, value(i));
  return out;
}

describe('hashes', () => {
  it('HSCAN returns every field present for the whole scan while the hash grows and shrinks', async () => {
    for (const port of [redis.port, shoal.port]) {
      const c = await rawClient(port);
      try {
        await call(c, 'DEL', 'scan');
        await call(c, 'HSET', 'scan', ...fieldArgs(3000));
        expect(bulkText(await call(c, 'OBJECT', 'ENCODING', 'scan'))).toBe('hashtable');
        const stay = new Set(Array.from({ length: 3000 }, (_, i) => i).filter((i) => i % 3 !== 0).map((i) => `f${i}`));
        const seen = new Map<string, string>();
        let cursor = '0';
        let step = 0;
        do {
          const [cur, items] = arrayOf(await call(c, 'HSCAN', 'scan', cursor, 'COUNT', '25'));
          cursor = bulkText(cur!);
          const list = arrayOf(items!).map(bulkText);
          expect(list.length % 2).toBe(0);
          for (let i = 0; i < list.length; i += 2) seen.set(list[i]!, list[i + 1]!);
          // Between calls: grow by 40 new fields (splitting table segments), drop 10 of the doomed ones.
          step++;
          await call(c, 'HSET', 'scan', ...fieldArgs(40, `new${step}-`));
          const doomed = Array.from({ length: 10 }, (_, k) => `f${((step * 10 + k) * 3) % 3000}`);
          await call(c, 'HDEL', 'scan', ...doomed);
        } while (cursor !== '0' && step < 10_000);
        expect(cursor).toBe('0');
        for (const f of stay) expect(seen.get(f), `${f} on port ${port}`).toBe(`value-${f.slice(1)}`);
      } finally {
        c.destroy();
      }
    }
  });

  it('hashes keep their fields, encoding and TTL when renamed, copied or moved, on one shard or across shards', async () => {
    const [a] = await session('move', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    const ttl = { cmp: (x: Buffer, y: Buffer) => Math.abs(Number(x.toString().slice(1)) - Number(y.toString().slice(1))) <= 2 };
    const shapes: Array<[string, string[]]> = [
      ['listpack', fieldArgs(20, 'f', (i) => (i % 5 === 0 ? `v\r\n${i}\0` : String(i)))],
      ['hashtable', fieldArgs(2000)],
      ['hashtable', ['long', 'x'.repeat(100), 'f', '1']],
    ];
    for (const [encoding, fields] of shapes) {
      const cmpAll = encoding === 'listpack' ? {} : { cmp: pairsUnordered };
      for (const [from, to] of [[S[0]!, S[1]!], [S[1]!, `{${S[1]}}same`], [`{${S[1]}}same`, S[3]!]]) {
        expect(shardOf(from) === shardOf(to)).toBe(to.includes(from));
        await a!.do(['HSET', from, ...fields]);
        await a!.do(['EXPIRE', from, '100000'], { expect: ':1\r\n' });
        await a!.do(['RENAME', from, to], { expect: OK });
        await a!.do(['EXISTS', from], { expect: ':0\r\n' });
        await a!.do(['HGETALL', to], cmpAll);
        await a!.do(['OBJECT', 'ENCODING', to], { expect: `$${encoding.length}\r\n${encoding}\r\n` });
        await a!.do(['TTL', to], ttl);
        await a!.do(['COPY', to, from], { expect: ':1\r\n' });
        await a!.do(['OBJECT', 'ENCODING', from], { expect: `$${encoding.length}\r\n${encoding}\r\n` });
        await a!.do(['TTL', from], ttl);
        // The copy is independent of its source.
        await a!.do(['HSET', from, fields[0]!, 'changed'], { expect: ':0\r\n' });
        await a!.do(['HGET', to, fields[0]!]);
        await a!.do(['HGET', from, fields[0]!], { expect: '$7\r\nchanged\r\n' });
        await a!.do(['HLEN', to]);
        await a!.do(['DEL', from, to], { expect: ':2\r\n' });
      }
      // MOVE to another database (same shard): contents, encoding, TTL.
      await a!.do(['HSET', S[2]!, ...fields]);
      await a!.do(['PEXPIRE', S[2]!, '100000000'], { expect: ':1\r\n' });
      await a!.do(['MOVE', S[2]!, '3'], { expect: ':1\r\n' });
      await a!.do(['SELECT', '3'], { expect: OK });
      await a!.do(['HGETALL', S[2]!], cmpAll);
      await a!.do(['OBJECT', 'ENCODING', S[2]!], { expect: `$${encoding.length}\r\n${encoding}\r\n` });
      await a!.do(['TTL', S[2]!], ttl);
      await a!.do(['DEL', S[2]!], { expect: ':1\r\n' });
      await a!.do(['SELECT', '0'], { expect: OK });
    }
    await a!.do(['DBSIZE'], { expect: ':0\r\n' });
  });

  it('DEL, UNLINK, FLUSHALL and expiry give every block of a hash back to the arena', async () => {
    const keys = [...S, ...S.map((k) => `{${k}}b`)];
    const fill = async (): Promise<void> => {
      for (const [i, k] of keys.entries()) {
        // Both encodings on every shard: a big hashtable and small listpacks.
        if (i % 2 === 0) await shoalOnly('HSET', k, ...fieldArgs(3000, 'field', (j) => `v${j}`.repeat(1 + (j % 5))));
        else await shoalOnly('HSET', k, ...fieldArgs(10));
        await shoalOnly('HINCRBYFLOAT', k, 'counter', '1.5');
      }
    };
    await shoalOnly('FLUSHALL');
    // Warm up: the keyspace tables reach the size these keys need.
    for (const k of keys) await shoalOnly('SET', k, 'x');
    await shoalOnly('DEL', ...keys.slice(0, 4));
    await shoalOnly('DEL', ...keys.slice(4));
    const base = await datasetBytes();
    await fill();
    const full = await datasetBytes();
    expect(full - base).toBeGreaterThan(4 * 3000 * 20);
    await shoalOnly('DEL', ...keys.slice(0, 3));
    await shoalOnly('UNLINK', ...keys.slice(3));
    expect(await datasetBytes()).toBe(base);
    // Emptying a hash field by field deletes the key and frees everything too.
    await fill();
    for (const k of keys) {
      const fields = arrayOf(await shoalOnly('HKEYS', k)).map(bulkText);
      for (let i = 0; i < fields.length; i += 500) await shoalOnly('HDEL', k, ...fields.slice(i, i + 500));
      expect(intOf(await shoalOnly('EXISTS', k))).toBe(0);
    }
    expect(await datasetBytes()).toBe(base);
    // Expiry, lazy and active.
    await fill();
    for (const k of keys) await shoalOnly('PEXPIRE', k, '20');
    await sleep(400);
    await shoalOnly('HGET', keys[0]!, 'f1');
    expect(intOf(await shoalOnly('DBSIZE'))).toBe(0);
    expect(await datasetBytes()).toBe(base);
    await shoalOnly('FLUSHALL');
    const flushed = await datasetBytes();
    await fill();
    await shoalOnly('FLUSHALL');
    expect(await datasetBytes()).toBe(flushed);
  });

  it('hash writes invalidate a WATCH; reads and no-op writes do not, as in Redis', async () => {
    const [a, b] = await session('watch', 'a', 'b');
    const cases: Array<{ setup: string[][]; write: string[]; aborts: boolean }> = [
      { setup: [], write: ['HSET', 'w', 'f', 'v'], aborts: true },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HSET', 'w', 'f', 'v'], aborts: true }, // same value: Redis still signals
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HMSET', 'w', 'g', 'v'], aborts: true },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HSET', 'w', 'f'], aborts: false }, // arity error
      { setup: [['HSET', 'w', 'f', 'v', 'g', 'v']], write: ['HDEL', 'w', 'f'], aborts: true },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HDEL', 'w', 'f'], aborts: true }, // deletes the key
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HDEL', 'w', 'nope'], aborts: false },
      { setup: [], write: ['HDEL', 'w', 'nope'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HSETNX', 'w', 'f', 'x'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HSETNX', 'w', 'g', 'x'], aborts: true },
      { setup: [['HSET', 'w', 'n', '1']], write: ['HINCRBY', 'w', 'n', '0'], aborts: true },
      { setup: [['HSET', 'w', 'n', 'x']], write: ['HINCRBY', 'w', 'n', '1'], aborts: false },
      { setup: [['HSET', 'w', 'n', '9223372036854775807']], write: ['HINCRBY', 'w', 'n', '1'], aborts: false },
      { setup: [['HSET', 'w', 'n', '1']], write: ['HINCRBYFLOAT', 'w', 'n', '0.5'], aborts: true },
      { setup: [['HSET', 'w', 'n', 'x']], write: ['HINCRBYFLOAT', 'w', 'n', '0.5'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HGET', 'w', 'f'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HGETALL', 'w'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HRANDFIELD', 'w', '-3', 'WITHVALUES'], aborts: false },
      { setup: [['HSET', 'w', 'f', 'v']], write: ['HSCAN', 'w', '0'], aborts: false },
      // A hashtable: the same through the other encoding.
      { setup: [['HSET', 'w', ...fieldArgs(600)]], write: ['HSET', 'w', 'f1', 'x'], aborts: true },
      { setup: [['HSET', 'w', ...fieldArgs(600)]], write: ['HDEL', 'w', 'nope'], aborts: false },
      { setup: [['HSET', 'w', ...fieldArgs(600)]], write: ['HDEL', 'w', 'f1'], aborts: true },
    ];
    for (const c of cases) {
      await a!.do(['FLUSHALL'], { expect: OK });
      for (const s of c.setup) await a!.do(s);
      await a!.do(['WATCH', 'w'], { expect: OK });
      await b!.do(c.write, { cmp: c.write[0] === 'HRANDFIELD' || c.write[0] === 'HGETALL' || c.write[0] === 'HSCAN' ? () => true : undefined });
      await a!.do(['MULTI'], { expect: OK });
      await a!.do(['HLEN', 'w'], { expect: QUEUED });
      await a!.do(['EXEC'], c.aborts ? { expect: NIL_ARRAY } : { expect: /^\*1\r\n/ });
    }
  });

  it('MULTI/EXEC runs hash commands in order; TYPE, SCAN TYPE and OBJECT ENCODING know hashes', async () => {
    const [a] = await session('multi', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['MULTI'], { expect: OK });
    for (const c of [['HSET', 'm', 'a', '1', 'b', '2'], ['HINCRBY', 'm', 'a', '41'], ['HDEL', 'm', 'b'], ['HGETALL', 'm'], ['HINCRBYFLOAT', 'm', 'a', 'x']]) {
      await a!.do(c, { expect: QUEUED });
    }
    await a!.do(['EXEC']);
    for (const k of S) await a!.do(['HSET', k, 'f', 'v'], { expect: ':1\r\n' });
    await a!.do(['TYPE', S[2]!], { expect: '+hash\r\n' });
    for (const t of [a!.ref, a!.tgt]) {
      const found: string[] = [];
      let cursor = '0';
      do {
        const [c, keys] = arrayOf(await call(t, 'SCAN', cursor, 'TYPE', 'hash', 'COUNT', '100'));
        cursor = bulkText(c!);
        for (const k of arrayOf(keys!)) found.push(bulkText(k));
      } while (cursor !== '0');
      expect(found.sort()).toEqual(['m', ...S].sort());
    }
    await a!.do(['KEYS', '*'], { cmp: unordered });
  });

  it('HRANDFIELD: distinct fields for positive counts, exactly |count| for negative ones, values that belong to their fields', async () => {
    for (const resp3 of [false, true]) {
      const c = await rawClient(shoal.port);
      try {
        if (resp3) await call(c, 'HELLO', '3');
        for (const [key, n] of [['rl', 20], ['rh', 1000]] as const) {
          await call(c, 'DEL', key);
          await call(c, 'HSET', key, ...fieldArgs(n));
          expect(bulkText(await call(c, 'OBJECT', 'ENCODING', key))).toBe(n > 512 ? 'hashtable' : 'listpack');
          for (const count of [1, 5, n - 1, n, n + 7, -1, -5, -(3 * n)]) {
            for (const wv of [false, true]) {
              const r = arrayOf(await call(c, 'HRANDFIELD', key, String(count), ...(wv ? ['WITHVALUES'] : [])));
              const pairs: Array<[string, string | null]> = [];
              if (!wv) for (const x of r) pairs.push([bulkText(x), null]);
              else if (resp3) for (const x of r) pairs.push(arrayOf(x).map(bulkText) as [string, string]);
              else for (let i = 0; i < r.length; i += 2) pairs.push([bulkText(r[i]!), bulkText(r[i + 1]!)]);
              const expected = count > 0 ? Math.min(count, n) : -count;
              expect(pairs.length, `${key} ${count} ${wv}`).toBe(expected);
              for (const [f, v] of pairs) {
                expect(f).toMatch(/^f\d+$/);
                expect(Number(f.slice(1))).toBeLessThan(n);
                if (v !== null) expect(v).toBe(`value-${f.slice(1)}`);
              }
              if (count > 0) expect(new Set(pairs.map((p) => p[0])).size).toBe(pairs.length);
              // Negative counts sample with repetition: a large one must show both repeats and variety.
              if (count === -(3 * n)) {
                expect(new Set(pairs.map((p) => p[0])).size).toBeLessThan(pairs.length);
                expect(new Set(pairs.map((p) => p[0])).size).toBeGreaterThan(n / 3);
              }
            }
          }
          // Without a count: one field (a bulk string).
          expect(bulkText(await call(c, 'HRANDFIELD', key))).toMatch(/^f\d+$/);
        }
      } finally {
        c.destroy();
      }
    }
  });

  it('MEMORY USAGE counts a hash exactly and stays compact', async () => {
    await shoalOnly('DEL', 'mem', 'memsmall');
    await shoalOnly('HSET', 'memsmall', ...fieldArgs(10));
    const small = intOf(await shoalOnly('MEMORY', 'USAGE', 'memsmall'));
    // 10 pairs of ~8 + ~8 bytes in one block, plus the key's entry.
    expect(small).toBeLessThan(300);
    await shoalOnly('HSET', 'mem', ...fieldArgs(1));
    const one = intOf(await shoalOnly('MEMORY', 'USAGE', 'mem'));
    for (let i = 0; i < 100_000; i += 5000) await shoalOnly('HSET', 'mem', ...fieldArgs(5000).map((x, j) => (j % 2 === 0 ? `f${i + j / 2}` : x)));
    const big = intOf(await shoalOnly('MEMORY', 'USAGE', 'mem'));
    expect(bulkText(await shoalOnly('OBJECT', 'ENCODING', 'mem'))).toBe('hashtable');
    // Each field is one block of about 16 bytes (a 24-byte class) and one table slot.
    const perField = (big - one) / 100_000;
    expect(perField).toBeGreaterThan(20);
    expect(perField).toBeLessThan(60);
  });
});
