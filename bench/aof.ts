/**
 * AOF write throughput side by side: redis-server and Shoal, both with
 * appendonly yes and the same appendfsync, on fresh directories, measured
 * with redis-benchmark in the same run (ratios, not absolute figures: the
 * client shares the cores). Each policy is also measured with appendonly
 * no, so the table shows what the AOF costs each server.
 *
 * With `--load N`: each server writes N SETs (random keys, everysec) into an
 * AOF of its own, stops, and both servers start on each directory (a
 * copy); the time from start to PONG (after LOADING) and DBSIZE.
 *
 *   npm run build && node dist/bench/aof.js [--fsync always,everysec,off] [--tests set,incr,lpush]
 *       [--pipelines 1,16] [--clients 50] [--requests 200000] [--threads 2] [--rounds 2] [--load 0]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ServerHandle, startRedis, startShoal } from '../test/helpers/servers.js';
import { rawClient } from '../test/helpers/raw-client.js';
import { commandLine, fmtBytes, intFlag, listFlag, machineDescription, parseFlags, printRatioTable, printTable, redisBenchmark, rssBytes, samplesFor, type Samples } from './lib.js';

type Kind = 'redis' | 'shoal';

function startKind(kind: Kind, dir: string, threads: number): Promise<ServerHandle> {
  const args = ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'everysec'];
  return kind === 'redis' ? startRedis({ args, startupTimeoutMs: 600_000 }) : startShoal({ threads, args, startupTimeoutMs: 600_000 });
}

/** Each server's AOF of n SETs, loaded by both: start to PONG. */
async function loadTimes(n: number, threads: number, bin: string): Promise<void> {
  const rows: string[][] = [];
  for (const writer of ['redis', 'shoal'] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-aofload-'));
    try {
      const s = await startKind(writer, dir, threads);
      await redisBenchmark(bin, s.port, ['-t', 'set', '-n', String(n), '-r', String(n), '-d', '64', '-P', '16', '-c', '20']);
      await s.stop();
      const size = fs.readdirSync(path.join(dir, 'appendonlydir')).reduce((sum, f) => sum + fs.statSync(path.join(dir, 'appendonlydir', f)).size, 0);
      for (const reader of ['redis', 'shoal'] as const) {
        const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-aofload-'));
        fs.cpSync(path.join(dir, 'appendonlydir'), path.join(copy, 'appendonlydir'), { recursive: true });
        const t0 = Date.now();
        const r = await startKind(reader, copy, threads);
        const ms = Date.now() - t0;
        const c = await rawClient(r.port);
        const dbsize = (await c.callText('DBSIZE')).trim().slice(1);
        c.destroy();
        rows.push([`${writer}'s (${fmtBytes(size)})`, reader, (ms / 1000).toFixed(2), dbsize, fmtBytes(rssBytes(r.pid))]);
        await r.stop();
        fs.rmSync(copy, { recursive: true, force: true });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  console.log(`\nLoading an AOF of ${n} SETs (64-byte values):`);
  printTable(['AOF', 'loaded by', 'start to PONG s', 'DBSIZE', 'RSS after load'], rows);
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    fsync: 'always,everysec,off',
    tests: 'set,incr,lpush',
    pipelines: '1,16',
    clients: '50',
    requests: '200000',
    threads: '2',
    rounds: '2',
    load: '0',
  });
  const bin = process.env.REDIS_BENCHMARK ?? 'redis-benchmark';
  console.log(machineDescription());
  console.log(commandLine());
  for (const fsync of listFlag(flags, 'fsync')) {
    const aof = fsync === 'off' ? ['--appendonly', 'no'] : ['--appendonly', 'yes', '--appendfsync', fsync];
    const samples = new Map<string, Samples>();
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const P of listFlag(flags, 'pipelines')) {
        // Fresh servers and directories each time: both start from an empty file.
        const dirs = [0, 1].map(() => fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-aofbench-')));
        const servers: ServerHandle[] = [];
        try {
          servers.push(await startRedis({ args: ['--dir', dirs[0], '--save', '', ...aof] }));
          servers.push(await startShoal({ threads: intFlag(flags, 'threads'), args: ['--dir', dirs[1], '--save', '', ...aof] }));
          const args = ['-t', flags.get('tests')!, '-n', flags.get('requests')!, '-c', flags.get('clients')!, '-P', P, '-r', '100000'];
          // Alternate which server goes first, so neither always meets a warmer machine.
          const order = round % 2 === 0 ? [0, 1] : [1, 0];
          for (const i of order) {
            const rows = await redisBenchmark(bin, servers[i].port, args);
            for (const r of rows) {
              const s = samplesFor(samples, `${r.test}\t${P}`);
              (i === 0 ? s.redis : s.shoal).push(r.rps);
              (i === 0 ? s.p50r : s.p50s).push(r.p50);
            }
          }
        } finally {
          await Promise.all(servers.map((s) => s.stop()));
          for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
        }
      }
    }
    console.log(`\nappendfsync ${fsync === 'off' ? '(appendonly no)' : fsync}:`);
    printRatioTable(samples, 'shoal', 'req/s');
  }
  if (intFlag(flags, 'load') > 0) await loadTimes(intFlag(flags, 'load'), intFlag(flags, 'threads'), bin);
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
