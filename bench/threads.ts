/**
 * Per-thread CPU cost per request, Shoal side by side with redis-server in
 * one run (the project's standard: "per-thread CPU per request, as ratios").
 *
 *   npm run build && node dist/bench/threads.js [--tests set,get,cache]
 *       [--pipelines 1,16] [--requests 200000,1500000] [--threads 2]
 *       [--rounds 3] [--clients 50] [--data-size 64] [--keyspace 100000]
 *       [--duration-ms 3000] [--cores 2,8,64]
 *       [--shoal-cmd redis | --shoal-cmd 'cmd with {port} {threads}']
 *
 * For every test and pipeline depth, each server is loaded in turn, rounds
 * interleaved (redis, shoal, then shoal, redis, ...) so that drift in machine
 * load hits both alike. Around each load the script reads utime+stime of the
 * server process (/proc/<pid>/stat) and of each of its threads
 * (/proc/<pid>/task/<tid>/stat), and reports CPU microseconds per request
 * for each thread: delta ticks × (1e6 / CLK_TCK) / requests.
 *
 * Tests: any redis-benchmark test name (`-t`, one test per run; the keyspace
 * is prefilled so that GET finds its keys), and `cache`, memtier_benchmark's
 * default mix SET:GET 1:10 driven for --duration-ms by the Node load
 * generator of bench/loadgen.ts (its latencies are batch round trips).
 *
 * --requests is the redis-benchmark `-n` of one run: one number for every
 * pipeline depth, or one per depth of --pipelines. The defaults (200,000 at
 * P1, 1,500,000 at P16) give redis-server a little over a second of CPU per
 * run on a 2-core EPYC VM (about 7 µs per request at P1, 0.85 at P16): the
 * ticks are 10 ms (CLK_TCK 100), so runs under a second of CPU are flagged
 * in the output.
 * The CPU figures are pooled over the rounds (ticks summed, requests summed);
 * rps and latencies are medians of the rounds.
 *
 * Which thread is which: Shoal lists its worker threads in `INFO threads` as
 * `thread_<i>:tid=<tid>,...`; those are labelled `thread <i>`, the process's
 * main thread (tid = pid) `main`, and the rest (V8/libuv helpers, GC) are
 * summed as `other`. Without that section, the threads other than main that
 * take more than 2 % of the process's CPU are listed by tid and name. For
 * redis-server: main and other (bio threads).
 *
 * --threads N is passed to Shoal as `--threads N`. --shoal-cmd redis puts a
 * second redis-server in Shoal's place: every ratio should then come out
 * near 1.0.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { type RawClient, rawClient } from '../test/helpers/raw-client.js';
import type { ServerHandle } from '../test/helpers/servers.js';
import { commandLine, fmtInt, info, intFlag, listFlag, machineDescription, median, parseFlags, parseInfo, percentile, printTable, redisBenchmark, startPair } from './lib.js';
import { type Workload, makeBatches, makeOps, msetAll, runLoad } from './loadgen.js';

/** Threads other than main above this share of the process's CPU are listed by tid when Shoal has no INFO threads. */
const SIGNIFICANT_SHARE = 0.02;
/** A row with fewer ticks than this over all rounds is marked as imprecise (±5 % or worse). */
const FEW_TICKS = 20;
/** Ops the cache mix cycles through (per pipeline depth); transactions.ts uses 4096. */
const MIX_OPS = 65_536;
/** The busiest Shoal thread's share of Shoal's CPU should be at most this at pipeline 16. */
const BUSIEST_TARGET = 0.65;

type Who = 'redis' | 'shoal';

// ---- /proc sampling --------------------------------------------------------------

/** utime+stime clock ticks per second (USER_HZ). */
function clockTicks(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    /* fall through */
  }
  return 100;
}

interface TaskTicks {
  comm: string;
  ticks: number;
}

