/**
 * Memory comparison: load the same data into redis-server and Shoal through a
 * raw pipelined socket, then report used_memory (INFO memory) and RSS
 * (/proc/<pid>/status) per element for both. --shape picks the data:
 *   strings  N keys: SET key:%010d <value-size bytes> (an element = a key)
 *   hash     one hash of N fields: HSET bighash field:%010d <value>
 *   zset     one sorted set of N members: ZADD bigzset <i> member:%010d
 *   hashes   N/10 hashes of 10 fields: HSET hash:%08d f0 <value> ... f9 <value>
 *            (an element = a field; per-hash figures are 10×)
 * For Shoal, INFO shards is printed before and after the load, to show
 * where the data went (arena_used) and that the JS heap (heap_used) stays
 * flat. --stream writes the whole load without waiting for replies, as
 * `redis-cli --pipe` does; for the one-key shapes Shoal's client is then on
 * another thread than the key's shard, so every command crosses a ring
 * (the path whose queues once cost hundreds of MB of RSS).
 *
 * --warmup N loads N elements of the shape first and deletes them
 * (FLUSHALL) before the measured load, in both servers: the figures are
 * then those of a server that has served before, without the one-time costs
 * of a fresh process (Shoal's JIT-compiled code and the malloc heaps its
 * compilations leave, about 20 MB; jemalloc keeps Redis's freed pages too).
 *
 *   npm run build && node dist/bench/memory.js [--shape strings] [--keys 1000000]
 *       [--value-size 64] [--shards 4] [--chunk 10000] [--stream] [--warmup 0]
 *       [--shoal-cmd redis | --shoal-cmd 'cmd with {port} {shards}']
 */
import { type RawClient, rawClient, sleep } from '../test/helpers/raw-client.js';
import type { ServerHandle } from '../test/helpers/servers.js';
import { fmtBytes, fmtInt, info, intFlag, parseFlags, parseInfo, printTable, rssBytes, startPair } from './lib.js';
import { SHAPES, type Shape, load, shapeKey } from './dataset.js';
import { connectSpread } from '../test/helpers/threads.js';
import { shardOf } from '../test/helpers/shards.js';

interface Snapshot {
  usedMemory: number;
  rss: number;
  infoRss: number;
  shards: string[];
}

async function snapshot(server: ServerHandle, client: RawClient): Promise<Snapshot> {
  const mem = parseInfo(await info(client, 'memory'));
  const shards = (await info(client, 'shards')).split(/\r?\n/).filter((l) => l.startsWith('shard_'));
  return {
    usedMemory: Number(mem.get('used_memory') ?? NaN),
    infoRss: Number(mem.get('used_memory_rss') ?? NaN),
    rss: rssBytes(server.pid),
    shards,
  };
}

/** A connection on another thread than `shard`'s. */
async function clientAwayFrom(port: number, shard: number, threads: number): Promise<RawClient> {
  const spread = await connectSpread(port, threads, threads);
  const away = spread.find((s) => s.thread !== shard)!;
  for (const s of spread) if (s !== away) s.client.destroy();
  return away.client;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    shape: 'strings',
    keys: '1000000',
    'value-size': '64',
    shards: '4',
    chunk: '10000',
    'shoal-cmd': process.env.SHOAL_CMD ?? '',
    stream: 'false',
    warmup: '0',
  });
  const warmup = Number(flags.get('warmup'));
  if (!Number.isInteger(warmup) || warmup < 0) throw new Error('--warmup must be a whole number');
  const stream = flags.get('stream') !== 'false';
  const shape = flags.get('shape') as Shape;
  if (!SHAPES.includes(shape)) throw new Error(`unknown --shape ${shape} (known: ${SHAPES.join(', ')})`);
  const n = intFlag(flags, 'keys');
  const valueSize = intFlag(flags, 'value-size');
  const chunk = intFlag(flags, 'chunk');
  const shards = intFlag(flags, 'shards');

  const pair = await startPair(shards, flags.get('shoal-cmd'));
  console.log(
    `redis-server on :${pair.redis.port}, ${pair.shoal.name} (${shards} shards) on :${pair.shoal.port}; ${fmtInt(n)} elements (${shape}) × ${valueSize}-byte values` +
      (warmup > 0 ? `, after a warm-up load of ${fmtInt(warmup)} deleted` : ''),
  );

  const results: Array<{ name: string; before: Snapshot; after: Snapshot; ms: number; dbsize: string }> = [];
  try {
    for (const server of [pair.redis, pair.shoal]) {
      const key = shapeKey(shape);
      const client = server === pair.shoal && stream && key !== null && shards > 1 ? await clientAwayFrom(server.port, shardOf(key, shards), shards) : await rawClient(server.port);
      try {
        if (warmup > 0) {
          await client.call('FLUSHALL');
          await load(client, shape, warmup, valueSize, chunk, stream);
        }
        await client.call('FLUSHALL');
        // Shoal lets go of emptied segments and collects an idle thread's garbage within a second or two.
        await sleep(warmup > 0 ? 3000 : 500);
        const before = await snapshot(server, client);
        const ms = await load(client, shape, n, valueSize, chunk, stream);
        await sleep(1000);
        const after = await snapshot(server, client);
        const dbsize = (await client.callText('DBSIZE')).trim().replace(/^:/, '');
        results.push({ name: server.name, before, after, ms, dbsize });
        console.error(`  ${server.name}: loaded in ${(ms / 1000).toFixed(1)} s (${fmtInt((n / ms) * 1000)} elements/s), DBSIZE ${dbsize}`);
      } finally {
        client.destroy();
      }
    }
  } finally {
    await pair.stop();
  }

  console.log('');
  const perKey = (a: number, b: number) => (b - a) / n;
  printTable(
    ['server', 'DBSIZE', 'used_memory before', 'used_memory after', 'bytes/element (used_memory)', 'RSS before', 'RSS after', 'bytes/element (RSS)', 'load elements/s'],
    results.map((r) => [
      r.name,
      r.dbsize,
      fmtBytes(r.before.usedMemory),
      fmtBytes(r.after.usedMemory),
      fmtInt(perKey(r.before.usedMemory, r.after.usedMemory)),
      fmtBytes(r.before.rss),
      fmtBytes(r.after.rss),
      fmtInt(perKey(r.before.rss, r.after.rss)),
      fmtInt((n / r.ms) * 1000),
    ]),
  );
  const [r, s] = results;
  if (r && s) {
    const ratio = (f: (x: typeof r) => number) => (f(s) / f(r)).toFixed(2);
    console.log(
      `\nratio ${s.name}/redis, bytes per element: used_memory ${ratio((x) => perKey(x.before.usedMemory, x.after.usedMemory))}, ` +
        `RSS ${ratio((x) => perKey(x.before.rss, x.after.rss))}`,
    );
    if (s.before.shards.length > 0 || s.after.shards.length > 0) {
      console.log(`\n${s.name} INFO shards before:\n  ${s.before.shards.join('\n  ') || '(none)'}`);
      console.log(`${s.name} INFO shards after:\n  ${s.after.shards.join('\n  ') || '(none)'}`);
    } else {
      console.log(`\n(${s.name} has no INFO shards section)`);
    }
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.stack ?? e.message : e);
  process.exit(1);
});
