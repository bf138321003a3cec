/**
 * SORT in a running server, against redis-server 7.0 and Shoal (4 shards),
 * for what the differential test (test/differential/sort.diff.test.ts) does
 * not reach: STORE with the destination on another shard (replacing every
 * type, the TTL, deleting on an empty result, waking a BLPOP, invalidating a
 * WATCH), SORT inside MULTI/EXEC with pattern keys on other shards, numbers
 * out of double range (one at a time: redis-server's errno check leaks into
 * later SORTs of a pipelined batch), and atomicity against a concurrent MSET
 * of the pattern keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ServerHandle, rawClient, resp, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import { keysOnEveryShard, oneKeyPerShard, shardOf, shardsTouched } from '../helpers/shards.js';
import { Twin, TwinLog } from '../helpers/twin.js';
import { listEncoding72 } from '../helpers/differential.js';

const OK = '+OK\r\n';
const QUEUED = '+QUEUED\r\n';
/** One key per shard: S[i] lives on shard i. */
const S = oneKeyPerShard('so:', 4);

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

function arrayOf(r: Reply): Reply[] {
  if (r.type !== 'array' || r.value === null) throw new Error(`not an array: ${r.type}`);
  return r.value;
}

describe('SORT', () => {
  it('STORE to a destination on another shard replaces any type, drops the TTL, deletes on an empty result', async () => {
    const [a] = await session('store', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    const src = S[0]!;
    const elements = Array.from({ length: 300 }, (_, i) => String((i * 37) % 301));
    await a!.do(['RPUSH', src, ...elements]);
    const weights = keysOnEveryShard('wt_', 8);
    expect(shardsTouched(weights)).toBe(4);
    for (const dst of [S[1]!, S[2]!, S[3]!]) {
      expect(shardOf(dst)).not.toBe(shardOf(src));
      for (const setup of [['SET', dst, 'x'], ['SADD', dst, 'a', 'b'], ['HSET', dst, 'f', 'v'], ['ZADD', dst, '1', 'm'], ['RPUSH', dst, 'old']]) {
        await a!.do(['DEL', dst]);
        await a!.do(setup);
        await a!.do(['EXPIRE', dst, '1000'], { expect: ':1\r\n' });
        await a!.do(['SORT', src, 'DESC', 'LIMIT', '5', '100', 'STORE', dst], { expect: ':100\r\n' });
        await a!.do(['TYPE', dst], { expect: '+list\r\n' });
        await a!.do(['TTL', dst], { expect: ':-1\r\n' });
        await a!.do(['LRANGE', dst, '0', '-1']);
        await a!.do(['OBJECT', 'ENCODING', dst], { cmp: listEncoding72 });
      }
      // GET patterns on every shard; a missing value is stored as "".
      for (let i = 0; i < 100; i++) if (i % 3 !== 0) await a!.do(['SET', `g_${i}`, `v${i}`]);
      await a!.do(['SORT', src, 'BY', 'nosort', 'GET', 'g_*', 'GET', '#', 'STORE', dst], { expect: ':600\r\n' });
      await a!.do(['LRANGE', dst, '0', '-1']);
      // An empty result deletes the destination, on its own shard.
      await a!.do(['SORT', src, 'LIMIT', '0', '0', 'STORE', dst], { expect: ':0\r\n' });
      await a!.do(['EXISTS', dst], { expect: ':0\r\n' });
      await a!.do(['RPUSH', dst, 'x']);
      await a!.do(['SORT', 'nosuchkey', 'STORE', dst], { expect: ':0\r\n' });
      await a!.do(['EXISTS', dst], { expect: ':0\r\n' });
    }
    // SORT_RO never writes; SORT of a set BY nosort with STORE sorts ALPHA (byte order).
    await a!.do(['SADD', S[2]!, 'b', 'B', 'a', 'a\0b', '10', '9']);
    await a!.do(['SORT', S[2]!, 'BY', 'nosort', 'STORE', S[3]!], { expect: ':6\r\n' });
    await a!.do(['LRANGE', S[3]!, '0', '-1']);
    await a!.do(['SORT_RO', S[2]!, 'STORE', S[3]!], { expect: '-ERR syntax error\r\n' });
  });

  it('a STORE on another shard wakes a client blocked on the destination and invalidates a WATCH', async () => {
    const [a, b] = await session('wake', 'a', 'b');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['RPUSH', S[0]!, '3', '1', '2']);
    const blocked = b!.do(['BLPOP', S[1]!, '5'], { expect: `*2\r\n$${S[1]!.length}\r\n${S[1]}\r\n$1\r\n1\r\n` });
    await new Promise((r) => setTimeout(r, 100));
    await a!.do(['SORT', S[0]!, 'STORE', S[1]!], { expect: ':3\r\n' });
    await blocked;
    await a!.do(['LRANGE', S[1]!, '0', '-1'], { expect: '*2\r\n$1\r\n2\r\n$1\r\n3\r\n' });

    await b!.do(['WATCH', S[2]!], { expect: OK });
    await a!.do(['SORT', S[0]!, 'BY', 'w_*', 'GET', 'w_*', 'STORE', S[2]!], { expect: ':3\r\n' });
    await b!.do(['MULTI'], { expect: OK });
    await b!.do(['LLEN', S[2]!], { expect: QUEUED });
    await b!.do(['EXEC'], { expect: '*-1\r\n' });
  });

  it('SORT inside MULTI/EXEC with pattern keys and STORE on other shards', async () => {
    const [a] = await session('multi', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    const els = Array.from({ length: 40 }, (_, i) => String(i));
    expect(shardsTouched(els.map((e) => `w_${e}`))).toBe(4);
    await a!.do(['RPUSH', S[0]!, ...els]);
    await a!.do(['MULTI'], { expect: OK });
    const queued: string[][] = [];
    for (const e of els) queued.push(['SET', `w_${e}`, String((Number(e) * 7) % 13)], ['HSET', `h_${e}`, 'f', `name${e}`]);
    queued.push(
      ['SORT', S[0]!, 'BY', 'w_*', 'GET', '#', 'GET', 'h_*->f', 'GET', 'w_*'],
      ['SORT_RO', S[0]!, 'BY', 'h_*->f', 'ALPHA', 'DESC', 'LIMIT', '3', '10'],
      ['SORT', S[0]!, 'BY', 'w_*', 'GET', 'h_*->f', 'STORE', S[3]!],
      ['LRANGE', S[3]!, '0', '-1'],
      ['SET', 'w_5', 'notanumber'],
      ['SORT', S[0]!, 'BY', 'w_*'],
      ['SORT', S[1]!, 'BY', 'w_*'],
      ['SET', S[1]!, 'str'],
      ['SORT', S[1]!, 'BY', 'w_*', 'GET', 'h_*->f'],
    );
    for (const q of queued) await a!.do(q, { expect: QUEUED });
    const reply = await a!.text(['EXEC']);
    expect(reply).toContain('-WRONGTYPE');
    expect(reply).toContain("-ERR One or more scores can't be converted into double");
  });

  it('numbers out of double range cannot be scores (one SORT at a time)', async () => {
    const [a] = await session('erange', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['RPUSH', S[0]!, '1', '2']);
    // redis-server leaves errno at ERANGE after such a number, and later SORTs
    // fail until a system call resets it: each value gets a fresh connection
    // (the accept loop ends on EAGAIN).
    const cases: Array<[string, boolean]> = [
      ['1e400', false], ['-1e400', false], ['1e-310', false], ['0x1.000001p-1070', false], ['0x1p-1080', false],
      ['1e308', true], ['2.2250738585072014e-308', true], ['inf', true], ['0x1.8p1', true], ['0x1p-1030', true],
    ];
    for (const [v, ok] of cases) {
      const [b] = await session(`erange ${v}`, 'b');
      await b!.do(['SET', 'w_1', v]);
      await b!.do(['SORT', S[0]!, 'BY', 'w_*'], { expect: ok ? /^\*2/ : "-ERR One or more scores can't be converted into double\r\n" });
      b!.destroy();
    }
    const [c] = await session('erange list', 'c');
    await c!.do(['RPUSH', S[1]!, '1e400']);
    await c!.do(['SORT', S[1]!], { expect: "-ERR One or more scores can't be converted into double\r\n" });
  });

  it('never sees half of a concurrent MSET of the pattern keys', async () => {
    const N = 64;
    const els = Array.from({ length: N }, (_, i) => `e${i}`);
    expect(shardsTouched(els.map((e) => `pa_${e}`))).toBe(4);
    const w = await rawClient(shoal.port);
    const r = await rawClient(shoal.port);
    try {
      await w.write(resp('FLUSHALL'));
      await w.readReplies(1, 5000);
      await w.write(resp('RPUSH', S[0]!, ...els));
      await w.readReplies(1, 5000);
      let stop = false;
      let writes = 0;
      const writer = (async () => {
        for (let v = 1; !stop; v++) {
          const args: string[] = ['MSET'];
          for (const e of els) args.push(`pa_${e}`, String(v), `pb_${e}`, String(v));
          await w.write(resp(...args));
          await w.readReplies(1, 5000);
          writes++;
        }
      })();
      let sorts = 0;
      let seenChange = 0;
      let last = '';
      const deadline = Date.now() + 1500;
      while (Date.now() < deadline) {
        const variant = sorts % 3;
        const cmd =
          variant === 0
            ? ['SORT', S[0]!, 'BY', 'nosort', 'GET', 'pa_*', 'GET', 'pb_*']
            : variant === 1
              ? ['SORT', S[0]!, 'BY', 'pa_*', 'GET', 'pb_*', 'GET', 'pa_*']
              : ['SORT', S[0]!, 'BY', 'pb_*', 'GET', 'pa_*', 'STORE', S[2]!];
        await r.write(resp(...cmd));
        const [raw] = await r.readReplies(1, 5000);
        let values: string[];
        if (variant === 2) {
          expect(raw!.toString('latin1')).toMatch(/^:\d+\r\n$/);
          await r.write(resp('LRANGE', S[2]!, '0', '-1'));
          const [lr] = await r.readReplies(1, 5000);
          values = arrayOf(parseOne(lr!)).map((x) => (x.type === 'bulk' && x.value !== null ? x.value.toString() : ''));
        } else {
          values = arrayOf(parseOne(raw!)).map((x) => (x.type === 'bulk' && x.value !== null ? x.value.toString() : 'nil'));
        }
        // Every value comes from one MSET: all equal (or all missing before the first).
        expect(new Set(values).size, `${cmd.join(' ')} → ${values.join(',')}`).toBe(1);
        if (values[0] !== last) seenChange++;
        last = values[0]!;
        sorts++;
      }
      stop = true;
      await writer;
      expect(writes).toBeGreaterThan(10);
      expect(sorts).toBeGreaterThan(10);
      expect(seenChange).toBeGreaterThan(2); // the writer really ran between the SORTs
    } finally {
      w.destroy();
      r.destroy();
    }
  });
});