/** CPU ticks of a process and of each of its threads (at one instant, or between two). */
interface CpuSample {
  pid: number;
  process: number;
  tasks: Map<number, TaskTicks>;
}

/** comm (field 2) and utime+stime (fields 14 and 15) of a /proc stat file; undefined if it is gone. */
function readStat(file: string): TaskTicks | undefined {
  let s: string;
  try {
    s = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  // comm may hold spaces and parentheses: it ends at the last ')'.
  const close = s.lastIndexOf(')');
  const f = s.slice(close + 2).split(' '); // f[0] is field 3 (state)
  return { comm: s.slice(s.indexOf('(') + 1, close), ticks: Number(f[11]) + Number(f[12]) };
}

function sampleCpu(pid: number): CpuSample {
  const proc = readStat(`/proc/${pid}/stat`);
  if (!proc) throw new Error(`server process ${pid} is gone`);
  const tasks = new Map<number, TaskTicks>();
  for (const name of fs.readdirSync(`/proc/${pid}/task`)) {
    const t = readStat(`/proc/${pid}/task/${name}/stat`);
    if (t) tasks.set(Number(name), t);
  }
  return { pid, process: proc.ticks, tasks };
}

/** Ticks spent between two samples; a thread born in between counts from zero. */
function cpuDelta(a: CpuSample, b: CpuSample): CpuSample {
  const tasks = new Map<number, TaskTicks>();
  for (const [tid, t] of b.tasks) tasks.set(tid, { comm: t.comm, ticks: t.ticks - (a.tasks.get(tid)?.ticks ?? 0) });
  return { pid: b.pid, process: b.process - a.process, tasks };
}

/** tid → worker index from `INFO threads` lines `thread_<i>:tid=<tid>,...`; empty when the section is absent. */
async function workerTids(client: RawClient): Promise<Map<number, number>> {
  const m = new Map<number, number>();
  for (const [key, value] of parseInfo(await info(client, 'threads'))) {
    const i = /^thread_(\d+)$/.exec(key);
    const tid = /^tid=(\d+)/.exec(value);
    if (i && tid) m.set(Number(tid[1]), Number(i[1]));
  }
  return m;
}

// ---- the loads ---------------------------------------------------------------------

interface Settings {
  bin: string;
  clients: number;
  dataSize: number;
  keyspace: number;
  durationMs: number;
  requests: Map<number, number>;
}

/** One load of one server: what the client saw. Latencies in ms. */
interface Load {
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: string[];
}

/** A measured load, with the server's CPU over it. */
interface Run extends Load {
  cpu: CpuSample;
  workers: Map<number, number>;
}

type LoadFn = (port: number, warmUp: boolean) => Promise<Load>;

/** redis-benchmark's key names for -r: key:%012d. */
function benchmarkKeys(keyspace: number): string[] {
  return Array.from({ length: keyspace }, (_, i) => `key:${String(i).padStart(12, '0')}`);
}

function benchmarkLoad(s: Settings, test: string, P: number): LoadFn {
  return async (port, warmUp) => {
    const n = s.requests.get(P)!;
    const requests = warmUp ? Math.max(1000, Math.floor(n / 10)) : n;
    const args = ['-t', test, '-c', String(s.clients), '-n', String(requests), '-r', String(s.keyspace), '-d', String(s.dataSize), '-P', String(P)];
    const row = (await redisBenchmark(s.bin, port, args))[0]!;
    return { requests, rps: row.rps, p50: row.p50, p99: row.p99, errors: [] };
  };
}

/** The cache mix (SET:GET 1:10) through the Node load generator, on the same keys as redis-benchmark's. */
function mixLoad(s: Settings, P: number): LoadFn {
  const w: Workload = { singleKeys: benchmarkKeys(s.keyspace), groups: [], counterGroups: [], value: 'x'.repeat(s.dataSize) };
  const batches = makeBatches(makeOps('cache', w, MIX_OPS), P, Math.ceil(MIX_OPS / P));
  return async (port, warmUp) => {
    const r = await runLoad(port, s.clients, batches, P, warmUp ? 500 : s.durationMs);
    return {
      requests: r.ops,
      rps: (r.ops / r.elapsedMs) * 1000,
      p50: percentile(r.latencies, 0.5),
      p99: percentile(r.latencies, 0.99),
      errors: r.errors ? [`${r.errors} unexpected replies, first: ${r.firstError}`] : [],
    };
  };
}

interface Server {
  who: Who;
  handle: ServerHandle;
  client: RawClient;
}

async function measure(server: Server, load: LoadFn): Promise<Run> {
  if (server.handle.exited) throw new Error(`${server.handle.name} has exited:\n${server.handle.output().slice(-4000)}`);
  const workers = await workerTids(server.client);
  const before = sampleCpu(server.handle.pid);
  const result = await load(server.handle.port, false);
  const after = sampleCpu(server.handle.pid);
  return { ...result, cpu: cpuDelta(before, after), workers };
}

// ---- summaries ---------------------------------------------------------------------

interface Row {
  label: string;
  ticks: number;
}

/** One server's figures for one test and pipeline depth, over the rounds. */
interface Summary {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  ticks: number;
  /** Per-run process ticks, to flag runs too short for the tick. */
  runTicks: number[];
  rows: Row[];
  /** Process ticks not found in any thread (threads that exited during a run, rounding). */
  unaccounted: number;
  busiest: Row;
  workersSeen: number;
}

/** Ticks per thread summed over the runs (the pid, a thread's name, its ticks). */
function pooledTasks(runs: Run[]): Map<number, TaskTicks> {
  const pooled = new Map<number, TaskTicks>();
  for (const r of runs) {
    for (const [tid, t] of r.cpu.tasks) {
      const p = pooled.get(tid);
      if (p) p.ticks += t.ticks;
      else pooled.set(tid, { ...t });
    }
  }
  return pooled;
}

function threadLabel(who: Who, tid: number, task: TaskTicks, pid: number, workers: Map<number, number>, total: number): string {
  const worker = workers.get(tid);
  if (who === 'shoal' && worker !== undefined) return tid === pid ? `main (thread ${worker})` : `thread ${worker}`;
  if (tid === pid) return 'main';
  if (who === 'shoal' && workers.size === 0 && task.ticks > SIGNIFICANT_SHARE * total) return `tid ${tid} (${task.comm})`;
  return 'other';
}

/** main first, then threads by index, then tids by CPU, other last. */
function rowOrder(a: Row, b: Row): number {
  const rank = (r: Row) => (r.label.startsWith('main') ? 0 : r.label.startsWith('thread ') ? 1 : r.label === 'other' ? 3 : 2);
  const byIndex = (r: Row) => Number(/^thread (\d+)/.exec(r.label)?.[1] ?? 0);
  return rank(a) - rank(b) || byIndex(a) - byIndex(b) || b.ticks - a.ticks;
}

function summarize(who: Who, runs: Run[]): Summary {
  const pid = runs[0]!.cpu.pid;
  const workers = new Map(runs.flatMap((r) => [...r.workers]));
  const ticks = runs.reduce((a, r) => a + r.cpu.process, 0);
  const byLabel = new Map<string, number>();
  let busiest: Row = { label: 'none', ticks: 0 };
  let threadTicks = 0;
  for (const [tid, task] of pooledTasks(runs)) {
    const label = threadLabel(who, tid, task, pid, workers, ticks);
    byLabel.set(label, (byLabel.get(label) ?? 0) + task.ticks);
    threadTicks += task.ticks;
    if (task.ticks > busiest.ticks) busiest = { label: label === 'other' ? `tid ${tid} (${task.comm})` : label, ticks: task.ticks };
  }
  return {
    rps: median(runs.map((r) => r.rps)),
    p50: median(runs.map((r) => r.p50)),
    p99: median(runs.map((r) => r.p99)),
    requests: runs.reduce((a, r) => a + r.requests, 0),
    ticks,
    runTicks: runs.map((r) => r.cpu.process),
    rows: [...byLabel].map(([label, t]) => ({ label, ticks: t })).sort(rowOrder),
    unaccounted: ticks - threadTicks,
    busiest,
    workersSeen: workers.size,
  };
}

// ---- printing ----------------------------------------------------------------------

interface Result {
  test: string;
  P: number;
  redis: Summary;
  shoal: Summary;
}

function fmtUs(us: number): string {
  return Number.isFinite(us) ? us.toFixed(us < 1 ? 3 : 2) : 'n/a';
}

function fmtRatio(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : 'n/a';
}

function fmtPct(x: number): string {
  return Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a';
}

function testName(test: string): string {
  return test === 'cache' ? 'cache (SET:GET 1:10)' : test.toUpperCase();
}

/** CPU µs per request of `ticks` spread over `requests`. */
function usPer(ticks: number, requests: number, hz: number): number {
  return (ticks * (1e6 / hz)) / requests;
}

function printThroughput(results: Result[]): void {
  printTable(
    ['test', 'pipeline', 'redis rps', 'shoal rps', 'ratio shoal/redis', 'redis p50 ms', 'shoal p50 ms', 'redis p99 ms', 'shoal p99 ms', 'p99 ratio shoal/redis'],
    results.map(({ test, P, redis: r, shoal: s }) => [
      testName(test), String(P), fmtInt(r.rps), fmtInt(s.rps), fmtRatio(s.rps / r.rps),
      r.p50.toFixed(3), s.p50.toFixed(3), r.p99.toFixed(3), s.p99.toFixed(3), fmtRatio(s.p99 / r.p99),
    ]),
  );
}

function busiestVerdict(P: number, share: number): string {
  if (P !== 16) return 'n/a (target is for P16)';
  return share <= BUSIEST_TARGET ? 'holds' : 'does not hold';
}

function printCpu(results: Result[], hz: number): void {
  printTable(
    ['test', 'pipeline', 'redis µs/req', 'shoal µs/req', 'ratio shoal/redis', 'busiest shoal thread', 'its share', `≤ ${BUSIEST_TARGET * 100} % at P16`],
    results.map(({ test, P, redis: r, shoal: s }) => {
      const ru = usPer(r.ticks, r.requests, hz);
      const su = usPer(s.ticks, s.requests, hz);
      const share = s.busiest.ticks / s.ticks;
      return [testName(test), String(P), fmtUs(ru), fmtUs(su), fmtRatio(su / ru), s.busiest.label, fmtPct(share), busiestVerdict(P, share)];
    }),
  );
}

function printCeilings(results: Result[], cores: number[], hz: number): void {
  printTable(
    ['test', 'pipeline', 'redis rps (1 / µs)', ...cores.map((c) => `shoal on ${c} cores`), ...cores.map((c) => `ratio at ${c}`)],
    results.map(({ test, P, redis: r, shoal: s }) => {
      const redisCeiling = 1e6 / usPer(r.ticks, r.requests, hz);
      const shoal = cores.map((c) => (c * 1e6) / usPer(s.ticks, s.requests, hz));
      return [testName(test), String(P), fmtInt(redisCeiling), ...shoal.map(fmtInt), ...shoal.map((x) => fmtRatio(x / redisCeiling))];
    }),
  );
}

function detailRows(who: Who, s: Summary, hz: number): string[][] {
  const mark = (ticks: number) => (ticks < FEW_TICKS ? ' *' : '');
  const row = (label: string, ticks: number) => [who, label, fmtUs(usPer(ticks, s.requests, hz)) + mark(ticks), fmtPct(ticks / s.ticks), String(ticks)];
  const rows = s.rows.map((r) => row(r.label, r.ticks));
  if (Math.abs(s.unaccounted) >= Math.max(3, 0.02 * s.ticks)) rows.push(row('unaccounted (exited threads, rounding)', s.unaccounted));
  rows.push(row('total (process)', s.ticks));
  return rows;
}

function printDetail(res: Result, hz: number): void {
  const { redis: r, shoal: s } = res;
  console.log(`\n#### ${testName(res.test)}, pipeline ${res.P}: CPU per request by thread\n`);
  printTable(['server', 'thread', 'µs/request', 'share of its total', 'ticks'], [...detailRows('shoal', s, hz), ...detailRows('redis', r, hz)]);
  const ratio = usPer(s.ticks, s.requests, hz) / usPer(r.ticks, r.requests, hz);
  console.log(`\nratio of totals shoal/redis: ${fmtRatio(ratio)}; busiest shoal thread: ${s.busiest.label}, ${fmtPct(s.busiest.ticks / s.ticks)} of shoal's CPU`);
  if ([...r.runTicks, ...s.runTicks].some((t) => t < hz)) {
    console.log(
      `note: runs under 1 s of CPU (ticks per run: redis ${r.runTicks.join('/')}, shoal ${s.runTicks.join('/')}); ` +
        `at ${1000 / hz} ms per tick these figures are coarse: raise --requests (or --duration-ms for the mix)`,
    );
  }
}

function printReport(results: Result[], settings: string, labelling: string, cores: number[], hz: number): void {
  console.log('\n## Per-thread CPU per request (bench/threads.ts)\n');
  console.log(`- machine: ${machineDescription()}`);
  console.log(`- command: \`${commandLine()}\``);
  console.log(`- ${settings}`);
  console.log(`- ${labelling}`);
  console.log(`- CPU from /proc utime+stime at ${hz} ticks/s, pooled over the rounds (ticks summed, requests summed); rps and latencies are medians of the rounds`);
  console.log('\n### Throughput and latency\n');
  printThroughput(results);
  console.log('\n### CPU per request (all threads of the process)\n');
  printCpu(results, hz);
  console.log(`\n### Ceiling on C cores\n`);
  printCeilings(results, cores, hz);
  console.log(
    `\nShoal on C cores: C / (its total µs per request), assuming its work spreads evenly over the C cores and the client ` +
      `runs on other cores; redis-server: 1 / (its total µs per request), whatever C (commands run on one thread).`,
  );
  for (const r of results) printDetail(r, hz);
  console.log(`\n\\* fewer than ${FEW_TICKS} ticks over all rounds: ±5 % or worse from the tick alone.`);
}

// ---- main ------------------------------------------------------------------------

function requestsPerPipeline(list: string[], pipelines: number[]): Map<number, number> {
  const ns = list.map(Number);
  if (ns.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error('--requests must be positive integers');
  if (ns.length !== 1 && ns.length !== pipelines.length) throw new Error('--requests takes one number, or one per pipeline depth of --pipelines');
  return new Map(pipelines.map((P, i) => [P, ns.length === 1 ? ns[0]! : ns[i]!]));
}

function positiveInts(list: string[], name: string): number[] {
  const ns = list.map(Number);
  if (ns.length === 0 || ns.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`--${name} must be positive integers`);
  return ns;
}

function labellingNote(shoal: Summary | undefined, name: string): string {
  if (shoal && shoal.workersSeen > 0) return `${name} threads: ${shoal.workersSeen} worker threads from INFO threads, main = the thread whose tid is the pid, other = the remaining threads`;
  return (
    `${name} threads: no INFO threads section, so main = the thread whose tid is the pid, threads above ` +
    `${SIGNIFICANT_SHARE * 100} % of the process's CPU listed by tid (name), the rest summed as other`
  );
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2), {
    tests: 'set,get,cache',
    pipelines: '1,16',
    requests: '200000,1500000',
    threads: '2',
    rounds: '3',
    clients: '50',
    'data-size': '64',
    keyspace: '100000',
    'duration-ms': '3000',
    cores: '2,8,64',
    'shoal-cmd': process.env.SHOAL_CMD ?? '',
    'redis-benchmark': 'redis-benchmark',
  });
  const tests = listFlag(flags, 'tests');
  const pipelines = positiveInts(listFlag(flags, 'pipelines'), 'pipelines');
  const cores = positiveInts(listFlag(flags, 'cores'), 'cores');
  const threads = intFlag(flags, 'threads');
  const rounds = intFlag(flags, 'rounds');
  const s: Settings = {
    bin: flags.get('redis-benchmark')!,
    clients: intFlag(flags, 'clients'),
    dataSize: intFlag(flags, 'data-size'),
    keyspace: intFlag(flags, 'keyspace'),
    durationMs: intFlag(flags, 'duration-ms'),
    requests: requestsPerPipeline(listFlag(flags, 'requests'), pipelines),
  };
  const hz = clockTicks();

  const pair = await startPair(threads, flags.get('shoal-cmd'));
  const settings =
    `${pair.shoal.name} with --threads ${threads}; redis-benchmark -c ${s.clients} -d ${s.dataSize} -r ${s.keyspace} ` +
    `-n ${pipelines.map((P) => `${s.requests.get(P)} at P${P}`).join(', ')}; cache mix: Node load generator, ${s.clients} connections, ` +
    `${s.durationMs} ms per run, p50/p99 per batch; ${rounds} interleaved round(s); keyspace prefilled with ${s.dataSize}-byte values`;
  console.error(`redis-server on :${pair.redis.port} (pid ${pair.redis.pid}), ${pair.shoal.name} on :${pair.shoal.port} (pid ${pair.shoal.pid}); ${settings}`);

  const results: Result[] = [];
  const errors: string[] = [];
  try {
    const servers: Server[] = [
      { who: 'redis', handle: pair.redis, client: await rawClient(pair.redis.port) },
      { who: 'shoal', handle: pair.shoal, client: await rawClient(pair.shoal.port) },
    ];
    const keys = benchmarkKeys(s.keyspace);
    await Promise.all(servers.map((sv) => msetAll(sv.client, keys, 'x'.repeat(s.dataSize))));

    for (const test of tests) {
      for (const P of pipelines) {
        const load = test === 'cache' ? mixLoad(s, P) : benchmarkLoad(s, test, P);
        for (const sv of servers) errors.push(...(await load(sv.handle.port, true)).errors);
        const runs: Record<Who, Run[]> = { redis: [], shoal: [] };
        for (let round = 0; round < rounds; round++) {
          // Alternate who goes first, so neither always runs on a warmer machine.
          const order = round % 2 === 0 ? servers : [...servers].reverse();
          for (const sv of order) {
            const run = await measure(sv, load);
            runs[sv.who].push(run);
            errors.push(...run.errors);
            process.stderr.write(
              `  ${test} P=${P} round ${round + 1}/${rounds} ${sv.who.padEnd(5)} ${fmtInt(run.rps).padStart(9)} rps  ` +
                `p99 ${run.p99.toFixed(3)} ms  ${run.cpu.process} ticks = ${fmtUs(usPer(run.cpu.process, run.requests, hz))} µs/req` +
                (run.errors.length ? `  ${run.errors.join('; ')}` : '') +
                '\n',
            );
          }
        }
        results.push({ test, P, redis: summarize('redis', runs.redis), shoal: summarize('shoal', runs.shoal) });
      }
    }
    for (const sv of servers) sv.client.destroy();
  } finally {
    await pair.stop();
  }

  printReport(results, settings, labellingNote(results[0]?.shoal, pair.shoal.name), cores, hz);
  if (errors.length > 0) {
    console.error(`\nerrors from the load generator:\n  ${errors.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
