/**
 * Small shared pieces of the benchmark scripts: flag parsing, starting the
 * two servers side by side, INFO parsing, table printing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { type ServerHandle, startAll, startRedis, startShoal } from '../test/helpers/servers.js';
import type { RawClient } from '../test/helpers/raw-client.js';

export type Flags = Map<string, string>;

/** Parses `--name value` and `--name=value` (and bare `--flag` as "true"). */
export function parseFlags(argv: string[], known: Record<string, string>): Flags {
  const flags: Flags = new Map(Object.entries(known));
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '-h' || a === '--help') {
      console.log('options (defaults):');
      for (const [k, v] of Object.entries(known)) console.log(`  --${k} ${JSON.stringify(v)}`);
      process.exit(0);
    }
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let name = a.slice(2);
    let value: string | undefined;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!(name in known)) throw new Error(`unknown option --${name} (known: ${Object.keys(known).map((k) => '--' + k).join(' ')})`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (next !== undefined && !next.startsWith('--')) {
        value = next;
        i++;
      } else value = 'true';
    }
    flags.set(name, value);
  }
  return flags;
}

export function intFlag(flags: Flags, name: string): number {
  const v = Number(flags.get(name));
  if (!Number.isInteger(v) || v <= 0) throw new Error(`--${name} must be a positive integer`);
  return v;
}

export function listFlag(flags: Flags, name: string): string[] {
  return (flags.get(name) ?? '').split(',').map((s) => s.trim()).filter(Boolean);
}

export interface Pair {
  redis: ServerHandle;
  shoal: ServerHandle;
  stop(): Promise<void>;
}

/**
 * Starts redis-server and Shoal (with `threads` threads) side by side.
 * `shoalCmd` (or env SHOAL_CMD) replaces Shoal's command line: "redis" for a
 * second redis-server, or a shell command with {port} and {threads} placeholders.
 */
export async function startPair(threads: number, shoalCmd?: string): Promise<Pair> {
  const [redis, shoal] = await startAll(startRedis(), startShoal({ threads, cmd: shoalCmd || undefined, startupTimeoutMs: 60_000 }));
  const stop = async () => {
    await Promise.all([redis.stop(), shoal.stop()]);
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      void stop().finally(() => process.exit(130));
    });
  }
  return { redis, shoal, stop };
}

/** Parses an INFO reply body into a field map (sections flattened). */
export function parseInfo(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    if (!line || line.startsWith('#')) continue;
    const i = line.indexOf(':');
    if (i > 0) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/** Sends INFO <section> over a raw client and returns the body text. */
export async function info(client: RawClient, section: string): Promise<string> {
  const raw = (await client.call('INFO', section)).toString('utf8');
  if (raw.startsWith('-')) return '';
  const nl = raw.indexOf('\r\n');
  // "$<len>\r\n<body>\r\n" (RESP2) or "=<len>\r\ntxt:<body>\r\n" (RESP3 verbatim)
  let body = raw.slice(nl + 2, raw.length - 2);
  if (raw.startsWith('=')) body = body.slice(4);
  return body;
}

/** Resident set size of a process in bytes (Linux /proc), or NaN. */
export function rssBytes(pid: number): number {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(status);
    return m ? Number(m[1]) * 1024 : NaN;
  } catch {
    return NaN;
  }
}

export function fmtInt(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a';
}

