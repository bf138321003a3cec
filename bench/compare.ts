/**
 * Throughput comparison: redis-server and Shoal side by side, measured with
 * redis-benchmark, runs interleaved (redis, shoal, redis, shoal ...) so that
 * drift in machine load hits both alike. Prints the median rps per test.
 *
 *   npm run build && node dist/bench/compare.js [--requests 100000]
 *       [--tests set,get] [--pipelines 1,16] [--shards 4] [--rounds 3]
 *       [--clients 50] [--data-size 64] [--keyspace 1000000]
 *       [--shoal-cmd redis | --shoal-cmd 'cmd with {port} {shards}']
 *
 * --shoal-cmd (or env SHOAL_CMD) replaces Shoal, e.g. "redis" to compare
 * redis-server with itself (the ratio should then be ~1.0).
 */
import { fmtInt, intFlag, listFlag, parseFlags, printRatioTable, redisBenchmark, samplesFor, startPair, type Samples } from './lib.js';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    requests: '100000',
    tests: 'set,get',
    pipelines: '1,16',
    shards: '4',
    rounds: '3',
    clients: '50',
    'data-size': '64',
    keyspace: '1000000',
    'shoal-cmd': process.env.SHOAL_CMD ?? '',
    'redis-benchmark': 'redis-benchmark',
  });
  const requests = intFlag(flags, 'requests');
  const rounds = intFlag(flags, 'rounds');
  const shards = intFlag(flags, 'shards');
  const tests = listFlag(flags, 'tests');
  const pipelines = listFlag(flags, 'pipelines').map(Number);
  const bin = flags.get('redis-benchmark')!;

  const pair = await startPair(shards, flags.get('shoal-cmd'));
  console.log(
    `redis-server on :${pair.redis.port}, ${pair.shoal.name} (${shards} shards) on :${pair.shoal.port}; ` +
      `redis-benchmark -t ${tests.join(',')} -c ${flags.get('clients')} -n ${requests} -r ${flags.get('keyspace')} -d ${flags.get('data-size')}, ` +
      `pipelines ${pipelines.join(',')}, ${rounds} interleaved round(s)`,
  );

  // rps[pipeline][test][server] = samples
  const samples = new Map<string, Samples>();
  try {
    for (const P of pipelines) {
      for (let round = 0; round < rounds; round++) {
        // Alternate who goes first, so neither always runs on a warmer machine.
        const order = round % 2 === 0 ? (['redis', 'shoal'] as const) : (['shoal', 'redis'] as const);
        for (const who of order) {
          const server = who === 'redis' ? pair.redis : pair.shoal;
          if (server.exited) throw new Error(`${server.name} has exited:\n${server.output().slice(-4000)}`);
          const rows = await redisBenchmark(bin, server.port, [
            '-t', tests.join(','),
            '-c', flags.get('clients')!,
            '-n', String(requests),
            '-r', flags.get('keyspace')!,
            '-d', flags.get('data-size')!,
            '-P', String(P),
          ]);
          for (const r of rows) {
            const key = `${r.test}\t${P}`;
            const s = samplesFor(samples, key);
            (who === 'redis' ? s.redis : s.shoal).push(r.rps);
            (who === 'redis' ? s.p50r : s.p50s).push(r.p50);
            process.stderr.write(`  P=${P} round ${round + 1}/${rounds} ${who.padEnd(5)} ${r.test.padEnd(6)} ${fmtInt(r.rps)} rps\n`);
          }
        }
      }
    }
  } finally {
    await pair.stop();
  }

  console.log('');
  printRatioTable(samples, pair.shoal.name, 'rps');
  console.log(`\n(median of ${rounds} round(s); ${requests} requests each)`);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
