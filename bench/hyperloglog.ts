/**
 * HyperLogLog against redis-server, in one run:
 *
 *  - throughput (ops/s, pipelined raw clients; loadgen.ts):
 *      PFADD sparse   one new element into one of --keys small (sparse) HLLs
 *      PFADD dense    one element into one of --keys dense HLLs (mostly no change: the common case)
 *      PFCOUNT        one key, cache invalidated by a PFADD each time (PFADD + PFCOUNT pairs)
 *      PFCOUNT cached one key whose cardinality is cached
 *      PFCOUNT 3 keys the union of 3 dense HLLs (on 3 shards for Shoal)
 *      PFMERGE        3 sources into a destination
 *  - memory per HLL: --memory-keys sparse HLLs of --memory-elements
 *    elements, then the same number of dense ones; growth per HLL of
 *    used_memory (Redis) / the arenas (Shoal) and of RSS.
 *
 *   npm run build && node dist/bench/hyperloglog.js [--threads 2] [--clients 8] [--pipeline 16]
 *       [--seconds 3] [--keys 1000] [--memory-keys 20000] [--memory-elements 100] [--rounds 1]
 */
import { rawClient, sleep, type RawClient } from '../test/helpers/raw-client.js';
import type { ServerHandle } from '../test/helpers/servers.js';
import { resp } from '../test/helpers/resp.js';
import { keysOnEveryShard } from '../test/helpers/shards.js';
import { type Batch, type Op, makeBatches, runLoad } from './loadgen.js';
import { commandLine, fmtBytes, fmtInt, info, intFlag, machineDescription, median, parseFlags, parseInfo, printTable, rssBytes, runBenchmark, startPair } from './lib.js';

const COLON = 0x3a;
const PLUS = 0x2b;

function op(args: string[], expect: number): Op {
  return { bytes: resp(...args), expect: [expect] };
}

/** Sends commands pipelined in chunks, reading (and dropping) every reply. */
async function pipe(c: RawClient, commands: string[][], chunk = 500): Promise<void> {
  for (let i = 0; i < commands.length; i += chunk) {
    const part = commands.slice(i, i + chunk);
    await c.write(Buffer.concat(part.map((a) => resp(...a))));
    await c.readReplies(part.length, 60_000);
  }
}

interface Test {
  name: string;
  /** Fills the server before the test. */
  setup(c: RawClient): Promise<void>;
  ops(): Op[];
}

function tests(keys: number, shards: number): Test[] {
  const sparse = Array.from({ length: keys }, (_, i) => `hll:s:${i}`);
  const dense = Array.from({ length: keys }, (_, i) => `hll:d:${i}`);
  const spread = keysOnEveryShard('hll:u:', 3, Math.max(shards, 3));
  const fillDense = async (c: RawClient, ks: string[]) => {
    await pipe(c, ks.map((k) => ['PFADD', k, ...Array.from({ length: 2000 }, (_, j) => `${k}:${j}`)]), 20);
    await pipe(c, ks.map((k) => ['PFDEBUG', 'TODENSE', k]));
  };
  let n = 0;
  return [
    {
      name: 'PFADD sparse',
      setup: async () => {},
      ops: () => Array.from({ length: 20_000 }, (_, i) => op(['PFADD', sparse[i % keys]!, `e${n++}`], COLON)),
    },
    {
      name: 'PFADD dense',
      setup: (c) => fillDense(c, dense),
      ops: () => Array.from({ length: 20_000 }, (_, i) => op(['PFADD', dense[i % keys]!, `e${i % 5000}`], COLON)),
    },
    {
      name: 'PFADD + PFCOUNT',
      setup: async () => {},
      ops: () => Array.from({ length: 20_000 }, (_, i) => (i % 2 === 0 ? op(['PFADD', dense[(i >> 1) % keys]!, `f${n++}`], COLON) : op(['PFCOUNT', dense[(i >> 1) % keys]!], COLON))),
    },
    {
      name: 'PFCOUNT cached',
      setup: (c) => pipe(c, dense.map((k) => ['PFCOUNT', k])),
      ops: () => Array.from({ length: 20_000 }, (_, i) => op(['PFCOUNT', dense[i % keys]!], COLON)),
    },
    {
      name: 'PFCOUNT 3 keys',
      setup: (c) => fillDense(c, spread),
      ops: () => [op(['PFCOUNT', ...spread], COLON)],
    },
    {
      name: 'PFMERGE 3 sources',
      setup: async () => {},
      ops: () => [op(['PFMERGE', spread[0]!, spread[1]!, spread[2]!], PLUS)],
    },
  ];
}

