/**
 * Differential test: random sequences of hash commands (with their errors:
 * arity, odd HSET arguments, WRONGTYPE, bad integers and floats, overflow,
 * HRANDFIELD counts, HSCAN cursors and options) are sent to redis-server and
 * to Shoal (4 shards); the replies must be the same bytes, except where
 * Redis's order is its hash order or the reply is random (see hashes-gen.ts).
 * Each seed runs with its own listpack thresholds (CONFIG SET on both
 * servers, also changed mid-sequence), so hashes cross both thresholds both
 * ways; OBJECT ENCODING is compared throughout.
 *
 * Environment:
 *   SEED=1,2,3           run these seeds (default: DIFF_SEEDS random seeds, printed)
 *   DIFF_SEEDS=3         number of random seeds for the RESP2 run
 *   DIFF_COMMANDS=1500   commands per seed (RESP2); the RESP3 run uses a quarter
 */
import { describe, it } from 'vitest';
import { type DiffCommand, bothNonError } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import type { RawClient } from '../helpers/servers.js';
import { HashesGen } from './hashes-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/hashes.diff.test.ts';
/** (hash-max-listpack-entries, hash-max-listpack-value) per seed, in turn. */
const THRESHOLDS: Array<[number, number]> = [[512, 64], [8, 16], [128, 64], [2, 4]];

/**
 * Shoal's front applies CONFIG SET as soon as it parses it, while commands
 * pipelined before it may still be waiting in a shard's ring: a threshold
 * change could then reach commands sent before it (Redis runs them strictly
 * in order). Until the front orders CONFIG SET behind a connection's
 * outstanding commands, each CONFIG SET starts a new run, which waits for
 * every earlier reply first.
 */
async function runSegmented(
  run: (ref: RawClient, tgt: RawClient, commands: DiffCommand[], label: string, seed: number, replay?: string) => Promise<void>,
  ref: RawClient,
  tgt: RawClient,
  commands: DiffCommand[],
  label: string,
  seed: number,
  replay?: string,
): Promise<void> {
  let start = 0;
  for (let i = 1; i <= commands.length; i++) {
    if (i === commands.length || String(commands[i]!.args[0]).toUpperCase() === 'CONFIG') {
      await run(ref, tgt, commands.slice(start, i), `${label} (commands from #${start})`, seed, replay);
      start = i;
    }
  }
}

console.log(`[hashes] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

describe('differential: hashes, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('hashes', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const [i, seed] of SEEDS.entries()) {
      const gen = new HashesGen(new Rng(seed));
      const th = THRESHOLDS[i % THRESHOLDS.length]!;
      const commands: DiffCommand[] = [{ args: ['FLUSHALL'] }, { args: ['SELECT', '0'] }, ...gen.sequence(COMMANDS, th)];
      // The thresholds go by the seed's position: replaying it takes the seeds before it too.
      await runSegmented(run, ref, tgt, commands, `hashes RESP2 seed=${seed} thresholds=${th.join('/')}`, seed, SEEDS.slice(0, i + 1).join(','));
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new HashesGen(new Rng(seed ^ 0x2545f491));
    const commands: DiffCommand[] = [
      { args: ['HELLO', '3'], compare: bothNonError },
      { args: ['FLUSHALL'] },
      { args: ['SELECT', '0'] },
      ...gen.sequence(Math.ceil(COMMANDS / 4), [8, 16]),
    ];
    await runSegmented(run, ref, tgt, commands, `hashes RESP3 seed=${seed}`, seed);
  });
});
