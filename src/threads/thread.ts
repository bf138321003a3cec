/**
 * One thread of the server: it accepts clients on the shared port, parses
 * and dispatches their commands, and owns one shard. It talks to every
 * other thread through a pair of rings (transport/peer-link.ts).
 *
 * The turn: socket reads run commands inline on the local shard or encode
 * frames for peers; then, once per event-loop turn (setImmediate), the
 * thread runs the frames queued for its own shard, drains every peer's
 * ring (requests run on its shard, replies go to their connections),
 * publishes what it wrote with at most one wake-up per peer, and writes
 * each connection's output with one socket write. With nothing left to do
 * it sleeps on its doorbell (Atomics.waitAsync), which peers ring only when
 * it is armed.
 */
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import v8 from 'node:v8';
import type { Logger } from 'pino';
import { Config } from '../config/config.js';
import { SHARD_COMMANDS, shardHandlerId } from '../commands/registry.js';
import { Connection } from '../connections/connection.js';
import { type ThreadContext, type ThreadStats, newThreadStats } from '../connections/context.js';
import { clientLine, matches, type ClientFilter } from '../connections/clients-view.js';
import { Dispatcher } from '../connections/dispatch.js';
import type { ThreadReport } from '../connections/info.js';
import { closeIdle, listen } from '../connections/listener.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { type ReplySink, Shard } from '../shard/shard.js';
import { Doorbells } from '../transport/doorbell.js';
import {
  type FrameArgs,
  MAX_SLOTS_PER_THREAD,
  OP_THREAD,
  OP_PUBLISH,
  OP_TRACKING,
  REPLY_PARTIAL,
  REPLY_SPAN_SHIFT,
  SEQ_NONE,
  connKey,
  connSlot,
  connThread,
  pad4,
  packArgs,
  requestSize,
  writeRequest,
} from '../transport/frames.js';
import { PeerLink } from '../transport/peer-link.js';
import { Mailboxes } from '../transport/mailbox.js';
import { ScriptWatch } from '../transport/script-watch.js';
import { decodeCall, decodeResult, encodeCall, encodeResult } from '../shard/nested.js';
import type { NestedCall, NestedResult } from '../shard/exec.js';
import type { CrossShard } from '../commands/across.js';
import { keyHashSlot, slotOwner } from '../util/crc16.js';
import { SharedState, type SharedBuffers } from '../transport/shared.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';
import { trimBuffers } from '../util/buffer-pool.js';
import { SaveState } from '../persistence/save-state.js';
import { loadGradually, readDump } from '../persistence/load.js';
import type { AofBatch } from '../persistence/aof-feed.js';
import type { AofState } from '../persistence/aof-state.js';
import type { AofLoadPlan } from '../persistence/aof-log.js';
import { replayAof } from '../connections/aof-replay.js';
import { askThreads } from '../connections/clients-view.js';
import { type DirectoryChange, PubSubHub, type SubKind, isSubscribed } from '../pubsub/hub.js';
import { outputLimit } from '../config/output-limits.js';
import { ScriptKeyUse } from '../transport/script-key-use.js';
import { MemoryGauge } from '../transport/memory-gauge.js';
import { RecordQueue } from '../transport/record-queue.js';
import { collectGarbage } from '../util/collect-garbage.js';
import { ClientEviction } from '../connections/client-eviction.js';
import { policyOf } from '../shard/eviction.js';
import { SlowLog } from '../connections/slowlog.js';
import { writeInvalidation, writeRedirectBroken } from '../connections/tracking-family.js';
import { parseKeyspaceEvents } from '../util/keyspace-events.js';
import { type Histogram, record } from '../util/latency-histogram.js';
import { LatencyMonitor } from '../connections/latency-monitor.js';
import { ThreadAof } from './thread-aof.js';
import { runSave, savePointDue } from '../connections/persistence-family.js';
import { aofCron } from '../connections/aof-family.js';
import { loadLibrary, scriptThreadOp } from '../connections/scripting-family.js';
import { functionRegistry } from '../scripting/functions.js';

/** What the supervisor gives each thread. */
export interface ThreadOptions {
  index: number;
  shared: SharedBuffers;
  /** Every configuration parameter's value. */
  config: [string, string][];
  /** Whether this thread also listens on the unix socket (one thread does: a path cannot be shared). */
  unixSocket: boolean;
  /** The main script's path (INFO's executable): a worker's own process.argv names the worker script. */
  executable: string;
  /** Snapshot state shared by all threads (persistence/save-state.ts). */
  saves: SharedArrayBuffer;
  /** AOF state shared by all threads and the writer (persistence/aof-state.ts). */
  aof: SharedArrayBuffer;
  /** With appendonly yes: the files to load at start. */
  aofPlan: AofLoadPlan | null;
}

/** Messages a thread posts to the supervisor. */
export type ThreadMessage = { kind: 'log'; line: string } | { kind: 'shutdown' } | AofBatch | AofControl;

/** A request to the AOF writer (the supervisor): answered by an AofControlReply with the same id. */
export interface AofControl {
  kind: 'aof-control';
  id: number;
  op: AofControlOp;
  /** rewrite-done, rewrite-failed: the new base's temporary file. */
  temp?: string;
}
export type AofControlOp = 'on' | 'off' | 'rewrite-start' | 'rewrite-done' | 'rewrite-failed';
export interface AofControlReply {
  kind: 'aof-control-reply';
  id: number;
  error: string | null;
}

/** A connection's ready replies wait for the ones its shards still owe up to this size (then they are written). */
const HOLD_OUTPUT_MAX = 64 * 1024;

/** The AOF loader's connection has no socket: what it writes goes nowhere. */
const NO_SOCKET = {
  write: () => true,
  end: () => {},
  destroy: () => {},
  pause: () => {},
  resume: () => {},
  writableLength: 0,
} as unknown as net.Socket;

/** Active expiry runs every 100 ms (Redis's hz 10), within this budget. */
const CRON_MS = 100;
/** Heap growth since the last collection (pages and buffers) that an idle thread collects (about half of what a thread holds at start). */
const IDLE_GARBAGE_BYTES = 8 * 1024 * 1024;
/** How often (in crons) a shard looks for empty arena segments to let go. */
const RELEASE_EVERY_CRONS = 10;
const EXPIRE_BUDGET_MS = 2;

export class ThreadServer implements ThreadContext {
  readonly index: number;
  readonly shards: number;
  readonly config = new Config();
  readonly shared: SharedState;
  readonly executable: string;
  readonly saves: SaveState;
  readonly aof: ThreadAof;
  private readonly mailboxes: Mailboxes;
  readonly scriptWatch: ScriptWatch;
  readonly pubsub: PubSubHub;
  readonly scriptKeyUse: ScriptKeyUse;
  readonly slowlog: SlowLog;
  /** Every thread's memory as maxmemory counts it. */
  readonly memory: MemoryGauge;
  /** maxmemory-clients over this thread's clients. */
  private readonly clientEviction: ClientEviction;
  get aofState(): AofState {
    return this.aof.state;
  }
  readonly shard: Shard;
  readonly stats: ThreadStats = newThreadStats();
  readonly startedAt = Date.now();
  readonly tid = readTid();
  readonly dispatcher: Dispatcher;
  private readonly bells: Doorbells;
  private readonly peers: (PeerLink | null)[] = [];
  private readonly slotToShard = new Uint16Array(16384);

