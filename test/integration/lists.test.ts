/**
 * Lists in a running server, against redis-server 7.0 and Shoal (4 shards),
 * for what the random differential test (test/differential/lists.diff.test.ts)
 * does not reach: WATCH invalidation by list writes, keys of a list moving
 * between shards (RENAME, COPY), expiry of lists, TYPE / SCAN TYPE / OBJECT
 * ENCODING, MEMORY USAGE growing with the list, MULTI/EXEC over lists, and
 * Shoal's refusal of LMOVE / RPOPLPUSH / LMPOP whose keys span shards.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listEncoding72, unordered } from '../helpers/differential.js';
import { type ServerHandle, rawClient, resp, sleep, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { type Reply, parseOne } from '../helpers/resp.js';
import { oneKeyPerShard } from '../helpers/shards.js';
import { Twin, TwinLog } from '../helpers/twin.js';

const OK = '+OK\r\n';
const QUEUED = '+QUEUED\r\n';
const NIL_ARRAY = '*-1\r\n';
/** One key per shard: S[i] lives on shard i. */
const S = oneKeyPerShard('ls:', 4);

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

/** Sends one command to Shoal alone and returns its parsed reply. */
async function shoalOnly(...args: string[]): Promise<Reply> {
  const c = await rawClient(shoal.port);
  try {
    await c.write(resp(...args));
    const [r] = await c.readReplies(1, 5000);
    return parseOne(r!);
  } finally {
    c.destroy();
  }
}

function arrayOf(r: Reply): Reply[] {
  if (r.type !== 'array' || r.value === null) throw new Error(`not an array: ${r.type}`);
  return r.value;
}
function bulkText(r: Reply): string {
  if (r.type !== 'bulk' || r.value === null) throw new Error(`not a bulk: ${r.type}`);
  return r.value.toString('latin1');
}
function intOf(r: Reply): number {
  if (r.type !== 'integer') throw new Error(`not an integer: ${r.type}`);
  return Number(r.value);
}