export function fmtBytes(n: number): string {
  if (!Number.isFinite(n)) return 'n/a';
  const units = ['B', 'KiB', 'MiB', 'GiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v.toFixed(u === 0 ? 0 : 1)} ${units[u]}`;
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The q-quantile (0 < q ≤ 1) of xs by nearest rank, or NaN if xs is empty. */
export function percentile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Prints a Markdown table (pads columns so it also reads well in a terminal). */
export function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  console.log(line(header));
  console.log('|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|');
  for (const r of rows) console.log(line(r));
}

/** Measurements of one test at one pipeline depth, for both servers, over the rounds. */
export interface Samples {
  redis: number[];
  shoal: number[];
  p50r: number[];
  p50s: number[];
}

/** Samples keyed by "test\tpipeline", created on first use. */
export function samplesFor(all: Map<string, Samples>, key: string): Samples {
  let s = all.get(key);
  if (s === undefined) all.set(key, (s = { redis: [], shoal: [], p50r: [], p50s: [] }));
  return s;
}

/** Keeps one server's redis-benchmark row under "test\tpipeline". */
export function keepRow(all: Map<string, Samples>, key: string, redis: boolean, row: { rps: number; p50: number }): void {
  const s = samplesFor(all, key);
  (redis ? s.redis : s.shoal).push(row.rps);
  (redis ? s.p50r : s.p50s).push(row.p50);
}

/** Runs a benchmark's main: an error is printed and the process exits with 1. */
export function runBenchmark(main: () => Promise<void>): void {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? (e.stack ?? e.message) : e);
    process.exit(1);
  });
}

/** Prints medians and the ratio Shoal/redis, one row per test and pipeline depth. */
export function printRatioTable(samples: Map<string, Samples>, shoalName: string, unit: string): void {
  const rows: string[][] = [];
  for (const [key, s] of samples) {
    const [test, P] = key.split('\t');
    const r = median(s.redis);
    const sh = median(s.shoal);
    rows.push([test!, P!, fmtInt(r), fmtInt(sh), (sh / r).toFixed(2), median(s.p50r).toFixed(3), median(s.p50s).toFixed(3)]);
  }
  printTable(['test', 'pipeline', `redis ${unit}`, `${shoalName} ${unit}`, 'ratio shoal/redis', 'redis p50 ms', 'shoal p50 ms'], rows);
}

/** One line of redis-benchmark --csv output (latencies in milliseconds). */
export interface BenchRow {
  test: string;
  rps: number;
  avgMs: number;
  minMs: number;
  p50: number;
  p95: number;
  p99: number;
  maxMs: number;
}

/** Runs redis-benchmark once and parses its --csv output. */
export function redisBenchmark(bin: string, port: number, args: string[]): Promise<BenchRow[]> {
  return new Promise((resolve, reject) => {
    // --csv before the arguments: a custom command (EVALSHA ...) takes everything after it.
    const child = spawn(bin, ['-h', '127.0.0.1', '-p', String(port), '--csv', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`redis-benchmark exited with ${code}: ${err || out}`));
      const rows: BenchRow[] = [];
      // "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95_latency_ms","p99_latency_ms","max_latency_ms"
      for (const line of out.split(/\r?\n/)) {
        const cells = line.split('","').map((c) => c.replace(/^"|"$/g, ''));
        if (cells.length < 5 || cells[0] === 'test') continue;
        const rps = Number(cells[1]);
        if (!Number.isFinite(rps)) continue;
        const num = (i: number) => (cells[i] === undefined ? NaN : Number(cells[i]));
        rows.push({ test: cells[0]!, rps, avgMs: num(2), minMs: num(3), p50: num(4), p95: num(5), p99: num(6), maxMs: num(7) });
      }
      if (rows.length === 0) return reject(new Error(`no results in redis-benchmark output:\n${out}\n${err}`));
      resolve(rows);
    });
  });
}

/** The output of a command, trimmed, or `fallback` if it cannot run. */
function commandOutput(cmd: string, args: string[], fallback: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return fallback;
  }
}

/** One line describing the machine: cores, CPU model, kernel, Node and redis-server versions. */
export function machineDescription(redisServerBin = process.env.REDIS_SERVER ?? 'redis-server'): string {
  let cpu = 'unknown CPU';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {
    /* not Linux */
  }
  const redis = /v=(\S+)/.exec(commandOutput(redisServerBin, ['--version'], ''))?.[1] ?? 'unknown';
  return `${os.availableParallelism()} cores (${cpu}), ${os.type()} ${os.release()}, Node.js ${process.version}, redis-server ${redis}`;
}

/** The command line this process was started with, as it could be typed again. */
export function commandLine(): string {
  const script = process.argv[1] ? process.argv[1].replace(process.cwd() + '/', '') : '';
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  return ['node', script, ...process.argv.slice(2)].map(quote).join(' ');
}
