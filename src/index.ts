/**
 * Shoal as a library: `startServer` runs a Redis-compatible server in the
 * calling process (its threads are worker threads of this process), for
 * Node.js test suites that want a real server without a binary.
 *
 *   import { startServer } from 'shoal';
 *   const server = await startServer({ port: 0, threads: 2 });
 *   // ... connect any Redis client to server.port ...
 *   await server.close();
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { Config } from './config/config.js';
import { LOG_LEVELS, Supervisor } from './threads/supervisor.js';

export interface ServerOptions {
  /** TCP port; 0 (the default here) lets the kernel pick one, read it from `port`. */
  port?: number;
  /** Threads, each serving clients and owning a shard (default: one per core). */
  threads?: number;
  /** Redis's loglevel (default: nothing, so a test's output stays clean). */
  loglevel?: 'debug' | 'verbose' | 'notice' | 'warning' | 'nothing';
  /** Any other configuration parameter, as in redis.conf (maxclients, requirepass ...). */
  [parameter: string]: string | number | undefined;
}

export interface RunningServer {
  /** The port every thread listens on. */
  readonly port: number;
  readonly threads: number;
  /** Stops the server: listeners and connections close, threads end. */
  close(): Promise<void>;
}

export async function startServer(options: ServerOptions = {}): Promise<RunningServer> {
  const config = new Config();
  // A server inside a test process persists nothing unless asked: no save points, and its
  // files go to a fresh temporary directory, so a dump.rdb in the working directory is
  // not loaded (name a `dir` to load one).
  const dir = options.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'shoal-'));
  const given: Record<string, string | number | undefined> = { port: 0, loglevel: 'nothing', save: '', ...options, dir };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const err = config.set(name, String(value), false);
    if (err !== null) throw new Error(`startServer: ${err}`);
  }
  const level = LOG_LEVELS[config.get('loglevel')] ?? 'silent';
  const logfile = config.get('logfile');
  const dest = logfile === '' ? pino.destination(1) : pino.destination({ dest: logfile, sync: false });
  const log = pino({ level, base: { pid: process.pid } }, dest);
  const sup = await Supervisor.start(config, log, (line) => dest.write(line));
  sup.onShutdownRequest = () => void sup.stop();
  // A dump that does not load stops the server (its error is in the log).
  sup.onFatal = () => void sup.stop();
  return {
    port: sup.port,
    threads: sup.threads,
    close: () => sup.stop(),
  };
}
