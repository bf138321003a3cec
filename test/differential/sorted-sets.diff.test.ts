/**
 * Differential test: random sequences of sorted-set commands (with their errors:
 * arity, WRONGTYPE, bad floats and ranges, ZADD options, numkeys ...) are sent
 * to redis-server and to Shoal (4 shards); the replies must be the same
 * bytes. Sets cross both encoding thresholds (also moved with CONFIG SET);
 * scores include inf and extremes. See sorted-sets-gen.ts for what keeps the
 * two servers comparable.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=1500   commands per seed (RESP2); the RESP3 run uses a quarter
 *   SHOAL_CMD=redis      validate the harness against a second redis-server
 */
import { describe, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { ZsetGen } from './sorted-sets-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1200);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/sorted-sets.diff.test.ts';

console.log(`[zsets] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

describe('differential: sorted sets, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('zsets', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new ZsetGen(new Rng(seed));
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, { args: ['SELECT', '0'] }, ...gen.sequence(COMMANDS)];
      await run(ref, tgt, commands, `zsets RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new ZsetGen(new Rng(seed ^ 0x2545f491));
    const commands: DiffCommand[] = [
      { args: ['HELLO', '3'], compare: bothNonError },
      { args: ['FLUSHALL'] },
      { args: ['SELECT', '0'] },
      ...gen.sequence(Math.ceil(COMMANDS / 4)),
    ];
    await run(ref, tgt, commands, `zsets RESP3 seed=${seed}`, seed);
  });
});