  /** Frames for the local shard from this thread's own transactions, run in order at the next turn. */
  /** Requests for this thread's own shard, run at the next turn (packed: no buffer per frame). */
  private readonly localQueue = new RecordQueue();
  overflowBytes = 0;

  /** Connections by slot (frames carry connKey(index, slot)); slot 0 is never a connection. */
  readonly conns: (Connection | undefined)[] = [undefined];
  private readonly freeSlots: number[] = [];
  private readonly dirty: Connection[] = [];
  private tickScheduled = false;
  private waiting = false;
  private stopped = false;
  private readonly servers: net.Server[] = [];
  private readonly timers: NodeJS.Timeout[] = [];
  private blockedTimer: NodeJS.Timeout | null = null;
  private blockedDeadline = 0;

  /** Replies to this thread's own requests, by negative sequence number. */
  private readonly internal = new Map<number, { resolve: (reply: Uint8Array) => void; chunks: Uint8Array[] }>();
  // Internal requests use -2, -3 ...: -1 is SEQ_NONE, the record of a waiter that answers nothing.
  private nextInternal = 2;
  /** Reassembly of request frames that arrived as several records, by peer. */
  private readonly big: (Uint8Array | null)[];
  private readonly bigLen: number[];

  constructor(
    private readonly opts: ThreadOptions,
    readonly log: Logger,
    private readonly post: (m: ThreadMessage, transfer?: ArrayBuffer[]) => void,
  ) {
    this.index = opts.index;
    this.scriptWatch = new ScriptWatch(opts.shared.scriptWatch);
    this.scriptKeyUse = new ScriptKeyUse(opts.shared.scriptKeyUse);
    this.memory = new MemoryGauge(opts.shared.memory);
    this.clientEviction = new ClientEviction(this.memory, this.index);
    this.slowlog = new SlowLog(this.config, () => this.shared.newSlowlogId());
    this.shards = opts.shared.threads;
    for (const [k, v] of opts.config) this.config.set(k, v, false);
    this.shared = new SharedState(opts.shared);
    this.executable = opts.executable;
    this.saves = new SaveState(opts.saves, opts.shared.threads);
    this.bells = new Doorbells(opts.shared.bells);
    const n = this.shards;
    for (let s = 0; s < 16384; s++) this.slotToShard[s] = slotOwner(s, n);
    for (let p = 0; p < n; p++) {
      if (p === this.index) this.peers.push(null);
      else this.peers.push(new PeerLink(p, opts.shared.rings[this.index][p]!, opts.shared.rings[p][this.index]!, this.bells, (d) => this.noteOverflow(d)));
    }
    this.big = new Array(n).fill(null);
    this.bigLen = new Array(n).fill(0);
    this.shard = new Shard({
      index: this.index,
      count: n,
      protoMaxBulkLen: this.config.int('proto-max-bulk-len'),
      tunables: this.config.tunables,
      claims: opts.shared.claims,
      claimWaiters: opts.shared.claimWaiters,
      commands: SHARD_COMMANDS,
      newTxid: () => this.newTxid(),
      scriptWatch: {
        start: (wide) => this.scriptWatch.start(this.index, Date.now(), wide),
        end: () => this.scriptWatch.end(this.index),
        wrote: () => this.scriptWatch.wrote(this.index),
        killed: () => this.scriptWatch.killed(this.index),
      },
      scriptKeyUse: this.scriptKeyUse,
      slowlog: this.slowlog,
      latencyEvent: (event, ms) => this.latencyMonitor.add(event, ms),
      memory: this.memory,
      tracking: {
        invalidate: (conn, keys) => this.sendInvalidation(conn, keys),
        flushed: () => void askThreads(this, 'tracking-flush', {}),
      },
      log: (level, message) => {
        const text = Buffer.from(message).toString('utf8');
        if (level >= 3) this.log.warn(text);
        else if (level === 2) this.log.info(text);
        else this.log.debug(text);
      },
    });
    const sinks: ReplySink[] = this.peers.map((p) => p ?? this.localSink);
    this.shard.sinks = sinks;
    this.pubsub = new PubSubHub({
      index: this.index,
      threads: n,
      sendMessage: (t, kind, channel, message) => this.send(t, 0, 0, OP_PUBLISH, 0, 0, packArgs([Uint8Array.of(kind), channel, message]), null),
      announce: (change) => askThreads(this, 'pubsub', change).then(() => undefined),
      deliver: (c, bytes, len) => this.deliverMessage(c as Connection, bytes, len),
      afterReply: (conn, seq, event, key, db) => this.eventAfterReply(conn, seq, event, key, db),
      monitorAfterReply: (conn, seq, line) => this.monitorAfterReply(conn, seq, line),
    });
    this.shard.exec.bus = this.pubsub;
    this.pubsub.notifyFlags = parseKeyspaceEvents(this.config.get('notify-keyspace-events'));
    this.shard.setTrackingMaxKeys(this.config.int('tracking-table-max-keys'));
    this.applyConfig();
    this.dispatcher = new Dispatcher(this);
    this.aof = new ThreadAof(opts.aof, n, this.index, (batch, transfer) => this.post(batch, transfer), (c, out) => this.sendOutput(c, out));
    this.shard.exec.feed = this.aof.feed;
    this.mailboxes = new Mailboxes(opts.shared.mailboxes, n, this.index, this.bells);
    // Until the AOF is loaded keys do not expire and nothing is recorded ('aof-ready' turns both on).
    if (this.aof.on) this.shard.ks.expireSuspended = true;
  }

  // ---- start and stop ----------------------------------------------------------------

  /**
   * Listens on `port` (TCP with reusePort; 0 asks the kernel for one — thread
   * 0 does that, the others then join the port it got) and, on one thread,
   * the unix socket; resolves with the TCP port.
   */
  async start(port: number): Promise<number> {
    const cfg = this.config;
    const binds = cfg.get('bind').split(/\s+/).filter((b) => b !== '');
    const host = binds.length > 0 ? binds[0].replace(/^-/, '') : '127.0.0.1';
    const tcp = net.createServer({ noDelay: true, pauseOnConnect: true }, (s) => this.accept(s));
    this.servers.push(tcp);
    const bound = await listen(tcp, { port, host: host === '*' ? undefined : host, reusePort: true });
    const socketPath = cfg.get('unixsocket');
    if (this.opts.unixSocket && socketPath !== '') {
      try {
        fs.unlinkSync(socketPath);
      } catch {
        /* not there */
      }
      const unix = net.createServer({ pauseOnConnect: true }, (s) => this.accept(s));
      this.servers.push(unix);
      await listen(unix, { path: socketPath });
      const perm = cfg.get('unixsocketperm');
      if (perm !== '0') fs.chmodSync(socketPath, parseInt(perm, 8));
    }
    this.timers.push(setInterval(() => this.cron(), CRON_MS));
    if (this.index === 0) setTimeout(() => this.memory.noteStartup(), 2 * CRON_MS).unref();
    const metricsPort = cfg.int('metrics-port');
    if (this.index === 0 && metricsPort > 0) {
      // Loaded only when asked for: node:http brings Node's fetch (undici) with it, a few MB of heap in every thread.
      const { serveMetrics } = await import('../connections/metrics.js');
      this.servers.push(serveMetrics(this, metricsPort, host === '*' ? '0.0.0.0' : host));
    }
    this.scheduleTick();
    return bound;
  }

