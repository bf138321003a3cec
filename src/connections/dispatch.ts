/**
 * Dispatch: from a parsed command to its execution. The command is looked
 * up in the table (without building a string), checked as Redis checks it
 * (arity, authentication, CLIENT PAUSE), queued when inside MULTI, and then
 * either run here (connection and server commands) or routed to the
 * shard(s) owning its keys (routing.ts).
 *
 * A connection stops parsing — its command stays in the parser and is
 * delivered again on resume — while a command before it must finish first
 * (EXEC, a blocking command, a multi-shard command getting its locks),
 * while CLIENT PAUSE holds it, or for backpressure (a full ring queue or a
 * large unsent output).
 */
import { cString } from '../util/bytes.js';
import { ParseStatus, type RequestParser } from '../protocol/request-parser.js';
import { PauseMode } from '../transport/shared.js';
import { BlockedClients } from './blocking.js';
import { type CommandEntry, type CommandTable, buildCommandTable } from './command-table.js';
import type { ArgView, Connection } from './connection.js';
import type { ThreadContext } from './context.js';
import { FrontCall, type Session } from './front-call.js';
import { MultiExec } from './multi-exec.js';
import { reject, replyError } from './replies.js';
import { Router, uncachedScript } from './routing.js';
import { cacheEverywhere } from './scripting-family.js';
import { copyArgs, packView } from './args.js';
import { monitorLine } from '../util/monitor-line.js';
import { isSubscribed } from '../pubsub/hub.js';
import { trackingOff } from './tracking-family.js';

const MISCONF =
  "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.";

/** Pause a client's reading while the queues for full rings exceed this. */
const OVERFLOW_PAUSE_BYTES = 4 * 1024 * 1024;
/** Pause a client's reading while its unsent output exceeds this. */
const OUTPUT_PAUSE_BYTES = 64 * 1024 * 1024;

/** Commands that run at once inside MULTI instead of being queued. */
const TX_CONTROL = new Set(['exec', 'discard', 'multi', 'watch', 'quit', 'reset']);
/** What a RESP2 connection may send while subscribed. */
const SUBSCRIBED_MODE = new Set(['subscribe', 'ssubscribe', 'unsubscribe', 'sunsubscribe', 'psubscribe', 'punsubscribe', 'ping', 'quit', 'reset']);
const QUEUED_REPLY = new TextEncoder().encode('+QUEUED\r\n');

export class Dispatcher implements Session {
  readonly table: CommandTable = buildCommandTable();
  readonly blocked: BlockedClients;
  readonly router: Router;
  readonly multiExec: MultiExec;
  private readonly call: FrontCall;
  /** The connection whose bytes are being parsed. */
  private current: Connection | null = null;
  /** The connection whose command runs right now, synchronously (null between commands). */
  get running(): Connection | null {
    return this.current;
  }
  /** Connections waiting for backpressure to ease. */
  private readonly overflowWaiters = new Set<Connection>();
  /** Connections held by CLIENT PAUSE, and the timer that resumes them. */
  private readonly paused = new Set<Connection>();
  private pauseTimer: NodeJS.Timeout | null = null;

  constructor(private readonly ctx: ThreadContext) {
    const resume = (c: Connection): void => this.resume(c);
    this.blocked = new BlockedClients(ctx, resume);
    this.router = new Router(ctx, this.blocked, resume);
    this.multiExec = new MultiExec(ctx, this.router, (c, view, e) => this.run(c, view, e), resume);
    this.call = new FrontCall(ctx, this);
  }

  // ---- Session (what connection-side commands ask for) ---------------------------

  exec(c: Connection, seq: number): void {
    this.multiExec.exec(c, seq);
  }

  watch(c: Connection, keys: Uint8Array[], seq: number): void {
    this.multiExec.watch(c, keys, seq);
  }

  unwatchAll(c: Connection): void {
    this.multiExec.unwatchAll(c);
  }

  unblock(target: Connection, mode: 'timeout' | 'error'): Promise<number> {
    return this.blocked.unblock(target, mode);
  }

  /**
   * Clients held by CLIENT PAUSE. Blocked clients (BLPOP ...) are counted
   * where they wait, in the shards: a client counts as blocked once a push
   * made after seeing the count would serve it.
   */
  pausedClients(): number {
    let n = 0;
    for (const c of this.paused) if (!c.closed) n++;
    return n;
  }

  // ---- bytes in -----------------------------------------------------------------------

  onData(c: Connection, chunk: Buffer): void {
    // After a protocol error or QUIT nothing more is read; the socket closes once written.
    if (c.closeAfterWrite) return;
    c.lastInteraction = Date.now();
    this.ctx.stats.netInput += chunk.length;
    this.current = c;
    const status = c.parser.feed(chunk, this.onCommand);
    this.afterParse(c, status);
  }

