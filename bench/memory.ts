/**
 * Memory comparison: load the same N keys (`SET key:%010d <value-size bytes>`)
 * into redis-server and Shoal through a raw pipelined socket, then report
 * used_memory (INFO memory) and RSS (/proc/<pid>/status) per key for both.
 * For Shoal, INFO shards is printed before and after the load, to show
 * where the data went (arena_used) and that the JS heap (heap_used) stays
 * flat.
 *
 *   npm run build && node dist/bench/memory.js [--keys 1000000]
 *       [--value-size 64] [--shards 4] [--chunk 10000]
 *       [--shoal-cmd redis | --shoal-cmd 'cmd with {port} {shards}']
 */
import { RawClient, rawClient, sleep } from '../test/helpers/raw-client.js';
import type { ServerHandle } from '../test/helpers/servers.js';
import { fmtBytes, fmtInt, info, intFlag, parseFlags, parseInfo, printTable, rssBytes, startPair } from './lib.js';

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

function valueFor(i: number, size: number): string {
  const head = `v${i.toString(36)}:`;
  return (head + 'x'.repeat(Math.max(0, size - head.length))).slice(0, size);
}

/** SET key:%010d for i in [0, n), pipelined in chunks; checks that every reply is +OK. */
async function load(client: RawClient, n: number, valueSize: number, chunk: number): Promise<number> {
  const started = Date.now();
  const OK = Buffer.from('+OK\r\n');
  let written = 0;
  let acked = 0;
  const ack = async (count: number) => {
    const replies = await client.readBytes(count * OK.length, 120_000);
    for (let off = 0; off < replies.length; off += OK.length) {
      if (replies.compare(OK, 0, OK.length, off, off + OK.length) !== 0) {
        throw new Error(`unexpected reply after ${acked + off / OK.length} SETs: ${replies.subarray(off, off + 80).toString('latin1')}`);
      }
    }
    acked += count;
  };
  while (written < n) {
    const m = Math.min(chunk, n - written);
    let s = '';
    for (let i = written; i < written + m; i++) {
      const key = `key:${i.toString().padStart(10, '0')}`;
      const v = valueFor(i, valueSize);
      s += `*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$${v.length}\r\n${v}\r\n`;
    }
    if (!(await client.write(s))) throw new Error('connection closed during load');
    written += m;
    // Keep at most two chunks in flight.
    if (written - acked > 2 * chunk) await ack(Math.min(chunk, written - acked));
  }
  while (acked < written) await ack(Math.min(chunk, written - acked));
  return Date.now() - started;
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    keys: '1000000',
    'value-size': '64',
    shards: '4',
    chunk: '10000',
    'shoal-cmd': process.env.SHOAL_CMD ?? '',
  });
  const n = intFlag(flags, 'keys');
  const valueSize = intFlag(flags, 'value-size');
  const chunk = intFlag(flags, 'chunk');
  const shards = intFlag(flags, 'shards');

  const pair = await startPair(shards, flags.get('shoal-cmd'));
  console.log(`redis-server on :${pair.redis.port}, ${pair.shoal.name} (${shards} shards) on :${pair.shoal.port}; ${fmtInt(n)} keys × ${valueSize}-byte values`);

  const results: Array<{ name: string; before: Snapshot; after: Snapshot; ms: number; dbsize: string }> = [];
  try {
    for (const server of [pair.redis, pair.shoal]) {
      const client = await rawClient(server.port);
      try {
        await client.call('FLUSHALL');
        await sleep(500);
        const before = await snapshot(server, client);
        const ms = await load(client, n, valueSize, chunk);
        await sleep(1000);
        const after = await snapshot(server, client);
        const dbsize = (await client.callText('DBSIZE')).trim().replace(/^:/, '');
        results.push({ name: server.name, before, after, ms, dbsize });
        console.error(`  ${server.name}: loaded in ${(ms / 1000).toFixed(1)} s (${fmtInt((n / ms) * 1000)} SET/s), DBSIZE ${dbsize}`);
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
    ['server', 'DBSIZE', 'used_memory before', 'used_memory after', 'bytes/key (used_memory)', 'RSS before', 'RSS after', 'bytes/key (RSS)', 'load SET/s'],
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
      `\nratio ${s.name}/redis, bytes per key: used_memory ${ratio((x) => perKey(x.before.usedMemory, x.after.usedMemory))}, ` +
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