  /** Stops accepting, closes every connection. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    // The writer gets this thread's last records before it hears the thread has stopped.
    this.aof.flush();
    for (const s of this.servers) s.close();
    for (const t of this.timers) clearInterval(t);
    if (this.blockedTimer !== null) clearTimeout(this.blockedTimer);
    for (const c of this.liveConnections()) {
      c.flush();
      c.socket.destroy();
    }
  }

  requestShutdown(): void {
    this.post({ kind: 'shutdown' });
  }

  /**
   * Reads dir/dbfilename before the thread listens (null: no dump, and this
   * thread is not loading). Throws, naming the file, when it cannot be read.
   */
  readDump(): Buffer | null {
    const file = this.dumpFile();
    const buf = file === null ? null : readDump(file);
    if (buf === null) this.saves.loadDone();
    else this.saves.loadStarted(Date.now(), buf.length);
    return buf;
  }

  /**
   * Loads this shard's keys from the dump, after the thread listens: its
   * clients get LOADING until every thread is done. Rejects (naming the
   * file and offset) when the file cannot be read whole.
   */
  async loadDump(buf: Buffer): Promise<void> {
    const cfg = this.config;
    const file = this.dumpFile()!;
    const t0 = Date.now();
    const progress = { pos: 0 };
    let ticks = 0;
    const report = setInterval(() => {
      this.saves.loadProgress(this.index, progress.pos);
      // Thread 0 tells the log how far the load is, every 2 seconds, for big dumps.
      if (this.index === 0 && ++ticks % 20 === 0) this.log.info(`Loading the DB: ${((progress.pos / buf.length) * 100).toFixed(1)}% of ${buf.length} bytes read`);
    }, 100);
    try {
      // An AOF's base keeps its expired keys, as Redis loads it: the commands after it may touch them.
      const now = this.opts.aofPlan !== null ? 0 : t0;
      const target = {
        ks: this.shard.ks,
        tunables: this.config.tunables,
        mine: (key: Uint8Array) => this.shardOfArg(key, 0, key.length) === this.index,
        now,
        onFunction: (code: Uint8Array) => {
          const r = loadLibrary(code, true);
          if (typeof r !== 'string') throw new Error(`a function library in ${file} does not load: ${r.error}`);
        },
      };
      const res = await loadGradually(file, buf, target, { sliceMs: 10, keyDelayUs: cfg.int('key-load-delay'), progress });
      this.saves.loadProgress(this.index, buf.length);
      this.saves.addLoaded(res.keys, res.expired);
      this.log.info(
        { keys: res.keys, total: res.total, expired: res.expired, rdbVersion: res.version, seconds: (Date.now() - t0) / 1000 },
        `DB loaded from disk: ${res.keys} of ${res.total} keys are this thread's`,
      );
    } finally {
      clearInterval(report);
      this.saves.loadDone();
    }
  }

  /** The RDB this thread loads at start: the AOF's base when appendonly is on (null: none, or a base of commands), else dir/dbfilename. */
  private dumpFile(): string | null {
    const plan = this.opts.aofPlan;
    if (plan === null) return path.join(this.config.get('dir'), this.config.get('dbfilename'));
    return plan.base !== null && plan.base.rdb ? path.join(plan.dir, plan.base.file) : null;
  }

  /**
   * Thread 0, with appendonly yes: once every thread has loaded its part of
   * the base, plays the AOF's commands (connections/aof-replay.ts), then has
   * every thread start recording and expiring, and ends the loading.
   */
  async loadAof(): Promise<void> {
    const plan = this.opts.aofPlan!;
    try {
      while (this.saves.loadingSteps > 1) await new Promise((r) => setTimeout(r, 5));
      const t0 = Date.now();
      const commands = await replayAof(
        {
          log: this.log,
          openLoader: () => this.openLoader(),
          closeLoader: (c) => this.onClose(c),
          feed: (c, bytes) => this.dispatcher.onData(c, bytes),
          knows: (name) => this.dispatcher.table.lookup(name, 0, name.length) !== undefined,
        },
        plan,
        this.config.get('aof-load-truncated') === 'yes',
      );
      await askThreads(this, 'aof-ready', {});
      this.log.info({ commands, seconds: (Date.now() - t0) / 1000 }, `DB loaded from append only file: ${commands} commands played`);
    } finally {
      this.saves.loadDone();
    }
  }

  private readonly controls = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextControl = 1;

  /** Asks the AOF writer (the supervisor) to act on the files; resolves when it has. */
  aofControl(op: AofControlOp, temp?: string): Promise<void> {
    const id = this.nextControl++;
    return new Promise((resolve, reject) => {
      this.controls.set(id, { resolve, reject });
      this.post({ kind: 'aof-control', id, op, temp });
    });
  }

  /** The writer's answer to aofControl. */
  aofControlReply(m: AofControlReply): void {
    const p = this.controls.get(m.id);
    if (p === undefined) return;
    this.controls.delete(m.id);
    if (m.error === null) p.resolve();
    else p.reject(new Error(m.error));
  }

  crossOf(fullName: string): CrossShard | null {
    const name = Buffer.from(fullName.split('|')[0]);
    let e = this.dispatcher.table.lookup(name, 0, name.length);
    const sub = fullName.split('|')[1];
    if (e !== undefined && sub !== undefined && e.subs !== null) e = e.subs.lookup(Buffer.from(sub), 0, sub.length);
    return e?.cross ?? null;
  }

  functionCodes(): Uint8Array[] {
    return functionRegistry.list().map((l) => l.code);
  }

  propagate(args: (Uint8Array | string)[]): void {
    this.shard.exec.effects?.rewritten(-1, 0, [args]);
    this.scheduleTick();
  }

  scriptCallOn(shard: number, id: number, args: Uint8Array[], call: NestedCall): NestedResult {
    if (shard === this.index) return this.shard.exec.scriptCalls!.call(id, args, call);
    return decodeResult(this.mailboxes.call(shard, encodeCall(args, call)));
  }

  private readonly serveScriptCall = (payload: Uint8Array): Uint8Array => {
    const { args, call } = decodeCall(payload);
    const calls = this.shard.exec.scriptCalls!;
    return encodeResult(calls.call(calls.idOf(args), args, call));
  };

  /** The AOF loader's connection: a slot for its replies to come back to, no socket. */
  private openLoader(): Connection {
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.conns.length;
    const c = new Connection(this.shared.newClientId(), slot, connKey(this.index, slot), NO_SOCKET, { protoMaxBulkLen: 0x7fffffff, queryBufferLimit: Number.MAX_SAFE_INTEGER }, false, 'aof', 'aof');
    c.loader = true;
    c.discardAll = true;
    this.conns[slot] = c;
    return c;
  }

  /** The last 16 samples (one per cron) of commands and bytes per second: INFO's instantaneous_* (Redis keeps 16 too). */
  private readonly rateSamples: [ops: number, inBytes: number, outBytes: number][] = [];
  private lastSample = { at: Date.now(), ops: 0, in: 0, out: 0 };

