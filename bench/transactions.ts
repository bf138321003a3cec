/**
 * Throughput of multi-key and transactional traffic: redis-server and Shoal
 * side by side, driven by a small Node load generator over raw sockets
 * (no client library), runs interleaved (redis, shoal, shoal, redis ...).
 *
 *   npm run build && node dist/bench/transactions.js [--shards 4] [--rounds 3]
 *       [--clients 50] [--pipelines 1,16] [--duration-ms 2000]
 *       [--tests set,get,mset,mget,multi] [--data-size 64] [--keyspace 10000]
 *       [--groups 1000] [--shoal-cmd redis | --shoal-cmd 'cmd with {port} {shards}']
 *
 * Tests (one "op" is what the ops/s columns count):
 *   set    SET key:<random of keyspace> <data-size bytes>             1 command
 *   get    GET key:<random of keyspace> (prefilled)                    1 command
 *   mset   MSET of 10 keys spread over every shard (a random group)    1 command
 *   mget   MGET of the same 10 keys                                    1 command
 *   multi  MULTI, INCR on 5 keys spread over every shard, EXEC         7 commands, sent in one write
 *   cache  memtier_benchmark's default mix: SET:GET 1:10 on random     1 command
 *          keys of the keyspace (--data-size values)
 *   types  an application mix over the collection types, on random    1 command
 *          keys of --keyspace/100 objects: 30% HGET/HSET/HINCRBY on
 *          10-field hashes (sessions), 30% ZINCRBY/ZREVRANGE 0 9/ZRANK
 *          on 1000-member sorted sets (leaderboards), 20% SADD/SISMEMBER
 *          (tags), 20% LPUSH/LRANGE 0 9/LTRIM 0 99 (feeds)
 *
 * Pipelining: each of the --clients connections sends P ops in one write and
 * waits for all their replies before sending the next P (as redis-benchmark
 * -P does); P = 1 is the unpipelined case, one op in flight per connection.
 * Each measurement runs for --duration-ms; ops/s counts completed ops over
 * the time from the first write to the last reply. Every reply is checked
 * (type of each reply, and no error anywhere inside), and after the runs the
 * 5 counters of every MULTI group must still be equal (each EXEC increments
 * all five).
 *
 * The generator shares the machine's cores with both servers: on a small
 * machine its own CPU use caps the absolute numbers (especially for P = 1),
 * the ratio is what to read. --shoal-cmd redis compares redis-server with
 * itself (ratios should be ~1.0).
 */
import { type RawClient, rawClient } from '../test/helpers/raw-client.js';
import { parseOne } from '../test/helpers/resp.js';
import type { ServerHandle } from '../test/helpers/servers.js';
import { shardsTouched } from '../test/helpers/shards.js';
import { fmtInt, intFlag, listFlag, median, parseFlags, printRatioTable, samplesFor, startPair, type Samples } from './lib.js';
import { TESTS, type TestName, type Workload, makeBatches, makeOps, makeWorkload, prefill, runLoad } from './loadgen.js';

/** What runs without --tests: the transactional set (the mixes are asked for by name). */
const DEFAULT_TESTS = ['set', 'get', 'mset', 'mget', 'multi'];

// ---- verification --------------------------------------------------------------

/** Every MULTI group's 5 counters must be equal: each EXEC incremented all of them. */
async function verifyCounters(client: RawClient, w: Workload): Promise<string> {
  let bad = 0;
  let example = '';
  let total = 0;
  for (const keys of w.counterGroups) {
    const r = parseOne(await client.call('MGET', ...keys));
    const vals = r.type === 'array' && r.value ? r.value.map((v) => (v.type === 'bulk' && v.value ? v.value.toString('latin1') : 'nil')) : [];
    if (vals.length !== keys.length || !vals.every((v) => v === vals[0])) {
      bad++;
      if (!example) example = `${keys.join(' ')} → ${vals.join(' ')}`;
    }
    const n = Number(vals[0]);
    if (Number.isFinite(n)) total += n;
  }
  return bad === 0 ? `ok, all ${w.counterGroups.length} groups equal (${fmtInt(total)} transactions in all)` : `${bad} groups with unequal counters, e.g. ${example}`;
}

