/**
 * Differential test: random sequences of stream commands (XADD with every
 * ID form and trimming option, XRANGE/XREVRANGE, XLEN, XDEL, XTRIM,
 * XSETID, XINFO STREAM, with their errors, WRONGTYPE, RENAME/COPY across
 * shards) are sent to redis-server and to Shoal (4 shards); the replies
 * must be the same bytes (times within 3 s: see streams-gen.ts). Node
 * limits change mid-sequence (CONFIG SET on both servers), so approximate
 * trimming meets many node boundaries.
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
import { StreamsGen } from './streams-gen.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 1500);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/streams.diff.test.ts';

/** Each CONFIG SET starts a new run, after every earlier reply (the front applies it as it parses it). */
async function runSegmented(
  run: (ref: RawClient, tgt: RawClient, commands: DiffCommand[], label: string, seed: number) => Promise<void>,
  ref: RawClient,
  tgt: RawClient,
  commands: DiffCommand[],
  label: string,
  seed: number,
): Promise<void> {
  let start = 0;
  for (let i = 1; i <= commands.length; i++) {
    if (i === commands.length || String(commands[i]!.args[0]).toUpperCase() === 'CONFIG') {
      await run(ref, tgt, commands.slice(start, i), `${label} (commands from #${start})`, seed);
      start = i;
    }
  }
}

const RESET: DiffCommand[] = [
  { args: ['FLUSHALL'] },
  { args: ['SELECT', '0'] },
  { args: ['CONFIG', 'SET', 'stream-node-max-entries', '100'] },
  { args: ['CONFIG', 'SET', 'stream-node-max-bytes', '4096'] },
];

console.log(`[streams] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

describe('differential: streams, redis-server vs Shoal', () => {
  const { connectPair, run } = useDifferentialServers('streams', FILE);

  it(`RESP2: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
    const [ref, tgt] = await connectPair();
    for (const seed of SEEDS) {
      const gen = new StreamsGen(new Rng(seed));
      await runSegmented(run, ref, tgt, [...RESET, ...gen.sequence(COMMANDS)], `streams RESP2 seed=${seed}`, seed);
    }
  });

  it(`RESP3: 1 seed × ${Math.ceil(COMMANDS / 4)} commands`, async () => {
    const [ref, tgt] = await connectPair();
    const seed = SEEDS[0]!;
    const gen = new StreamsGen(new Rng(seed ^ 0x2545f491));
    const commands: DiffCommand[] = [{ args: ['HELLO', '3'], compare: bothNonError }, ...RESET, ...gen.sequence(Math.ceil(COMMANDS / 4))];
    await runSegmented(run, ref, tgt, commands, `streams RESP3 seed=${seed}`, seed);
  });
});
