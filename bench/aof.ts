/**
 * AOF write throughput side by side: redis-server and Shoal, both with
 * appendonly yes and the same appendfsync, on fresh directories, measured
 * with redis-benchmark in the same run (ratios, not absolute figures: the
 * client shares the cores). Each policy is also measured with appendonly
 * no, so the table shows what the AOF costs each server.
 *
 *   npm run build && node dist/bench/aof.js [--fsync always,everysec,off] [--tests set,incr,lpush]
 *       [--pipelines 1,16] [--clients 50] [--requests 200000] [--threads 2] [--rounds 2]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type ServerHandle, startRedis, startShoal } from '../test/helpers/servers.js';
import { commandLine, intFlag, listFlag, machineDescription, parseFlags, printRatioTable, redisBenchmark, samplesFor, type Samples } from './lib.js';

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    fsync: 'always,everysec,off',
    tests: 'set,incr,lpush',
    pipelines: '1,16',
    clients: '50',
    requests: '200000',
    threads: '2',
    rounds: '2',
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
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