  private sampleRates(): void {
    const now = Date.now();
    const s = this.stats;
    const secs = Math.max(0.001, (now - this.lastSample.at) / 1000);
    this.rateSamples.push([(s.totalCommands - this.lastSample.ops) / secs, (s.netInput - this.lastSample.in) / secs, (s.netOutput - this.lastSample.out) / secs]);
    if (this.rateSamples.length > 16) this.rateSamples.shift();
    this.lastSample = { at: now, ops: s.totalCommands, in: s.netInput, out: s.netOutput };
  }

  private instantaneous(): ThreadReport['instantaneous'] {
    const n = Math.max(1, this.rateSamples.length);
    const avg = (k: number) => this.rateSamples.reduce((a, r) => a + r[k], 0) / n;
    return { ops: avg(0), inputKbps: avg(1) / 1024, outputKbps: avg(2) / 1024 };
  }

  /**
   * The JS heap's live size: the lowest of the last 2 s of samples (one per
   * cron). The heap's current size holds garbage until the next collection,
   * which evicting keys cannot free: maxmemory and INFO's used_memory count
   * what survives collections.
   */
  private readonly heapSamples: number[] = [];

  private get liveHeap(): number {
    return this.heapSamples.length === 0 ? v8.getHeapStatistics().used_heap_size : Math.min(...this.heapSamples);
  }

  private sampleHeap(): void {
    const heap = v8.getHeapStatistics();
    this.heapSamples.push(heap.used_heap_size);
    if (this.heapSamples.length > 20) this.heapSamples.shift();
    this.collectWhenIdle(heap.total_physical_size + heap.external_memory);
    this.memory.setHeap(this.index, this.liveHeap);
  }

  /** The queues for full rings held much since the last collection: what they held is garbage once they drain. */
  private overflowGarbage = false;

  private noteOverflow(delta: number): void {
    this.overflowBytes += delta;
    if (this.overflowBytes >= IDLE_GARBAGE_BYTES) this.overflowGarbage = true;
  }

  /**
   * Heap pages held and external (buffer) bytes after the last collection
   * this thread asked for, and its work counters at the last cron. Pages,
   * not live bytes: a load can leave the heap's live size 10 MB up and its
   * pages 20 MB up, and RSS pays for the pages.
   */
  private heldAfterCollection = 0;
  private lastActivity = -1;

  /**
   * A burst of work (a `--pipe` load, a deep pipeline, a huge reply) leaves
   * tens of MB of garbage, objects and buffers, which V8 collects only when
   * the heap grows further, and the process's RSS keeps them meanwhile. Once
   * the thread has been idle for a cron and holds IDLE_GARBAGE_BYTES more
   * than after its last collection (or its ring queues, which held that
   * much, have drained), it collects and gives the pages back (on an idle
   * thread, so no client waits for it).
   */
  private collectWhenIdle(held: number): void {
    const activity = this.stats.totalCommands + this.shard.commands + this.stats.netInput;
    const idle = activity === this.lastActivity;
    this.lastActivity = activity;
    const drained = this.overflowGarbage && this.overflowBytes === 0;
    if (!idle || (held - this.heldAfterCollection < IDLE_GARBAGE_BYTES && !drained)) return;
    this.overflowGarbage = false;
    collectGarbage();
    const heap = v8.getHeapStatistics();
    this.heldAfterCollection = heap.total_physical_size + heap.external_memory;
  }

  private crons = 0;

  private cron(): void {
    this.sampleRates();
    this.sampleHeap();
    this.memory.notePeak();
    this.shard.evictInBackground();
    this.shard.activeExpire(EXPIRE_BUDGET_MS);
    this.shard.defragStep(CRON_MS);
    if (++this.crons % RELEASE_EVERY_CRONS === 0) this.shard.releaseEmptySegments(false);
    this.saves.addDirty(this.index, this.shard.takeWrites());
    if (this.index === 0) {
      if (savePointDue(this, Date.now())) void runSave(this, 'save point', true);
      aofCron(this);
    }
    trimBuffers();
    if (this.clientEviction.on) {
      this.clientEviction.recount(this.liveConnections());
      this.evictClientsIfOver();
    }
    const timeout = this.config.int('timeout');
    if (timeout > 0) closeIdle(this.liveConnections(), timeout, Date.now(), (c) => this.killConnection(c));
    this.scheduleTick();
  }

  // ---- connections ---------------------------------------------------------------------

  /**
   * Every socket of this thread reads into this one buffer (Node's `onread`
   * option), instead of a new Buffer per read: the parser copies what it
   * keeps, so a chunk is dead once onData returns. That saves an allocation
   * and the garbage it becomes on every read (docs/benchmarks.md, issue 8).
   */
  private readonly readBuffer = Buffer.allocUnsafeSlow(64 * 1024);

