/**
 * A cache under maxmemory, against redis-server in the same run: keys
 * requested with a Zipf-like popularity (GET; on a miss, SET), under
 * allkeys-lru and allkeys-lfu. redis-server's limit is what a tenth of the
 * keyspace takes on it (measured by loading that tenth first); Shoal's is
 * then calibrated so that it holds as many keys as redis-server held (the
 * two count memory differently, and the hit rate compares the choice of
 * victims only at equal capacity): short runs of the workload, adjusting
 * the limit by the keys held, until within 3%; a measured run that ends
 * further off is run again with the limit rescaled. Each measured run starts
 * from an empty cache with the same request sequence. Prints each server's
 * keys held, hit rate and requests per second (pipelines of 64 from one
 * client in this process), and SET throughput while evicting.
 *
 *   npm run build && node dist/bench/eviction.js [--keys 200000] [--requests 400000] [--skew 1.0] [--threads 2] [--value-size 64]
 */
import { rawClient, type RawClient } from '../test/helpers/raw-client.js';
import { respMany } from '../test/helpers/resp.js';
import { commandLine, intFlag, machineDescription, parseFlags, printTable, runBenchmark, startPair } from './lib.js';

let VALUE = 'v'.repeat(64);

/** Zipf-like ranks: P(r) ∝ 1 / r^skew over 1..n, drawn by binary search of the cumulative weights. */
function zipf(n: number, skew: number, seed: number): () => number {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let r = 1; r <= n; r++) cdf[r - 1] = sum += 1 / r ** skew;
  let s = seed >>> 0;
  const rand = (): number => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

const usedMemory = async (c: RawClient): Promise<number> => Number(/used_memory:(\d+)/.exec(await c.callText('INFO', 'memory'))![1]);

/** maxmemory for a tenth of the keyspace: what loading that tenth costs, on this server. */
async function tenthLimit(c: RawClient, keys: number): Promise<number> {
  await c.callText('FLUSHALL');
  await c.callText('CONFIG', 'SET', 'maxmemory', '0');
  await new Promise((r) => setTimeout(r, 2500)); // Shoal counts the heaps after collections (2 s of samples)
  const before = await usedMemory(c);
  for (let i = 0; i < keys / 10; i += 1000) {
    await c.write(respMany(Array.from({ length: 1000 }, (_, j) => ['SET', `key:${i + j}`, VALUE])));
    await c.readReplies(1000);
  }
  await new Promise((r) => setTimeout(r, 2500));
  const after = await usedMemory(c);
  await c.callText('FLUSHALL');
  return before + (after - before);
}

async function workload(c: RawClient, keys: number, requests: number, skew: number): Promise<{ hitRate: number; rps: number }> {
  const next = zipf(keys, skew, 42);
  let hits = 0;
  const t0 = performance.now();
  for (let done = 0; done < requests; done += 64) {
    const batch = Array.from({ length: 64 }, () => `key:${next()}`);
    await c.write(respMany(batch.map((k) => ['GET', k])));
    const replies = await c.readReplies(64);
    const misses = batch.filter((_, i) => replies[i].toString('latin1').startsWith('$-1'));
    hits += 64 - misses.length;
    if (misses.length > 0) {
      await c.write(respMany(misses.map((k) => ['SET', k, VALUE])));
      await c.readReplies(misses.length);
    }
  }
  return { hitRate: hits / requests, rps: requests / ((performance.now() - t0) / 1000) };
}

const dbsize = async (c: RawClient): Promise<number> => Number((await c.callText('DBSIZE')).slice(1));

/**
 * A limit under which this server holds about `target` keys of the
 * workload: from the tenth's limit, short runs adjust the memory above the
 * empty server's in proportion to the keys held.
 */
