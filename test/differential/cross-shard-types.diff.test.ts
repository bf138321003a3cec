/**
 * Multi-key commands of sets and sorted sets with their keys on different
 * shards (no hash tags; keysOnEveryShard spreads them over Shoal's 4), run
 * against redis-server and compared reply by reply. These go through the
 * scheduler: the foreign-keys path (SINTERSTORE, ZUNIONSTORE, ZRANGESTORE
 * ..., docs/transactions.md) and SMOVE's own multi-hop. Plain sets are also
 * ZUNION/ZINTER/ZDIFF inputs (score 1), and a string key gives WRONGTYPE.
 */
import { describe, it } from 'vitest';
import { type DiffCommand, exact, unordered } from '../helpers/differential.js';
import { Rng, seedsFromEnv } from '../helpers/rng.js';
import { useDifferentialServers } from '../helpers/differential-suite.js';
import { keysOnEveryShard, shardsTouched } from '../helpers/shards.js';

const COMMANDS = Number(process.env.DIFF_COMMANDS ?? 800);
const SEEDS = seedsFromEnv(Number(process.env.DIFF_SEEDS ?? 3));
const FILE = 'test/differential/cross-shard-types.diff.test.ts';

const SETS = keysOnEveryShard('xs', 6);
const ZSETS = keysOnEveryShard('xz', 6);
const STRING = 'xstr';
const MISSING = 'xnone';
const ALL = [...SETS, ...ZSETS, STRING, MISSING];
if (shardsTouched(SETS) < 4 || shardsTouched(ZSETS) < 4) throw new Error('keys must span 4 shards');

console.log(`[cross-shard types] seeds=${SEEDS.join(',')} commands/seed=${COMMANDS}`);

class Gen {
  constructor(private readonly rng: Rng) {}

  private member(): string {
    const r = this.rng;
    // Integers (intsets) and short strings; a small pool so that sets overlap.
    return r.chance(0.5) ? String(r.range(0, 15)) : r.pick(['a', 'b', 'c', 'd', 'e', 'f', 'gg', 'hh']);
  }

  private score(): string {
    return this.rng.pick(['0', '1', '2', '-1', '1.5', '3', '10', '-2.5', 'inf', '-inf']);
  }

  private keys(pool: readonly string[], n: number): string[] {
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.rng.chance(0.08) ? this.rng.pick([STRING, MISSING]) : this.rng.pick(pool));
    return out;
  }

  private anyKeys(n: number): string[] {
    return this.keys(this.rng.chance(0.5) ? SETS : ZSETS, n);
  }

  next(): DiffCommand {
    const r = this.rng;
    const n = r.range(1, 4);
    const ks = this.anyKeys(n);
    const dst = r.pick(r.chance(0.5) ? SETS : ZSETS);
    const zopts = (): string[] => {
      const o: string[] = [];
      if (r.chance(0.3)) o.push('WEIGHTS', ...ks.map(() => r.pick(['1', '2', '0', '-1', '0.5'])));
      if (r.chance(0.3)) o.push('AGGREGATE', r.pick(['SUM', 'MIN', 'MAX']));
      return o;
    };
    return r.weighted<() => DiffCommand>([
      [6, () => ({ args: ['SADD', r.pick(SETS), ...Array.from({ length: r.range(1, 5) }, () => this.member())] })],
      [2, () => ({ args: ['SREM', r.pick(SETS), this.member(), this.member()] })],
      [6, () => ({ args: ['ZADD', r.pick(ZSETS), ...Array.from({ length: r.range(1, 4) }, () => [this.score(), this.member()]).flat()] })],
      [2, () => ({ args: ['ZREM', r.pick(ZSETS), this.member()] })],
      [3, () => ({ args: [r.pick(['SINTER', 'SUNION', 'SDIFF']), ...this.keys(SETS, n)], compare: unordered })],
      [3, () => ({ args: [r.pick(['SINTERSTORE', 'SUNIONSTORE', 'SDIFFSTORE']), dst, ...this.keys(SETS, n)] })],
      [2, () => ({ args: ['SINTERCARD', String(n), ...this.keys(SETS, n), ...(r.chance(0.4) ? ['LIMIT', String(r.range(0, 3))] : [])] })],
      [3, () => ({ args: ['SMOVE', ...this.keys(SETS, 2), this.member()] })],
      [3, () => ({ args: [r.pick(['ZUNION', 'ZINTER']), String(n), ...ks, ...zopts(), ...(r.chance(0.6) ? ['WITHSCORES'] : [])] })],
      [2, () => ({ args: ['ZDIFF', String(n), ...ks, ...(r.chance(0.6) ? ['WITHSCORES'] : [])] })],
      [3, () => ({ args: [r.pick(['ZUNIONSTORE', 'ZINTERSTORE']), dst, String(n), ...ks, ...zopts()] })],
      [2, () => ({ args: ['ZDIFFSTORE', dst, String(n), ...ks] })],
      [2, () => ({ args: ['ZINTERCARD', String(n), ...ks, ...(r.chance(0.4) ? ['LIMIT', String(r.range(0, 3))] : [])] })],
      [2, () => ({ args: ['ZRANGESTORE', r.pick(ZSETS), r.pick([...ZSETS, STRING, MISSING]), '0', String(r.range(-1, 5)), ...(r.chance(0.3) ? ['REV'] : [])] })],
      [3, () => ({ args: ['SMEMBERS', r.pick(SETS)], compare: unordered })],
      [3, () => ({ args: ['ZRANGE', r.pick(ZSETS), '0', '-1', 'WITHSCORES'] })],
      [1, () => ({ args: ['TYPE', r.pick(ALL)] })],
      [1, () => ({ args: ['SET', STRING, 'v'] })],
    ])();
  }
}

describe('differential: set and sorted-set commands with keys on different shards', () => {
  const { connectPair, run } = useDifferentialServers('cross-shard-types', FILE);

  for (const resp of [2, 3]) {
    it(`RESP${resp}: ${SEEDS.length} seed(s) × ${COMMANDS} commands`, async () => {
      const [ref, tgt] = await connectPair();
      // Redis 7.0 has no listpack sets; make Shoal's small sets hashtables as in 7.0 (the order of members still differs: compared unordered).
      await tgt.callText('CONFIG', 'SET', 'set-max-listpack-entries', '0');
      for (const seed of SEEDS) {
        const gen = new Gen(new Rng(seed ^ resp));
        const commands: DiffCommand[] = [
          ...(resp === 3 ? [{ args: ['HELLO', '3'], compare: (a: Buffer, b: Buffer) => a[0] === b[0] }] : []),
          { args: ['FLUSHALL'] },
        ];
        for (let i = 0; i < COMMANDS; i++) commands.push(gen.next());
        for (const k of [...SETS]) commands.push({ args: ['SMEMBERS', k], compare: unordered });
        for (const k of [...ZSETS]) commands.push({ args: ['ZRANGE', k, '0', '-1', 'WITHSCORES'], compare: exact });
        await run(ref, tgt, commands, `cross-shard types RESP${resp} seed=${seed}`, seed);
      }
    });
  }
});
