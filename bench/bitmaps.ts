/**
 * Bitmap commands, redis-server and Shoal in the same run, driven by the
 * Node load generator (bench/loadgen.ts; redis-benchmark's __rand_int__ is
 * zero-padded, which bit offsets refuse):
 *
 *   setbit          SETBIT at random offsets of 1,000 bitmaps of up to 10 KB
 *   getbit          GETBIT at random offsets of the same
 *   bitcount 1MB    BITCOUNT of a whole 1 MB random string (counting speed)
 *   bitcount range  BITCOUNT of a random 1 KB bit range of a 10 KB bitmap
 *   bitpos 1MB      BITPOS 1 of a 1 MB string whose only set bit is its last
 *   bitop one shard BITOP OR of two 10 KB bitmaps into a third, one hash tag
 *   bitop shards    the same with the three keys on different shards of
 *                   Shoal (its foreign-keys hops, under locks on the keys)
 *
 *   npm run build && node dist/bench/bitmaps.js [--tests setbit,getbit,...] [--pipelines 1,16] [--clients 20] [--duration 3000] [--threads 2] [--rounds 1]
 */
import { rawClient } from '../test/helpers/raw-client.js';
import { resp } from '../test/helpers/resp.js';
import { keysOnEveryShard } from '../test/helpers/shards.js';
import { Rng } from '../test/helpers/rng.js';
import { type Batch, type Op, makeBatches, runLoad } from './loadgen.js';
import { commandLine, intFlag, keepRow, listFlag, machineDescription, median, parseFlags, printRatioTable, runBenchmark, startPair, type Samples } from './lib.js';

const TESTS = ['setbit', 'getbit', 'bitcount 1MB', 'bitcount range', 'bitpos 1MB', 'bitop one shard', 'bitop shards'] as const;
type Test = (typeof TESTS)[number];

const BITMAPS = 1000;
const BITMAP_BITS = 80_000;
const BIG = 1024 * 1024;
const INT = 0x3a; /* ':' */

function ops(test: Test, rng: Rng, bitopKeys: string[]): Op[] {
  const out: Op[] = [];
  for (let i = 0; i < 10_000; i++) {
    const key = `bm:${rng.int(BITMAPS)}`;
    const bit = String(rng.int(BITMAP_BITS));
    let args: string[];
    switch (test) {
      case 'setbit':
        args = ['SETBIT', key, bit, String(rng.int(2))];
        break;
      case 'getbit':
        args = ['GETBIT', key, bit];
        break;
      case 'bitcount 1MB':
        args = ['BITCOUNT', 'big'];
        break;
      case 'bitcount range': {
        const from = rng.int(BITMAP_BITS - 8192);
        args = ['BITCOUNT', key, String(from), String(from + 8191), 'BIT'];
        break;
      }
      case 'bitpos 1MB':
        args = ['BITPOS', 'sparse', '1'];
        break;
      case 'bitop one shard':
        args = ['BITOP', 'OR', '{bo}3', '{bo}1', '{bo}2'];
        break;
      case 'bitop shards':
        args = ['BITOP', 'OR', bitopKeys[2]!, bitopKeys[0]!, bitopKeys[1]!];
        break;
    }
    out.push({ bytes: resp(...args), expect: [INT] });
  }
  return out;
}

/** The data every test reads: the bitmaps filled, a random 1 MB string, a 1 MB string with only its last bit set. */
async function prefill(port: number, bitopKeys: string[]): Promise<void> {
  const c = await rawClient(port);
  try {
    await c.call('FLUSHALL');
    const rng = new Rng(7);
    for (let i = 0; i < BITMAPS; i++) {
      // A random 10 KB value: the same work whatever offsets the tests pick.
      const r = await c.call('SET', `bm:${i}`, rng.bytes(BITMAP_BITS / 8));
      if (r.toString('latin1') !== '+OK\r\n') throw new Error(`prefill failed: ${r.toString('latin1')}`);
    }
    await c.call('SET', 'big', rng.bytes(BIG));
    await c.call('SETBIT', 'sparse', String(BIG * 8 - 1), '1');
    for (const k of [...bitopKeys.slice(0, 2), '{bo}1', '{bo}2']) await c.call('SET', k, rng.bytes(BITMAP_BITS / 8));
  } finally {
    c.destroy();
  }
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { tests: TESTS.join(','), pipelines: '1,16', clients: '20', duration: '3000', threads: '2', rounds: '1' });
  const tests = listFlag(flags, 'tests') as Test[];
  for (const t of tests) if (!TESTS.includes(t)) throw new Error(`unknown test ${t} (known: ${TESTS.join(', ')})`);
  const threads = intFlag(flags, 'threads');
  console.log(machineDescription());
  console.log(commandLine());
  // Three keys on three different shards (when Shoal has that many).
  const bitopKeys = keysOnEveryShard('bo:', 3, Math.max(threads, 3));
  const pair = await startPair(threads);
  const samples = new Map<string, Samples>();
  try {
    await Promise.all([prefill(pair.redis.port, bitopKeys), prefill(pair.shoal.port, bitopKeys)]);
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const test of tests) {
        for (const P of listFlag(flags, 'pipelines').map(Number)) {
          const batches: Batch[] = makeBatches(ops(test, new Rng(round + 1), bitopKeys), P, 2000);
          const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
          for (const server of order) {
            const res = await runLoad(server.port, intFlag(flags, 'clients'), batches, P, intFlag(flags, 'duration'));
            if (res.errors > 0) throw new Error(`${test} on ${server === pair.redis ? 'redis' : 'shoal'}: ${res.errors} errors, first: ${res.firstError}`);
            keepRow(samples, `${test}\t${P}`, server === pair.redis, { rps: (res.ops * 1000) / res.elapsedMs, p50: median(res.latencies) });
          }
        }
      }
    }
  } finally {
    await pair.stop();
  }
  printRatioTable(samples, 'shoal', 'ops/s');
}

runBenchmark(main);
