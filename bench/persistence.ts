/**
 * Snapshots side by side: the same dataset in redis-server and Shoal, then
 *  - SAVE: wall time, file size, and the peak RSS while saving over the RSS
 *    before (redis-server's SAVE does not fork);
 *  - BGSAVE under writes: one client keeps SETting (pipelined) while BGSAVE
 *    runs; the writes completed per second during the snapshot, against the
 *    same client's rate before it, and the peak RSS (redis-server forks: its
 *    copy-on-write pages count in the child, whose RSS is added);
 *  - loading: a fresh server started on each file, time until it answers,
 *    and its DBSIZE.
 *
 *   npm run build && node dist/bench/persistence.js [--shape strings] [--keys 1000000]
 *       [--value-size 64] [--threads 2]
 */
import fs from 'node:fs';
import path from 'node:path';
import { type RawClient, rawClient, sleep } from '../test/helpers/raw-client.js';
import { type ServerHandle, startRedis, startShoal } from '../test/helpers/servers.js';
import { SHAPES, type Shape, load } from './dataset.js';
import { fmtBytes, fmtInt, intFlag, parseFlags, printTable, rssBytes, startPair } from './lib.js';

/** RSS of a process and its children (redis-server's BGSAVE child). */
function treeRss(pid: number): number {
  let total = rssBytes(pid);
  try {
    const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    for (const k of kids) total += rssBytes(Number(k));
  } catch {
    /* no children file */
  }
  return total;
}

/** Samples treeRss every 10 ms until `done` resolves; returns the peak. */
async function peakRssDuring<T>(pid: number, done: Promise<T>): Promise<{ peak: number; result: T }> {
  let peak = treeRss(pid);
  let finished = false;
  const result = done.finally(() => (finished = true));
  while (!finished) {
    peak = Math.max(peak, treeRss(pid));
    await sleep(10);
  }
  return { peak, result: await result };
}

async function infoField(c: RawClient, section: string, field: string): Promise<string> {
  const text = (await c.call('INFO', section)).toString('latin1');
  return new RegExp(`${field}:(\\S+)`).exec(text)?.[1] ?? '';
}

/** SETs pipelined 100 at a time until `stop()`; returns the count completed per window. */
function writer(c: RawClient): { stop(): Promise<void>; count(): number } {
  let n = 0;
  let running = true;
  const batch = Array.from({ length: 100 }, (_, i) => `*3\r\n$3\r\nSET\r\n$${`w:${i}`.length}\r\nw:${i}\r\n$5\r\nvalue\r\n`).join('');
  const loop = (async () => {
    while (running) {
      await c.write(batch);
      await c.readReplies(100, 60_000);
      n += 100;
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
    count: () => n,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { shape: 'strings', keys: '1000000', 'value-size': '64', threads: '2', chunk: '10000' });
  const shape = flags.get('shape') as Shape;
  if (!SHAPES.includes(shape)) throw new Error(`unknown --shape ${shape}`);
  const n = intFlag(flags, 'keys');
  const valueSize = intFlag(flags, 'value-size');
  const threads = intFlag(flags, 'threads');
  const pair = await startPair(threads);
  console.log(`redis-server :${pair.redis.port}, shoal (${threads} threads) :${pair.shoal.port}; ${fmtInt(n)} elements (${shape}) × ${valueSize} B`);
  const rows: string[][] = [];
  const files: Array<{ server: ServerHandle; file: string; dir: string }> = [];
  try {
    for (const server of [pair.redis, pair.shoal]) {
      const c = await rawClient(server.port);
      const w = await rawClient(server.port);
      try {
        await load(c, shape, n, valueSize, intFlag(flags, 'chunk'));
        const dir = (await c.call('CONFIG', 'GET', 'dir')).toString('latin1').split('\r\n')[4];
        const file = path.join(dir, 'dump.rdb');
        await sleep(500);
        const rssBefore = treeRss(server.pid);
        const t0 = Date.now();
        const save = await peakRssDuring(server.pid, c.callText('SAVE'));
        const saveMs = Date.now() - t0;
        if (save.result.trim() !== '+OK') throw new Error(`${server.name} SAVE: ${save.result}`);
        const size = fs.statSync(file).size;

        // Writes during BGSAVE against writes just before.
        const wr = writer(w);
        await sleep(1000);
        const base0 = wr.count();
        await sleep(1000);
        const before = wr.count() - base0;
        const rssBeforeBg = treeRss(server.pid);
        const b0 = Date.now();
        const startN = wr.count();
        const bg = peakRssDuring(
          server.pid,
          (async () => {
            await c.callText('BGSAVE');
            while ((await infoField(c, 'persistence', 'rdb_bgsave_in_progress')) === '1') await sleep(5);
          })(),
        );
        const { peak: bgPeak } = await bg;
        const bgMs = Date.now() - b0;
        const during = ((wr.count() - startN) / bgMs) * 1000;
        await wr.stop();
        rows.push([
          server.name,
          (saveMs / 1000).toFixed(2),
          fmtBytes(size),
          fmtBytes(save.peak - rssBefore),
          (bgMs / 1000).toFixed(2),
          fmtInt(before),
          fmtInt(during),
          (during / before).toFixed(2),
          fmtBytes(bgPeak - rssBeforeBg),
        ]);
        files.push({ server, file, dir });
      } finally {
        c.destroy();
        w.destroy();
      }
    }
  } finally {
    await pair.stop();
  }
  printTable(['server', 'SAVE s', 'file', 'peak RSS over before (SAVE)', 'BGSAVE s', 'writes/s before', 'writes/s during BGSAVE', 'ratio', 'peak RSS over before (BGSAVE)'], rows);

  // Loading: each server's own file, then the other's.
  const loads: string[][] = [];
  for (const { server, dir } of files) {
    for (const kind of ['redis', 'shoal'] as const) {
      const t0 = Date.now();
      const s = kind === 'redis' ? await startRedis({ args: ['--dir', dir], startupTimeoutMs: 600_000 }) : await startShoal({ threads, args: ['--dir', dir], startupTimeoutMs: 600_000 });
      const ms = Date.now() - t0;
      const c = await rawClient(s.port);
      const dbsize = (await c.callText('DBSIZE')).trim();
      c.destroy();
      loads.push([`${server.name}'s dump`, kind, (ms / 1000).toFixed(2), dbsize, fmtBytes(rssBytes(s.pid))]);
      await s.stop();
    }
  }
  console.log('');
  printTable(['file', 'loaded by', 'start to PONG s', 'DBSIZE', 'RSS after load'], loads);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