  private accept(accepted: net.Socket): void {
    // net.Server has no `onread` option, so the accepted socket (paused by
    // pauseOnConnect, nothing read yet) gives its handle to a socket made with
    // one. `_handle` is private to Node; test/integration/large-values.test.ts
    // and the rest of the suite exercise the adoption on every connection.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    const handle = (accepted as any)._handle;
    let c: Connection | null = null;
    const socket = new net.Socket({
      handle,
      readable: true,
      writable: true,
      onread: {
        buffer: this.readBuffer,
        callback: (n: number, buf: Uint8Array) => {
          if (c === null) return true;
          // Commands of this read may run inline on the shard: at the time they arrived, not at the
          // last turn's (an idle thread slept since; keys that expired meanwhile must be gone).
          this.shard.setClock(Date.now());
          this.dispatcher.onData(c, buf.subarray(0, n) as Buffer);
          return true;
        },
      },
    } as net.SocketConstructorOpts);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    (accepted as any)._handle = null;
    if (this.stopped || !this.shared.addConnection(this.config.int('maxclients'))) {
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const slot = this.freeSlots.length > 0 ? this.freeSlots.pop()! : this.conns.length;
    if (slot >= MAX_SLOTS_PER_THREAD) {
      this.shared.removeConnection();
      this.stats.rejectedConnections++;
      socket.end('-ERR max number of clients reached\r\n');
      return;
    }
    const local = socket.localAddress === undefined ? `${this.config.get('unixsocket')}:0` : `${socket.localAddress}:${socket.localPort}`;
    const remote = socket.remoteAddress === undefined ? `${this.config.get('unixsocket')}:0` : `${socket.remoteAddress}:${socket.remotePort}`;
    c = new Connection(
      this.shared.newClientId(),
      slot,
      connKey(this.index, slot),
      socket,
      { protoMaxBulkLen: this.config.int('proto-max-bulk-len'), queryBufferLimit: this.config.int('client-query-buffer-limit') },
      this.config.get('requirepass') !== '',
      remote,
      local,
    );
    this.conns[slot] = c;
    this.stats.totalConnections++;
    if (socket.remoteAddress !== undefined) {
      socket.setNoDelay(true);
      const keepalive = this.config.int('tcp-keepalive');
      if (keepalive > 0) socket.setKeepAlive(true, keepalive * 1000);
    }
    const conn = c;
    socket.on('error', () => {});
    socket.on('close', () => this.onClose(conn));
    socket.on('drain', () => this.dispatcher.onDrain(conn));
  }

  private onClose(c: Connection): void {
    if (c.closed) return;
    c.closed = true;
    if (!c.loader) this.shared.removeConnection();
    this.clientEviction.forget(c);
    this.dispatcher.onClose(c);
    this.releaseSlotWhenIdle(c);
  }

  /** A slot is reused only when no shard reply for it can still arrive. */
  private releaseSlotWhenIdle(c: Connection): void {
    if (c.inFlight > 0) return;
    if (this.conns[c.slot] === c) {
      this.conns[c.slot] = undefined;
      this.freeSlots.push(c.slot);
    }
  }

  liveConnections(): Connection[] {
    return this.conns.filter((c): c is Connection => c !== undefined && !c.closed && !c.loader);
  }

  killConnection(c: Connection): void {
    if (c.closed) return;
    c.closeAfterWrite = true;
    this.markDirty(c);
  }

  markDirty(c: Connection): void {
    if (!c.dirty) {
      c.dirty = true;
      this.dirty.push(c);
    }
    this.scheduleTick();
  }

  // ---- Hops: where keys live, and frames to shards ----------------------------------------

  shardOf(key: Uint8Array): number {
    return this.slotToShard[keyHashSlot(key, 0, key.length)];
  }

  shardOfArg(u8: Uint8Array, off: number, len: number): number {
    return this.slotToShard[keyHashSlot(u8, off, len)];
  }

  newTxid(): number {
    return this.shared.newTxid();
  }

  claimWaitersOn(shards: number[]): boolean {
    return this.shared.claimWaitersOn(shards);
  }

  handlerId(name: string): number {
    return shardHandlerId(name);
  }

  get localBacklog(): boolean {
    return this.localQueue.length > 0;
  }

  send(shard: number, conn: number, seq: number, word2: number, db: number, txid: number, args: FrameArgs, pick: number[] | null): void {
    const peer = this.peers[shard];
    if (peer === null) {
      const q = this.localQueue;
      const p = q.reserve(requestSize(args, pick), false);
      writeRequest(q.u8, q.i32, p, conn, seq, word2, db, txid, args, pick);
    } else peer.request(conn, seq, word2, db, txid, args, pick);
    this.scheduleTick();
  }

  request(shard: number, word2: number, db: number, args: Uint8Array[], txid: number, conn: number): Promise<Uint8Array> {
    return this.requestWithSeq(shard, word2, db, args, txid, conn, null);
  }

  requestWithSeq(shard: number, word2: number, db: number, args: Uint8Array[], txid: number, conn: number, onSeq: ((seq: number) => void) | null): Promise<Uint8Array> {
    const seq = -this.nextInternal++;
    if (this.nextInternal > 0x7ffffff0) this.nextInternal = 2;
    onSeq?.(seq);
    const done = new Promise<Uint8Array>((resolve) => this.internal.set(seq, { resolve, chunks: [] }));
    this.send(shard, conn, seq, word2, db, txid, packArgs(args), null);
    return done;
  }

  allThreads(op: number, args: Uint8Array[]): Promise<Uint8Array[]> {
    return Promise.all(Array.from({ length: this.shards }, (_, t) => this.request(t, op, 0, args, 0, 0)));
  }

  // ---- replies ---------------------------------------------------------------------------------

  /** Replies from the local shard go straight to their connection or request. */
  private readonly localSink: ReplySink = {
    reply: (conn, seq, src, off, len, partial) => this.deliver(conn, seq, this.index, src, off, len, partial ? REPLY_PARTIAL : 0),
  };

  /** A reply (record) from shard `from` for one of this thread's connections or requests. */
  private deliver(conn: number, seq: number, from: number, u8: Uint8Array, off: number, len: number, flags: number): void {
    const partial = (flags & REPLY_PARTIAL) !== 0;
    if (seq < SEQ_NONE) return this.internalReply(seq, sliceBytes(u8, off, len), partial);
    const c = this.conns[connSlot(conn)];
    if (c === undefined) return;
    if (seq === SEQ_NONE) {
      // A registration that answers nothing (a waiter dropped): only the count changes.
      c.inFlight--;
      if (c.closed) this.releaseSlotWhenIdle(c);
      else this.markDirty(c);
      return;
    }
    c.deliver(seq, from, u8, off, len, partial, flags >>> REPLY_SPAN_SHIFT || 1);
    // A large reply arriving in parts: past its client's output limit it is dropped as it comes, not gathered whole.
    if (partial && !c.closed && !c.discardAll && this.outputOverLimit(c)) c.discardAll = true;
    if (c.closed) this.releaseSlotWhenIdle(c);
    else {
      if (!c.dirty) {
        c.dirty = true;
        this.dirty.push(c);
      }
      if (seq === c.blockedSeq && !partial) this.dispatcher.blocked.unblocked(c);
    }
  }

  private internalReply(seq: number, bytes: Uint8Array, partial: boolean): void {
    const r = this.internal.get(seq);
    if (r === undefined) return;
    r.chunks.push(bytes);
    if (partial) return;
    this.internal.delete(seq);
    r.resolve(r.chunks.length === 1 ? r.chunks[0] : Buffer.concat(r.chunks));
  }

  // ---- the turn -----------------------------------------------------------------------------------

  scheduleTick(): void {
    if (this.tickScheduled) return;
    this.tickScheduled = true;
    setImmediate(this.tick);
  }

  private readonly tick = (): void => {
    this.tickScheduled = false;
    this.bells.disarm(this.index);
    this.shard.setClock(Date.now());
    // A script holding every shard waits, blocked, for its call on this one.
    this.mailboxes.serve(this.serveScriptCall);
    this.runLocalQueue();
    for (const p of this.peers) if (p !== null) this.drainPeer(p);
    this.armBlockedDeadline();
    for (const p of this.peers) if (p !== null) p.publish();
    // With appendfsync always, replies wait until the file holds the writes made before them.
    if (this.aof.endOfTurn()) this.aof.hold(this.dirty);
    else this.flushDirty();
    this.dispatcher.wakeOverflowWaiters();
    this.maybeSleep();
  };

  private runLocalQueue(): void {
    const q = this.localQueue;
    if (q.length === 0) return;
    this.shard.setClock(Date.now());
    // Frames queued while these run (UNLOCK after a part) join the same pass; the pass's bytes stay valid until it ends.
    q.hold();
    while (q.length > 0) {
      this.runRequest(q.frontU8, q.frontI32, q.frontOffset, q.frontLength, this.index);
      q.shift();
    }
    q.release();
  }

  /** Runs every record a peer published: requests on the shard (or as thread operations), replies to connections. */
  private drainPeer(link: PeerLink): void {
    const ring = link.in;
    if (!ring.poll()) return;
    // The clock is read after the records were published: no command runs at a time before it arrived
    // (a thread descheduled mid-turn would otherwise see keys that expired meanwhile as still there).
    this.shard.setClock(Date.now());
    const i32 = ring.i32;
    const u8 = ring.u8;
    const from = link.peer;
    for (;;) {
      const p = ring.next();
      if (p < 0) break;
      const payload = ring.recordLength - 4;
      if (ring.recordReply) {
        const b = p >> 2;
        this.deliver(i32[b], i32[b + 1], from, u8, p + 16, i32[b + 2], i32[b + 3]);
      } else if (ring.recordMore || this.big[from] !== null) {
        this.appendBig(from, u8, p, payload);
        if (ring.recordMore) continue;
        const buf = this.big[from]!.subarray(0, this.bigLen[from]);
        this.big[from] = null;
        this.bigLen[from] = 0;
        this.runRequest(buf, new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2), 0, buf.length, from);
      } else {
        this.runRequest(u8, i32, p, payload, from);
      }
    }
    if (ring.release()) this.bells.ring(from);
  }