  private afterParse(c: Connection, status: ParseStatus): void {
    this.current = null;
    if (status === ParseStatus.Error) {
      const limit = c.parser.error === 'query buffer limit';
      this.ctx.log.info({ client: c.id, addr: c.addr, error: c.parser.error }, 'protocol error from client; closing it');
      if (limit) this.ctx.log.warn({ client: c.id }, 'closing client that reached max query buffer length');
      else replyError(this.ctx, c, c.parser.error);
      // As Redis: the error is written and the connection closed at once, so a client
      // that keeps writing gets a reset instead of waiting for buffers to fill.
      c.closeAfterWrite = true;
    } else if (status === ParseStatus.Paused) {
      c.paused = true;
      c.socket.pause();
    }
    this.ctx.markDirty(c);
  }

  /** Lets a connection parse again (its held command is delivered first). */
  resume(c: Connection): void {
    if (c.closed || !c.paused) return;
    c.paused = false;
    this.current = c;
    const status = c.parser.resume(this.onCommand);
    this.afterParse(c, status);
    if (!c.paused && !c.closeAfterWrite) c.socket.resume();
  }

  /** The socket is writable again: a connection paused for its output may go on. */
  onDrain(c: Connection): void {
    if (c.paused && !c.busy && c.blockedSeq < 0) this.resume(c);
  }

  onClose(c: Connection): void {
    this.unwatchAll(c);
    void this.ctx.pubsub.dropAll(c);
    void trackingOff(this.ctx, c);
    this.blocked.closed(c);
    this.overflowWaiters.delete(c);
    this.paused.delete(c);
  }

  // ---- dispatch -----------------------------------------------------------------------

  private readonly onCommand = (p: RequestParser): boolean => this.dispatch(this.current!, p);

  private dispatch(c: Connection, p: ArgView): boolean {
    if (c.busy || c.blockedSeq >= 0) return false;
    if (c.closeAfterWrite || c.closed) return true;
    const ctx = this.ctx;
    if (ctx.overflowBytes > OVERFLOW_PAUSE_BYTES || c.socket.writableLength > OUTPUT_PAUSE_BYTES) {
      this.overflowWaiters.add(c);
      return false;
    }
    ctx.stats.totalCommands++;
    c.commands++;
    let e = this.table.lookup(p.argBuf, p.argOff[0], p.argLen[0]);
    if (e === undefined) {
      this.rejectUnknown(c, p);
      return true;
    }
    if (e.subs !== null && p.argc >= 2) {
      const se = e.subs.lookup(p.argBuf, p.argOff[1], p.argLen[1]);
      if (se === undefined) {
        const subName = Buffer.from(p.argBuf.subarray(p.argOff[1], p.argOff[1] + p.argLen[1])).toString('utf8');
        reject(ctx, c, e.fullName, `ERR unknown subcommand '${cString(subName).slice(0, 128)}'. Try ${e.fullName.toUpperCase()} HELP.`);
        return true;
      }
      e = se;
    }
    const arity = e.meta.arity;
    if ((arity > 0 && p.argc !== arity) || p.argc < -arity) {
      if (e.fullName === 'exec') {
        // Redis answers EXEC's own refusal with the abort of the transaction.
        c.multi = null;
        c.multiDirty = false;
        this.unwatchAll(c);
        reject(ctx, c, e.fullName, `EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command`);
        return true;
      }
      reject(ctx, c, e.fullName, `ERR wrong number of arguments for '${e.fullName}' command`);
      return true;
    }
    if (!c.authenticated && !e.noAuth) {
      reject(ctx, c, e.fullName, 'NOAUTH Authentication required.');
      return true;
    }
    if (ctx.saves.mayRefuse) {
      if (ctx.saves.loading && !e.meta.flags.includes('loading') && !c.loader) {
        reject(ctx, c, e.fullName, 'LOADING Redis is loading the dataset in memory');
        return true;
      }
      if (!ctx.saves.lastOk && (e.write || e.fullName === 'ping') && this.refusesWrites()) {
        reject(ctx, c, e.fullName, MISCONF);
        return true;
      }
      if (ctx.saves.aofFailed && (e.write || e.fullName === 'ping')) {
        reject(ctx, c, e.fullName, `MISCONF Errors writing to the AOF file: ${ctx.aofState.writeError}`);
        return true;
      }
    }
    if (c.subs !== null && c.resp === 2 && !SUBSCRIBED_MODE.has(e.fullName) && isSubscribed(c)) {
      reject(ctx, c, e.fullName, `ERR Can't execute '${e.fullName}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context`);
      return true;
    }
    // Set before a pause holds it: CLIENT LIST shows the held command, as Redis does.
    c.lastCommand = e.fullName;
    if (this.pausedFor(c, e)) {
      // Counted again when it is delivered after the pause.
      ctx.stats.totalCommands--;
      c.commands--;
      return false;
    }
    if (c.multi !== null && !TX_CONTROL.has(e.fullName)) {
      // Packed once here; EXEC runs the stored view with the entry already resolved.
      const queued = { view: packView(p), entry: e };
      const seq = c.takeSeq();
      const script = uncachedScript(p, e);
      if (script !== null) {
        // An EVAL's script is cached on every thread before it is queued (EXEC runs it where no await may
        // happen), so the EVALSHA a client sends after EXEC finds it on any shard; the next commands wait.
        c.busy = true;
        void cacheEverywhere(ctx, script.sha, script.body).then(() => {
          c.busy = false;
          c.multi?.push(queued);
          c.replyNow(seq, QUEUED_REPLY, 0, QUEUED_REPLY.length, true);
          ctx.markDirty(c);
          this.resume(c);
        });
        return true;
      }
      c.multi.push(queued);
      c.replyNow(seq, QUEUED_REPLY, 0, QUEUED_REPLY.length, true);
      ctx.markDirty(c);
      return true;
    }
    this.run(c, p, e);
    return true;
  }

