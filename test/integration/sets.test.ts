/**
 * Sets in a running server, for what the random differential test
 * (test/differential/sets.diff.test.ts) does not reach: WATCH invalidation by
 * set writes (and no invalidation by writes that change nothing), sets moving
 * between shards and databases (RENAME, COPY, MOVE) in every encoding, DEL
 * and FLUSHALL giving every arena block back, the SSCAN guarantee while a
 * hashtable set grows and shrinks between calls, MEMORY USAGE, and the
 * listpack encoding of Redis 7.2 (which the 7.0 oracle lacks): its
 * conversions and its insertion order. Shoal runs with 4 shards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sameShape, unordered } from '../helpers/differential.js';
import { type ServerHandle, rawClient, resp, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import { oneKeyPerShard } from '../helpers/shards.js';
import { Twin, TwinLog } from '../helpers/twin.js';

const OK = '+OK\r\n';
const QUEUED = '+QUEUED\r\n';
const NIL_ARRAY = '*-1\r\n';
/** One key per shard: S[i] lives on shard i. */
const S = oneKeyPerShard('st:', 4);

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

/** Sends commands to Shoal alone, on one connection, and returns the parsed replies. */
async function shoalAll(...cmds: string[][]): Promise<Reply[]> {
  const c = await rawClient(shoal.port);
  try {
    await c.write(Buffer.concat(cmds.map((a) => resp(...a))));
    return (await c.readReplies(cmds.length, 10_000)).map((r) => parseOne(r));
  } finally {
    c.destroy();
  }
}
async function shoalOnly(...args: string[]): Promise<Reply> {
  return (await shoalAll(args))[0]!;
}

function arrayOf(r: Reply): Reply[] {
  if ((r.type !== 'array' && r.type !== 'set') || r.value === null) throw new Error(`not an array: ${JSON.stringify(r)}`);
  return r.value;
}
function bulkText(r: Reply): string {
  if (r.type !== 'bulk' || r.value === null) throw new Error(`not a bulk: ${JSON.stringify(r)}`);
  return r.value.toString('latin1');
}
function intOf(r: Reply): number {
  if (r.type !== 'integer') throw new Error(`not an integer: ${JSON.stringify(r)}`);
  return Number(r.value);
}
async function members(key: string): Promise<string[]> {
  return arrayOf(await shoalOnly('SMEMBERS', key)).map(bulkText);
}
async function encoding(key: string): Promise<string> {
  return bulkText(await shoalOnly('OBJECT', 'ENCODING', key));
}
async function datasetBytes(): Promise<number> {
  const info = bulkText(await shoalOnly('INFO', 'memory'));
  const m = /used_memory_arena_allocated:(\d+)/.exec(info);
  if (!m) throw new Error('no used_memory_arena_allocated in INFO');
  return Number(m[1]);
}

const range = (n: number, f: (i: number) => string): string[] => Array.from({ length: n }, (_, i) => f(i));

