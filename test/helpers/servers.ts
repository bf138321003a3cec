/**
 * Starting and stopping servers for integration tests, differential tests
 * and benchmarks: a reference redis-server and Shoal, each on a free port of
 * 127.0.0.1, each ready (answering PING) when the promise resolves.
 *
 * Shoal's command can be replaced, to validate the harness before Shoal
 * exists or to compare two redis-servers:
 *   SHOAL_CMD=redis                  → startShoal() starts a redis-server
 *   SHOAL_CMD='some command {port} {threads}'
 *                                    → run through /bin/sh with the
 *                                      placeholders replaced ({shards}
 *                                      is the same as {threads})
 * (the `cmd` option of startShoal() does the same and wins over the env.)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseReply } from './resp.js';

export { RawClient, rawClient, sleep } from './raw-client.js';
export { resp, respMany, parseReply, parseOne, splitReplies, encodeReply, printable, printableCommand } from './resp.js';
export type { Reply, Arg } from './resp.js';

export interface ServerHandle {
  /** 'redis' or 'shoal' (or 'shoal(redis)' / 'shoal(cmd)' when replaced). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pid: number;
  /** Everything the process wrote to stdout/stderr (last 256 KiB). */
  output(): string;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** SIGTERM, then SIGKILL after a grace period; resolves when the process is gone. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /** Extra redis-server arguments, e.g. ['--maxmemory', '100mb']. */
  args?: string[];
  /** redis-server binary (default: env REDIS_SERVER or 'redis-server'). */
  bin?: string;
  startupTimeoutMs?: number;
}

export interface StartShoalOptions {
  /** Threads (each serving clients and owning one shard); passed as --threads. Default 4. */
  threads?: number;
  /** The old name of `threads` (--shards is an alias of --threads); `threads` wins when both are given. */
  shards?: number;
  /** Extra arguments appended to the command line. */
  args?: string[];
  /** Replaces the command; see the file comment. Default: env SHOAL_CMD. */
  cmd?: string;
  startupTimeoutMs?: number;
}

const HOST = '127.0.0.1';
const OUTPUT_CAP = 256 * 1024;

/** The repository root: the nearest ancestor holding the "shoal" package.json. */
export function repoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = path.join(dir, 'package.json');
    if (fs.existsSync(pj)) {
      try {
        if (JSON.parse(fs.readFileSync(pj, 'utf8')).name === 'shoal') return dir;
      } catch {
        /* keep looking */
      }
    }
    const up = path.dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
}

/** A port that was free a moment ago (bound then released by us). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

// Children still running when the test process exits are killed, so that a
// crashed or interrupted suite never leaves servers behind.
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Belt and braces: the watchdogs also notice our death through their pipe.
    process.once('exit', () => {
      for (const c of live) c.stdin?.destroy();
    });
  }
}

function killQuietly(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    /* already gone */
  }
}

