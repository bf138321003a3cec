/**
 * Differential test: random SORT / SORT_RO lines (BY, LIMIT, GET, ASC/DESC,
 * ALPHA, STORE over every destination type, the syntax and WRONGTYPE
 * errors), mixed with writes to the sorted and pattern keys, are sent to
 * redis-server and to Shoal (4 shards); replies must be the same bytes
 * (unordered only where Redis's order is a set's hash order). Untagged keys
 * make patterns and STORE cross shards (the front's multi-hop path); the
 * {t} group keeps everything on one shard (the shard handler). See
 * sort-gen.ts for what keeps the servers comparable.
 *
 * Environment: SEED=1,2,3 / DIFF_SEEDS=3 / DIFF_COMMANDS=1500, as the other suites.
 */
import { describe, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { SortGen } from './sort-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 2500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/sort.diff.test.ts';

console.log(`[sort] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

describe('differential: SORT, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('sort', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new SortGen(new Rng(seed));
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, { args: ['SELECT', '0'] }, ...gen.sequence(COMMANDS)];
      await run(ref, tgt, commands, `sort RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new SortGen(new Rng(seed ^ 0x2545f491));
    const commands: DiffCommand[] = [
      { args: ['HELLO', '3'], compare: bothNonError },
      { args: ['FLUSHALL'] },
      { args: ['SELECT', '0'] },
      ...gen.sequence(COMMANDS),
    ];
    await run(ref, tgt, commands, `sort RESP3 seed=${seed}`, seed);
  });
});