  private appendBig(from: number, src: Uint8Array, off: number, n: number): void {
    let big = this.big[from];
    const used = this.bigLen[from];
    if (big === null) big = new Uint8Array(Math.max(n * 2, 1 << 20));
    else if (used + n > big.length) {
      const grown = new Uint8Array(Math.max(big.length * 2, used + n));
      copyBytes(grown, 0, big, 0, used);
      big = grown;
    }
    copyBytes(big, used, src, off, n);
    this.big[from] = big;
    this.bigLen[from] = used + n;
  }

  /** A request frame from thread `from` (this one for the local queue): a shard command, or a thread operation. */
  private runRequest(u8: Uint8Array, i32: Int32Array, p: number, bytes: number, from: number): void {
    const id = i32[(p >> 2) + 2] & 0xffff;
    if (id === OP_THREAD) this.threadOp(u8, i32, p, from);
    else if (id === OP_PUBLISH) this.receiveMessage(u8, i32, p);
    else if (id === OP_TRACKING) this.trackingStep(frameArgs(u8, i32, p));
    else this.shard.runFrame(u8, i32, p, bytes, from);
  }

  /** Flushes output: one socket write per connection with output; closes those that asked. */
  private flushDirty(): void {
    const list = this.dirty;
    const noting = this.clientEviction.on;
    for (let i = 0; i < list.length; i++) {
      const c = list[i];
      c.dirty = false;
      // One socket write per batch: while shards still owe this connection replies
      // (and it is not waiting on a blocking command or a transaction), the replies
      // ready so far wait for them, up to a size. The owed reply marks it again.
      if (!(c.inFlight > 0 && c.out.len < HOLD_OUTPUT_MAX && c.blockedSeq < 0 && !c.busy && !c.closeAfterWrite)) this.sendOutput(c, c.takeOutput());
      if (noting && !c.closed) this.clientEviction.note(c);
    }
    list.length = 0;
    if (noting) {
      this.clientEviction.publish();
      this.evictClientsIfOver();
    }
  }

  /** maxmemory-clients: past the limit, this thread's largest clients are disconnected (connections/client-eviction.ts). */
  private evictClientsIfOver(): void {
    if (!this.clientEviction.over()) return;
    this.clientEviction.evict(this.liveConnections(), (c) => {
      this.log.info({ client: c.id, addr: c.addr, bytes: c.memoryNoted }, 'Evicting client: maxmemory-clients reached');
      this.stats.evictedClients++;
      this.clientEviction.forget(c);
      c.closeAfterWrite = true;
      c.socket.destroy();
    });
  }

  /** Writes a connection's output; closes it when it asked to be closed once written. */
  private sendOutput(c: Connection, out: ReturnType<Connection['takeOutput']>): void {
    this.stats.netOutput += c.send(out);
    if (out !== null && this.outputOverLimit(c)) return;
    if (c.closeAfterWrite && c.idle && !c.closed) {
      c.closed = true;
      this.shared.removeConnection();
      this.clientEviction.forget(c);
      this.dispatcher.onClose(c);
      // Closed once written, as Redis closes: a client still writing then gets a reset.
      const socket = c.socket;
      socket.end(() => socket.destroy());
      this.releaseSlotWhenIdle(c);
    }
  }

  /** Sleeps on the doorbell unless records or queued frames wait. */
  private maybeSleep(): void {
    if (this.tickScheduled || this.stopped) return;
    this.bells.arm(this.index);
    // Look again after arming: a record published before the bell was armed would be missed.
    let ready = this.localQueue.length > 0 || this.mailboxes.waiting;
    for (const p of this.peers) if (p !== null && (p.in.hasData() || p.hasOverflow())) ready = true;
    if (ready) {
      // Queued records for a full ring wait for its consumer, which rings when it frees space.
      let data = this.localQueue.length > 0 || this.mailboxes.waiting;
      for (const p of this.peers) if (p !== null && p.in.hasData()) data = true;
      if (data) {
        this.bells.disarm(this.index);
        this.scheduleTick();
        return;
      }
    }
    if (this.waiting) return;
    const wait = this.bells.waitAsync(this.index);
    if (wait === null) {
      this.scheduleTick();
      return;
    }
    this.waiting = true;
    void wait.then(this.onBell);
  }

  private readonly onBell = (): void => {
    this.waiting = false;
    this.scheduleTick();
  };

  /** The shard answers blocked clients' timeouts from a timer, to the millisecond. */
  private armBlockedDeadline(): void {
    const next = this.shard.blocked.nextDeadline();
    if (next === 0 || (this.blockedTimer !== null && this.blockedDeadline <= next)) return;
    if (this.blockedTimer !== null) clearTimeout(this.blockedTimer);
    this.blockedDeadline = next;
    this.blockedTimer = setTimeout(() => {
      this.blockedTimer = null;
      this.shard.expireBlocked(Date.now());
      this.scheduleTick();
    }, Math.max(0, next - Date.now()));
  }

  // ---- pub/sub ----------------------------------------------------------------------------------

  /** A message another thread published, for this thread's subscribers. */
  private receiveMessage(u8: Uint8Array, i32: Int32Array, p: number): void {
    const args = frameArgs(u8, i32, p);
    const num = (i: number) => Number(Buffer.from(args[i]).toString('latin1'));
    if (args[0][0] === EVENT_AFTER_REPLY) this.eventAfterReply(num(1), num(2), Buffer.from(args[3]).toString('latin1'), args[4], num(5));
    else if (args[0][0] === MONITOR_AFTER_REPLY) this.monitorAfterReply(num(1), num(2), args[3]);
    else this.pubsub.receive(args[0][0] as SubKind, args[1], args[2]);
  }

  /** A transaction's keyspace event: published once its command's reply is written to its client, here. */
  private eventAfterReply(conn: number, seq: number, event: string, key: Uint8Array, db: number): void {
    const kept = key.slice();
    this.afterClientReply(conn, seq, [Uint8Array.of(EVENT_AFTER_REPLY), bytesOf(String(conn)), bytesOf(String(seq)), bytesOf(event), kept, bytesOf(String(db))], () =>
      this.pubsub.notify(event, kept, db),
    );
  }

  /** A script's call for MONITOR: shown once the script's reply is written to its client, here. */
  private monitorAfterReply(conn: number, seq: number, line: Uint8Array): void {
    const kept = line.slice();
    this.afterClientReply(conn, seq, [Uint8Array.of(MONITOR_AFTER_REPLY), bytesOf(String(conn)), bytesOf(String(seq)), kept], () => this.pubsub.monitorLine(kept));
  }

  /** Runs `publish` on the connection's thread once its reply `seq` is written (sending `frame` there first); at once if it is gone. */
  private afterClientReply(conn: number, seq: number, frame: Uint8Array[], publish: () => void): void {
    const t = connThread(conn);
    if (t !== this.index) return this.send(t, 0, 0, OP_PUBLISH, 0, 0, packArgs(frame), null);
    const c = this.conns[connSlot(conn)];
    if (c === undefined || c.key !== conn || c.closed || c.discardAll) publish();
    else c.afterReply(seq, publish);
  }