/** Sends PING on a fresh connection; true if the server answers it (+PONG, or -NOAUTH when a password is set). */
function pingOnce(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: HOST });
    let got = '';
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write('*1\r\n$4\r\nPING\r\n'));
    sock.on('data', (d) => {
      got += d.toString('latin1');
      if (got.includes('\r\n')) finish(got === '+PONG\r\n' || got.startsWith('-NOAUTH'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

/**
 * Sends `INFO threads` on a fresh connection; true once a whole reply comes
 * back. Shoal answers INFO only when every thread has answered its part,
 * and a thread reads its ring only once it listens: so this tells that
 * every thread accepts connections. (Thread 0 answers PING before the
 * others have started: connections made in that window all stay on it.)
 */
function allThreadsAnswer(port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: HOST });
    let got = Buffer.alloc(0);
    const finish = (ok: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('connect', () => sock.write('*2\r\n$4\r\nINFO\r\n$7\r\nthreads\r\n'));
    sock.on('data', (d) => {
      got = Buffer.concat([got, d]);
      const p = parseReply(got);
      // With requirepass set there is no asking without the password: -NOAUTH has to do.
      if (p) finish(got[0] === 0x24 /* $ */ || got.toString('latin1').startsWith('-NOAUTH'));
    });
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
  });
}

interface SpawnSpec {
  name: string;
  command: string;
  args: string[];
  cwd: string;
  /** Whether every thread must answer (INFO threads) before the server counts as ready (Shoal's own command line). */
  waitThreads?: boolean;
}

class StartupError extends Error {
  constructor(
    message: string,
    readonly addrInUse: boolean,
  ) {
    super(message);
  }
}

/**
 * Servers run under a tiny /bin/sh watchdog that holds our end of a pipe:
 * when this process goes away for any reason (even SIGKILL of a test
 * worker), the pipe closes and the watchdog terminates the server, so no
 * server outlives the suite or benchmark that started it. The watchdog
 * reports the server's pid first thing, and exits with the server's status.
 */
const WATCHDOG = [
  'exec 3<&0',
  '"$@" 3<&- &',
  'server=$!',
  'echo "@@server-pid $server"',
  '( read _ignored <&3; kill -TERM $server 2>/dev/null ) &',
  'watcher=$!',
  'wait $server',
  'status=$?',
  'kill $watcher 2>/dev/null',
  'exit $status',
].join('\n');
const PID_LINE = /^@@server-pid (\d+)\n/m;

async function spawnAndWait(spec: SpawnSpec, port: number, timeoutMs: number): Promise<ServerHandle> {
  const child = spawn('/bin/sh', ['-c', WATCHDOG, 'shoal-watchdog', spec.command, ...spec.args], {
    cwd: spec.cwd,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  child.stdin!.on('error', () => {
    /* EPIPE once the watchdog is gone */
  });
  let out = '';
  let serverPid = 0;
  const collect = (d: Buffer) => {
    out += d.toString('utf8');
    if (!serverPid) {
      const m = PID_LINE.exec(out);
      if (m) {
        serverPid = Number(m[1]);
        out = out.replace(PID_LINE, '');
      }
    }
    if (out.length > OUTPUT_CAP) out = out.slice(out.length - OUTPUT_CAP);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  let exited = false;
  let exitInfo = '';
  const exitPromise = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = signal ? `signal ${signal}` : `code ${code}`;
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
    exited = true;
  });

  const describe = () =>
    `${spec.name} (${[spec.command, ...spec.args].join(' ')}) on port ${port}` +
    `\n----- output -----\n${out || '(none)'}\n------------------`;

  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (spawnError) throw new StartupError(`failed to spawn ${describe()}: ${spawnError.message}`, false);
    if (exited) {
      throw new StartupError(`${spec.name} exited (${exitInfo}) before answering PING: ${describe()}`, /address already in use|EADDRINUSE/i.test(out));
    }
    if ((await pingOnce(port, 1000)) && (!spec.waitThreads || (await allThreadsAnswer(port, 1000)))) break;
    if (Date.now() > deadline) {
      if (serverPid) killQuietly(serverPid, 'SIGKILL');
      child.kill('SIGKILL');
      throw new StartupError(`${spec.name} did not answer PING within ${timeoutMs} ms: ${describe()}`, false);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const handle: ServerHandle = {
    name: spec.name,
    host: HOST,
    port,
    get pid() {
      return serverPid || child.pid!;
    },
    output: () => out,
    get exited() {
      return exited;
    },
    async stop() {
      if (exited) return;
      // Closing the watchdog's pipe makes it SIGTERM the server and exit with it.
      child.stdin!.end();
      const t = setTimeout(() => {
        if (exited) return;
        if (serverPid) killQuietly(serverPid, 'SIGKILL');
        child.kill('SIGKILL');
      }, 5000);
      await exitPromise;
      clearTimeout(t);
    },
  };
  return handle;
}

/** Retries on a fresh port when the chosen one turned out to be taken. */
async function startOnFreePort(make: (port: number) => SpawnSpec, timeoutMs: number): Promise<ServerHandle> {
  let lastErr: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    try {
      return await spawnAndWait(make(port), port, timeoutMs);
    } catch (e) {
      lastErr = e;
      if (!(e instanceof StartupError && e.addrInUse)) throw e;
    }
  }
  throw lastErr;
}

/** Working directory of test redis-servers (nothing is written there with persistence off). */
/** A fresh directory per server: no dump.rdb of another run (a SAVE in a test or a benchmark) is loaded. */
function scratchDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-test-redis-'));
}

/** Starts a reference redis-server with persistence off. */
export function startRedis(opts: StartRedisOptions = {}): Promise<ServerHandle> {
  const bin = opts.bin ?? process.env.REDIS_SERVER ?? 'redis-server';
  const dir = scratchDir();
  return startOnFreePort(
    (port) => ({
      name: 'redis',
      command: bin,
      args: [
        '--port', String(port),
        '--bind', HOST,
        '--save', '',
        '--appendonly', 'no',
        '--daemonize', 'no',
        '--dir', dir,
        '--loglevel', 'warning',
        ...(opts.args ?? []),
      ],
      cwd: dir,
    }),
    opts.startupTimeoutMs ?? 10_000,
  );
}

function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** Starts Shoal (`node dist/src/main.js`) from the repository root. */
export async function startShoal(opts: StartShoalOptions = {}): Promise<ServerHandle> {
  const threads = opts.threads ?? opts.shards ?? 4;
  const extra = opts.args ?? [];
  const timeoutMs = opts.startupTimeoutMs ?? 30_000;
  const override = opts.cmd ?? process.env.SHOAL_CMD;
  const root = repoRoot();

  if (override === 'redis') {
    const h = await startRedis({ args: extra, startupTimeoutMs: timeoutMs });
    return Object.defineProperty(h, 'name', { value: 'shoal(redis)' });
  }
  if (override) {
    return startOnFreePort(
      (port) => ({
        name: 'shoal(cmd)',
        command: '/bin/sh',
        args: [
          '-c',
          'exec ' +
            override.replaceAll('{port}', String(port)).replaceAll('{threads}', String(threads)).replaceAll('{shards}', String(threads)) +
            extra.map((a) => ' ' + shellQuote(a)).join(''),
        ],
        cwd: root,
      }),
      timeoutMs,
    );
  }

  const main = path.join(root, 'dist', 'src', 'main.js');
  if (!fs.existsSync(main)) {
    throw new Error(`Shoal is not built: ${main} does not exist (run \`npm run build\` first)`);
  }
  return startOnFreePort(
    (port) => ({
      name: 'shoal',
      waitThreads: true,
      command: process.execPath,
      // A fresh dir: no dump.rdb of the repository (or of another test) is loaded.
      args: [main, '--port', String(port), '--threads', String(threads), '--save', '', '--dir', fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-test-')), '--loglevel', 'warning', ...extra],
      cwd: root,
    }),
    timeoutMs,
  );
}

/**
 * Starts several servers at once. If any fails to start, the others are
 * stopped before the error is rethrown (so a failed beforeAll leaks nothing).
 */
export async function startAll<const T extends readonly Promise<ServerHandle>[]>(...starts: T): Promise<{ -readonly [K in keyof T]: ServerHandle }> {
  const settled = await Promise.allSettled(starts);
  const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(settled.map((r) => (r.status === 'fulfilled' ? r.value.stop() : undefined)));
    throw failed.reason;
  }
  return settled.map((r) => (r as PromiseFulfilledResult<ServerHandle>).value) as { -readonly [K in keyof T]: ServerHandle };
}
