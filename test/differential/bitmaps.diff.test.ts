/**
 * Differential test: random sequences of bitmap commands (with their errors:
 * arity, WRONGTYPE, bad offsets, bits, types, ranges and units, BITFIELD's
 * overflow modes at every width) are sent to redis-server 7.0 and to Shoal
 * (4 shards, BITOP's keys on any of them); replies must be the same bytes,
 * and GET / OBJECT ENCODING / TTL read the values back (bitmaps-gen.ts).
 * A fixed sequence pins the edge cases named in Redis's documentation, and
 * proto-max-bulk-len of 2mb (CONFIG SET) and 1mb (at start) check the
 * offset limit at its boundary without making 512 MB strings.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=2000   commands per seed (RESP2); the RESP3 run uses a quarter
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DiffCommand, bothNonError, runDifferential } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { type RawClient, type ServerHandle, rawClient, startAll, startRedis, startShoal } from '../helpers/servers.js';
import { shardsTouched } from '../helpers/shards.js';
import { BITMAP_KEYS, BitmapsGen } from './bitmaps-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 2000);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/bitmaps.diff.test.ts';

console.log(`[bitmaps] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

const c = (...args: string[]): DiffCommand => ({ args });
const bin = (hex: string): Buffer => Buffer.from(hex, 'hex');

/** Cases from Redis's documentation and its bitops tests, in a fixed order. */
const EDGES: DiffCommand[] = [
  c('FLUSHALL'),
  // SETBIT grows with zero bytes, answers the old bit, makes the string raw and keeps its TTL.
  c('SETBIT', 'b0', '7', '1'),
  c('GET', 'b0'),
  c('SETBIT', 'b0', '7', '0'),
  c('SETBIT', 'b0', '100', '1'),
  c('STRLEN', 'b0'),
  c('OBJECT', 'ENCODING', 'b0'),
  c('SET', 'b1', '12345'),
  c('OBJECT', 'ENCODING', 'b1'),
  c('GETBIT', 'b1', '2'),
  c('BITCOUNT', 'b1'),
  c('SETBIT', 'b1', '7', '0'),
  c('GET', 'b1'),
  c('OBJECT', 'ENCODING', 'b1'),
  c('SET', 'b2', 'short', 'EX', '1000'),
  c('OBJECT', 'ENCODING', 'b2'),
  c('SETBIT', 'b2', '1', '1'),
  c('OBJECT', 'ENCODING', 'b2'),
  c('SETBIT', 'b2', '4294967296', '1'),
  c('SETBIT', 'b2', '-1', '1'),
  c('SETBIT', 'b2', '1', '2'),
  c('SETBIT', 'b2', '1', '-1'),
  c('GETBIT', 'b2', '4294967295'),
  c('GETBIT', 'b2', '4294967296'),
  // BITCOUNT: bytes or bits, negative ranges, the start > end shortcut.
  { args: ['SET', 'f', 'foobar'] },
  c('BITCOUNT', 'f'),
  c('BITCOUNT', 'f', '0', '0'),
  c('BITCOUNT', 'f', '1', '1'),
  c('BITCOUNT', 'f', '1', '1', 'BYTE'),
  c('BITCOUNT', 'f', '5', '30', 'BIT'),
  c('BITCOUNT', 'f', '-1', '-1', 'BIT'),
  c('BITCOUNT', 'f', '-3', '-1'),
  c('BITCOUNT', 'f', '-1', '-3'),
  c('BITCOUNT', 'f', '-1', '-3', 'BIT'),
  c('BITCOUNT', 'f', '-100', '-90'),
  c('BITCOUNT', 'f', '0', '-100'),
  c('BITCOUNT', 'f', '0'),
  c('BITCOUNT', 'f', '0', '1', 'BITS'),
  c('BITCOUNT', 'missing', 'x', 'y'),
  c('BITCOUNT', 'f', '-9223372036854775808', '9223372036854775807', 'BIT'),
  c('BITCOUNT', 'f', '-9223372036854775807', '-9223372036854775808'),
  // BITPOS: a missing key is zeros; bit 0 past a string's end only without an explicit end.
  { args: ['SET', 'p', bin('fff000')] },
  c('BITPOS', 'p', '0'),
  c('BITPOS', 'p', '1', '2'),
  c('BITPOS', 'p', '1', '2', '-1', 'BYTE'),
  c('BITPOS', 'p', '1', '7', '15', 'BIT'),
  c('BITPOS', 'p', '0', '0', '11', 'BIT'),
  c('BITPOS', 'p', '0', '0', '12', 'BIT'),
  { args: ['SET', 'ones', bin('ffffff')] },
  c('BITPOS', 'ones', '0'),
  c('BITPOS', 'ones', '0', '1'),
  c('BITPOS', 'ones', '0', '1', '-1'),
  c('BITPOS', 'ones', '0', '0', '-1', 'BIT'),
  c('BITPOS', 'ones', '0', '3', '-1', 'BIT'),
  c('BITPOS', 'missing', '0'),
  c('BITPOS', 'missing', '1'),
  c('BITPOS', 'missing', '1', 'x'),
  c('BITPOS', 'p', '2'),
  c('BITPOS', 'p', '0', '-1', '-3'),
  c('BITPOS', 'p', '0', '-5', '-10'),
  c('BITPOS', 'p', '1', '0', 'x', 'foo'),
  // BITOP: NOT takes one key; an empty result deletes the destination; the result drops its TTL.
  c('SET', 'dst', 'old', 'EX', '1000'),
  c('BITOP', 'AND', 'dst', 'f', 'p', 'ones'),
  c('GET', 'dst'),
  c('TTL', 'dst'),
  c('OBJECT', 'ENCODING', 'dst'),
  c('BITOP', 'NOT', 'dst', 'f', 'p'),
  c('BITOP', 'NOT', 'dst', 'missing'),
  c('EXISTS', 'dst'),
  c('BITOP', 'OR', 'dst', 'missing', 'missing2'),
  c('BITOP', 'NAND', 'dst', 'f'),
  c('HSET', 'h', 'a', 'b'),
  c('BITOP', 'XOR', 'dst', 'f', 'h'),
  c('BITOP', 'XOR', 'h', 'f'),
  c('TYPE', 'h'),
  c('BITOP', 'AND', 'f', 'f', 'missing'),
  c('GET', 'f'),
  // BITFIELD: types, # offsets, overflow modes, FAIL's nil, GET-only and BITFIELD_RO.
  c('BITFIELD', 'bf', 'SET', 'i8', '0', '-100', 'GET', 'u4', '0', 'INCRBY', 'i5', '3', '100', 'OVERFLOW', 'SAT', 'INCRBY', 'i5', '3', '100', 'OVERFLOW', 'FAIL', 'INCRBY', 'u2', '10', '5', 'GET', 'i64', '0'),
  c('BITFIELD', 'bf', 'GET', 'u64', '0'),
  c('BITFIELD', 'bf', 'GET', 'i65', '0'),
  c('BITFIELD', 'bf', 'GET', 'u63', '#2'),
  c('BITFIELD', 'bf', 'SET', 'u63', '#2', '-1'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'SET', 'u63', '#2', '-1'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'SET', 'i8', '0', '-9223372036854775808'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'SET', 'i8', '0', '-9223372036854775700'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'WRAP', 'SET', 'i8', '0', '-9223372036854775700'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '9223372036854775807'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'SAT', 'INCRBY', 'i64', '0', '-9223372036854775808', 'INCRBY', 'i64', '0', '-9223372036854775808'),
  c('BITFIELD', 'bf', 'INCRBY', 'i64', '0', '9223372036854775807', 'INCRBY', 'i64', '0', '9223372036854775807'),
  c('BITFIELD', 'bf', 'OVERFLOW', 'FOO', 'GET', 'i8', '0'),
  c('BITFIELD', 'bf', 'GET', 'i8', '#'),
  c('BITFIELD', 'bf', 'GET', 'i8', '#-1'),
  c('BITFIELD', 'bf', 'GET', 'i8', '#536870911'),
  c('BITFIELD', 'bf', 'GET', 'i8', '#536870912'),
  c('BITFIELD', 'bf', 'GET', 'i8', '#1152921504606846976'),
  c('BITFIELD', 'bf', 'SET', 'i16', '#1152921504606846976', '7'),
  c('BITFIELD', 'bf', 'SET', 'i8', '0'),
  c('BITFIELD', 'bf', 'SET', 'i8', '0', 'x'),
  c('BITFIELD', 'bf', 'GET', 'I8', '0'),
  c('BITFIELD', 'bf'),
  c('GET', 'bf'),
  c('BITFIELD_RO', 'bf', 'GET', 'i8', '0', 'GET', 'u8', '#1'),
  c('BITFIELD_RO', 'bf', 'SET', 'i8', '0', '1'),
  c('BITFIELD_RO', 'bf', 'GET', 'i8', '0', 'INCRBY', 'i8', '0', 'x'),
  c('BITFIELD_RO', 'h', 'GET', 'i8', '0'),
  c('BITFIELD', 'h', 'SET', 'i8', '0', '1'),
  c('BITFIELD', 'new', 'GET', 'i8', '0'),
  c('EXISTS', 'new'),
  c('BITFIELD', 'new', 'OVERFLOW', 'FAIL', 'SET', 'u2', '100', '9'),
  c('GET', 'new'),
  c('OBJECT', 'ENCODING', 'new'),
];