describe('sets', () => {
  it('set writes invalidate a WATCH; reads and writes that change nothing do not', async () => {
    const [a, b] = await session('watch', 'a', 'b');
    const cases: Array<{ setup: string[][]; write: string[]; aborts: boolean }> = [
      { setup: [['SADD', '{w}w', '1']], write: ['SADD', '{w}w', '2'], aborts: true },
      { setup: [['SADD', '{w}w', '1']], write: ['SADD', '{w}w', '1'], aborts: false },
      { setup: [['SADD', '{w}w', 'a']], write: ['SADD', '{w}w', 'a', 'b'], aborts: true },
      { setup: [], write: ['SADD', '{w}w', 'a'], aborts: true },
      { setup: [['SADD', '{w}w', '1', '2']], write: ['SREM', '{w}w', '1'], aborts: true },
      { setup: [['SADD', '{w}w', '1']], write: ['SREM', '{w}w', '1'], aborts: true }, // deletes the key
      { setup: [['SADD', '{w}w', '1']], write: ['SREM', '{w}w', 'nope'], aborts: false },
      { setup: [['SADD', '{w}w', '1', '2']], write: ['SPOP', '{w}w'], aborts: true },
      { setup: [['SADD', '{w}w', '1', '2']], write: ['SPOP', '{w}w', '0'], aborts: false },
      { setup: [['SADD', '{w}w', '1', '2']], write: ['SPOP', '{w}w', '5'], aborts: true },
      { setup: [], write: ['SPOP', '{w}w'], aborts: false },
      { setup: [['SADD', '{w}src', 'x']], write: ['SMOVE', '{w}src', '{w}w', 'x'], aborts: true },
      { setup: [['SADD', '{w}src', 'x']], write: ['SMOVE', '{w}src', '{w}w', 'nope'], aborts: false },
      { setup: [['SADD', '{w}w', 'x']], write: ['SMOVE', '{w}w', '{w}w', 'x'], aborts: false },
      { setup: [['SADD', '{w}w', 'x']], write: ['SMOVE', '{w}w', '{w}dst', 'x'], aborts: true },
      { setup: [['SADD', '{w}a', 'x'], ['SADD', '{w}b', 'x']], write: ['SINTERSTORE', '{w}w', '{w}a', '{w}b'], aborts: true },
      { setup: [['SADD', '{w}a', 'x']], write: ['SINTERSTORE', '{w}w', '{w}a', '{w}none'], aborts: false },
      { setup: [['SADD', '{w}w', 'x']], write: ['SINTERSTORE', '{w}w', '{w}none'], aborts: true }, // deletes w
      { setup: [['SADD', '{w}a', 'x']], write: ['SUNIONSTORE', '{w}w', '{w}a'], aborts: true },
      { setup: [['SADD', '{w}a', 'x']], write: ['SDIFFSTORE', '{w}w', '{w}a', '{w}a'], aborts: false },
      { setup: [['SET', '{w}w', 'str']], write: ['SDIFFSTORE', '{w}w', '{w}none'], aborts: true },
      { setup: [['SADD', '{w}w', 'x']], write: ['SMEMBERS', '{w}w'], aborts: false },
      { setup: [['SADD', '{w}w', 'x']], write: ['SRANDMEMBER', '{w}w', '-3'], aborts: false },
      { setup: [['SADD', '{w}w', 'x'], ['SADD', '{w}a', 'y']], write: ['SINTERCARD', '2', '{w}w', '{w}a'], aborts: false },
      { setup: [['SADD', '{w}w', 'x']], write: ['SSCAN', '{w}w', '0'], aborts: false },
    ];
    for (const c of cases) {
      await a!.do(['FLUSHALL'], { expect: OK });
      for (const s of c.setup) await a!.do(s);
      await a!.do(['WATCH', '{w}w'], { expect: OK });
      // A single SPOP's member is random: compare the reply's shape.
      const random = c.write[0] === 'SPOP' ? (c.write.length === 2 ? sameShape : unordered) : undefined;
      await b!.do(c.write, { cmp: random });
      await a!.do(['MULTI'], { expect: OK });
      await a!.do(['SCARD', '{w}w'], { expect: QUEUED });
      await a!.do(['EXEC'], c.aborts ? { expect: NIL_ARRAY } : { expect: /^\*1\r\n/ });
    }
  });

  it('MULTI/EXEC runs set commands in order', async () => {
    const [a] = await session('multi', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['MULTI'], { expect: OK });
    for (const c of [['SADD', '{m}a', '3', '1', '2'], ['SREM', '{m}a', '2'], ['SMOVE', '{m}a', '{m}b', '3'], ['SMEMBERS', '{m}a'], ['SUNION', '{m}a', '{m}b'], ['SPOP', '{m}a', '9']]) {
      await a!.do(c, { expect: QUEUED });
    }
    await a!.do(['EXEC']);
    await a!.do(['EXISTS', '{m}a', '{m}b'], { expect: ':1\r\n' });
  });

  it('sets keep members, order, encoding and TTL through RENAME, COPY and MOVE, across shards', async () => {
    await shoalOnly('FLUSHALL');
    const kinds: Array<[string, string[]]> = [
      ['intset', range(300, (i) => String(i * 7919 - 1_000_000))],
      ['listpack', ['b', '3', 'a\r\n\0', '', 'z', '-7']],
      ['hashtable', range(2000, (i) => (i % 5 === 0 ? `m\0${i}` : String(i)))],
    ];
    for (const [enc, elems] of kinds) {
      const hops: Array<[string, string]> = [[S[0]!, S[1]!], [S[1]!, `{${S[1]}}same`], [`{${S[1]}}same`, S[3]!], [S[3]!, S[2]!]];
      await shoalOnly('SADD', S[0]!, ...elems);
      expect(await encoding(S[0]!)).toBe(enc);
      const before = await members(S[0]!);
      if (enc !== 'hashtable') expect(before).toEqual(enc === 'intset' ? [...elems].sort((p, q) => Number(p) - Number(q)) : elems);
      await shoalOnly('EXPIRE', S[0]!, '100000');
      for (const [from, to] of hops) {
        expect(await shoalOnly('RENAME', from, to)).toEqual({ type: 'simple', value: 'OK' });
        expect(intOf(await shoalOnly('EXISTS', from))).toBe(0);
        expect(await encoding(to)).toBe(enc);
        const got = await members(to);
        if (enc === 'hashtable') expect(new Set(got)).toEqual(new Set(before));
        else expect(got).toEqual(before);
        expect(intOf(await shoalOnly('TTL', to))).toBeGreaterThan(99_000);
        // COPY back across the shard boundary; the copy is independent of the original.
        expect(intOf(await shoalOnly('COPY', to, from))).toBe(1);
        expect(await encoding(from)).toBe(enc);
        expect(intOf(await shoalOnly('SREM', from, elems[0]!))).toBe(1);
        expect(intOf(await shoalOnly('SCARD', to))).toBe(elems.length);
        expect(intOf(await shoalOnly('SCARD', from))).toBe(elems.length - 1);
        await shoalOnly('DEL', from);
      }
      // MOVE to another database keeps it whole too.
      const last = hops[hops.length - 1]![1];
      expect(intOf(await shoalOnly('MOVE', last, '1'))).toBe(1);
      const [, moved, enc1] = await shoalAll(['SELECT', '1'], ['SMEMBERS', last], ['OBJECT', 'ENCODING', last]);
      expect(arrayOf(moved!).length).toBe(elems.length);
      expect(bulkText(enc1!)).toBe(enc);
      await shoalOnly('FLUSHALL');
    }
  });

  it('DEL, UNLINK, SPOP of everything, expiry and FLUSHALL give every block back', async () => {
    await shoalOnly('FLUSHALL');
    const base = await datasetBytes();
    const fill = async (): Promise<void> => {
      for (const k of S) {
        await shoalAll(
          ['SADD', `${k}:i`, ...range(400, (i) => String(i * 1000))],
          ['SADD', `${k}:l`, ...range(50, (i) => `l${i}`)],
          ['SADD', `${k}:h`, ...range(3000, (i) => `member-${i}-${'x'.repeat(i % 90)}`)],
        );
      }
    };
    await fill();
    expect(await datasetBytes()).toBeGreaterThan(base + 4 * 3000 * 20);
    for (const k of S) {
      await shoalAll(['DEL', `${k}:i`], ['UNLINK', `${k}:l`], ['SPOP', `${k}:h`, '100000']);
    }
    expect(await datasetBytes()).toBe(base);
    await fill();
    // SREM down to nothing deletes the key; STORE forms replace and free.
    await shoalAll(['SINTERSTORE', `{${S[0]}}x`, `${S[0]}:h`], ['SUNIONSTORE', `{${S[0]}}x`, `${S[0]}:l`], ['SDIFFSTORE', `{${S[0]}}x`, `${S[0]}:l`, `${S[0]}:l`]);
    expect(intOf(await shoalOnly('EXISTS', `{${S[0]}}x`))).toBe(0);
    await shoalOnly('FLUSHALL');
    expect(await datasetBytes()).toBe(base);
    await fill();
    for (const k of S) await shoalAll(['PEXPIRE', `${k}:h`, '1'], ['PEXPIRE', `${k}:i`, '1'], ['PEXPIRE', `${k}:l`, '1']);
    await new Promise((r) => setTimeout(r, 20));
    for (const k of S) await shoalAll(['EXISTS', `${k}:h`], ['EXISTS', `${k}:i`], ['EXISTS', `${k}:l`]);
    expect(await datasetBytes()).toBe(base);
  });

  it('SSCAN returns every member present for the whole scan while the set grows and shrinks', async () => {
    await shoalOnly('FLUSHALL');
    const key = S[1]!;
    const stable = range(3000, (i) => `s${i}`);
    await shoalOnly('SADD', key, ...stable);
    await shoalOnly('SADD', key, ...range(1000, (i) => `gone${i}`));
    expect(await encoding(key)).toBe('hashtable');
    const seen = new Set<string>();
    let cursor = '0';
    let step = 0;
    do {
      const [c, found] = arrayOf(await shoalOnly('SSCAN', key, cursor, 'COUNT', '50'));
      cursor = bulkText(c!);
      for (const m of arrayOf(found!)) seen.add(bulkText(m));
      // Between calls: grow (forcing table splits) and shrink.
      await shoalOnly('SADD', key, ...range(40, (i) => `new${step}-${i}`));
      if (step < 100) await shoalOnly('SREM', key, ...range(10, (i) => `gone${step * 10 + i}`));
      step++;
    } while (cursor !== '0');
    for (const m of stable) if (!seen.has(m)) throw new Error(`SSCAN missed ${m}`);
    expect(step).toBeGreaterThan(20);
    // A cursor beyond any table position ends the scan; a malformed one is refused.
    expect(arrayOf(await shoalOnly('SSCAN', key, '18446744073709551615'))[0]).toEqual({ type: 'bulk', value: Buffer.from('0') });
    expect(await shoalOnly('SSCAN', key, '1x')).toEqual({ type: 'error', value: 'ERR invalid cursor' });
  });

  it('SRANDMEMBER with a huge negative count is refused instead of exhausting the shard', async () => {
    await shoalOnly('FLUSHALL');
    await shoalOnly('SADD', 'r', 'a', 'b', 'c');
    const err = { type: 'error', value: 'ERR value is out of range' };
    expect(await shoalOnly('SRANDMEMBER', 'r', '-9223372036854775807')).toEqual(err);
    expect(await shoalOnly('SRANDMEMBER', 'r', '-9223372036854775808')).toEqual({
      type: 'error',
      value: 'ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807',
    });
    // Long members make a smaller count too big.
    await shoalOnly('SADD', 'rl', 'x'.repeat(100_000));
    expect(await shoalOnly('SRANDMEMBER', 'rl', '-2000')).toEqual(err);
    expect(arrayOf(await shoalOnly('SRANDMEMBER', 'rl', '-20'))).toHaveLength(20);
    const many = arrayOf(await shoalOnly('SRANDMEMBER', 'r', '-200000'));
    expect(many).toHaveLength(200_000);
    expect(new Set(many.map(bulkText))).toEqual(new Set(['a', 'b', 'c']));
    expect(await shoalOnly('PING')).toEqual({ type: 'simple', value: 'PONG' });
  });

  it('SRANDMEMBER and SPOP with a positive count: distinct members of the set, in every encoding', async () => {
    await shoalOnly('FLUSHALL');
    const sets: Array<[string, string[], string]> = [
      ['ri', range(300, (i) => String(i * 3)), 'intset'],
      ['rl', range(40, (i) => `m${i}`), 'listpack'],
      ['rh', range(1000, (i) => `m${i}`), 'hashtable'],
    ];
    for (const [key, all, enc] of sets) {
      await shoalOnly('SADD', key, ...all);
      expect(await encoding(key)).toBe(enc);
      const n = all.length;
      const valid = new Set(all);
      // Few of many (picked one by one) and most of them (a shuffle of all).
      for (const count of [1, 2, 5, Math.floor(n / 3), Math.floor(n / 3) + 1, n - 1, n, n + 7]) {
        const got = arrayOf(await shoalOnly('SRANDMEMBER', key, String(count))).map(bulkText);
        expect(got.length, `${key} ${count}`).toBe(Math.min(count, n));
        expect(new Set(got).size, `${key} ${count}`).toBe(got.length);
        for (const m of got) expect(valid.has(m)).toBe(true);
      }
      const popped = arrayOf(await shoalOnly('SPOP', key, '7')).map(bulkText);
      expect(new Set(popped).size).toBe(7);
      for (const m of popped) expect(valid.has(m)).toBe(true);
      expect(intOf(await shoalOnly('SCARD', key))).toBe(n - 7);
      expect(arrayOf(await shoalOnly('SMISMEMBER', key, ...popped)).map(intOf)).toEqual(popped.map(() => 0));
    }
  });

  it('TYPE, SCAN TYPE, OBJECT ENCODING and KEYS know sets on every shard', async () => {
    const [a] = await session('types', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    for (const k of S) await a!.do(['SADD', k, '1']);
    await a!.do(['SADD', 'strset', 'x']);
    await a!.do(['SET', 'str', 'v'], { expect: OK });
    await a!.do(['TYPE', S[2]!], { expect: '+set\r\n' });
    await a!.do(['OBJECT', 'ENCODING', S[3]!], { expect: '$6\r\nintset\r\n' });
    await a!.do(['KEYS', '*'], { cmp: unordered });
    // SCAN's cursors differ between the servers; compare the whole walk.
    for (const t of [a!.ref, a!.tgt]) {
      const found: string[] = [];
      let cursor = '0';
      do {
        await t.write(resp('SCAN', cursor, 'TYPE', 'set', 'COUNT', '100'));
        const [r] = await t.readReplies(1, 5000);
        const [c, keys] = arrayOf(parseOne(r!));
        cursor = bulkText(c!);
        for (const k of arrayOf(keys!)) found.push(bulkText(k));
      } while (cursor !== '0');
      expect(found.sort()).toEqual([...S, 'strset'].sort());
    }
  });

  it('MEMORY USAGE follows the encoding: packed sets are small, members count', async () => {
    await shoalOnly('FLUSHALL');
    await shoalOnly('SADD', 'mi', ...range(500, (i) => String(i)));
    await shoalOnly('SADD', 'mw', ...range(500, (i) => String(i * 100_000_000)));
    await shoalOnly('SADD', 'ml', ...range(100, (i) => `v${i}`));
    await shoalOnly('SADD', 'mh', ...range(5000, (i) => `v${i}`));
    const mi = intOf(await shoalOnly('MEMORY', 'USAGE', 'mi'));
    const mw = intOf(await shoalOnly('MEMORY', 'USAGE', 'mw'));
    const ml = intOf(await shoalOnly('MEMORY', 'USAGE', 'ml'));
    const mh = intOf(await shoalOnly('MEMORY', 'USAGE', 'mh'));
    // 2 bytes per small integer, 8 per wide one (plus key entry and slack).
    expect(mi).toBeGreaterThan(1000);
    expect(mi).toBeLessThan(1000 * 1.3 + 200);
    expect(mw).toBeGreaterThan(4000);
    expect(mw).toBeLessThan(4000 * 1.3 + 200);
    expect(ml).toBeLessThan(100 * 6 * 1.3 + 200);
    // A member block each (about 16 bytes) plus the table's slots.
    expect(mh).toBeGreaterThan(5000 * 16);
    expect(mh).toBeLessThan(5000 * 60);
    await shoalOnly('SREM', 'mh', ...range(4000, (i) => `v${i}`));
    expect(intOf(await shoalOnly('MEMORY', 'USAGE', 'mh'))).toBeLessThan(mh);
  });

  it('listpack encoding (Redis 7.2): conversions, insertion order, thresholds from CONFIG', async () => {
    await shoalOnly('FLUSHALL');
    // intset → listpack on the first non-integer; integers keep their sorted order, then insertion order.
    await shoalOnly('SADD', 'lp', '30', '10', '20');
    expect(await encoding('lp')).toBe('intset');
    await shoalOnly('SADD', 'lp', 'b', '5', 'a');
    expect(await encoding('lp')).toBe('listpack');
    expect(await members('lp')).toEqual(['10', '20', '30', 'b', '5', 'a']);
    await shoalOnly('SREM', 'lp', '20', 'b');
    await shoalOnly('SADD', 'lp', 'b');
    expect(await members('lp')).toEqual(['10', '30', '5', 'a', 'b']);
    expect(arrayOf(await shoalOnly('SRANDMEMBER', 'lp', '100'))).toHaveLength(5);
    expect(new Set(arrayOf(await shoalOnly('SRANDMEMBER', 'lp', '4')).map(bulkText)).size).toBe(4);
    // listpack → hashtable past 128 entries, or a member longer than 64 bytes.
    await shoalOnly('SADD', 'lp', ...range(123, (i) => `x${i}`));
    expect(intOf(await shoalOnly('SCARD', 'lp'))).toBe(128);
    expect(await encoding('lp')).toBe('listpack');
    await shoalOnly('SADD', 'lp', 'one-more');
    expect(await encoding('lp')).toBe('hashtable');
    await shoalOnly('SADD', 'lv', 'a', 'x'.repeat(64));
    expect(await encoding('lv')).toBe('listpack');
    await shoalOnly('SADD', 'lv', 'y'.repeat(65));
    expect(await encoding('lv')).toBe('hashtable');
    // Never back: emptied down to one member, still a hashtable.
    await shoalOnly('SREM', 'lv', 'a', 'x'.repeat(64));
    expect(await encoding('lv')).toBe('hashtable');
    // An intset too big for a listpack goes straight to hashtable on a non-integer.
    await shoalOnly('SADD', 'big', ...range(200, (i) => String(i)));
    expect(await encoding('big')).toBe('intset');
    await shoalOnly('SADD', 'big', 'x');
    expect(await encoding('big')).toBe('hashtable');
    // An intset past set-max-intset-entries becomes a hashtable.
    await shoalOnly('SADD', 'ints', ...range(512, (i) => String(i)));
    expect(await encoding('ints')).toBe('intset');
    await shoalOnly('SADD', 'ints', '512');
    expect(await encoding('ints')).toBe('hashtable');
    // Creation with many members at once (SADD's size hint).
    await shoalOnly('SADD', 'hint', 'a', ...range(128, (i) => `h${i}`));
    expect(await encoding('hint')).toBe('hashtable');
    await shoalOnly('SADD', 'hint2', 'a', ...range(127, (i) => `h${i}`));
    expect(await encoding('hint2')).toBe('listpack');
    // An existing listpack named more members than fit converts even when they are duplicates (7.2).
    await shoalOnly('SADD', 'dup', 'a');
    await shoalOnly('SADD', 'dup', ...range(129, () => 'a'));
    expect(await encoding('dup')).toBe('hashtable');
    // SMOVE creates its destination from the member; STORE results are built up from an intset.
    await shoalOnly('SADD', '{g}a', 'p', 'q', '1');
    await shoalOnly('SADD', '{g}b', '2', '1');
    await shoalOnly('SMOVE', '{g}a', '{g}new', 'p');
    expect(await encoding('{g}new')).toBe('listpack');
    await shoalOnly('SMOVE', '{g}b', '{g}new2', '2');
    expect(await encoding('{g}new2')).toBe('intset');
    expect(intOf(await shoalOnly('SUNIONSTORE', '{g}u', '{g}b', '{g}new2'))).toBe(2);
    expect(await encoding('{g}u')).toBe('intset');
    expect(intOf(await shoalOnly('SUNIONSTORE', '{g}u', '{g}a', '{g}new'))).toBe(3);
    expect(await encoding('{g}u')).toBe('listpack');
    expect(await members('{g}u')).toEqual(['q', '1', 'p']);
    // Thresholds come from CONFIG SET, live.
    expect(await shoalOnly('CONFIG', 'SET', 'set-max-listpack-entries', '2')).toEqual({ type: 'simple', value: 'OK' });
    await shoalOnly('SADD', 'c2', 'a', 'b');
    expect(await encoding('c2')).toBe('listpack');
    await shoalOnly('SADD', 'c2', 'c');
    expect(await encoding('c2')).toBe('hashtable');
    await shoalOnly('CONFIG', 'SET', 'set-max-listpack-value', '3');
    await shoalOnly('CONFIG', 'SET', 'set-max-listpack-entries', '128');
    await shoalOnly('SADD', 'c3', 'abcd');
    expect(await encoding('c3')).toBe('hashtable');
    await shoalOnly('CONFIG', 'SET', 'set-max-listpack-value', '64');
    // SPOP and SSCAN on a listpack.
    await shoalOnly('SADD', 'sp', 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j');
    const popped = arrayOf(await shoalOnly('SPOP', 'sp', '9')).map(bulkText);
    expect(new Set(popped).size).toBe(9);
    const rest = await members('sp');
    expect(rest).toHaveLength(1);
    expect(popped).not.toContain(rest[0]);
    expect(await encoding('sp')).toBe('listpack');
    const [c, found] = arrayOf(await shoalOnly('SSCAN', 'lp2', '0'));
    expect(c).toEqual({ type: 'bulk', value: Buffer.from('0') });
    expect(arrayOf(found!)).toHaveLength(0);
  });
});
