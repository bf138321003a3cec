/**
 * Differential test: random sequences of geo commands (GEOADD near the poles'
 * limits, the antimeridian and at identical spots; searches by radius and by
 * box, from members and from positions, in every unit, with and without
 * COUNT / ANY / ASC / DESC / WITHCOORD / WITHDIST / WITHHASH; STORE forms
 * across shards; errors and WRONGTYPE) are sent to redis-server and to
 * Shoal (4 shards); the replies must be the same bytes, in RESP2 and RESP3.
 * See geo-gen.ts for how the points and keys are chosen.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=1500   commands per seed (RESP2); the RESP3 run uses a third
 *   SHOAL_CMD=redis      validate the harness against a second redis-server
 */
import { describe, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { shardsTouched } from '../helpers/shards.js';
import { ALL_KEYS, GEO_KEYS, GeoGen, sameUpToDistanceBits } from './geo-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/geo.diff.test.ts';
if (shardsTouched(GEO_KEYS) < 4) throw new Error('geo keys must span 4 shards');

console.log(`[geo] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

/** Every key's final contents, scores included. */
const finalState = (): DiffCommand[] => ALL_KEYS.map((k) => ({ args: ['ZRANGE', k, '0', '-1', 'WITHSCORES'], compare: sameUpToDistanceBits }));

describe('differential: geo, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('geo', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new GeoGen(new Rng(seed));
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, ...gen.sequence(COMMANDS), ...finalState()];
      await run(ref, tgt, commands, `geo RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 3)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new GeoGen(new Rng(seed ^ 0x5bd1e995));
    const commands: DiffCommand[] = [
      { args: ['HELLO', '3'], compare: bothNonError },
      { args: ['FLUSHALL'] },
      ...gen.sequence(Math.ceil(COMMANDS / 3)),
      ...finalState(),
    ];
    await run(ref, tgt, commands, `geo RESP3 seed=${seed}`, seed);
  });
});