  /** After a failed snapshot, with save points and stop-writes-on-bgsave-error: Redis refuses writes (and PING). */
  private refusesWrites(): boolean {
    const cfg = this.ctx.config;
    return cfg.get('stop-writes-on-bgsave-error') === 'yes' && cfg.get('save').trim() !== '';
  }

  /**
   * Runs a command: here (connection and server commands), or on the
   * shard(s) of its keys. MONITOR shows it once run (with the database it
   * left, as Redis shows SELECT), a script before its calls; never the
   * admin commands (CONFIG, DEBUG, MONITOR …).
   */
  private run(c: Connection, p: ArgView, e: CommandEntry): void {
    const monitored = this.ctx.pubsub.monitoring && !c.loader && !e.meta.flags.includes('admin');
    const script = monitored && e.meta.group === 'scripting' && e.id >= 0;
    if (script) this.monitor(c, p);
    if (e.front !== null) this.call.run(c, p, e.front, e.meta, e.fullName);
    else this.router.route(c, p, e);
    if (monitored && !script) this.monitor(c, p);
    // CLIENT CACHING applies to the next command only (CLIENT commands and MULTI keep it, as in Redis).
    if (c.tracking !== null && c.tracking.caching !== null && c.multi === null && !e.fullName.startsWith('client|')) c.tracking.caching = null;
  }

  private monitor(c: Connection, p: ArgView): void {
    const client = c.socket.remoteAddress === undefined ? `unix:${this.ctx.config.get('unixsocket')}` : c.addr;
    this.ctx.pubsub.monitorLine(monitorLine(c.db, client, copyArgs(p)));
  }

  private rejectUnknown(c: Connection, p: ArgView): void {
    // Redis formats these with %s, which stops at a NUL byte.
    const text = (i: number) => cString(Buffer.from(p.argBuf.subarray(p.argOff[i], p.argOff[i] + p.argLen[i])).toString('utf8'));
    let args = '';
    for (let i = 1; i < p.argc && args.length < 128; i++) args += `'${text(i).slice(0, 128 - args.length)}' `;
    reject(this.ctx, c, '', `ERR unknown command '${text(0).slice(0, 128)}', with args beginning with: ${args}`);
  }

  // ---- CLIENT PAUSE ----------------------------------------------------------------

  /**
   * Whether CLIENT PAUSE holds this command: every command under ALL; under
   * WRITE, the commands that write or may propagate (and an EXEC whose queue
   * has one), as Redis.
   */
  private pausedFor(c: Connection, e: CommandEntry): boolean {
    const shared = this.ctx.shared;
    const mode = shared.pauseMode();
    if (mode === PauseMode.None) return false;
    if (mode === PauseMode.Write) {
      const writes = e.write || e.mayReplicate || (e.fullName === 'exec' && c.multi !== null && c.multi.some((q) => q.entry.write || q.entry.mayReplicate));
      if (!writes) return false;
    }
    this.paused.add(c);
    c.pauseHeld = true;
    c.paused = true;
    c.socket.pause();
    this.armPauseTimer();
    return true;
  }

  private armPauseTimer(): void {
    if (this.pauseTimer !== null) return;
    const wait = Math.max(1, this.ctx.shared.pauseEnd() - Date.now());
    this.pauseTimer = setTimeout(() => {
      this.pauseTimer = null;
      this.resumePaused();
    }, wait);
  }

  /** The pause ended (its time passed, or CLIENT UNPAUSE): held clients go on, or wait again if a new pause began. */
  resumePaused(): void {
    if (this.pauseTimer !== null) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = null;
    }
    const held = [...this.paused];
    this.paused.clear();
    for (const c of held) c.pauseHeld = false;
    for (const c of held) this.resume(c);
  }

  // ---- backpressure -----------------------------------------------------------------

  /** The queues for full rings shrank: connections that waited may read again. */
  wakeOverflowWaiters(): void {
    if (this.overflowWaiters.size === 0 || this.ctx.overflowBytes > OVERFLOW_PAUSE_BYTES / 4) return;
    const waiters = [...this.overflowWaiters];
    this.overflowWaiters.clear();
    for (const c of waiters) {
      if (c.socket.writableLength > OUTPUT_PAUSE_BYTES) {
        this.overflowWaiters.add(c);
        continue;
      }
      c.paused = true;
      this.resume(c);
    }
  }
}
