/**
 * Sorted sets in a running server, against redis-server 7.0 and Shoal (4
 * shards), for what the differential test does not reach: ZSCAN's guarantee
 * while a skiplist set grows and shrinks, sets moving between shards (RENAME,
 * COPY, MOVE), DEL/FLUSHALL, WATCH invalidation, MEMORY USAGE, and blocking
 * BZPOPMIN / BZPOPMAX / BZMPOP scenarios compared transcript for transcript.
 */
import { waitForBlocked } from '../helpers/blocked.js';
import { describe, expect, it } from 'vitest';
import { type RawClient, resp } from '../helpers/servers.js';
import { serverPair } from '../helpers/pair.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import { oneKeyPerShard } from '../helpers/shards.js';

const S = oneKeyPerShard('zs:', 4);

const pair = serverPair();
const { connect, same } = pair;

async function call(c: RawClient, ...args: string[]): Promise<Reply> {
  await c.write(resp(...args));
  const [r] = await c.readReplies(1, 10000);
  return parseOne(r!);
}
function arrayOf(r: Reply): Reply[] {
  if (r.type !== 'array' || r.value === null) throw new Error(`not an array: ${r.type}`);
  return r.value;
}
function text(r: Reply): string {
  if (r.type === 'bulk' && r.value !== null) return r.value.toString('latin1');
  if (r.type === 'integer') return String(r.value);
  if (r.type === 'simple' || r.type === 'error') return String(r.value);
  throw new Error(`not text: ${r.type}`);
}