// ---- main ------------------------------------------------------------------------

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    shards: '4',
    rounds: '3',
    clients: '50',
    pipelines: '1,16',
    'duration-ms': '2000',
    tests: DEFAULT_TESTS.join(','),
    'data-size': '64',
    keyspace: '10000',
    groups: '1000',
    'shoal-cmd': process.env.SHOAL_CMD ?? '',
  });
  const shards = intFlag(flags, 'shards');
  const rounds = intFlag(flags, 'rounds');
  const clients = intFlag(flags, 'clients');
  const durationMs = intFlag(flags, 'duration-ms');
  const pipelines = listFlag(flags, 'pipelines').map(Number);
  if (pipelines.some((p) => !Number.isInteger(p) || p <= 0)) throw new Error('--pipelines must be positive integers');
  const tests = listFlag(flags, 'tests') as TestName[];
  for (const t of tests) if (!TESTS.includes(t)) throw new Error(`unknown test ${t} (known: ${TESTS.join(',')})`);

  const w = makeWorkload(intFlag(flags, 'keyspace'), intFlag(flags, 'groups'), shards, intFlag(flags, 'data-size'));
  if (!w.groups.every((g) => shardsTouched(g, shards) === Math.min(shards, 10))) throw new Error('key groups do not span the shards');

  const pair = await startPair(shards, flags.get('shoal-cmd'));
  const servers: Array<['redis' | 'shoal', ServerHandle]> = [
    ['redis', pair.redis],
    ['shoal', pair.shoal],
  ];
  console.log(
    `redis-server on :${pair.redis.port}, ${pair.shoal.name} (${shards} shards) on :${pair.shoal.port}; ` +
      `Node load generator: ${clients} connections, pipelines ${pipelines.join(',')}, ${durationMs} ms per run, ` +
      `${rounds} interleaved round(s), tests ${tests.join(',')}, ${w.value.length}-byte values`,
  );

  const samples = new Map<string, Samples>();
  let errors = 0;
  try {
    const admin = await Promise.all(servers.map(([, s]) => rawClient(s.port)));
    await Promise.all(admin.map((c) => prefill(c, w)));

    for (const test of tests) {
      const ops = makeOps(test, w, 4096);
      for (const P of pipelines) {
        const batches = makeBatches(ops, P, Math.max(64, Math.ceil(4096 / P)));
        // A short warm-up (JIT, connection setup paths) that is not recorded.
        for (const [, s] of servers) {
          const warm = await runLoad(s.port, clients, batches, P, Math.min(500, durationMs / 2));
          errors += warm.errors;
          if (warm.errors) process.stderr.write(`  ${test} P=${P} warm-up on ${s.name}: ${warm.errors} ERRORS, first: ${warm.firstError}\n`);
        }
        for (let round = 0; round < rounds; round++) {
          const order = round % 2 === 0 ? servers : [...servers].reverse();
          for (const [who, s] of order) {
            if (s.exited) throw new Error(`${s.name} has exited:\n${s.output().slice(-4000)}`);
            const r = await runLoad(s.port, clients, batches, P, durationMs);
            const rate = (r.ops / r.elapsedMs) * 1000;
            const p50 = median(r.latencies);
            const key = `${test}\t${P}`;
            const entry = samplesFor(samples, key);
            (who === 'redis' ? entry.redis : entry.shoal).push(rate);
            (who === 'redis' ? entry.p50r : entry.p50s).push(p50);
            errors += r.errors;
            process.stderr.write(
              `  ${test.padEnd(5)} P=${String(P).padEnd(3)} round ${round + 1}/${rounds} ${who.padEnd(5)} ${fmtInt(rate).padStart(9)} ops/s  p50 ${p50.toFixed(3)} ms` +
                (r.errors ? `  ${r.errors} ERRORS, first: ${r.firstError}` : '') +
                '\n',
            );
          }
        }
      }
    }

    if (tests.includes('multi')) {
      for (let i = 0; i < servers.length; i++) console.log(`MULTI counters on ${servers[i]![1].name}: ${await verifyCounters(admin[i]!, w)}`);
    }
    for (const c of admin) c.destroy();
  } finally {
    await pair.stop();
  }

  console.log('');
  printRatioTable(samples, pair.shoal.name, 'ops/s');
  console.log(
    `\n(median of ${rounds} round(s) of ${durationMs} ms; ${clients} connections; pipeline = ops per write per connection; ` +
      `multi = MULTI + 5×INCR + EXEC counted as one op; p50 = batch round trip)`,
  );
  if (errors > 0) {
    console.error(`\n${errors} unexpected replies (see above)`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
