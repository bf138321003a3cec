/**
 * PUBLISH throughput against redis-server in the same run: redis-benchmark
 * publishes to a channel with 1, 10 and 100 subscribers (plain sockets in
 * this process that read and count what arrives; on Shoal they land on
 * every thread), and to a channel the subscribers match by a pattern.
 * Every message must reach every subscriber: the run fails otherwise.
 *
 *   npm run build && node dist/bench/pubsub.js [--subscribers 1,10,100] [--pipelines 1,16] [--clients 50] [--requests 100000] [--threads 2] [--rounds 2]
 */
import net from 'node:net';
import { rawClient } from '../test/helpers/raw-client.js';
import { commandLine, intFlag, keepRow, listFlag, machineDescription, parseFlags, printRatioTable, redisBenchmark, runBenchmark, startPair, type Samples } from './lib.js';

/** Subscribers that read everything and count the messages (by counting the type's bytes). */
async function subscribe(port: number, count: number, how: 'SUBSCRIBE' | 'PSUBSCRIBE', name: string): Promise<{ received(): number; close(): void }> {
  const marker = Buffer.from(how === 'SUBSCRIBE' ? '$7\r\nmessage\r\n' : '$8\r\npmessage\r\n');
  const sockets: net.Socket[] = [];
  let received = 0;
  for (let i = 0; i < count; i++) {
    const s = net.createConnection({ port, host: '127.0.0.1' });
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    let tail: Buffer = Buffer.alloc(0);
    let confirmed!: () => void;
    const ready = new Promise<void>((resolve) => (confirmed = resolve));
    s.on('data', (chunk: Buffer) => {
      const buf = tail.length > 0 ? Buffer.concat([tail, chunk]) : chunk;
      if (buf.includes('subscribe')) confirmed();
      let at = buf.indexOf(marker);
      let last = 0;
      while (at >= 0) {
        received++;
        last = at + marker.length;
        at = buf.indexOf(marker, last);
      }
      tail = buf.subarray(Math.max(last, buf.length - marker.length + 1));
    });
    s.write(`*2\r\n$${how.length}\r\n${how}\r\n$${name.length}\r\n${name}\r\n`);
    await ready;
    sockets.push(s);
  }
  return { received: () => received, close: () => sockets.forEach((s) => s.destroy()) };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), { subscribers: '1,10,100', pipelines: '1,16', clients: '50', requests: '100000', threads: '2', rounds: '2' });
  const bin = process.env.REDIS_BENCHMARK ?? 'redis-benchmark';
  console.log(machineDescription());
  console.log(commandLine());
  const pair = await startPair(intFlag(flags, 'threads'));
  const samples = new Map<string, Samples>();
  try {
    for (let round = 0; round < intFlag(flags, 'rounds'); round++) {
      for (const n of listFlag(flags, 'subscribers').map(Number)) {
        for (const how of ['SUBSCRIBE', 'PSUBSCRIBE'] as const) {
          for (const P of listFlag(flags, 'pipelines')) {
            const order = round % 2 === 0 ? [pair.redis, pair.shoal] : [pair.shoal, pair.redis];
            for (const server of order) {
              const subs = await subscribe(server.port, n, how, how === 'SUBSCRIBE' ? 'news' : 'ne*');
              const requests = intFlag(flags, 'requests');
              const [row] = await redisBenchmark(bin, server.port, ['-n', String(requests), '-c', flags.get('clients')!, '-P', P, 'PUBLISH', 'news', 'a message of about forty bytes ........']);
              // Every message reaches every subscriber before the next row.
              const want = requests * n;
              for (let i = 0; i < 600 && subs.received() < want; i++) await new Promise((r) => setTimeout(r, 50));
              subs.close();
              if (subs.received() !== want) throw new Error(`${server === pair.redis ? 'redis' : 'shoal'}: ${subs.received()} of ${want} messages arrived`);
              const c = await rawClient(server.port);
              // The subscribers are gone before the next row (a thread round trip on Shoal).
              for (let i = 0; i < 100 && (await c.callText('PUBSUB', 'NUMPAT')) + (await c.callText('PUBSUB', 'NUMSUB', 'news')) !== ':0\r\n*2\r\n$4\r\nnews\r\n:0\r\n'; i++) await new Promise((r) => setTimeout(r, 20));
              c.destroy();
              keepRow(samples, `${how === 'SUBSCRIBE' ? 'channel' : 'pattern'}, ${n} sub\t${P}`, server === pair.redis, row);
            }
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