  /**
   * Writes a message to a subscriber: after the replies it is owed (at
   * once while it waits in a blocking command or runs the PUBLISH, as Redis
   * writes it), and
   * disconnects it past its output limits (client-output-buffer-limit
   * pubsub), as Redis does, so a subscriber that does not read cannot make
   * the server's memory grow.
   */
  private deliverMessage(c: Connection, bytes: Uint8Array, len: number): void {
    if (c.closed || c.closeAfterWrite) return;
    // Now, ahead of the reply being made, when its own command published it (Redis writes the message first).
    const ownCommand = c === this.dispatcher.running && c.outSeq === ((c.nextSeq - 1) & 0x7fffffff);
    c.push(bytes, 0, len, ownCommand || (c.blockedSeq >= 0 && c.blockedSeq === c.outSeq));
    if (!this.outputOverLimit(c)) this.markDirty(c);
  }

  /**
   * client-output-buffer-limit for the client's class (pubsub when
   * subscribed, else normal): past the hard limit, or past the soft one for
   * its seconds, the client is disconnected at once and what it was owed is
   * dropped, as Redis does, so a client that does not read cannot make the
   * server's memory grow. True when it was.
   */
  private outputOverLimit(c: Connection): boolean {
    if (c.closed) return true;
    const limit = outputLimit(this.config.get('client-output-buffer-limit'), isSubscribed(c) ? 'pubsub' : 'normal');
    if (limit.hard === 0 && limit.soft === 0) return false;
    const size = c.socket.writableLength + c.out.len + c.queuedBytes;
    let over = limit.hard > 0 && size >= limit.hard;
    if (!over && limit.soft > 0 && size >= limit.soft) {
      const now = Date.now();
      if (c.overSoftSince === 0) c.overSoftSince = now;
      else if (now - c.overSoftSince >= limit.softSeconds * 1000) over = true;
    } else if (!over) c.overSoftSince = 0;
    if (!over) return false;
    this.log.warn({ client: c.id, addr: c.addr, bytes: size }, 'Client scheduled to be closed ASAP for overcoming of output buffer limits.');
    this.stats.outputLimitDisconnections++;
    c.closeAfterWrite = true;
    c.socket.destroy();
    return true;
  }

  // ---- latency tracking ----------------------------------------------------------------------------

  latencyTracking = true;
  private readonly latency = new Map<string, Histogram>();
  /** latency-monitor-threshold in ms (0: off). */
  latencyThreshold = 0;
  readonly latencyMonitor = new LatencyMonitor();

  recordLatency(fullName: string, usec: number): void {
    let h = this.latency.get(fullName);
    if (h === undefined) this.latency.set(fullName, (h = new Map()));
    record(h, usec * 1000);
  }

  /** What the threads' and the shard's settings follow from the configuration (start, CONFIG SET): latency tracking and monitoring, maxmemory. */
  private applyConfig(): void {
    this.latencyTracking = this.config.get('latency-tracking') === 'yes';
    this.shard.latencyTracking = this.latencyTracking;
    this.latencyThreshold = this.config.int('latency-monitor-threshold');
    this.shard.latencyThreshold = this.latencyThreshold;
    const cfg = this.config;
    // SETRANGE, APPEND and the bit offsets of SETBIT / BITFIELD check the current limit, as Redis does.
    this.shard.exec.shard.protoMaxBulkLen = cfg.int('proto-max-bulk-len');
    this.shard.setEviction({
      maxmemory: cfg.int('maxmemory'),
      policy: policyOf(cfg.get('maxmemory-policy')),
      samples: cfg.int('maxmemory-samples'),
      tenacity: cfg.int('maxmemory-eviction-tenacity'),
      lfuLogFactor: cfg.int('lfu-log-factor'),
      lfuDecayTime: cfg.int('lfu-decay-time'),
    });
    this.clientEviction.configure(cfg.get('maxmemory-clients'), cfg.int('maxmemory'), this.liveConnections());
    this.shard.defrag.settings = {
      enabled: cfg.get('activedefrag') === 'yes',
      ignoreBytes: cfg.int('active-defrag-ignore-bytes'),
      thresholdLower: cfg.int('active-defrag-threshold-lower'),
      thresholdUpper: cfg.int('active-defrag-threshold-upper'),
      cycleMin: cfg.int('active-defrag-cycle-min'),
      cycleMax: cfg.int('active-defrag-cycle-max'),
      maxScanFields: cfg.int('active-defrag-max-scan-fields'),
    };
    this.sampleHeap();
  }

  // ---- client-side caching ----------------------------------------------------------------------

  /** A shard's invalidation for connection `conn` (of any thread): keys, or null for everything. */
  private sendInvalidation(conn: number, keys: Uint8Array[] | null): void {
    const t = connThread(conn);
    if (t === this.index) return this.deliverInvalidation(conn, keys);
    const args = keys === null ? [bytesOf('inv-all'), bytesOf(String(conn))] : [bytesOf('inv'), bytesOf(String(conn)), ...keys];
    this.send(t, 0, 0, OP_TRACKING, 0, 0, packArgs(args), null);
  }

  /** An invalidation for one of this thread's connections: to it, or to its REDIRECT target (maybe on another thread). */
  private deliverInvalidation(conn: number, keys: Uint8Array[] | null): void {
    const c = this.conns[connSlot(conn)];
    if (c === undefined || c.key !== conn || c.closed || c.tracking === null) return;
    const t = c.tracking;
    if (t.redirect === 0 || t.redirectKey === c.key) {
      if (writeInvalidation(c, keys)) this.markDirty(c);
      return;
    }
    const target = connThread(t.redirectKey);
    if (target === this.index) return this.redirectInvalidation(t.redirectKey, t.redirect, conn, keys);
    const head = [bytesOf(keys === null ? 'redir-all' : 'redir'), bytesOf(String(t.redirectKey)), bytesOf(String(t.redirect)), bytesOf(String(conn))];
    this.send(target, 0, 0, OP_TRACKING, 0, 0, packArgs([...head, ...(keys ?? [])]), null);
  }

  /** An invalidation of client `origin` for its redirect target here; a target gone is reported back. */
  private redirectInvalidation(targetKey: number, targetId: number, origin: number, keys: Uint8Array[] | null): void {
    const tc = this.conns[connSlot(targetKey)];
    if (tc !== undefined && tc.key === targetKey && tc.id === targetId && !tc.closed) {
      if (writeInvalidation(tc, keys)) this.markDirty(tc);
      return;
    }
    const back = connThread(origin);
    if (back === this.index) this.redirectBroken(origin);
    else this.send(back, 0, 0, OP_TRACKING, 0, 0, packArgs([bytesOf('broken'), bytesOf(String(origin))]), null);
  }

  private redirectBroken(conn: number): void {
    const c = this.conns[connSlot(conn)];
    if (c === undefined || c.key !== conn || c.closed) return;
    writeRedirectBroken(c);
    this.markDirty(c);
  }