async function memoryPerHll(server: ServerHandle, count: number, elements: number, dense: boolean): Promise<{ used: number; rss: number; bytes: number }> {
  const c = await rawClient(server.port);
  await c.call('FLUSHALL');
  await sleep(500);
  const before = parseInfo(await info(c, 'memory'));
  const rss0 = rssBytes(server.pid);
  const cmds: string[][] = [];
  for (let i = 0; i < count; i++) cmds.push(['PFADD', `m:${i}`, ...Array.from({ length: elements }, (_, j) => `m${i}:${j}`)]);
  await pipe(c, cmds, 200);
  if (dense) await pipe(c, Array.from({ length: count }, (_, i) => ['PFDEBUG', 'TODENSE', `m:${i}`]));
  await sleep(1000);
  const after = parseInfo(await info(c, 'memory'));
  const bytes = Number((await c.call('STRLEN', 'm:0')).toString('latin1').slice(1, -2));
  // Shoal's used_memory includes the JS heaps, which move with collections: its arenas' growth is what the HLLs take.
  const field = after.has('used_memory_arena_allocated') ? 'used_memory_arena_allocated' : 'used_memory';
  const out = { used: (Number(after.get(field)) - Number(before.get(field))) / count, rss: (rssBytes(server.pid) - rss0) / count, bytes };
  await c.call('FLUSHALL');
  c.destroy();
  return out;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { threads: '2', clients: '8', pipeline: '16', seconds: '3', keys: '1000', 'memory-keys': '20000', 'memory-elements': '100', rounds: '1' });
  const threads = intFlag(flags, 'threads');
  const clients = intFlag(flags, 'clients');
  const pipeline = intFlag(flags, 'pipeline');
  const ms = intFlag(flags, 'seconds') * 1000;
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(threads);
  try {
    const results = new Map<string, { redis: number[]; shoal: number[] }>();
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const server of round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis]) {
        const admin = await rawClient(server.port);
        await admin.call('FLUSHALL');
        for (const t of tests(intFlag(flags, 'keys'), threads)) {
          await t.setup(admin);
          const batches: Batch[] = makeBatches(t.ops(), pipeline, 2000);
          const r = await runLoad(server.port, clients, batches, pipeline, ms);
          if (r.errors > 0) throw new Error(`${t.name} on ${server === pair.redis ? 'redis' : 'shoal'}: ${r.errors} errors, first: ${r.firstError}`);
          let row = results.get(t.name);
          if (row === undefined) results.set(t.name, (row = { redis: [], shoal: [] }));
          (server === pair.redis ? row.redis : row.shoal).push((r.ops * 1000) / r.elapsedMs);
        }
        admin.destroy();
      }
    }
    console.log(`\nthroughput (ops/s), ${clients} clients, pipeline ${pipeline}, ${threads} Shoal threads`);
    printTable(
      ['test', 'redis ops/s', 'shoal ops/s', 'ratio shoal/redis'],
      [...results].map(([name, r]) => [name, fmtInt(median(r.redis)), fmtInt(median(r.shoal)), (median(r.shoal) / median(r.redis)).toFixed(2)]),
    );
    const mk = intFlag(flags, 'memory-keys');
    const me = intFlag(flags, 'memory-elements');
    const rows: string[][] = [];
    for (const dense of [false, true]) {
      const [r, s] = [await memoryPerHll(pair.redis, mk, me, dense), await memoryPerHll(pair.shoal, mk, me, dense)];
      const label = dense ? 'dense' : `sparse (${me} elements)`;
      rows.push([label, `${r.bytes}`, fmtBytes(r.used), fmtBytes(s.used), fmtBytes(r.rss), fmtBytes(s.rss)]);
    }
    console.log(`\nmemory per HLL (${fmtInt(mk)} HLLs)`);
    printTable(['HLL', 'value bytes', 'redis used_memory', 'shoal arena', 'redis RSS', 'shoal RSS'], rows);
  } finally {
    await pair.stop();
  }
}

runBenchmark(main);
