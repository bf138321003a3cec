/**
 * Streams against redis-server in one run:
 *  - XADD throughput (redis-benchmark, auto IDs, streams spread over
 *    --keys keys, so over every Shoal thread), at each pipeline depth;
 *  - XREAD throughput (COUNT 10 from the start of preloaded streams);
 *  - XREADGROUP + XACK: --workers clients each read 10 new entries for its
 *    consumer and acknowledge them, until every preloaded entry is done;
 *    entries per second;
 *  - memory per entry: MEMORY USAGE of one stream of --entries entries
 *    (two fields, small values), divided by the entries.
 *
 *   npm run build && node dist/bench/streams.js [--threads 2] [--keys 1000] [--requests 200000] [--pipelines 1,16] [--workers 8] [--entries 100000] [--rounds 2]
 */
import { rawClient, type RawClient } from '../test/helpers/raw-client.js';
import { parseOne, type Reply } from '../test/helpers/resp.js';
import { commandLine, fmtInt, intFlag, keepRow, listFlag, machineDescription, median, parseFlags, printRatioTable, printTable, redisBenchmark, runBenchmark, startPair, type Samples } from './lib.js';
import type { ServerHandle } from '../test/helpers/servers.js';

const BATCH = 1000;

/** Appends `n` entries to `key` in pipelined batches. */
async function preload(c: RawClient, key: string, n: number): Promise<void> {
  for (let done = 0; done < n; done += BATCH) {
    const k = Math.min(BATCH, n - done);
    const cmds: string[][] = [];
    for (let i = 0; i < k; i++) cmds.push(['XADD', key, '*', 'field', `value-${done + i}`, 'n', String(done + i)]);
    await c.write(Buffer.concat(cmds.map((a) => Buffer.from(`*${a.length}\r\n` + a.map((x) => `$${Buffer.byteLength(x)}\r\n${x}\r\n`).join('')))));
    await c.readReplies(k, 60_000);
  }
}

/** The IDs of an XREADGROUP reply (RESP2: [[key, [[id, fields] ...]]]). */
function idsOf(r: Reply): string[] {
  if (r.type !== 'array' || r.value === null) return [];
  const out: string[] = [];
  for (const stream of r.value) {
    if (stream.type !== 'array' || stream.value === null) continue;
    const entries = stream.value[1]!;
    if (entries.type !== 'array' || entries.value === null) continue;
    for (const e of entries.value) if (e.type === 'array' && e.value !== null && e.value[0]!.type === 'bulk') out.push(e.value[0]!.value!.toString());
  }
  return out;
}

/** XREADGROUP + XACK: entries per second for `workers` consumers sharing `streams` streams of `perStream` entries. */
async function groupRate(server: ServerHandle, workers: number, streams: number, perStream: number): Promise<number> {
  const admin = await rawClient(server.port);
  const keys = Array.from({ length: streams }, (_, i) => `grp:${i}`);
  for (const k of keys) {
    await admin.call('DEL', k);
    await preload(admin, k, perStream);
    await admin.call('XGROUP', 'CREATE', k, 'g', '0');
  }
  const clients = await Promise.all(Array.from({ length: workers }, () => rawClient(server.port)));
  let done = 0;
  const t0 = performance.now();
  await Promise.all(
    clients.map(async (c, w) => {
      const key = keys[w % keys.length]!;
      for (;;) {
        const ids = idsOf(parseOne(await c.call('XREADGROUP', 'GROUP', 'g', `c${w}`, 'COUNT', '10', 'STREAMS', key, '>')));
        if (ids.length === 0) return;
        await c.call('XACK', key, 'g', ...ids);
        done += ids.length;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const pending = await admin.callText('XPENDING', keys[0]!, 'g');
  if (!pending.startsWith('*4\r\n:0\r\n')) throw new Error(`entries left pending: ${pending}`);
  for (const c of clients) c.destroy();
  for (const k of keys) await admin.call('DEL', k);
  admin.destroy();
  if (done !== streams * perStream) throw new Error(`${done} of ${streams * perStream} entries read`);
  return done / secs;
}

/** MEMORY USAGE of one stream of `n` entries, per entry. */
async function bytesPerEntry(server: ServerHandle, n: number): Promise<number> {
  const c = await rawClient(server.port);
  await c.call('DEL', 'mem:stream');
  await preload(c, 'mem:stream', n);
  const r = parseOne(await c.call('MEMORY', 'USAGE', 'mem:stream', 'SAMPLES', '0'));
  await c.call('DEL', 'mem:stream');
  c.destroy();
  if (r.type !== 'integer') throw new Error('MEMORY USAGE did not answer an integer');
  return Number(r.value) / n;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { threads: '2', keys: '1000', requests: '200000', pipelines: '1,16', workers: '8', entries: '100000', rounds: '2' });
  const bin = process.env.REDIS_BENCHMARK ?? 'redis-benchmark';
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(intFlag(flags, 'threads'));
  const samples = new Map<string, Samples>();
  const group: { redis: number[]; shoal: number[] } = { redis: [], shoal: [] };
  const memory: { redis: number[]; shoal: number[] } = { redis: [], shoal: [] };
  try {
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
      for (const server of order) {
        const isRedis = server === pair.redis;
        const c = await rawClient(server.port);
        await c.call('FLUSHALL');
        c.destroy();
        const base = ['-n', flags.get('requests')!, '-c', '50', '-r', flags.get('keys')!];
        for (const P of listFlag(flags, 'pipelines')) {
          const [add] = await redisBenchmark(bin, server.port, [...base, '-P', P, 'XADD', 'st:__rand_int__', '*', 'field', 'value', 'n', '42']);
          keepRow(samples, `XADD\t${P}`, isRedis, add!);
          const [read] = await redisBenchmark(bin, server.port, [...base, '-P', P, 'XREAD', 'COUNT', '10', 'STREAMS', 'st:__rand_int__', '0']);
          keepRow(samples, `XREAD COUNT 10\t${P}`, isRedis, read!);
        }
        const workers = intFlag(flags, 'workers');
        (isRedis ? group.redis : group.shoal).push(await groupRate(server, workers, workers, Math.ceil(intFlag(flags, 'entries') / workers)));
        (isRedis ? memory.redis : memory.shoal).push(await bytesPerEntry(server, intFlag(flags, 'entries')));
      }
    }
  } finally {
    await pair.stop();
  }
  printRatioTable(samples, 'shoal', 'req/s');
  console.log();
  const gr = median(group.redis);
  const gs = median(group.shoal);
  const mr = median(memory.redis);
  const ms = median(memory.shoal);
  printTable(
    ['measure', 'redis', 'shoal', 'ratio shoal/redis'],
    [
      [`XREADGROUP COUNT 10 + XACK, ${flags.get('workers')} consumers (entries/s)`, fmtInt(gr), fmtInt(gs), (gs / gr).toFixed(2)],
      [`MEMORY USAGE per entry, ${flags.get('entries')} entries (bytes)`, mr.toFixed(1), ms.toFixed(1), (ms / mr).toFixed(2)],
    ],
  );
}

runBenchmark(main);