  /** OP_TRACKING from another thread (frames.ts). */
  private trackingStep(args: Uint8Array[]): void {
    const step = Buffer.from(args[0]).toString('latin1');
    const num = (i: number) => Number(Buffer.from(args[i]).toString('latin1'));
    if (step === 'inv' || step === 'inv-all') this.deliverInvalidation(num(1), step === 'inv' ? args.slice(2) : null);
    else if (step === 'redir' || step === 'redir-all') this.redirectInvalidation(num(1), num(2), num(3), step === 'redir' ? args.slice(4) : null);
    else if (step === 'broken') this.redirectBroken(num(1));
  }

  // ---- thread operations (connection-wide views) ------------------------------------------------

  private threadOp(u8: Uint8Array, i32: Int32Array, p: number, from: number): void {
    const b = p >> 2;
    const conn = i32[b];
    const seq = i32[b + 1];
    const args = frameArgs(u8, i32, p);
    const answer = (value: unknown): void => {
      const w = new ReplyWriter(256);
      w.bulkString(JSON.stringify(value));
      this.shard.sinks[from].reply(conn, seq, w.buf, 0, w.len, false, false);
    };
    const text = (a: Uint8Array) => Buffer.from(a).toString('utf8');
    const payload = JSON.parse(text(args[1])) as Record<string, unknown>;
    const now = Date.now();
    switch (text(args[0])) {
      case 'config':
        for (const [k, v] of payload as unknown as [string, string][]) this.config.set(k, v, true);
        this.pubsub.notifyFlags = parseKeyspaceEvents(this.config.get('notify-keyspace-events'));
        this.shard.setTrackingMaxKeys(this.config.int('tracking-table-max-keys'));
        this.applyConfig();
        return answer(true);
      case 'list': {
        const me = payload.me as { id: number; cmd: string; argvMem: number };
        const filter = payload.filter as ClientFilter;
        return answer(
          this.liveConnections()
            .filter((c) => matches(c, filter, now))
            .map((c) => ({ id: c.id, line: clientLine(c, this.index, c.id === me.id ? me.cmd : c.lastCommand, now, c.id === me.id ? me.argvMem : 0) })),
        );
      }
      case 'kill': {
        const hit = this.liveConnections().filter((c) => matches(c, payload.filter as ClientFilter, now));
        for (const c of hit) this.killConnection(c);
        return answer(hit.length);
      }
      case 'unblock': {
        const target = this.liveConnections().find((c) => c.id === payload.id);
        if (target === undefined) return answer(0);
        void this.dispatcher.unblock(target, payload.mode as 'timeout' | 'error').then(answer);
        return;
      }
      case 'unpause':
        this.dispatcher.resumePaused();
        return answer(true);
      case 'info':
        return answer(this.report());
      case 'purge':
        return answer(this.shard.releaseEmptySegments(true));
      case 'script-load':
      case 'script-flush':
      case 'function-load':
      case 'function-delete':
      case 'function-flush':
      case 'function-restore':
        return answer(scriptThreadOp(text(args[0]), payload as { sha?: string; body?: string }));
      case 'aof-ready':
        // The AOF is loaded: this shard's writes are recorded from now on, and keys expire again.
        this.shard.exec.effects = this.aof.feed;
        this.shard.ks.expireSuspended = false;
        return answer(true);
      case 'aof-off':
        // CONFIG SET appendonly no: this shard stops recording, and what it recorded goes to the writer now.
        this.shard.exec.effects = null;
        this.aof.flush();
        return answer(true);
      case 'pubsub':
        this.pubsub.apply(payload as unknown as DirectoryChange);
        return answer(true);
      case 'slowlog-get': {
        const entries = this.slowlog.newest(payload.count as number);
        // Clients of this thread are named here; the asking thread asks the others for theirs.
        for (const e of entries) {
          const c = e.addr === '' && connThread(e.conn) === this.index ? this.conns[connSlot(e.conn)] : undefined;
          if (c !== undefined && c.key === e.conn) [e.addr, e.name] = [c.addr, c.name];
        }
        return answer(entries);
      }
      case 'slowlog-clients': {
        const found: Record<string, [string, string]> = {};
        for (const key of payload.conns as number[]) {
          const c = connThread(key) === this.index ? this.conns[connSlot(key)] : undefined;
          if (c !== undefined && c.key === key) found[String(key)] = [c.addr, c.name];
        }
        return answer(found);
      }
      case 'tracking-bcast':
        this.shard.trackPrefixes(payload.conn as number, payload.prefixes as string[], payload.noloop as boolean, payload.on as boolean);
        return answer(true);
      case 'tracking-flush':
        // FLUSHALL / FLUSHDB: every tracking client hears that everything changed.
        for (const c of this.liveConnections()) if (c.tracking !== null) this.deliverInvalidation(c.key, null);
        return answer(true);
      case 'client-key': {
        const c = this.liveConnections().find((x) => x.id === payload.id);
        return answer(c === undefined ? null : c.key);
      }
      case 'latency-get':
        return answer(this.latencyMonitor.snapshot());
      case 'latency-reset':
        return answer(this.latencyMonitor.reset(payload.events as string[]));
      case 'slowlog-len':
        return answer(this.slowlog.length);
      case 'slowlog-reset':
        this.slowlog.reset();
        return answer(true);
      case 'resetstat':
        // Every counter, as Redis's resetServerStats: connections, commands, bytes, disconnections, evictions.
        Object.assign(this.stats, newThreadStats());
        this.latency.clear();
        this.shard.resetStats();
        return answer(true);
      default:
        return answer(null);
    }
  }

  private report(): ThreadReport {
    return {
      index: this.index,
      tid: this.tid,
      connections: this.liveConnections().length,
      blockedHere: this.shard.blocked.connections(),
      paused: this.dispatcher.pausedClients(),
      heapUsed: this.liveHeap,
      stats: { ...this.stats, latency: Object.fromEntries([...this.latency].map(([name, h]) => [name, [...h]])) },
      shard: this.shard.stats(),
      instantaneous: this.instantaneous(),
      trackingClients: this.liveConnections().filter((c) => c.tracking !== null).length,
      overflowBytes: this.overflowBytes,
      clientBuffers: this.liveConnections().reduce((a, c) => a + c.parser.capacity + c.out.buf.length + c.queuedBytes + c.socket.writableLength, 0),
      tracking: this.shard.trackingStats(),
    };
  }
}

/** OP_PUBLISH's kind for a transaction's keyspace event on its way to the client's thread (frames.ts). */
const EVENT_AFTER_REPLY = 5;
/** …and for a script's MONITOR line. */
const MONITOR_AFTER_REPLY = 6;
const bytesOf = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/** The arguments of a request frame at p, copied out of the ring. */
function frameArgs(u8: Uint8Array, i32: Int32Array, p: number): Uint8Array[] {
  const argc = i32[(p >> 2) + 5];
  const args: Uint8Array[] = [];
  let pos = p + 24;
  for (let i = 0; i < argc; i++) {
    const len = i32[pos >> 2];
    args.push(u8.slice(pos + 4, pos + 4 + len));
    pos += 4 + pad4(len);
  }
  return args;
}

/** This thread's OS thread id, from /proc/thread-self (0 where there is none). */
function readTid(): number {
  try {
    const link = fs.readlinkSync('/proc/thread-self');
    return Number(link.split('/').pop()) || 0;
  } catch {
    return 0;
  }
}

