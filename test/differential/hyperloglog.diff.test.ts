/**
 * Differential test of the HyperLogLog commands: the same commands go to
 * redis-server 7.0 and to Shoal (4 shards, HLL keys on every shard); the
 * replies must be the same bytes — counts, GET of the HLL's bytes (header,
 * cached cardinality, sparse opcodes or dense registers), PFDEBUG output,
 * errors of corrupt values. Also: sparse → dense promotion step by step,
 * the side effects Redis has (WATCH and the cache PFCOUNT writes), and
 * values moved by DUMP/RESTORE between the two servers.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=1500   commands per seed (RESP2); the RESP3 run uses a quarter
 */
import { describe, expect, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import type { RawClient } from '../helpers/raw-client.js';
import { parseOne } from '../helpers/resp.js';
import { shardsTouched } from '../helpers/shards.js';
import { HLL_KEYS, HyperLogLogGen } from './hyperloglog-gen.js';
import { hllPatLen } from '../../src/types/hyperloglog.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/hyperloglog.diff.test.ts';

console.log(`[hyperloglog] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

/**
 * Shoal applies CONFIG SET on its front as soon as it parses it, while
 * earlier pipelined commands may still wait in a shard's ring: each CONFIG
 * SET starts a batch of its own, sent once every earlier reply is in.
 */
function segments(commands: DiffCommand[]): DiffCommand[][] {
  const out: DiffCommand[][] = [[]];
  for (const c of commands) {
    if (String(c.args[0]).toUpperCase() === 'CONFIG' && out[out.length - 1]!.length > 0) out.push([]);
    out[out.length - 1]!.push(c);
  }
  return out;
}

const RESET: DiffCommand[] = [{ args: ['FLUSHALL'] }, { args: ['SELECT', '0'] }, { args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'] }];

/** One element at a time into a sparse HLL until well past its promotion, reading the bytes as it grows. */
function promotion(key: string, maxBytes: number, elements: number): DiffCommand[] {
  const out: DiffCommand[] = [{ args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', String(maxBytes)] }];
  for (let i = 0; i < elements; i++) {
    out.push({ args: ['PFADD', key, `p${i}`] });
    if (i % 7 === 0) out.push({ args: ['GET', key] });
    if (i % 29 === 0) out.push({ args: ['PFCOUNT', key] }, { args: ['PFDEBUG', 'ENCODING', key] });
  }
  out.push({ args: ['GET', key] }, { args: ['PFDEBUG', 'DECODE', key] }, { args: ['PFCOUNT', key] }, { args: ['GET', key] });
  return out;
}

/** `n` elements whose registers are in [from, to) (found with Shoal's hash; GETs compare it with Redis's). */
function elementsIn(from: number, to: number, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; out.length < n; i++) {
    const e = Buffer.from(`t${i}`);
    const r = hllPatLen(e, 0, e.length) >>> 8;
    if (r >= from && r < to) out.push(`t${i}`);
  }
  return out;
}

/**
 * A corrupt sparse value whose last XZERO lacks its second byte (Redis reads
 * the byte after the string there): splits of that XZERO within one PFADD,
 * which leave bytes past the end that the next split reads, as in Redis.
 * The key is deleted after: what the next command would read there is
 * Redis's leftover byte, where Shoal reads 0 (docs/types/hyperloglog.md).
 */
function cutXzero(key: string): DiffCommand[] {
  const head = Buffer.from('HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80', 'latin1');
  const zeros = (n: number) => Buffer.from([0x40 | ((n - 1) >> 8), (n - 1) & 0xff]);
  const out: DiffCommand[] = [];
  for (const [covered, last] of [
    [16384 - 5000, 0x47],
    [1000, 0x7f],
    [16384 - 600, 0x41],
  ] as const) {
    // The cut XZERO covers ((last & 0x3f) << 8) + 1 registers (its missing byte read as 0).
    const span = ((last & 0x3f) << 8) + 1;
    out.push(
      { args: ['SET', key, Buffer.concat([head, zeros(covered), Buffer.from([last])])] },
      { args: ['PFADD', key, ...elementsIn(covered, Math.min(16384, covered + span), 8), 'a', 'b'] },
      { args: ['GET', key] },
      { args: ['DEL', key] },
    );
  }
  return out;
}

/** A fixed walk through every command, its errors and the edges of the representation. */
function fixed(): DiffCommand[] {
  const [a, b, c, d] = HLL_KEYS;
  const many = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
  return [
    { args: ['PFADD', a] },
    { args: ['GET', a] },
    { args: ['PFADD', a] },
    { args: ['PFCOUNT', a] },
    { args: ['GET', a] },
    { args: ['PFADD', b, 'x', 'y', 'z'] },
    { args: ['PFADD', b, 'x'] },
    { args: ['GET', b] },
    { args: ['OBJECT', 'ENCODING', b] },
    { args: ['PFDEBUG', 'DECODE', b] },
    { args: ['PFCOUNT', b] },
    { args: ['GET', b] },
    { args: ['PFCOUNT', b] },
    { args: ['PFADD', c, ...many('c', 2000)] },
    { args: ['PFDEBUG', 'ENCODING', c] },
    { args: ['PFCOUNT', c] },
    { args: ['GET', c] },
    { args: ['PFCOUNT', a, b, c, d] },
    { args: ['PFCOUNT', d, d] },
    { args: ['PFMERGE', d, a, b, c] },
    { args: ['GET', d] },
    { args: ['PFCOUNT', d] },
    { args: ['PFMERGE', a, b] },
    { args: ['GET', a] },
    { args: ['PFMERGE', 'hll-new'] },
    { args: ['GET', 'hll-new'] },
    { args: ['PFDEBUG', 'GETREG', b] },
    { args: ['GET', b] },
    { args: ['PFDEBUG', 'TODENSE', b] },
    { args: ['PFDEBUG', 'TODENSE', a] },
    { args: ['PFDEBUG', 'DECODE', a] },
    { args: ['PFDEBUG', 'GETREG', a] },
    { args: ['PFDEBUG', 'nosuch', a] },
    { args: ['PFDEBUG', 'nosuch', 'hll-missing'] },
    { args: ['PFDEBUG', 'ENCODING'] },
    // PFCOUNT may propagate (Redis's may_replicate): read-only scripts refuse it.
    { args: ['EVAL_RO', "return redis.call('pfcount', KEYS[1])", '1', a] },
    { args: ['EVAL', "#!lua flags=no-writes\nreturn redis.call('pfcount', KEYS[1])", '1', a] },
    { args: ['EVAL', "redis.call('pfadd', KEYS[1], 'q') return redis.call('pfcount', KEYS[1])", '1', a] },
    { args: ['GET', a] },
    // A TTL survives every change (growth, promotion, merge, conversion).
    { args: ['SET', 'hll-ttl', 'x'] },
    { args: ['DEL', 'hll-ttl'] },
    { args: ['PFADD', 'hll-ttl', 'a'] },
    { args: ['EXPIRE', 'hll-ttl', '1000'] },
    { args: ['PFADD', 'hll-ttl', ...many('ttl', 50)] },
    { args: ['PFCOUNT', 'hll-ttl'] },
    { args: ['PFMERGE', 'hll-ttl', 'hll-ttl'] },
    { args: ['PFADD', 'hll-ttl', ...many('ttl', 3000)] },
    { args: ['PFDEBUG', 'ENCODING', 'hll-ttl'] },
    { args: ['PERSIST', 'hll-ttl'] },
    { args: ['PFADD', 'hll-ttl2', 'a'] },
    { args: ['EXPIRE', 'hll-ttl2', '1000'] },
    { args: ['PFDEBUG', 'TODENSE', 'hll-ttl2'] },
    { args: ['PERSIST', 'hll-ttl2'] },
    // Across shards inside a transaction.
    { args: ['MULTI'] },
    { args: ['PFADD', d, 'in-multi'] },
    { args: ['PFMERGE', d, a, b, c] },
    { args: ['PFCOUNT', a, b, c, d] },
    { args: ['PFCOUNT', d] },
    { args: ['GET', d] },
    { args: ['EXEC'] },
    { args: ['PFSELFTEST'] },
    { args: ['EVAL', "return redis.call('pfselftest')", '0'] },
    { args: ['PFSELFTEST', 'x'] },
    { args: ['PFADD'] },
    { args: ['PFCOUNT'] },
    { args: ['PFMERGE'] },
    { args: ['LPUSH', 'hll-list', 'x'] },
    { args: ['PFADD', 'hll-list', 'x'] },
    { args: ['PFCOUNT', 'hll-list'] },
    { args: ['PFCOUNT', a, 'hll-list'] },
    { args: ['PFMERGE', a, 'hll-list'] },
    { args: ['PFDEBUG', 'ENCODING', 'hll-list'] },
    { args: ['SET', 'hll-str', 'hello'] },
    { args: ['PFADD', 'hll-str', 'x'] },
    { args: ['PFCOUNT', 'hll-str', a] },
    { args: ['PFMERGE', a, 'hll-str'] },
    { args: ['SET', 'hll-str', '123456789012345678'] },
    { args: ['PFCOUNT', 'hll-str'] },
    { args: ['CONFIG', 'GET', 'hll-sparse-max-bytes'] },
    { args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', '-1'] },
    { args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', 'x'] },
    { args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', '1kb'] },
    { args: ['CONFIG', 'GET', 'hll-sparse-max-bytes'] },
    ...cutXzero(d),
    ...promotion(HLL_KEYS[4]!, 3000, 1300),
    ...promotion(HLL_KEYS[5]!, 60, 40),
    ...promotion(HLL_KEYS[6]!, 0, 3),
    { args: ['CONFIG', 'SET', 'hll-sparse-max-bytes', '3000'] },
    { args: ['PFMERGE', HLL_KEYS[7]!, HLL_KEYS[5]!, HLL_KEYS[4]!] },
    { args: ['GET', HLL_KEYS[7]!] },
    { args: ['PFMERGE', HLL_KEYS[6]!, b] },
    { args: ['GET', HLL_KEYS[6]!] },
  ];
}

describe('differential: HyperLogLog, redis-server vs Shoal', () => {
  const suite = useDifferentialServers('hyperloglog', FILE);
  const run = async (ref: RawClient, tgt: RawClient, commands: DiffCommand[], label: string, seed: number): Promise<void> => {
    for (const seg of segments(commands)) await suite.run(ref, tgt, seg, label, seed);
  };

  it('the keys span all 4 shards', () => {
    expect(shardsTouched(HLL_KEYS)).toBe(4);
  });

  it('every command, errors, promotion step by step (fixed sequence, RESP2 and RESP3)', async () => {
    const [ref, tgt] = await suite.connectPair();
    await run(ref, tgt, [...RESET, ...fixed()], 'hyperloglog fixed RESP2', 0);
    await run(ref, tgt, [{ args: ['HELLO', '3'], compare: bothNonError }, ...RESET, ...fixed()], 'hyperloglog fixed RESP3', 0);
  });

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await suite.connectPair();
    for (const seed of SEEDS) {
      const gen = new HyperLogLogGen(new Rng(seed));
      await run(ref, tgt, [...RESET, ...gen.sequence(COMMANDS)], `hyperloglog RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await suite.connectPair();
    const seed = SEEDS[0]!;
    const gen = new HyperLogLogGen(new Rng(seed ^ 0x2545f491));
    await run(ref, tgt, [{ args: ['HELLO', '3'], compare: bothNonError }, ...RESET, ...gen.sequence(Math.ceil(COMMANDS / 4))], `hyperloglog RESP3 seed=${seed}`, seed);
  });

  it('WATCH hears of what PFADD, PFMERGE and a caching PFCOUNT change, not of a cached PFCOUNT', async () => {
    const [ref1, tgt1] = await suite.connectPair();
    const [ref2, tgt2] = await suite.connectPair();
    const [a, b, c, d] = HLL_KEYS;
    const setup: DiffCommand[] = [...RESET, { args: ['PFADD', a, 'x', 'y'] }, { args: ['PFADD', b, 'z'] }, { args: ['PFADD', c, 'z'] }, { args: ['PFADD', d, 'z'] }];
    await run(ref1, tgt1, setup, 'hyperloglog watch setup', 0);
    // Each case: WATCH on connection 1, a command on connection 2, then EXEC on connection 1.
    const cases: string[][] = [
      ['PFCOUNT', a], // computes and caches: a change
      ['PFCOUNT', a], // cached already: none
      ['PFCOUNT', a, b], // several keys: none
      ['PFADD', a, 'x'], // nothing new: none
      ['PFADD', a, 'w'],
      ['PFMERGE', a, b],
      ['PFDEBUG', 'ENCODING', a],
      ['PFDEBUG', 'TODENSE', c], // sparse to dense
      ['PFDEBUG', 'GETREG', d], // sparse to dense
    ];
    for (const cmd of cases) {
      await run(ref1, tgt1, [{ args: ['WATCH', cmd[cmd.length === 3 && cmd[0] === 'PFDEBUG' ? 2 : 1]!] }], `watch ${cmd.join(' ')}`, 0);
      await run(ref2, tgt2, [{ args: cmd }], `watch ${cmd.join(' ')}`, 0);
      await run(ref1, tgt1, [{ args: ['MULTI'] }, { args: ['PING'] }, { args: ['EXEC'] }], `watch ${cmd.join(' ')}`, 0);
    }
  });

  it('an HLL moves between redis-server and Shoal by DUMP/RESTORE and keeps working', async () => {
    const [ref, tgt] = await suite.connectPair();
    const [a, b] = HLL_KEYS;
    await run(ref, tgt, [...RESET], 'hyperloglog dump', 0);
    const bulk = (r: Buffer): Buffer => {
      const v = parseOne(r);
      if (v.type !== 'bulk' || v.value === null) throw new Error(`not a bulk: ${r.toString('latin1').slice(0, 80)}`);
      return Buffer.from(v.value);
    };
    for (const [n, label] of [
      [50, 'sparse'],
      [5000, 'dense'],
    ] as const) {
      const elements = Array.from({ length: n }, (_, i) => `d${label}${i}`);
      // redis-server → Shoal
      await ref.call('DEL', a);
      await ref.call('PFADD', a, ...elements);
      const fromRedis = bulk(await ref.call('DUMP', a));
      expect((await tgt.call('RESTORE', a, '0', fromRedis, 'REPLACE')).toString()).toBe('+OK\r\n');
      // Shoal → redis-server
      await tgt.call('DEL', b);
      await tgt.call('PFADD', b, ...elements.map((e) => `${e}!`));
      const fromShoal = bulk(await tgt.call('DUMP', b));
      expect((await ref.call('RESTORE', b, '0', fromShoal, 'REPLACE')).toString()).toBe('+OK\r\n');
      await run(
        ref,
        tgt,
        [
          { args: ['GET', a] },
          { args: ['GET', b] },
          { args: ['PFCOUNT', a] },
          { args: ['PFCOUNT', b] },
          { args: ['PFADD', a, 'more', 'and more'] },
          { args: ['PFADD', b, 'more', 'and more'] },
          { args: ['PFCOUNT', a, b] },
          { args: ['PFMERGE', a, b] },
          { args: ['GET', a] },
          { args: ['PFCOUNT', a] },
          { args: ['PFDEBUG', 'ENCODING', b] },
        ],
        `hyperloglog dump ${label}`,
        0,
      );
    }
  });
});