/** The limit that holds `target` keys, and the used memory of the empty server it scales from. */
async function calibrate(c: RawClient, start: number, target: number, keys: number, requests: number, skew: number): Promise<{ limit: number; base: number }> {
  await c.callText('FLUSHALL');
  await c.callText('CONFIG', 'SET', 'maxmemory', '0');
  await new Promise((r) => setTimeout(r, 2500));
  const base = await usedMemory(c);
  let limit = start;
  for (let round = 0; round < 6; round++) {
    await c.callText('CONFIG', 'SET', 'maxmemory', String(limit));
    await workload(c, keys, requests / 4, skew);
    const held = await dbsize(c);
    if (Math.abs(held - target) <= target * 0.03) break;
    limit = rescaled(limit, base, target, held);
  }
  await c.callText('CONFIG', 'SET', 'maxmemory', '0');
  await c.callText('FLUSHALL');
  return { limit, base };
}

function rescaled(limit: number, base: number, target: number, held: number): number {
  return Math.round(base + ((limit - base) * target) / Math.max(1, held));
}

const within3 = (held: number, target: number): boolean => Math.abs(held - target) <= target * 0.03;

async function setWhileEvicting(c: RawClient, requests: number): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < requests; i += 256) {
    await c.write(respMany(Array.from({ length: 256 }, (_, j) => ['SET', `fill:${i + j}`, VALUE])));
    await c.readReplies(256);
  }
  return requests / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { keys: '200000', requests: '400000', skew: '1.0', threads: '2', 'value-size': '64' });
  VALUE = 'v'.repeat(intFlag(flags, 'value-size'));
  const keys = intFlag(flags, 'keys');
  const requests = intFlag(flags, 'requests');
  const skew = Number(flags.get('skew'));
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(intFlag(flags, 'threads'));
  const rows: string[][] = [];
  try {
    for (const policy of ['allkeys-lru', 'allkeys-lfu']) {
      const results: Record<string, { hitRate: number; rps: number; sets: number; held: number }> = {};
      for (const [name, server] of [
        ['redis', pair.redis],
        ['shoal', pair.shoal],
      ] as const) {
        const c = await rawClient(server.port);
        await c.callText('CONFIG', 'SET', 'maxmemory-policy', policy);
        let limit = await tenthLimit(c, keys);
        let base = 0;
        if (name === 'shoal') ({ limit, base } = await calibrate(c, limit, results.redis.held, keys, requests, skew));
        await c.callText('CONFIG', 'SET', 'maxmemory', String(limit));
        let r = await workload(c, keys, requests, skew);
        let held = await dbsize(c);
        // A whole run can settle elsewhere than the short calibration runs (the heaps count too):
        // measured again from empty, with the limit rescaled, until it holds as many keys as Redis.
        for (let again = 0; name === 'shoal' && again < 3 && !within3(held, results.redis.held); again++) {
          limit = rescaled(limit, base, results.redis.held, held);
          await c.callText('CONFIG', 'SET', 'maxmemory', '0');
          await c.callText('FLUSHALL');
          await new Promise((res) => setTimeout(res, 2500));
          await c.callText('CONFIG', 'SET', 'maxmemory', String(limit));
          r = await workload(c, keys, requests, skew);
          held = await dbsize(c);
        }
        const sets = await setWhileEvicting(c, requests / 4);
        results[name] = { ...r, sets, held };
        await c.callText('CONFIG', 'SET', 'maxmemory', '0');
        await c.callText('FLUSHALL');
        c.destroy();
      }
      const { redis, shoal } = results;
      rows.push([policy, redis.held.toLocaleString('en'), shoal.held.toLocaleString('en'), (redis.hitRate * 100).toFixed(1), (shoal.hitRate * 100).toFixed(1), Math.round(redis.rps).toLocaleString('en'), Math.round(shoal.rps).toLocaleString('en'), (shoal.rps / redis.rps).toFixed(2), Math.round(redis.sets).toLocaleString('en'), Math.round(shoal.sets).toLocaleString('en'), (shoal.sets / redis.sets).toFixed(2)]);
    }
  } finally {
    await pair.stop();
  }
  printTable(['policy', 'redis keys held', 'shoal keys held', 'redis hit %', 'shoal hit %', 'redis req/s', 'shoal req/s', 'ratio', 'redis SET/s evicting', 'shoal SET/s evicting', 'ratio'], rows);
}

runBenchmark(main);