describe('sorted sets in a running server', () => {
  it('ZSCAN returns every member present for the whole scan while the set grows and shrinks', async () => {
    for (const port of [pair.redis.port, pair.shoal.port]) {
      const c = await connect(port);
      await call(c, 'DEL', 'scan');
      const stay = Array.from({ length: 2000 }, (_, i) => `stay:${i}`);
      for (let i = 0; i < stay.length; i += 500) await call(c, 'ZADD', 'scan', ...stay.slice(i, i + 500).flatMap((m, j) => [String(i + j), m]));
      const seen = new Set<string>();
      let cursor = '0';
      let round = 0;
      do {
        const [cur, items] = arrayOf(await call(c, 'ZSCAN', 'scan', cursor, 'COUNT', '50'));
        cursor = text(cur!);
        const flat = arrayOf(items!);
        for (let k = 0; k < flat.length; k += 2) {
          seen.add(text(flat[k]!));
          expect(Number.isNaN(Number(text(flat[k + 1]!)))).toBe(false);
        }
        // Grow by 300 transient members, drop the ones of two rounds ago.
        round++;
        await call(c, 'ZADD', 'scan', ...Array.from({ length: 300 }, (_, i) => [String(-i), `tmp:${round}:${i}`]).flat());
        if (round > 2) await call(c, 'ZREM', 'scan', ...Array.from({ length: 300 }, (_, i) => `tmp:${round - 2}:${i}`));
      } while (cursor !== '0' && round < 10_000);
      expect(cursor).toBe('0');
      for (const m of stay) expect(seen.has(m)).toBe(true);
      await call(c, 'DEL', 'scan');
    }
  });

  it('sets keep members and scores when renamed, copied or moved, on one shard or across shards', async () => {
    await same(async (port) => {
      const c = await connect(port);
      const out: string[] = [];
      await call(c, 'FLUSHALL');
      const pairs = Array.from({ length: 600 }, (_, i) => [i % 3 === 0 ? 'inf' : String(i / 7), i % 5 === 0 ? `m\r\n${i}\0` : `m${i}`]).flat();
      for (const [from, to] of [[S[0]!, S[1]!], [S[1]!, `{${S[1]}}same`], [`{${S[1]}}same`, S[3]!]]) {
        for (const small of [true, false]) {
          await call(c, 'DEL', from, to);
          await call(c, 'ZADD', from, ...(small ? pairs.slice(0, 20) : pairs));
          out.push(text(await call(c, 'OBJECT', 'ENCODING', from)));
          out.push(text(await call(c, 'RENAME', from, to)));
          out.push(JSON.stringify(await call(c, 'ZRANGE', to, '0', '-1', 'WITHSCORES')));
          out.push(text(await call(c, 'OBJECT', 'ENCODING', to)));
          out.push(text(await call(c, 'COPY', to, from)));
          out.push(text(await call(c, 'ZRANK', from, 'm7')));
          out.push(text(await call(c, 'ZCARD', from)));
          out.push(text(await call(c, 'MOVE', from, '1')));
          await call(c, 'SELECT', '1');
          out.push(JSON.stringify(await call(c, 'ZRANGEBYSCORE', from, '10', '20', 'WITHSCORES')));
          out.push(text(await call(c, 'DEL', from)));
          await call(c, 'SELECT', '0');
        }
      }
      await call(c, 'FLUSHALL');
      out.push(text(await call(c, 'DBSIZE')));
      return out;
    });
  });

  // differential seed 508734709: ZRANGESTORE {y}a {y}a (1 -19 BYSCORE REV left
  // a -0 score where Redis has 0.
  it('ZRANGESTORE stores a -0 as 0 while its destination is still a listpack (on one shard or across shards)', async () => {
    await same(async (port) => {
      const c = await connect(port);
      const out: string[] = [];
      const long = 'l'.repeat(40);
      for (const [src, dst] of [[S[0]!, `{${S[0]}}d`], [S[0]!, S[1]!]]) {
        await call(c, 'FLUSHALL');
        await call(c, 'CONFIG', 'SET', 'zset-max-listpack-value', '16');
        await call(c, 'CONFIG', 'SET', 'zset-max-listpack-entries', '128');
        await call(c, 'ZADD', src, '-14', long, '-0', 'm', '5', 'z');
        const ranges = [
          ['0', '-1', 'REV'], // listpack until the long member: m stored as 0
          ['0', '-1'], // the long member first: a skiplist before m
          ['0', '1', 'REV'], // never converted
          ['(6', '-100', 'BYSCORE', 'REV'],
          ['[m', '-', 'BYLEX', 'REV'],
          ['(6', '-100', 'BYSCORE', 'REV', 'LIMIT', '1', '5'],
        ];
        for (const entries of ['128', '1']) {
          // With 1 entry: a rank range of 2 or more starts as a skiplist; a score
          // range starts as a listpack and converts at its second element.
          await call(c, 'CONFIG', 'SET', 'zset-max-listpack-entries', entries);
          for (const r of ranges) {
            out.push(`${entries} ${r.join(' ')}: ${text(await call(c, 'ZRANGESTORE', dst, src, ...r))}`);
            out.push(JSON.stringify(await call(c, 'ZRANGE', dst, '0', '-1', 'WITHSCORES')));
            out.push(text(await call(c, 'OBJECT', 'ENCODING', dst)));
          }
        }
      }
      await call(c, 'CONFIG', 'SET', 'zset-max-listpack-entries', '128');
      await call(c, 'CONFIG', 'SET', 'zset-max-listpack-value', '64');
      await call(c, 'FLUSHALL');
      return out;
    });
  });

  it('ZRANDMEMBER with a positive count: distinct members with their own scores, in both encodings', async () => {
    const c = await connect(pair.shoal.port);
    for (const resp3 of [false, true]) {
      if (resp3) await call(c, 'HELLO', '3');
      for (const [key, n, enc] of [['rl', 40, 'listpack'], ['rs', 1000, 'skiplist']] as const) {
        await call(c, 'DEL', key);
        await call(c, 'ZADD', key, ...Array.from({ length: n }, (_, i) => [String(i / 4), `m${i}`]).flat());
        expect(text(await call(c, 'OBJECT', 'ENCODING', key))).toBe(enc);
        for (const count of [1, 2, 5, Math.floor(n / 3), Math.floor(n / 3) + 1, n - 1, n, n + 7]) {
          const r = arrayOf(await call(c, 'ZRANDMEMBER', key, String(count), 'WITHSCORES'));
          const pairs: Array<[string, string]> = [];
          if (resp3) {
            for (const p of r) {
              const [m, sc] = arrayOf(p);
              if (sc!.type !== 'double') throw new Error(`not a double: ${sc!.type}`);
              pairs.push([text(m!), sc!.value]);
            }
          }
          else for (let i = 0; i < r.length; i += 2) pairs.push([text(r[i]!), text(r[i + 1]!)]);
          expect(pairs.length, `${key} ${count}`).toBe(Math.min(count, n));
          expect(new Set(pairs.map((p) => p[0])).size, `${key} ${count}`).toBe(pairs.length);
          for (const [m, sc] of pairs) {
            expect(m).toMatch(/^m\d+$/);
            expect(Number(m.slice(1))).toBeLessThan(n);
            expect(Number(sc)).toBe(Number(m.slice(1)) / 4);
          }
        }
      }
    }
  });

  it('writes invalidate a WATCH; reads and no-op writes do not', async () => {
    await same(async (port) => {
      const [a, b] = [await connect(port), await connect(port)];
      const out: string[] = [];
      await call(a, 'DEL', 'w');
      await call(a, 'ZADD', 'w', '1', 'x');
      for (const other of [['ZSCORE', 'w', 'x'], ['ZADD', 'w', 'NX', '5', 'x'], ['ZINCRBY', 'w', '1', 'x'], ['ZREM', 'w', 'nope'], ['ZPOPMIN', 'w']]) {
        await call(a, 'WATCH', 'w');
        await call(b, ...other);
        await call(a, 'MULTI');
        await call(a, 'ZCARD', 'w');
        await a.write(resp('EXEC'));
        out.push(other[0]! + ' ' + (await a.readReply(3000)).toString());
        await call(a, 'ZADD', 'w', '1', 'x');
      }
      return out;
    });
  });

  it('MEMORY USAGE grows with a set and DEL gives it back', async () => {
    const c = await connect(pair.shoal.port);
    await call(c, 'DEL', 'mem');
    await call(c, 'ZADD', 'mem', '1', 'x');
    const small = Number(text(await call(c, 'MEMORY', 'USAGE', 'mem')));
    for (let i = 0; i < 20_000; i += 1000) await call(c, 'ZADD', 'mem', ...Array.from({ length: 1000 }, (_, j) => [String(i + j), `member-${i + j}`]).flat());
    expect(text(await call(c, 'OBJECT', 'ENCODING', 'mem'))).toBe('skiplist');
    const big = Number(text(await call(c, 'MEMORY', 'USAGE', 'mem')));
    expect(small).toBeLessThan(200);
    // A node of ~40-48 bytes plus its index slot; Redis needs about twice that.
    expect(big / 20_000).toBeGreaterThan(40);
    expect(big / 20_000).toBeLessThan(80);
    expect(text(await call(c, 'DEL', 'mem'))).toBe('1');
  });
});