describe('lists', () => {
  it('list writes invalidate a WATCH; reads and failed writes do not', async () => {
    const [a, b] = await session('watch', 'a', 'b');
    await a!.do(['FLUSHALL'], { expect: OK });
    const cases: Array<{ setup: string[][]; write: string[]; aborts: boolean }> = [
      { setup: [['RPUSH', 'w', 'x']], write: ['LPUSH', 'w', 'y'], aborts: true },
      { setup: [['RPUSH', 'w', 'x', 'y']], write: ['RPOP', 'w'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LPOP', 'w'], aborts: true }, // deletes the key
      { setup: [['RPUSH', 'w', 'x']], write: ['LSET', 'w', '0', 'z'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LINSERT', 'w', 'BEFORE', 'x', 'z'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LINSERT', 'w', 'BEFORE', 'nope', 'z'], aborts: false },
      { setup: [['RPUSH', 'w', 'x', 'y']], write: ['LREM', 'w', '0', 'x'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LREM', 'w', '0', 'nope'], aborts: false },
      { setup: [['RPUSH', 'w', 'x', 'y']], write: ['LTRIM', 'w', '0', '-1'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LRANGE', 'w', '0', '-1'], aborts: false },
      { setup: [['RPUSH', 'w', 'x']], write: ['LPOS', 'w', 'x'], aborts: false },
      { setup: [['RPUSH', '{w}src', 'x']], write: ['LMOVE', '{w}src', '{w}w', 'LEFT', 'LEFT'], aborts: true },
      { setup: [['RPUSH', '{w}w', 'x', 'y']], write: ['LMPOP', '2', '{w}none', '{w}w', 'RIGHT'], aborts: true },
      { setup: [['RPUSH', 'w', 'x']], write: ['LPUSHX', 'w', 'y'], aborts: true },
      { setup: [], write: ['LPUSHX', 'w', 'y'], aborts: false },
    ];
    for (const c of cases) {
      await a!.do(['FLUSHALL'], { expect: OK });
      for (const s of c.setup) await a!.do(s);
      const watched = c.write[0] === 'LMOVE' || c.write[0] === 'LMPOP' ? '{w}w' : 'w';
      await a!.do(['WATCH', watched], { expect: OK });
      await b!.do(c.write);
      await a!.do(['MULTI'], { expect: OK });
      await a!.do(['LLEN', watched], { expect: QUEUED });
      await a!.do(['EXEC'], c.aborts ? { expect: NIL_ARRAY } : { expect: /^\*1\r\n/ });
    }
  });

  it('MULTI/EXEC runs list commands in order', async () => {
    const [a] = await session('multi', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    await a!.do(['MULTI'], { expect: OK });
    for (const c of [['RPUSH', 'm', 'a', 'b', 'c'], ['LPOP', 'm'], ['LMOVE', 'm', 'm', 'LEFT', 'RIGHT'], ['LRANGE', 'm', '0', '-1'], ['LPOP', 'm', '9']]) {
      await a!.do(c, { expect: QUEUED });
    }
    await a!.do(['EXEC']);
    await a!.do(['EXISTS', 'm'], { expect: ':0\r\n' });
  });

  it('lists keep their elements and TTL when renamed or copied, on one shard or across shards', async () => {
    const [a] = await session('move', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    const elements = Array.from({ length: 3000 }, (_, i) => (i % 7 === 0 ? `e\r\n${i}\0` : String(i)));
    for (const [from, to] of [[S[0]!, S[1]!], [S[1]!, `{${S[1]}}same`], [`{${S[1]}}same`, S[3]!]]) {
      await a!.do(['RPUSH', from, ...elements]);
      await a!.do(['EXPIRE', from, '100000'], { expect: ':1\r\n' });
      await a!.do(['RENAME', from, to], { expect: OK });
      await a!.do(['EXISTS', from], { expect: ':0\r\n' });
      await a!.do(['LRANGE', to, '0', '-1']);
      await a!.do(['TTL', to], { cmp: (x, y) => Math.abs(Number(x.toString().slice(1)) - Number(y.toString().slice(1))) <= 2 });
      await a!.do(['COPY', to, from], { expect: ':1\r\n' });
      await a!.do(['LPOP', from, '2']);
      await a!.do(['LLEN', to]);
      await a!.do(['LINDEX', from, '-1']);
      await a!.do(['DEL', from, to], { expect: ':2\r\n' });
    }
    await a!.do(['DBSIZE'], { expect: ':0\r\n' });
  });

  it('expired lists disappear; TYPE, SCAN TYPE and OBJECT ENCODING know lists', async () => {
    const [a] = await session('types', 'a');
    await a!.do(['FLUSHALL'], { expect: OK });
    for (const k of S) await a!.do(['RPUSH', k, 'x']);
    await a!.do(['SET', 'str', 'v'], { expect: OK });
    await a!.do(['TYPE', S[2]!], { expect: '+list\r\n' });
    // Redis 7.0 says quicklist; Shoal says listpack for a small list, as 7.2 does.
    await a!.do(['OBJECT', 'ENCODING', S[2]!], { expect: '$9\r\nquicklist\r\n', cmp: listEncoding72 });
    expect(await shoalOnly('OBJECT', 'ENCODING', S[2]!)).toEqual({ type: 'bulk', value: Buffer.from('listpack') });
    // SCAN's cursors differ between the servers; compare the whole walk.
    for (const t of [a!.ref, a!.tgt]) {
      const found: string[] = [];
      let cursor = '0';
      do {
        await t.write(resp('SCAN', cursor, 'TYPE', 'list', 'COUNT', '100'));
        const [r] = await t.readReplies(1, 5000);
        const [c, keys] = arrayOf(parseOne(r!));
        cursor = bulkText(c!);
        for (const k of arrayOf(keys!)) found.push(bulkText(k));
      } while (cursor !== '0');
      expect(found.sort()).toEqual([...S].sort());
    }
    await a!.do(['KEYS', '*'], { cmp: unordered });
    await a!.do(['PEXPIRE', S[1]!, '30'], { expect: ':1\r\n' });
    await a!.do(['PEXPIRE', S[3]!, '30'], { expect: ':1\r\n' });
    await sleep(300); // S[3] is never touched again: the active cycle reclaims it
    await a!.do(['LLEN', S[1]!], { expect: ':0\r\n' });
    await a!.do(['DBSIZE'], { expect: ':3\r\n' });
  });

  it('MEMORY USAGE grows with a list and counts its node blocks', async () => {
    await shoalOnly('FLUSHALL');
    await shoalOnly('RPUSH', 'mem', 'x');
    const small = intOf(await shoalOnly('MEMORY', 'USAGE', 'mem'));
    await shoalOnly('RPUSH', 'mem', ...Array.from({ length: 10_000 }, (_, i) => `element-${i}`));
    const big = intOf(await shoalOnly('MEMORY', 'USAGE', 'mem'));
    expect(small).toBeLessThan(200);
    // About 14 bytes per element, packed in 8 KiB nodes.
    expect(big).toBeGreaterThan(10_000 * 13);
    expect(big).toBeLessThan(10_000 * 13 * 1.4);
  });

  it('moves and pops between lists on different shards (LMOVE, RPOPLPUSH, LMPOP)', async () => {
    const bulk = (v: string | null) => ({ type: 'bulk', value: v === null ? null : Buffer.from(v) });
    await shoalOnly('DEL', S[0]!, S[1]!, S[2]!, S[3]!);
    await shoalOnly('RPUSH', S[0]!, 'a', 'b', 'c');
    expect(await shoalOnly('LMOVE', S[0]!, S[1]!, 'LEFT', 'RIGHT')).toEqual(bulk('a'));
    expect(await shoalOnly('RPOPLPUSH', S[0]!, S[1]!)).toEqual(bulk('c'));
    expect(await shoalOnly('LRANGE', S[1]!, '0', '-1')).toEqual({ type: 'array', value: [bulk('c'), bulk('a')] });
    expect(await shoalOnly('RPOPLPUSH', S[2]!, S[3]!)).toEqual(bulk(null));
    // LMPOP over two shards pops from the first non-empty list, as one step.
    expect(await shoalOnly('LMPOP', '2', S[2]!, S[0]!, 'LEFT')).toEqual({ type: 'array', value: [bulk(S[0]!), { type: 'array', value: [bulk('b')] }] });
    // Counts that run past the arguments name no keys: the shard answers the syntax error.
    expect(await shoalOnly('LMPOP', '5', S[0]!, S[1]!, 'LEFT')).toEqual({ type: 'error', value: 'ERR syntax error' });
  });
});