describe('differential: bitmaps, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('bitmaps', FILE);

  it('spreads its keys over all 4 shards', () => {
    expect(shardsTouched(BITMAP_KEYS)).toBe(4);
  });

  it('fixed edge cases, RESP2 and RESP3', async () => {
    const [ref, tgt] = await connectPair();
    await run(ref, tgt, EDGES, 'bitmaps edges RESP2', 0);
    await run(ref, tgt, [{ args: ['HELLO', '3'], compare: bothNonError }, ...EDGES], 'bitmaps edges RESP3', 0);
  });

  it('follows CONFIG SET proto-max-bulk-len for bit offsets', async () => {
    const [ref, tgt] = await connectPair();
    const at = async (limit: string, commands: DiffCommand[]) => {
      // Alone, once every earlier reply is in: the front applies CONFIG SET as it parses it.
      await run(ref, tgt, [c('CONFIG', 'SET', 'proto-max-bulk-len', limit)], 'bitmaps CONFIG SET', 0);
      await run(ref, tgt, commands, `bitmaps proto-max-bulk-len ${limit}`, 0);
    };
    const probe = [
      c('DEL', 'pm'),
      c('SETBIT', 'pm', String(2 * 8 * 1024 * 1024 - 1), '1'),
      c('SETBIT', 'pm', String(2 * 8 * 1024 * 1024), '1'),
      c('BITFIELD', 'pm', 'GET', 'u8', '#2097151', 'GET', 'u8', '#2097152'),
      c('SETRANGE', 'pm', String(2 * 1024 * 1024 - 1), 'xy'),
      c('STRLEN', 'pm'),
      c('DEL', 'pm'),
    ];
    await at('2mb', probe);
    await at('536870912', probe);
  });

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new BitmapsGen(new Rng(seed));
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, ...gen.sequence(COMMANDS)];
      await run(ref, tgt, commands, `bitmaps RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new BitmapsGen(new Rng(seed ^ 0x5bd1e995));
    const commands: DiffCommand[] = [{ args: ['HELLO', '3'], compare: bothNonError }, { args: ['FLUSHALL'] }, ...gen.sequence(Math.ceil(COMMANDS / 4))];
    await run(ref, tgt, commands, `bitmaps RESP3 seed=${seed}`, seed);
  });
});

describe('differential: bit offsets at proto-max-bulk-len 1mb', () => {
  let redis: ServerHandle;
  let shoal: ServerHandle;
  const clients: RawClient[] = [];
  const args = ['--proto-max-bulk-len', '1mb'];

  beforeAll(async () => {
    [redis, shoal] = await startAll(startRedis({ args }), startShoal({ shards: 4, args }));
  });

  afterAll(async () => {
    for (const cl of clients) cl.destroy();
    await Promise.all([redis?.stop(), shoal?.stop()]);
  });

  it('refuses offsets of bit 8 Mi and beyond, and writes the last bit below', async () => {
    const pair = await Promise.all([rawClient(redis.port), rawClient(shoal.port)]);
    clients.push(...pair);
    const last = String(8 * 1024 * 1024 - 1);
    const first = String(8 * 1024 * 1024);
    await runDifferential({
      reference: pair[0],
      target: pair[1],
      referenceName: 'redis',
      targetName: 'shoal',
      label: 'bitmaps proto-max-bulk-len',
      rerun: `npx vitest run ${FILE}`,
      commands: [
        c('FLUSHALL'),
        c('SETBIT', 'big', first, '1'),
        c('GETBIT', 'big', first),
        c('SETBIT', 'big', last, '1'),
        c('STRLEN', 'big'),
        c('BITCOUNT', 'big'),
        c('BITPOS', 'big', '1'),
        c('BITPOS', 'big', '0', '-1'),
        c('BITFIELD', 'big', 'GET', 'u8', '#1048575', 'GET', 'u8', '#1048576'),
        c('BITFIELD', 'big', 'SET', 'u63', String(8 * 1024 * 1024 - 8), '5'),
        c('STRLEN', 'big'),
        c('BITFIELD', 'big', 'GET', 'u63', String(8 * 1024 * 1024 - 8)),
        c('BITOP', 'NOT', '{x}inv', 'big'),
        c('BITCOUNT', '{x}inv'),
        c('BITPOS', '{x}inv', '0'),
      ],
    });
  });
});
