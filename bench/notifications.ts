/**
 * What keyspace notifications and client-side caching cost a write: SET
 * throughput (redis-benchmark) with nothing listening, with
 * notify-keyspace-events KEA and a pattern subscriber reading every event,
 * and with a BCAST tracking client (RESP3, every key) reading every
 * invalidation — redis-server and Shoal in the same run.
 *
 *   npm run build && node dist/bench/notifications.js [--pipelines 1,16] [--clients 50] [--requests 100000] [--threads 2] [--rounds 2]
 */
import net from 'node:net';
import { rawClient } from '../test/helpers/raw-client.js';
import { commandLine, intFlag, keepRow, listFlag, machineDescription, parseFlags, printRatioTable, redisBenchmark, runBenchmark, startPair, type Samples } from './lib.js';

type Mode = 'off' | 'keyspace events' | 'tracking (BCAST)';

/** A listener that reads (and drops) everything: a pattern subscriber or a BCAST tracking client. */
async function listen(port: number, mode: Mode): Promise<() => void> {
  if (mode === 'off') return () => {};
  const s = net.createConnection({ port, host: '127.0.0.1' });
  await new Promise<void>((resolve) => s.once('connect', () => resolve()));
  let ready!: () => void;
  const confirmed = new Promise<void>((resolve) => (ready = resolve));
  let seen = '';
  s.on('data', (chunk: Buffer) => {
    if (seen.length < 4096) {
      seen += chunk.toString('latin1');
      if ((mode === 'keyspace events' && seen.includes('psubscribe')) || (mode === 'tracking (BCAST)' && seen.split('+OK').length > 1)) ready();
    }
  });
  if (mode === 'keyspace events') s.write('*2\r\n$10\r\nPSUBSCRIBE\r\n$12\r\n__key*@0__:*\r\n');
  else s.write('*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*4\r\n$6\r\nCLIENT\r\n$8\r\nTRACKING\r\n$2\r\nON\r\n$5\r\nBCAST\r\n');
  await confirmed;
  return () => s.destroy();
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { pipelines: '1,16', clients: '50', requests: '100000', threads: '2', rounds: '2' });
  const bin = process.env.REDIS_BENCHMARK ?? 'redis-benchmark';
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(intFlag(flags, 'threads'));
  const samples = new Map<string, Samples>();
  try {
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const mode of ['off', 'keyspace events', 'tracking (BCAST)'] as Mode[]) {
        for (const P of listFlag(flags, 'pipelines')) {
          const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
          for (const server of order) {
            const admin = await rawClient(server.port);
            await admin.callText('CONFIG', 'SET', 'notify-keyspace-events', mode === 'keyspace events' ? 'KEA' : '');
            const stop = await listen(server.port, mode);
            const [row] = await redisBenchmark(bin, server.port, ['-n', flags.get('requests')!, '-c', flags.get('clients')!, '-P', P, '-r', '100000', 'SET', 'key:__rand_int__', 'value']);
            stop();
            admin.destroy();
            keepRow(samples, `SET, ${mode}\t${P}`, server === pair.redis, row);
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
