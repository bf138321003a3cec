/**
 * GEOADD and GEOSEARCH side by side: redis-server and Shoal in the same run,
 * the same pre-encoded commands on each, alternating which goes first.
 *
 *  - geoadd: one random point (within a 2° square, so that searches find
 *    some) into one of `--keys` geo keys;
 *  - geosearch: GEOSEARCH ... FROMLONLAT (a random centre) BYRADIUS
 *    `--radius` km ASC COUNT 10 WITHDIST on a key filled first with
 *    `--points` points;
 *  - geosearch-box: the same BYBOX.
 *
 *   npm run build && node dist/bench/geo.js [--pipelines 1,16] [--clients 16] [--seconds 3] [--threads 2] [--rounds 2] [--keys 16] [--points 20000] [--radius 20]
 */
import { rawClient } from '../test/helpers/raw-client.js';
import { resp } from '../test/helpers/resp.js';
import { type Op, makeBatches, runLoad } from './loadgen.js';
import { commandLine, intFlag, listFlag, machineDescription, parseFlags, percentile, printRatioTable, runBenchmark, samplesFor, startPair, type Samples } from './lib.js';

/** A random position in the 2° square around (13, 38), as the strings sent. */
function point(rand: () => number): [string, string] {
  return [(12 + 2 * rand()).toFixed(6), (37 + 2 * rand()).toFixed(6)];
}

function ops(test: string, keys: number, radiusKm: number, n: number): Op[] {
  let seed = 12345;
  // A small LCG: the same commands for both servers.
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  const out: Op[] = [];
  for (let i = 0; i < n; i++) {
    const key = `geo:${i % keys}`;
    const [lon, lat] = point(rand);
    if (test === 'geoadd') out.push({ bytes: resp('GEOADD', key, lon, lat, `m${Math.floor(rand() * 1e6)}`), expect: [58] });
    else if (test === 'geosearch') out.push({ bytes: resp('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYRADIUS', String(radiusKm), 'km', 'ASC', 'COUNT', '10', 'WITHDIST'), expect: [42] });
    else out.push({ bytes: resp('GEOSEARCH', key, 'FROMLONLAT', lon, lat, 'BYBOX', String(radiusKm * 2), String(radiusKm * 2), 'km', 'ASC', 'COUNT', '10', 'WITHDIST'), expect: [42] });
  }
  return out;
}

async function fill(port: number, keys: number, points: number): Promise<void> {
  const c = await rawClient(port);
  let seed = 777;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
  for (let k = 0; k < keys; k++) {
    const args: string[] = [];
    for (let i = 0; i < points / keys; i++) args.push(...point(rand), `p${i}`);
    const r = await c.call('GEOADD', `geo:${k}`, ...args);
    if (r[0] !== 58) throw new Error(`fill failed: ${r.toString('latin1').slice(0, 200)}`);
  }
  c.destroy();
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { pipelines: '1,16', clients: '16', seconds: '3', threads: '2', rounds: '2', keys: '16', points: '20000', radius: '20' });
  console.log(machineDescription());
  console.log(commandLine());
  const keys = intFlag(flags, 'keys');
  const pair = await startPair(intFlag(flags, 'threads'));
  const samples = new Map<string, Samples>();
  try {
    for (const server of [pair.redis, pair.shoal]) await fill(server.port, keys, intFlag(flags, 'points'));
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const test of ['geosearch', 'geosearch-box', 'geoadd']) {
        for (const P of listFlag(flags, 'pipelines').map(Number)) {
          const batches = makeBatches(ops(test, keys, intFlag(flags, 'radius'), 4096), P, 512);
          const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
          for (const server of order) {
            const r = await runLoad(server.port, intFlag(flags, 'clients'), batches, P, intFlag(flags, 'seconds') * 1000);
            if (r.errors > 0) throw new Error(`${test} on ${server === pair.redis ? 'redis' : 'shoal'}: ${r.firstError}`);
            const s = samplesFor(samples, `${test}\t${P}`);
            const redis = server === pair.redis;
            (redis ? s.redis : s.shoal).push((r.ops * 1000) / r.elapsedMs);
            (redis ? s.p50r : s.p50s).push(percentile(r.latencies, 0.5));
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