/**
 * ZRANK/ZREVRANK WITHSCORE came with Redis 7.2, after the 7.0 oracle: the
 * expected reply is built from the oracle's ZRANK and ZSCORE of the same
 * member (a null array when it is missing), in RESP2 and RESP3.
 */
describe('ZRANK and ZREVRANK WITHSCORE (Redis 7.2)', () => {
  for (const proto of [2, 3]) {
    it(`equals the oracle's rank and score, in both encodings, RESP${proto}`, async () => {
      const r = await connect(pair.redis.port);
      const c = await connect(pair.shoal.port);
      if (proto === 3) {
        await call(r, 'HELLO', '3');
        await call(c, 'HELLO', '3');
      }
      const tokens = (reply: Reply): string => JSON.stringify(reply, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : Buffer.isBuffer(v) ? v.toString('latin1') : v));
      for (const [key, size] of [[S[0]!, 10], [S[1]!, 300], [S[2]!, 0]] as const) {
        for (const x of [r, c]) await call(x, 'DEL', key);
        const args = Array.from({ length: size }, (_, i) => [String((i * 7919) % 101 / 4 - 10), `m${i}`]).flat();
        for (let i = 0; i < args.length; i += 200) for (const x of [r, c]) await call(x, 'ZADD', key, ...args.slice(i, i + 200));
        for (const m of ['m0', 'm5', `m${Math.max(0, size - 1)}`, 'absent']) {
          for (const cmd of ['ZRANK', 'ZREVRANK']) {
            const rank = await call(r, cmd, key, m);
            const score = await call(r, 'ZSCORE', key, m);
            const got = await call(c, cmd, key, m, 'withscore');
            if (rank.type === 'null' || (rank.type === 'bulk' && rank.value === null)) {
              expect(got.type === 'null' || (got.type === 'array' && got.value === null)).toBe(true);
              expect(got.type).toBe(proto === 3 ? 'null' : 'array');
            } else {
              expect(tokens(got)).toBe(tokens({ type: 'array', value: [rank, score] } as Reply));
            }
            expect(tokens(await call(c, cmd, key, m))).toBe(tokens(rank));
          }
        }
      }
      await call(r, 'SET', 'zr:str', 'x');
      await call(c, 'SET', 'zr:str', 'x');
      for (const args of [['zr:str', 'a', 'WITHSCORE'], [S[0]!, 'm0', 'withscores'], [S[0]!, 'm0', 'WITHSCORE', 'x'], ['zr:str', 'a', 'nope']]) {
        const got = text(await call(c, 'ZRANK', ...args));
        const want =
          args[2]!.toLowerCase() !== 'withscore' ? 'ERR syntax error'
          : args.length > 3 ? "ERR wrong number of arguments for 'zrank' command"
          : text(await call(r, 'ZRANK', args[0]!, args[1]!));
        expect(got).toBe(want);
      }
    });
  }
});

