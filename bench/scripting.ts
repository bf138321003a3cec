/**
 * EVALSHA side by side: redis-server and Shoal in the same run, through
 * redis-benchmark, at pipeline 1 and 16:
 *  - one key: INCR and EXPIRE of a random key (issue 10's target: 0.7× Redis
 *    at pipeline 1);
 *  - three keys: a script reading two keys and writing a third, keys that
 *    share a hash tag (one shard), then keys of any shards (Shoal holds
 *    every shard for such a script).
 *
 *   npm run build && node dist/bench/scripting.js [--pipelines 1,16] [--clients 50] [--requests 200000] [--threads 2] [--rounds 2]
 */
import { rawClient } from '../test/helpers/raw-client.js';
import { commandLine, intFlag, keepRow, listFlag, machineDescription, parseFlags, printRatioTable, redisBenchmark, runBenchmark, startPair, type Samples } from './lib.js';

const SCRIPTS = {
  'one key': { body: "local n = redis.call('INCR', KEYS[1]) redis.call('EXPIRE', KEYS[1], 100) return n", keys: ['key:__rand_int__'] },
  'three keys': {
    body: "local a = tonumber(redis.call('GET', KEYS[1]) or '0') local b = tonumber(redis.call('GET', KEYS[2]) or '0') redis.call('SET', KEYS[3], a + b + 1) return a + b",
    keys: ['{s}a:__rand_int__', '{s}b:__rand_int__', '{s}c:__rand_int__'],
  },
  // The same script over keys of (mostly) different shards: Shoal holds every shard for it.
  'three keys, any shards': {
    body: "local a = tonumber(redis.call('GET', KEYS[1]) or '0') local b = tonumber(redis.call('GET', KEYS[2]) or '0') redis.call('SET', KEYS[3], a + b + 1) return a + b",
    keys: ['a:__rand_int__', 'b:__rand_int__', 'c:__rand_int__'],
  },
};

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { pipelines: '1,16', clients: '50', requests: '200000', threads: '2', rounds: '2' });
  const bin = process.env.REDIS_BENCHMARK ?? 'redis-benchmark';
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(intFlag(flags, 'threads'));
  const samples = new Map<string, Samples>();
  try {
    const shas: Record<string, string> = {};
    for (const server of [pair.redis, pair.shoal]) {
      const c = await rawClient(server.port);
      for (const [name, s] of Object.entries(SCRIPTS)) shas[name] = (await c.callText('SCRIPT', 'LOAD', s.body)).split('\r\n')[1];
      c.destroy();
    }
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const P of listFlag(flags, 'pipelines')) {
        for (const [name, s] of Object.entries(SCRIPTS)) {
          const args = ['-n', flags.get('requests')!, '-c', flags.get('clients')!, '-P', P, '-r', '100000', 'EVALSHA', shas[name], String(s.keys.length), ...s.keys];
          const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
          for (const server of order) {
            const [row] = await redisBenchmark(bin, server.port, args);
            keepRow(samples, `${name}\t${P}`, server === pair.redis, row);
          }
        }
      }
    }
  } finally {
    await pair.stop();
  }
  printRatioTable(samples, 'shoal', 'req/s');
}

runBenchmark(main);
