/**
 * The context of a command that runs on its connection's thread rather
 * than on a shard (PING, CLIENT, CONFIG, INFO, MULTI ...): its arguments,
 * its connection, a reply writer set to the connection's protocol, and the
 * ways to answer — now, or later (`defer`) after asking shards or threads.
 */
import type { CommandMeta } from '../commands/catalog/meta.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { RespValue } from '../protocol/resp-value.js';
import type { ArgView, Connection } from './connection.js';
import type { ThreadContext } from './context.js';
import { sliceBytes } from '../util/bytes.js';

export type FrontHandler = (f: FrontCall) => void;

/** What connection-side commands ask of the dispatcher (MULTI/EXEC, WATCH, CLIENT UNBLOCK). */
export interface Session {
  exec(c: Connection, seq: number): void;
  watch(c: Connection, keys: Uint8Array[], seq: number): void;
  unwatchAll(c: Connection): void;
  /** CLIENT UNBLOCK of a client of this thread. */
  unblock(target: Connection, mode: 'timeout' | 'error'): Promise<number>;
}

export class FrontCall {
  conn!: Connection;
  p!: ArgView;
  meta!: CommandMeta;
  fullName = '';
  /** The reply sequence number of the running command. */
  seq = 0;
  readonly w = new ReplyWriter(16 * 1024);
  /** Set when the handler answers later itself. */
  private deferred = false;
  /** SLOWLOG entries of commands answered later (by connection id and reply number), added by `later` once they answer. */
  private readonly logWhenAnswered = new Map<string, () => void>();
  /** The running command answers through `later`. */
  private answersLater = false;

  constructor(
    readonly thread: ThreadContext,
    readonly session: Session,
  ) {}

  run(c: Connection, p: ArgView, handler: FrontHandler, meta: CommandMeta, fullName: string): void {
    this.conn = c;
    this.p = p;
    this.meta = meta;
    this.fullName = fullName;
    this.deferred = false;
    this.answersLater = false;
    const w = this.w;
    w.reset();
    w.resp3 = c.resp === 3;
    const seq = (this.seq = c.takeSeq());
    const t0 = performance.now();
    try {
      handler(this);
    } catch (err) {
      w.reset();
      w.error(`ERR internal error in '${fullName}': ${(err as Error).message}`);
    }
    const stats = this.thread.stats;
    const st = (stats.commandStats[fullName] ??= [0, 0]);
    const usec = (performance.now() - t0) * 1000;
    st[0]++;
    st[1] += usec;
    if (this.thread.latencyTracking) this.thread.recordLatency(fullName, usec);
    const threshold = this.thread.latencyThreshold;
    if (threshold > 0 && usec >= threshold * 1000) this.thread.latencyMonitor.add(meta.flags.includes('fast') ? 'fast-command' : 'command', Math.floor(usec / 1000));
    if (this.thread.slowlog.isSlow(usec) && !meta.flags.includes('skip_slowlog')) {
      const args = this.allArgs();
      const log = () => this.thread.slowlog.add(args, usec, c.key, c.addr, c.name);
      // A command answered later is logged once answered, as Redis logs a command once it has run.
      if (this.answersLater) this.logWhenAnswered.set(`${c.id}:${seq}`, log);
      else log();
    }
    if (this.deferred) return;
    if (w.len > 0 && w.buf[0] === 45) {
      let e = 1;
      while (e < w.len && w.buf[e] !== 32 && w.buf[e] !== 13) e++;
      const prefix = Buffer.from(w.buf.subarray(1, e)).toString('latin1');
      stats.errors[prefix] = (stats.errors[prefix] ?? 0) + 1;
    }
    c.replyNow(seq, w.buf, 0, w.len);
    this.thread.markDirty(c);
  }

  get argc(): number {
    return this.p.argc;
  }

  arg(i: number): string {
    const p = this.p;
    return Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])).toString('utf8');
  }

  argBytes(i: number): Uint8Array {
    const p = this.p;
    return sliceBytes(p.argBuf, p.argOff[i], p.argLen[i]);
  }

  argIs(i: number, lower: string): boolean {
    return this.arg(i).toLowerCase() === lower;
  }

  allArgs(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let i = 0; i < this.p.argc; i++) out.push(this.argBytes(i));
    return out;
  }

  error(text: string): void {
    this.w.error(text);
  }

  value(v: RespValue): void {
    this.w.value(v);
  }

  /** The handler answers later: it calls `answer` (or `later`) itself. */
  defer(): number {
    this.deferred = true;
    return this.seq;
  }

  /**
   * Answers later with what `work` resolves to, written by `write` in the
   * connection's protocol (errors thrown become ERR replies).
   */
  later<T>(work: Promise<T>, write: (w: ReplyWriter, result: T) => void): void {
    const seq = this.defer();
    this.answersLater = true;
    const c = this.conn;
    const thread = this.thread;
    const fullName = this.fullName;
    const logged = (): void => {
      // run() has decided on the SLOWLOG entry by now (it does once the handler returns, before any promise settles).
      const key = `${c.id}:${seq}`;
      this.logWhenAnswered.get(key)?.();
      this.logWhenAnswered.delete(key);
    };
    void work.then(
      (result) => {
        logged();
        const w = new ReplyWriter(256);
        w.resp3 = c.resp === 3;
        write(w, result);
        c.replyNow(seq, w.buf, 0, w.len);
        thread.markDirty(c);
      },
      (err: Error) => {
        logged();
        const w = new ReplyWriter(256);
        w.error(`ERR internal error in '${fullName}': ${err.message}`);
        c.replyNow(seq, w.buf, 0, w.len);
        thread.markDirty(c);
      },
    );
  }
}
