/**
 * Differential test: random sequences of string and generic key commands are
 * sent to redis-server and to Shoal (4 shards); the replies must be the same
 * bytes (modulo TTL jitter, KEYS order and RANDOMKEY; see strings-keys-gen.ts).
 *
 * Environment:
 *   SEED=1,2,3        run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=5      number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=2000  commands per seed (RESP2); the RESP3 run uses a quarter
 *   DIFF_FLOAT_HARD=1 INCRBYFLOAT on any key with any increment (long double!)
 *   SHOAL_CMD=redis   validate the harness against a second redis-server
 */
import { describe, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { StringsKeysGen } from './strings-keys-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 2000);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 5));
// Shoal adds in an exact model of x87 long double, so any float workload must match (DIFF_FLOAT_HARD=0 to restrict it).
const HARD_FLOATS = process.env.DIFF_FLOAT_HARD !== '0';
const FILE = 'test/differential/strings-keys.diff.test.ts';

console.log(`[strings-keys] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}${HARD_FLOATS ? ' hard-floats' : ''}`);

describe('differential: strings & keys, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('strings-keys', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new StringsKeysGen(new Rng(seed), { hardFloats: HARD_FLOATS });
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, { args: ['SELECT', '0'] }, ...gen.sequence(COMMANDS)];
      await run(ref, tgt, commands, `strings-keys RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new StringsKeysGen(new Rng(seed ^ 0x5bd1e995), { hardFloats: HARD_FLOATS });
    const commands: DiffCommand[] = [
      { args: ['HELLO', '3'], compare: bothNonError },
      { args: ['FLUSHALL'] },
      { args: ['SELECT', '0'] },
      ...gen.sequence(Math.ceil(COMMANDS / 4)),
    ];
    await run(ref, tgt, commands, `strings-keys RESP3 seed=${seed}`, seed);
  });
});
