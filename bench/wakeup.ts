/**
 * What it costs to wake an idle Node.js thread: two worker threads pass a
 * turn back and forth, each sleeping in its event loop until the other wakes
 * it, N times. Prints the round trip and the CPU each thread spends per round
 * trip (process.threadCpuUsage), for three ways of waking an event loop:
 *
 *   waitAsync   an Int32 armed before sleeping, Atomics.waitAsync / notify
 *               (what Shoal's doorbells use, transport/doorbell.ts)
 *   port        MessagePort.postMessage
 *   unix        one byte over a unix socket between the two threads
 *
 * Shoal pays this for every hop to a thread that had gone idle, so it sets
 * how much a command on another thread's shard costs when the threads are
 * not busy (docs/benchmarks.md).
 *
 *   npm run build && node dist/bench/wakeup.js [--round-trips 20000]
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort, Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';

type Mode = 'waitAsync' | 'port' | 'unix';

interface Job {
  side: 0 | 1;
  mode: Mode;
  roundTrips: number;
  sab: SharedArrayBuffer;
  port: MessagePort;
  socketPath: string;
}

async function main(): Promise<void> {
  const i = process.argv.indexOf('--round-trips');
  const roundTrips = i > 0 ? Number(process.argv[i + 1]) : 20_000;
  console.log(`${roundTrips} round trips between two worker threads, ${os.cpus().length} cores, Node.js ${process.version}`);
  console.log('| wake-up | round trip µs | CPU per round trip, each thread µs |');
  console.log('|---|---|---|');
  for (const mode of ['waitAsync', 'port', 'unix'] as const) {
    const sab = new SharedArrayBuffer(128);
    const { port1, port2 } = new MessageChannel();
    const socketPath = path.join(os.tmpdir(), `shoal-wakeup-${process.pid}.sock`);
    fs.rmSync(socketPath, { force: true });
    const workers = ([0, 1] as const).map((side) => {
      const port = side === 0 ? port1 : port2;
      return new Worker(new URL(import.meta.url), { workerData: { side, mode, roundTrips, sab, port, socketPath } satisfies Job, transferList: [port] });
    });
    const results = await Promise.all(workers.map((w) => new Promise<{ wallUs: number; cpuUs: number }>((r) => w.once('message', r))));
    const wall = Math.max(...results.map((r) => r.wallUs)) / roundTrips;
    const cpu = results.map((r) => (r.cpuUs / roundTrips).toFixed(1)).join(' / ');
    console.log(`| ${mode} | ${wall.toFixed(1)} | ${cpu} |`);
    await Promise.all(workers.map((w) => w.terminate()));
    fs.rmSync(socketPath, { force: true });
  }
}

/** One side: takes its turn, hands it over, sleeps until it comes back. */
function side(job: Job): void {
  const keepAlive = setInterval(() => {}, 1000);
  const a = new Int32Array(job.sab);
  const me = job.side;
  const cpu0 = process.threadCpuUsage();
  const t0 = performance.now();
  let turns = 0;
  let reported = false;
  // Reports once its round trips are done, and keeps handing the turn back so the other side finishes too.
  const count = (): void => {
    if (++turns <= job.roundTrips || reported) return;
    reported = true;
    const cpu = process.threadCpuUsage(cpu0);
    parentPort!.postMessage({ wallUs: (performance.now() - t0) * 1000, cpuUs: cpu.user + cpu.system });
  };
  void keepAlive;
  if (job.mode === 'waitAsync') {
    // a[0]: whose turn it is; a[16 + s]: side s is armed (may sleep).
    const TURN = 0;
    const bell = (s: number) => 16 + s;
    const myTurn = (): void => {
      if (Atomics.load(a, TURN) === me) {
        count();
        Atomics.store(a, TURN, 1 - me);
        const other = bell(1 - me);
        if (Atomics.compareExchange(a, other, 1, 0) === 1) Atomics.notify(a, other);
      }
      Atomics.store(a, bell(me), 1);
      if (Atomics.load(a, TURN) === me) {
        Atomics.store(a, bell(me), 0);
        setImmediate(myTurn);
        return;
      }
      const r = Atomics.waitAsync(a, bell(me), 1);
      if (r.async) void r.value.then(() => setImmediate(myTurn));
      else setImmediate(myTurn);
    };
    myTurn();
  } else if (job.mode === 'port') {
    job.port.on('message', () => {
      count();
      job.port.postMessage(0);
    });
    if (me === 0) job.port.postMessage(0);
  } else {
    const play = (s: net.Socket): void => {
      s.on('data', (d: Buffer) => {
        for (let k = 0; k < d.length; k++) {
          count();
          s.write(ONE);
        }
      });
      if (me === 0) s.write(ONE);
    };
    if (me === 1) net.createServer(play).listen(job.socketPath, () => Atomics.store(a, 24, 1));
    else {
      const connect = (): void => {
        if (Atomics.load(a, 24) === 1) play(net.connect(job.socketPath));
        else setTimeout(connect, 5);
      };
      connect();
    }
  }
}

const ONE = Buffer.from([1]);

if (isMainThread) await main();
else side(workerData as Job);