describe('blocking sorted-set commands, redis-server vs Shoal', () => {
  it('serves blocked clients first come, first served, lowest or highest first', async () => {
    await same(async (port) => {
      const admin = await connect(port);
      await admin.callText('DEL', '{q}a', '{q}b');
      const waiters = await Promise.all([connect(port), connect(port), connect(port)]);
      const cmds = [['BZPOPMIN', '{q}a', '{q}b', '5'], ['BZPOPMAX', '{q}b', '{q}a', '5'], ['BZMPOP', '5', '2', '{q}a', '{q}b', 'MAX', 'COUNT', '2']];
      for (let i = 0; i < 3; i++) {
        await waiters[i]!.write(resp(...cmds[i]!));
        await waitForBlocked(admin, i + 1);
      }
      const added = await admin.callText('ZADD', '{q}b', '1', 'a', '2', 'b', '3', 'c', '4', 'd');
      const replies = await Promise.all(waiters.map((w) => w.readReply(3000)));
      return [added, ...replies.map((r) => r.toString()), await admin.callText('ZCARD', '{q}b')];
    });
  });

  it('times out with a null, and keeps waiting while the key holds another type', async () => {
    await same(async (port) => {
      const c = await connect(port);
      const admin = await connect(port);
      await admin.callText('DEL', '{t}k');
      const out: string[] = [];
      await c.write(resp('BZPOPMIN', '{t}k', '0.2'));
      out.push((await c.readReply(3000)).toString());
      await c.write(resp('BZMPOP', '0.2', '1', '{t}k', 'MIN'));
      out.push((await c.readReply(3000)).toString());
      await c.write(resp('BZPOPMAX', '{t}k', '5'));
      await waitForBlocked(admin, 1);
      out.push(await admin.callText('SET', '{t}k', 'string'));
      out.push(await admin.callText('DEL', '{t}k'));
      out.push(await admin.callText('ZADD', '{t}k', '7', 'seven'));
      out.push((await c.readReply(3000)).toString());
      out.push(await admin.callText('EXISTS', '{t}k'));
      await admin.callText('SET', '{t}k', 'x');
      out.push(await admin.callText('BZPOPMIN', '{t}k', '0.1'));
      out.push(await admin.callText('BZPOPMIN', '{t}k', '-1'));
      out.push(await admin.callText('BZMPOP', 'x', '1', '{t}k', 'MIN'));
      return out;
    });
  });
});
