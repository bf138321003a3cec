/**
 * The main thread: it holds no connection and no keyspace data. It makes the
 * memory the threads share (rings, counters, doorbells), starts one worker
 * thread per shard and, once all are built, has them listen (thread 0 first,
 * so that with port 0 the others bind the port it got), writes their log
 * lines, and stops them.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '../config/config.js';
import { createShared } from '../transport/shared.js';
import { SaveState, createSaveState } from '../persistence/save-state.js';
import { AofMode, AofState, aofMode, createAofState } from '../persistence/aof-state.js';
import { AofLog, aofSettings, installBase, openAofDir, persistManifest, readManifest, type AofLoadPlan } from '../persistence/aof-log.js';
import { nextManifestWithNewIncr } from '../persistence/aof-manifest.js';
import { removeStaleTemps } from '../persistence/snapshot.js';
import fs from 'node:fs';
import type { AofControl } from './thread.js';
import type { ThreadMessage } from './thread.js';
import type { LifeMessage, SupervisorMessage } from './worker.js';

const STOP_GRACE_MS = 5000;

/** pino's level names for Redis's loglevel values. */
export const LOG_LEVELS: Record<string, string> = { debug: 'debug', verbose: 'debug', notice: 'info', warning: 'warn', nothing: 'silent' };

export class Supervisor {
  private readonly workers: Worker[] = [];
  private stopping: Promise<void> | null = null;
  /** The AOF writer, while appendonly is on. */
  private aof: AofLog | null = null;
  private aofState: AofState | null = null;
  private saveState: SaveState | null = null;
  /** The TCP port every thread listens on. */
  port = 0;
  /** OS thread ids of the threads, by index. */
  readonly tids: number[] = [];
  /** Called when a client asked for SHUTDOWN (the CLI exits the process). */
  onShutdownRequest: (() => void) | null = null;
  /**
   * Called when a thread cannot go on (a dump or an AOF that does not
   * load): the server must stop. A failure before the caller set it (while
   * the threads were still starting) is handed over when it is set.
   */
  get onFatal(): ((error: string) => void) | null {
    return this.fatalHandler;
  }

  set onFatal(fn: ((error: string) => void) | null) {
    this.fatalHandler = fn;
    if (fn !== null && this.fatalError !== null) fn(this.fatalError);
  }

  private fatalHandler: ((error: string) => void) | null = null;
  private fatalError: string | null = null;

  private fatal(error: string): void {
    this.fatalError ??= error;
    this.fatalHandler?.(error);
  }

  private constructor(
    readonly config: Config,
    private readonly log: Logger,
    /** Writes a log line a thread produced (already JSON). */
    private readonly writeLog: (line: string) => void,
  ) {}

  get threads(): number {
    return this.workers.length;
  }

  /** Starts every thread; resolves once all of them listen. */
  static async start(config: Config, log: Logger, writeLog: (line: string) => void): Promise<Supervisor> {
    const sup = new Supervisor(config, log, writeLog);
    try {
      await sup.spawnAll();
    } catch (err) {
      await sup.stop();
      throw err;
    }
    return sup;
  }

  private async spawnAll(): Promise<void> {
    const n = this.config.int('threads');
    const shared = createShared(n);
    const mode = aofMode(this.config.get('appendonly'), this.config.get('appendfsync'));
    const aofBuf = createAofState(n, mode);
    // What a stopped server's BGSAVE or rewrite left behind.
    removeStaleTemps(this.config.get('dir'));
    removeStaleTemps(path.join(this.config.get('dir'), this.config.get('appenddirname')));
    this.aofState = new AofState(aofBuf, n);
    let aofPlan: AofLoadPlan | null = null;
    if (mode !== AofMode.Off) {
      // Made (or read) before any thread starts: a manifest that cannot be read stops the start.
      const settings = aofSettings((name) => this.config.get(name));
      const opened = openAofDir(settings, this.log);
      aofPlan = opened.plan;
      this.aof = new AofLog(this.aofState, settings, opened.manifest, this.log, this.aofEvents);
    }
    const saves = createSaveState(n, aofPlan !== null);
    this.saveState = new SaveState(saves, n);
    const values = this.config.entries();
    const level = LOG_LEVELS[this.config.get('loglevel')] ?? 'info';
    const url = new URL('./worker.js', import.meta.url);
    const loaded: Promise<void>[] = [];
    const ready: ((port: number) => void)[] = [];
    const failed: ((err: Error) => void)[] = [];
    for (let index = 0; index < n; index++) {
      const worker = new Worker(url, { workerData: { index, shared, saves, aof: aofBuf, aofPlan, config: values, unixSocket: index === 0, executable: path.resolve(process.argv[1] ?? ''), level }, name: `shoal-${index}` });
      this.workers[index] = worker;
      loaded.push(
        new Promise((resolve, reject) => {
          failed[index] = reject;
          worker.on('message', (m: ThreadMessage | LifeMessage) => {
            if (m.kind === 'aof') this.aof?.onBatch(index, m.records);
            else if (m.kind === 'aof-control') void this.aofControl(worker, m);
            else if (m.kind === 'log') this.writeLog(m.line);
            else if (m.kind === 'shutdown') this.onShutdownRequest?.();
            else if (m.kind === 'fatal') {
              this.log.fatal({ thread: index }, m.error);
              this.fatal(m.error);
            }
            else if (m.kind === 'loaded') resolve();
            else if (m.kind === 'ready') {
              this.tids[index] = m.tid;
              ready[index]?.(m.port);
            } else if (m.kind === 'failed') failed[index](new Error(m.error));
          });
          worker.on('error', (err) => {
            this.log.error({ err, thread: index }, 'thread failed');
            failed[index](err);
          });
          worker.on('exit', (code) => {
            if (this.stopping === null) {
              this.log.fatal({ thread: index, code }, 'a thread exited; stopping the server');
              this.onShutdownRequest?.();
            }
          });
        }),
      );
    }
    // Every thread is built before any listens, so the kernel spreads connections over all of them.
    await Promise.all(loaded);
    const listen = (index: number, port: number): Promise<number> =>
      new Promise((resolve, reject) => {
        ready[index] = resolve;
        failed[index] = reject;
        this.workers[index].postMessage({ kind: 'listen', port } satisfies SupervisorMessage);
      });
    // With port 0 the kernel picks a port: thread 0 binds first, the others join it at once.
    this.port = await listen(0, this.config.int('port'));
    await Promise.all(Array.from({ length: n - 1 }, (_, i) => listen(i + 1, this.port)));
  }

