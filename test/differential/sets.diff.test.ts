/**
 * Differential test: random sequences of set commands (with their errors:
 * arity, WRONGTYPE, bad integers and cursors, SINTERCARD numkeys and LIMIT,
 * SPOP/SRANDMEMBER counts) are sent to redis-server 7.0 and to Shoal (4
 * shards); replies must match (unordered where Redis's order is hash order,
 * by shape where it is random: see sets-gen.ts). Shoal runs with
 * set-max-listpack-entries 0, which makes its encodings those of 7.0
 * (intset, hashtable); set-max-intset-entries changes on both during a run.
 * A further run keeps Shoal's listpack encoding (Redis 7.2 defaults) and
 * compares everything but the encoding's name, so listpack sets are checked
 * against the oracle's contents, counts and errors too.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=1500   commands per seed (RESP2); the RESP3 run uses a quarter
 */
import { describe, expect, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import type { RawClient } from '../helpers/raw-client.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { SetsGen } from './sets-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/sets.diff.test.ts';

console.log(`[sets] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

/** Shoal only: behave as Redis 7.0 (no listpack sets). Redis 7.0 has no such parameter. */
async function as70(tgt: RawClient): Promise<void> {
  expect((await tgt.call('CONFIG', 'SET', 'set-max-listpack-entries', '0')).toString()).toBe('+OK\r\n');
}

/**
 * Shoal's front applies CONFIG SET as soon as it parses it, while earlier
 * pipelined commands may still wait in a shard's ring, so a threshold change
 * could reach commands sent before it. Each CONFIG SET therefore starts a new
 * batch, sent only once every earlier reply is in.
 */
function segments(commands: DiffCommand[]): DiffCommand[][] {
  const out: DiffCommand[][] = [[]];
  for (const c of commands) {
    if (String(c.args[0]).toUpperCase() === 'CONFIG' && out[out.length - 1]!.length > 0) out.push([]);
    out[out.length - 1]!.push(c);
  }
  return out;
}

const RESET: DiffCommand[] = [
  { args: ['FLUSHALL'] },
  { args: ['SELECT', '0'] },
  { args: ['CONFIG', 'SET', 'set-max-intset-entries', '512'] },
];

/**
 * Intsets reply in ascending order on both servers: compared exactly, for
 * every command that replies a whole set.
 */
function intsetOrder(): DiffCommand[] {
  const ints = ['5', '-3', '100000', '-9223372036854775808', '9223372036854775807', '0', '42', '-70000', '32768'];
  return [
    { args: ['SADD', '{o}a', ...ints] },
    { args: ['SADD', '{o}b', '42', '0', '7', '5', '-3', '2147483648'] },
    { args: ['OBJECT', 'ENCODING', '{o}a'] },
    { args: ['SMEMBERS', '{o}a'] },
    { args: ['SINTER', '{o}a', '{o}b'] },
    { args: ['SUNION', '{o}a', '{o}b'] },
    { args: ['SDIFF', '{o}a', '{o}b'] },
    { args: ['SDIFF', '{o}b', '{o}a'] },
    { args: ['SRANDMEMBER', '{o}a', '100'] },
    { args: ['SSCAN', '{o}a', '0'] },
    { args: ['SSCAN', '{o}a', '0', 'MATCH', '*0*'] },
    { args: ['SUNIONSTORE', '{o}c', '{o}a', '{o}b'] },
    { args: ['OBJECT', 'ENCODING', '{o}c'] },
    { args: ['SMEMBERS', '{o}c'] },
    { args: ['SREM', '{o}a', '5', '0'] },
    { args: ['SMEMBERS', '{o}a'] },
    { args: ['SPOP', '{o}a', '100'] },
    { args: ['EXISTS', '{o}a'] },
    { args: ['SMOVE', '{o}b', '{o}d', '7'] },
    { args: ['SMEMBERS', '{o}d'] },
    { args: ['OBJECT', 'ENCODING', '{o}d'] },
    { args: ['SADD', '{o}d', 'x'] },
    { args: ['OBJECT', 'ENCODING', '{o}d'] },
    // Width edges of the intset and its conversion past the limit.
    { args: ['CONFIG', 'SET', 'set-max-intset-entries', '4'] },
    { args: ['SADD', '{o}e', '1', '2', '3'] },
    { args: ['OBJECT', 'ENCODING', '{o}e'] },
    { args: ['SADD', '{o}e', '4'] },
    { args: ['OBJECT', 'ENCODING', '{o}e'] },
    { args: ['SADD', '{o}e', '5'] },
    { args: ['OBJECT', 'ENCODING', '{o}e'] },
    { args: ['SREM', '{o}e', '5', '4', '3'] },
    { args: ['OBJECT', 'ENCODING', '{o}e'] },
    { args: ['CONFIG', 'SET', 'set-max-intset-entries', '512'] },
  ];
}

describe('differential: sets, redis-server vs Shoal', () => {
  const suite = useDifferentialServers('sets', FILE);
  const connectPair = suite.connectPair;
  const run = async (ref: RawClient, tgt: RawClient, commands: DiffCommand[], label: string, seed: number): Promise<void> => {
    for (const seg of segments(commands)) await suite.run(ref, tgt, seg, label, seed);
  };

  it('intset order, encodings and conversions (fixed sequence, RESP2 and RESP3)', async () => {
    const [ref, tgt] = await connectPair();
    await as70(tgt);
    await run(ref, tgt, [...RESET, ...intsetOrder()], 'sets intset-order RESP2', 0);
    await run(ref, tgt, [{ args: ['HELLO', '3'], compare: bothNonError }, ...RESET, ...intsetOrder()], 'sets intset-order RESP3', 0);
  });

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    await as70(tgt);
    for (const seed of SEEDS) {
      const gen = new SetsGen(new Rng(seed));
      await run(ref, tgt, [...RESET, ...gen.sequence(COMMANDS)], `sets RESP2 seed=${seed}`, seed);
    }
  });

  it(`listpack sets (Shoal's 7.2 encodings) hold what Redis 7.0 holds: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    // Redis's defaults on Shoal: small sets of strings are listpacks, replies are compared for contents.
    expect((await tgt.call('CONFIG', 'SET', 'set-max-listpack-entries', '128')).toString()).toBe('+OK\r\n');
    for (const seed of SEEDS) {
      const gen = new SetsGen(new Rng(seed ^ 0x6a09e667), true);
      await run(ref, tgt, [...RESET, ...gen.sequence(COMMANDS)], `sets listpack seed=${seed}`, seed);
    }
    await as70(tgt);
  });

  it(`RESP3: ${Math.min(2, SEEDS.length)} seed(s) × ${Math.ceil(COMMANDS / 2)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    await as70(tgt);
    await run(ref, tgt, [{ args: ['HELLO', '3'], compare: bothNonError }], 'sets RESP3 hello', 0);
    for (const seed of SEEDS.slice(0, 2)) {
      const gen = new SetsGen(new Rng(seed ^ 0x2545f491));
      await run(ref, tgt, [...RESET, ...gen.sequence(Math.ceil(COMMANDS / 2))], `sets RESP3 seed=${seed}`, seed);
    }
  });
});