  /**
   * A thread's request to the AOF writer: turn the AOF on (a new incr file,
   * written from the rewrite's instant on) or off, or a rewrite's steps (a
   * new incr file at its start, its base installed at its end).
   */
  private async aofControl(worker: Worker, m: AofControl): Promise<void> {
    let error: string | null = null;
    try {
      const settings = aofSettings((name) => this.config.get(name));
      const state = this.aofState!;
      switch (m.op) {
        case 'on': {
          if (this.aof !== null) break;
          const dir = path.join(settings.dir, settings.appenddirname);
          const next = nextManifestWithNewIncr(readManifest(settings), settings.appendfilename);
          fs.writeFileSync(path.join(dir, next.file.name), '');
          persistManifest(dir, settings.appendfilename, next.manifest);
          this.aof = new AofLog(state, settings, next.manifest, this.log, this.aofEvents);
          state.mode = aofMode('yes', this.config.get('appendfsync'));
          break;
        }
        case 'off': {
          state.mode = AofMode.Off;
          const log = this.aof;
          // The threads' last batches are on their way: the log keeps taking them until every one is here, then closes.
          for (let i = 0; i < 100 && log !== null && !log.idle(); i++) await new Promise((r) => setTimeout(r, 10));
          if (this.aof === log) this.aof = null;
          log?.close();
          break;
        }
        case 'rewrite-start':
          this.aof?.startRewrite();
          break;
        case 'rewrite-done':
          if (this.aof !== null) await this.aof.finishRewrite(m.temp!);
          else installBase(settings, readManifest(settings), m.temp!, false);
          break;
        case 'rewrite-failed':
          if (m.temp !== undefined) fs.rmSync(m.temp, { force: true });
          break;
      }
    } catch (err) {
      error = (err as Error).message;
    }
    worker.postMessage({ kind: 'aof-control-reply', id: m.id, error } satisfies SupervisorMessage);
  }

  private readonly aofEvents = {
    writeStatus: (ok: boolean): void => {
      if (this.saveState !== null) this.saveState.aofFailed = !ok;
    },
    fatal: (why: string): void => {
      this.log.fatal(why);
      this.fatal(why);
    },
  };

  /** Has thread 0 save a snapshot (SIGTERM with save points); resolves whether it was written. */
  save(): Promise<boolean> {
    const w = this.workers[0];
    return new Promise((resolve) => {
      const onMessage = (m: LifeMessage): void => {
        if (m.kind !== 'saved') return;
        w.off('message', onMessage);
        resolve(m.ok);
      };
      w.on('message', onMessage);
      w.postMessage({ kind: 'save' } satisfies SupervisorMessage);
    });
  }

  /** Stops every thread: they close their listeners and connections, then end. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all(
        this.workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              const done = () => {
                clearTimeout(timer);
                void w.terminate().then(() => resolve());
              };
              const timer = setTimeout(done, STOP_GRACE_MS);
              w.on('message', (m: LifeMessage) => {
                if (m.kind === 'stopped') done();
              });
              w.once('exit', () => {
                clearTimeout(timer);
                resolve();
              });
              w.postMessage({ kind: 'stop' } satisfies SupervisorMessage);
            }),
        ),
      );
      // Every thread has stopped (their last batches came before their 'stopped'): the file gets them.
      this.aof?.close();
    })();
    return this.stopping;
  }
}
