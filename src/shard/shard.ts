/**
 * A shard: the single owner of part of the keyspace, run by the thread that
 * owns it. It executes commands from three sources: the thread's own
 * clients, inline (`runInline`: no copy, no hop), the thread's own
 * multi-hop steps, and frames from other threads' rings (`runFrame`). Each
 * reply goes back where its command came from, through that thread's
 * `ReplySink`. It never takes a lock: no other thread touches its arena.
 *
 * Frames that must wait for a transaction's intent locks are parked
 * (scheduler/lock-table.ts); blocked clients wait in `blocked`.
 */
import { type EvictionSettings, Evictor, Policy, isLfu } from './eviction.js';
import type { MemoryGauge } from '../transport/memory-gauge.js';
import { type Histogram, record } from '../util/latency-histogram.js';
import { TrackingTable, type TrackingSink } from './tracking.js';
import { Notify } from '../util/keyspace-events.js';
import type { ScriptKeyUse } from '../transport/script-key-use.js';
import { Arena } from 'native-free-arena';
import { collectGarbage } from '../util/collect-garbage.js';
import { Defragmenter } from './defrag.js';
import { type FieldEventSink, expireFieldsStep } from '../types/hash-expiry.js';
import v8 from 'node:v8';
import { ReplyWriter } from '../protocol/reply-writer.js';
import {
  OP_BASE,
  OP_CONFIG,
  OP_EXPORT,
  OP_IMPORT,
  OP_LOCK,
  OP_UNBLOCK,
  OP_UNLOCK,
  OP_UNWATCH,
  OP_WATCH,
  REQ_CLAIM,
  REQ_FOREIGN_KEYS,
  REQ_FOREIGN_VALUE,
  REQ_LOCK_ONE,
  REQ_NOBLOCK,
  REQ_NO_TOUCH,
  REQ_READ,
  REQ_TRACK,
  REQ_TRACK_NOLOOP,
  REQ_RESP3,
  REQ_SQUASH,
  REQ_WIDE,
  SEQ_NONE,
  type FrameArgs,
  pad4,
  requestFrame,
} from '../transport/frames.js';
import { BlockingRegistry, Retry, TimeoutReply, type Waiter } from './blocking.js';
import { bytesEqual, sliceBytes } from '../util/bytes.js';
import { LockTable, type ParkedFrame } from '../scheduler/lock-table.js';
import { fingerprint } from '../scheduler/fingerprint.js';
import { NestedRunner } from './nested.js';
import { Exec, type ShardCommands, type ShardInfo, type SnapshotHooks, keySpan } from './exec.js';
import { DB_COUNT, Keyspace, SCRATCH_DB } from './keyspace.js';

/** Where a shard's replies to one thread go: a ring to a peer, or the owning thread's own connections. */
export interface ReplySink {
  reply(conn: number, seq: number, src: Uint8Array, off: number, len: number, partial: boolean, squash: boolean): void;
}

export interface ShardOptions extends ShardInfo {
  /** Claim words for blocking commands registered on several shards. */
  claims: SharedArrayBuffer;
  /** One Int32 per shard: this shard keeps its count of waiters registered on several shards there. */
  claimWaiters: SharedArrayBuffer;
  /** The commands it runs (commands/registry.ts). */
  commands: ShardCommands;
  /** A txid from the counter every thread shares (a script's AOF transaction). */
  newTxid(): number;
  /** A script's redis.log line (Redis's levels: 0 debug … 3 warning). */
  log(level: number, message: Uint8Array): void;
  /** This thread's slot in the script watch. */
  scriptWatch: { start(wide: boolean): void; end(): void; wrote(): void; killed(): boolean };
  /** What is known of each script's keys, shared by every thread. */
  scriptKeyUse: ScriptKeyUse;
  /** Where this shard's invalidations go (client-side caching), and FLUSHALL / FLUSHDB for every tracking client. */
  tracking: TrackingSink & { flushed(): void };
  /** Every thread's memory as maxmemory counts it (transport/memory-gauge.ts). */
  memory: MemoryGauge;
  /** A latency event of this shard's (connections/latency-monitor.ts), for this thread's monitor. */
  latencyEvent(event: string, ms: number): void;
  /** This thread's SLOWLOG (connections/slowlog.ts): the shard logs the client commands it ran slowly. */
  slowlog: { isSlow(usec: number): boolean; add(args: readonly Uint8Array[], usec: number, conn: number): void };
}

/** Per-shard statistics merged into INFO. */
export interface ShardStats {
  index: number;
  keys: number[];
  volatile: number[];
  arena: ReturnType<Arena['stats']>;
  tableBytes: number;
  /** The keyspace table's bytes per database. */
  tableBytesByDb: number[];
  heapUsed: number;
  /** V8 heap pages the thread holds (used or not) and what V8 malloc'd beside them: what the heap costs in RSS. */
  heapCommitted: number;
  heapMalloced: number;
  commands: number;
  expiredKeys: number;
  /** Hash fields reclaimed by field expiry (INFO expired_subkeys). */
  expiredFields: number;
  hits: number;
  misses: number;
  evictedKeys: number;
  /** Active defragmentation: a pass under way, blocks moved and not, keys moved and not. */
  defrag: { running: boolean; hits: number; misses: number; keyHits: number; keyMisses: number };
  /** Latency histograms by command name (util/latency-histogram.ts). */
  latency: Record<string, [number, number][]>;
  cmdstats: Record<string, [calls: number, usec: number, failed: number]>;
  errorstats: Record<string, number>;
}

/** This thread's V8 heap: live bytes, pages held, and V8's own malloc'd memory. */
function heapFigures(): { heapUsed: number; heapCommitted: number; heapMalloced: number } {
  const h = v8.getHeapStatistics();
  return { heapUsed: h.used_heap_size, heapCommitted: h.total_physical_size, heapMalloced: h.malloced_memory };
}

/** What became of a command run inline. */
export const enum Inline {
  /** Its reply is in the writer it was given. */
  Replied = 0,
  /** It waits (parked behind a lock, or a blocked client): the reply comes later through the sink. */
  Later = 1,
}

export class Shard {
  readonly arena = new Arena();
  readonly ks = new Keyspace(this.arena);
  /** Where replies are written when they do not go straight to a connection's buffer. */
  readonly writer = new ReplyWriter(64 * 1024);
  readonly exec: Exec;
  readonly locks = new LockTable();
  /** latency-tracking: each command's latency histogram (util/latency-histogram.ts), by id. */
  latencyTracking = true;
  private latency: (Histogram | undefined)[] = [];
  /** latency-monitor-threshold (ms; 0: off): slower commands are latency events. */
  latencyThreshold = 0;
  /** maxmemory and its policy (shard/eviction.ts), set by the thread from its configuration. */
  private eviction: EvictionSettings = { maxmemory: 0, policy: Policy.NoEviction, samples: 5, tenacity: 10, lfuLogFactor: 10, lfuDecayTime: 1 };
  private readonly evictor: Evictor;
  readonly defrag: Defragmenter;
  private evictedKeys = 0;
  /** Client-side caching: who read which keys of this shard, who wants which prefixes. */
  private readonly tracking: TrackingTable;
  readonly blocked: BlockingRegistry;
  /** Reply sinks by thread index (set by the owning thread before the first frame). */
  sinks: ReplySink[] = [];

  /** Commands run (INFO shards). */
  commands = 0;
  private readonly cmds: ShardCommands;
  private readonly calls: Float64Array;
  private readonly usec: Float64Array;
  private readonly failed: Float64Array;
  private errorstats: Record<string, number> = {};

  // The frame being run: its connection, reply number, origin and transaction.
  private txid = 0;
  private conn = 0;
  private seq = 0;
  private from = 0;
  /** Set by UNLOCK: run the frames waiting for the released locks after its reply. */
  private afterReply = false;
  private streamed = false;
  private squashable = false;
  /** Write commands run since takeWrites (Redis's `dirty`, counted per command). */
  private writes = 0;

  private argOff = new Int32Array(64);
  private argLen = new Int32Array(64);

  constructor(readonly opts: ShardOptions) {
    this.cmds = opts.commands;
    this.calls = new Float64Array(this.cmds.handlers.length);
    this.usec = new Float64Array(this.cmds.handlers.length);
    this.failed = new Float64Array(this.cmds.handlers.length);
    // A private copy: thresholds change only when an OP_CONFIG frame arrives, in
    // ring order, so commands sent before a CONFIG SET still run under the old values.
    this.exec = new Exec(this.ks, this.writer, { ...opts, tunables: new Int32Array(opts.tunables) });
    this.tracking = new TrackingTable(opts.tracking);
    this.evictor = new Evictor(this.ks);
    this.defrag = new Defragmenter(this.arena, this.ks);
    this.exec.claims = new Int32Array(opts.claims);
    this.blocked = new BlockingRegistry(new Int32Array(opts.claimWaiters), opts.index);
    this.exec.streamBulk = this.streamBulk;
    this.ks.onExpire = this.onExpire;
    this.ks.onNew = this.onNew;
    this.exec.scriptCalls = new NestedRunner({ cmds: this.cmds, ks: this.ks, outer: this.exec, run: this.runNested, newTxid: opts.newTxid, log: opts.log, watch: opts.scriptWatch, keyUse: opts.scriptKeyUse });
  }

  get index(): number {
    return this.opts.index;
  }

  /** The write commands run since the last call (save points count them). */
  takeWrites(): number {
    const n = this.writes;
    this.writes = 0;
    return n;
  }

  /** Fixes the clock for a batch of commands, as Redis fixes the time per command. */
  setClock(now: number): void {
    this.exec.setClock(now);
  }

  /** Keeps WATCH and client-side caching informed of changed keys, only while something is watched or tracked. */
  private readonly onModify = (db: number, h: number): void => {
    const ks = this.ks;
    if (this.locks.hasWatches) this.locks.touched(fingerprint(db, ks.arena.u8[h >>> 19], ks.keyOffset(h), ks.keyLen(h)));
    if (this.tracking.active) this.tracking.keyChanged(this.keyOf(h));
  };

  /**
   * FLUSHDB / SWAPDB: a watched key changes if it exists in any of the
   * databases involved (for SWAPDB, in either of the two), as in Redis.
   */
  private readonly onWholeDb = (dbs: number[]): void => {
    const exists = (key: Uint8Array): boolean => dbs.some((db) => this.ks.lookup(db, key, 0, key.length, this.exec.now) !== 0);
    for (const db of dbs) this.locks.touchedDb(db, exists);
  };

  /**
   * An expired key is reclaimed: the AOF gets its DEL, as Redis propagates
   * one. Replayed, the file must not depend on when keys expired: a command
   * that found the key gone (SET NX ...) would find it there while loading,
   * where keys do not expire.
   */
  /** A key expired (lazily or actively): the AOF records a DEL, subscribers hear `expired`. */
  private readonly onExpire = (db: number, h: number): void => {
    const log = this.exec.effects;
    const bus = this.exec.bus;
    const notify = bus !== null && (bus.notifyFlags & Notify.Expired) !== 0;
    if (log === null && !notify) return;
    const key = this.keyOf(h);
    log?.rewritten(db, this.txid, [['DEL', key]]);
    if (notify) bus.notify('expired', key, db);
  };

  /** A key was created: subscribers of `new` events hear it. */
  private readonly onNew = (db: number, h: number): void => {
    const bus = this.exec.bus;
    if (bus !== null && (bus.notifyFlags & Notify.New) !== 0) bus.notify('new', this.keyOf(h), db);
  };

  /** Entry h's key bytes (a view into the arena). */
  private keyOf(h: number): Uint8Array {
    const off = this.ks.keyOffset(h);
    return this.ks.arena.u8[h >>> 19].subarray(off, off + this.ks.keyLen(h));
  }

  private syncWatchHook(): void {
    const on = this.locks.hasWatches;
    this.ks.onModify = on || this.tracking.active ? this.onModify : null;
    this.ks.onWholeDb = on ? this.onWholeDb : null;
  }

  // ---- entry points ------------------------------------------------------------

  /**
   * Runs a frame from thread `from` (a ring record, or a frame of the owning
   * thread's own), or parks it while the scheduler says it must wait for a
   * transaction's locks (it is copied and run on release). UNLOCK waits only
   * for its own transaction's parked frames; WATCH waits like a read of its
   * keys and UNWATCH like a command without keys, so both come after the
   * connection's earlier commands. A LOCK that may not wait (wait-die) is
   * refused at once.
   */
  runFrame(u8: Uint8Array, i32: Int32Array, p: number, bytes: number, from: number): void {
    const b = p >> 2;
    const w2 = i32[b + 2];
    const id = w2 & 0xffff;
    const locks = this.locks;
    if (!locks.idle) {
      const txid = i32[b + 4];
      const conn = i32[b];
      if (id === OP_UNLOCK) {
        if (locks.unlockWaits(txid)) locks.park({ frame: sliceBytes(u8, p, bytes), fps: [], global: false, conn, txid, from, unlock: true });
        else this.execFrame(u8, i32, p, from, null);
        return;
      }
      const { fps, global } = this.frameKeys(u8, i32, p, id, w2 >>> 16);
      if (locks.blocked(fps, global, conn, txid)) {
        if (id === OP_LOCK && (w2 >>> 16 & REQ_LOCK_ONE) === 0 && !locks.mayWait(txid)) {
          this.answerInternal(conn, i32[b + 1], from, -1);
          return;
        }
        locks.park({ frame: sliceBytes(u8, p, bytes), fps, global, conn, txid, from });
        return;
      }
    }
    this.execFrame(u8, i32, p, from, null);
  }

  /**
   * Runs a command of the owning thread's client straight from the parser's
   * buffer. With `out` (the client's output buffer, when nothing is due
   * before this reply), the reply is written there; otherwise, or when the
   * command has to wait, it comes through the thread's own sink.
   */
  runInline(conn: number, seq: number, word2: number, db: number, args: FrameArgs, out: ReplyWriter | null): Inline {
    const id = word2 & 0xffff;
    const from = this.opts.index;
    if (!this.locks.idle) {
      const { fps, global } = this.argKeys(id, db, args.argBuf, args.argOff, args.argLen, args.argc);
      if (this.locks.blocked(fps, global, conn, 0)) {
        this.locks.park({ frame: requestFrame(conn, seq, word2, db, 0, args, null), fps, global, conn, txid: 0, from });
        return Inline.Later;
      }
    }
    const x = this.exec;
    this.conn = conn;
    this.seq = seq;
    this.from = from;
    this.txid = 0;
    x.claimIdx = -1;
    x.dropped = false;
    x.u8 = args.argBuf;
    x.off = args.argOff;
    x.len = args.argLen;
    x.argc = args.argc;
    const flags = word2 >>> 16;
    if (out !== null) {
      // The reply goes straight to the connection: nothing to stream, nothing to copy.
      out.base = out.len;
      out.resp3 = (flags & REQ_RESP3) !== 0;
      x.r = out;
      x.streamBulk = null;
    }
    const answered = this.execute(id, flags, db, null) === Retry.Served;
    if (out !== null) {
      out.base = 0;
      x.r = this.writer;
      x.streamBulk = this.streamBulk;
    }
    // Waiters served now reply through their sinks, with the shard's writer.
    this.afterCommand(null);
    return answered && out !== null ? Inline.Replied : Inline.Later;
  }

  // ---- execution ---------------------------------------------------------------

  /** Runs a frame; `retry` is a blocked client's command run again (if it would block again, it keeps waiting silently). */
  private execFrame(u8: Uint8Array, i32: Int32Array, p: number, from: number, retry: Waiter | null): Retry {
    const b = p >> 2;
    this.conn = i32[b];
    this.seq = i32[b + 1];
    this.from = from;
    const w2 = i32[b + 2];
    const flags = w2 >>> 16;
    const x = this.exec;
    const dbWord = i32[b + 3];
    if (flags & REQ_CLAIM) {
      x.claimIdx = dbWord >>> 8;
      x.claimGen = retry !== null ? retry.claimGen : Atomics.load(x.claims!, x.claimIdx);
    } else x.claimIdx = -1;
    x.dropped = false;
    this.txid = i32[b + 4];
    const argc = i32[b + 5];
    if (argc > this.argOff.length) {
      let n = this.argOff.length;
      while (n < argc) n *= 2;
      this.argOff = new Int32Array(n);
      this.argLen = new Int32Array(n);
    }
    let pos = p + 24;
    for (let i = 0; i < argc; i++) {
      const len = i32[pos >> 2];
      this.argOff[i] = pos + 4;
      this.argLen[i] = len;
      pos += 4 + pad4(len);
    }
    x.u8 = u8;
    x.off = this.argOff;
    x.len = this.argLen;
    x.argc = argc;
    const id = w2 & 0xffff;
    const outcome = this.execute(id, flags, dbWord & 0xff, retry);
    this.afterCommand(retry);
    return outcome;
  }

  /** Runs the command whose arguments are set in `exec`: answered, dropped (another shard answered its client), or waiting. */
  private execute(id: number, flags: number, db: number, retry: Waiter | null): Retry {
    const x = this.exec;
    const w = x.r;
    x.txid = this.txid;
    x.prepare(db, (flags & REQ_RESP3) !== 0, (flags & REQ_NO_TOUCH) !== 0, (flags & REQ_FOREIGN_VALUE) !== 0, (flags & REQ_NOBLOCK) === 0, retry !== null);
    x.track = flags & (REQ_TRACK | REQ_TRACK_NOLOOP);
    // A transaction's command (a client's reply, not a hop's or a served waiter's): its events follow its reply.
    const clientReply = this.seq >= 0 && retry === null;
    x.eventsConn = this.txid !== 0 && clientReply ? this.conn : -1;
    x.eventsSeq = this.seq;
    x.replyConn = clientReply ? this.conn : -1;
    x.replySeq = this.seq;
    this.streamed = false;
    if ((flags & REQ_FOREIGN_KEYS) !== 0 && !this.importForeign()) {
      w.error('ERR malformed foreign keys');
    } else if (id >= OP_BASE) this.runInternal(id, flags);
    else this.runCommand(id);
    if (x.foreignIdx.length !== 0) {
      x.foreignIdx = [];
      x.foreignH = [];
      this.ks.clearScratch();
    }
    if ((x.dropped as boolean) === true) {
      // Another shard answered this client: forget it, with a record that answers nothing.
      w.reset();
      this.emitNone();
      x.blockOn = null;
      return Retry.Dropped;
    }
    // (Read through a cast: TypeScript does not see that the handler may have set it.)
    const blockOn = x.blockOn as Exec['blockOn'];
    if (blockOn !== null) {
      // Nothing to serve yet: park the client (or keep it parked) without a reply.
      w.reset();
      if (retry === null) {
        const args = { argBuf: x.u8, argOff: x.off, argLen: x.len, argc: x.argc };
        const frame = requestFrame(this.conn, this.seq, id | (flags << 16), db | (x.claimIdx >= 0 ? x.claimIdx << 8 : 0), this.txid, args, null);
        this.blocked.add({
          conn: this.conn,
          seq: this.seq,
          from: this.from,
          frame,
          fps: blockOn.keys.map((k) => fingerprint(db, x.u8, x.off[k], x.len[k])),
          deadline: blockOn.deadline,
          timeoutReply: blockOn.timeoutReply,
          resp3: x.resp3,
          claimIdx: x.claimIdx,
          claimGen: x.claimGen,
        });
      }
      x.blockOn = null;
      return Retry.Waiting;
    }
    // A reply written straight into a connection's buffer is already where it goes.
    if (w === this.writer) {
      this.squashable = (flags & REQ_SQUASH) !== 0 && retry === null && !this.streamed;
      this.emit(false);
      this.squashable = false;
    }
    if (id < OP_BASE && this.blocked.size > 0 && this.cmds.keys[id].write) this.signalWritten(x, id, db);
    return Retry.Served;
  }

  /** After a command: frames waiting for released locks run, then clients blocked on written keys are served. */
  private afterCommand(retry: Waiter | null): void {
    if (this.afterReply) {
      this.afterReply = false;
      this.locks.release(this.runParked);
      // Waiters put off while a transaction held their keys get their chance now.
      if (this.deferredWaits.size > 0) {
        for (const fp of this.deferredWaits) this.blocked.signal(fp);
        this.deferredWaits.clear();
      }
    }
    if (this.blocked.hasReady && retry === null) this.blocked.serve(this.serveWaiter);
  }

  /** Keys of waiters that could not be tried because a transaction held their keys. */
  private readonly deferredWaits = new Set<number>();

  /** The lock fingerprints a frame touches, and whether it spans the keyspace. */
  private frameKeys(u8: Uint8Array, i32: Int32Array, p: number, id: number, flags: number): { fps: number[]; global: boolean } {
    const b = p >> 2;
    const db = i32[b + 3] & 0xff;
    const argc = i32[b + 5];
    const offs = new Int32Array(argc);
    const lens = new Int32Array(argc);
    let pos = p + 24;
    for (let i = 0; i < argc; i++) {
      const len = i32[pos >> 2];
      offs[i] = pos + 4;
      lens[i] = len;
      pos += 4 + pad4(len);
    }
    if (id === OP_LOCK) {
      const fps: number[] = [];
      for (let i = 0; i < argc; i++) fps.push(fingerprint(u8[offs[i]], u8, offs[i] + 1, lens[i] - 1));
      return { fps, global: (flags & REQ_WIDE) !== 0 };
    }
    return this.argKeys(id, db, u8, offs, lens, argc);
  }

  /** The lock fingerprints of a command's key arguments, and whether it spans the keyspace. */
  private argKeys(id: number, db: number, u8: Uint8Array, offs: Int32Array, lens: Int32Array, argc: number): { fps: number[]; global: boolean } {
    const fps: number[] = [];
    if (id === OP_EXPORT || id === OP_IMPORT) {
      fps.push(fingerprint(db, u8, offs[1], lens[1]));
      return { fps, global: false };
    }
    // New thresholds apply after every frame that arrived before them, parked ones included.
    if (id === OP_CONFIG) return { fps, global: true };
    if (id === OP_WATCH) {
      for (let i = 1; i < argc; i++) fps.push(fingerprint(db, u8, offs[i], lens[i]));
      return { fps, global: false };
    }
    if (id >= OP_BASE) return { fps, global: false };
    const spec = this.cmds.keys[id];
    const [first, last, step] = keySpan(spec, argc, u8, offs, lens);
    for (let k = first; k > 0 && k <= last; k += step) fps.push(fingerprint(db, u8, offs[k], lens[k]));
    return { fps, global: spec.global };
  }

  /** Runs a frame that waited for locks now released. */
  private readonly runParked = (pf: ParkedFrame): void => {
    this.execFrame(pf.frame, new Int32Array(pf.frame.buffer, pf.frame.byteOffset, pf.frame.length >> 2), 0, pf.from, null);
  };

  /**
   * REQ_FOREIGN_KEYS: imports the attached blobs into the scratch database
   * and points their key arguments at them (Exec.lookup answers those from
   * there); trims the arguments back to the command's own.
   */
  private importForeign(): boolean {
    const x = this.exec;
    const t = x.argc - 1;
    const n = x.len[t] >> 1;
    if (t - n < 1 || (x.len[t] & 1) !== 0) return false;
    const idx: number[] = [];
    const hs: number[] = [];
    const u8 = x.u8;
    try {
      for (let k = 0; k < n; k++) {
        const o = x.off[t] + 2 * k;
        const i = u8[o] | (u8[o + 1] << 8);
        if (i < 1 || i >= t - n) return false;
        const bo = x.off[t - n + k];
        const bl = x.len[t - n + k];
        let h = 0;
        // The same key named twice (SINTER a a): one import serves both.
        for (let j = 0; j < idx.length && h === 0; j++) {
          if (bytesEqual(u8, x.off[idx[j]], x.len[idx[j]], u8, x.off[i], x.len[i])) h = hs[j];
        }
        if (h === 0 && bl > 0) h = this.cmds.importEntry(this.ks, SCRATCH_DB, u8, x.off[i], x.len[i], 0, u8.subarray(bo, bo + bl), x.lru);
        idx.push(i);
        hs.push(h);
      }
    } catch {
      this.ks.clearScratch();
      return false;
    } finally {
      this.ks.currentDb = x.db;
    }
    x.foreignIdx = idx;
    x.foreignH = hs;
    x.argc = t - n;
    return true;
  }

  /** A write touched these keys: clients blocked on them get a chance to be served. */
  private signalWritten(x: Exec, id: number, db: number): void {
    const [first, last, step] = keySpan(this.cmds.keys[id], x.argc, x.u8, x.off, x.len);
    for (let k = first; k > 0 && k <= last; k += step) this.blocked.signal(fingerprint(db, x.u8, x.off[k], x.len[k]));
  }

  /**
   * Runs a blocked client's command again. While a transaction holds any of
   * the keys it would touch (its destination too), it waits until the
   * transaction unlocks: a waiter is served between transactions, never in
   * the middle of one, as Redis serves blocked clients after EXEC.
   */
  private readonly serveWaiter = (w: Waiter): Retry => {
    const f = w.frame;
    const i32 = new Int32Array(f.buffer, f.byteOffset, f.length >> 2);
    if (!this.locks.idle) {
      const id = i32[2] & 0xffff;
      const { fps, global } = this.frameKeys(f, i32, 0, id, i32[2] >>> 16);
      if (this.locks.blocked(fps, global, 0, 0)) {
        for (const fp of w.fps) this.deferredWaits.add(fp);
        return Retry.Waiting;
      }
    }
    return this.execFrame(f, i32, 0, w.from, w);
  };

  /** Answers the blocked clients whose timeout has passed; returns the next deadline (0: none). */
  expireBlocked(now: number): number {
    if (this.blocked.size === 0) return 0;
    for (const w of this.blocked.expired(now)) {
      if (this.claimFor(w)) this.replyTo(w, w.timeoutReply === TimeoutReply.NullArray ? 'nullArray' : 'nullBulk');
      else this.noneFor(w);
    }
    return this.blocked.nextDeadline();
  }

  /** A waiter registered on several shards may answer only with the claim; others always may. */
  private claimFor(w: Waiter): boolean {
    if (w.claimIdx < 0) return true;
    return Atomics.compareExchange(this.exec.claims!, w.claimIdx, w.claimGen, w.claimGen + 1) === w.claimGen;
  }

  /**
   * The record of a waiter that goes away without answering: its thread
   * counts replies in flight. An internal wait (a negative reply number:
   * BLMOVE across shards) gets an empty answer instead, which ends it.
   */
  private noneFor(w: Waiter): void {
    this.sinks[w.from].reply(w.conn, w.seq < SEQ_NONE ? w.seq : SEQ_NONE, EMPTY, 0, 0, false, false);
  }

  private emitNone(): void {
    this.sinks[this.from].reply(this.conn, SEQ_NONE, EMPTY, 0, 0, false, false);
  }

  /** Writes a one-off reply for a blocked client (timeouts, CLIENT UNBLOCK). */
  private replyTo(wt: Waiter, kind: 'nullArray' | 'nullBulk' | 'unblocked'): void {
    const w = new ReplyWriter(64);
    w.resp3 = wt.resp3;
    if (kind === 'nullArray') w.nullArray();
    else if (kind === 'nullBulk') w.nullBulk();
    else w.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    this.sinks[wt.from].reply(wt.conn, wt.seq, w.buf, 0, w.len, false, false);
  }

  /** Answers an internal request with an integer, outside the current command (a refused LOCK). */
  private answerInternal(conn: number, seq: number, from: number, n: number): void {
    const bytes = new TextEncoder().encode(`:${n}\r\n`);
    this.sinks[from].reply(conn, seq, bytes, 0, bytes.length, false, false);
  }

  private runCommand(id: number): void {
    const x = this.exec;
    const usec = this.runHandler(x, id, this.txid, this.streamed);
    // A client's command that took long enough goes in this thread's SLOWLOG (a script's calls do not).
    if (this.opts.slowlog.isSlow(usec)) {
      const args: Uint8Array[] = [];
      for (let i = 0; i < x.argc; i++) args.push(x.arg(i));
      this.opts.slowlog.add(args, usec, this.conn);
    }
  }

  /**
   * A command a script called (shard/nested.ts): run as a client's, its
   * AOF record in the script's transaction, and clients blocked on what it
   * wrote served once the script is done.
   */
  private readonly runNested = (x: Exec, id: number, txid: number): void => {
    this.runHandler(x, id, txid, false);
    if (this.wrote && this.blocked.size > 0) this.signalWritten(x, id, x.db);
  };

  /** Whether the last handler run was a write that did not fail. */
  private wrote = false;

  /** Runs handler `id` in `x`; the µs it took (`wrote` says whether it was a write that did not fail). */
  private runHandler(x: Exec, id: number, txid: number, streamed: boolean): number {
    const w = x.r;
    const handler = this.cmds.handlers[id];
    x.name = this.cmds.names[id];
    x.reads = !this.cmds.keys[id].write;
    if (x.snapshot !== null && this.cmds.keys[id].write) this.preserveKeys(x, x.snapshot, id);
    x.rewrites = null;
    x.sideWrite = false;
    const t0 = performance.now();
    try {
      // Over maxmemory, a command that may grow memory evicts first, or is refused (Redis's OOM).
      if (this.eviction.maxmemory > 0 && this.cmds.keys[id].denyoom && !this.makeRoom(x)) w.error(OOM);
      else handler(x);
    } catch (err) {
      // A bug must not take the shard down: answer this command and go on.
      w.reset();
      w.error(`ERR internal error in '${x.name}': ${(err as Error).message}`);
    }
    const usec = (performance.now() - t0) * 1000;
    this.usec[id] += usec;
    if (this.latencyTracking) record((this.latency[id] ??= new Map()), usec * 1000);
    if (this.latencyThreshold > 0 && usec >= this.latencyThreshold * 1000) this.opts.latencyEvent(this.cmds.keys[id].fast ? 'fast-command' : 'command', Math.floor(usec / 1000));
    this.afterCommandTracking(x, id, w.len > w.base && w.buf[w.base] === 45);
    if (this.eviction.maxmemory > 0 && this.cmds.keys[id].write) {
      this.opts.memory.setArena(this.opts.index, this.arena.allocatedBytes);
      this.publishEvictable();
    }
    this.calls[id]++;
    this.commands++;
    const failed = !streamed && w.len > w.base && w.buf[w.base] === 45; /* '-' */
    const wrote = !failed && (this.cmds.keys[id].write || x.sideWrite);
    if (wrote) {
      this.writes++;
      if (x.effects !== null) this.recordEffects(x, id, txid);
    }
    if (failed) {
      this.failed[id]++;
      const b = w.buf;
      let e = w.base + 1;
      while (e < w.len && b[e] !== 32 && b[e] !== 13) e++;
      const prefix = Buffer.from(b.subarray(w.base + 1, e)).toString('latin1');
      this.errorstats[prefix] = (this.errorstats[prefix] ?? 0) + 1;
    }
    this.wrote = wrote;
    return usec;
  }

  /**
   * The AOF's record of a write that did not fail: the command as it ran,
   * or what its handler propagated instead. A command that waits (blocked)
   * or was answered elsewhere has done nothing yet; a keyspace-wide write
   * runs on every shard and is recorded once, by shard 0.
   */
  private recordEffects(x: Exec, id: number, txid: number): void {
    const rewrites = x.rewrites;
    x.rewrites = null;
    if (x.blockOn !== null || x.dropped) return;
    if (this.cmds.keys[id].global && this.opts.index !== 0) return;
    if (rewrites !== null) {
      if (rewrites.length > 0) x.effects!.rewritten(x.db, txid, rewrites);
    } else x.effects!.asRun(x.db, txid, x.u8, x.off, x.len, x.argc);
  }

  /**
   * A write is about to run while BGSAVE walks this shard: the keys it names
   * are written to the snapshot first, as they are (all of them, for the
   * keyspace-wide writes: FLUSHALL, FLUSHDB, SWAPDB).
   */
  private preserveKeys(x: Exec, snap: SnapshotHooks, id: number): void {
    const k = this.cmds.keys[id];
    if (k.global) return snap.drain();
    const ks = this.ks;
    const [first, last, step] = keySpan(k, x.argc, x.u8, x.off, x.len);
    for (let i = first; i > 0 && i <= last; i += step) {
      const h = ks.findRaw(x.db, x.u8, x.off[i], x.len[i], ks.hashOf(x.u8, x.off[i], x.len[i]));
      if (h !== 0) snap.preserve(x.db, h);
    }
  }

  private runInternal(op: number, flags: number): void {
    const x = this.exec;
    const w = x.r;
    const locks = this.locks;
    switch (op) {
      case OP_CONFIG: {
        // Arg 1: the tunables, as int32 words (config/tunables.ts).
        const t = this.exec.shard.tunables;
        const o = x.off[1];
        const n = Math.min(t.length, x.len[1] >> 2);
        for (let i = 0; i < n; i++) t[i] = x.u8[o + 4 * i] | (x.u8[o + 4 * i + 1] << 8) | (x.u8[o + 4 * i + 2] << 16) | (x.u8[o + 4 * i + 3] << 24);
        w.ok();
        break;
      }
      case OP_LOCK: {
        const fps: number[] = [];
        for (let i = 0; i < x.argc; i++) fps.push(fingerprint(x.u8[x.off[i]], x.u8, x.off[i] + 1, x.len[i] - 1));
        locks.lock(this.txid, fps, (flags & REQ_WIDE) !== 0);
        // A watched key that expired counts as changed: look each one up so lazy expiry runs now.
        for (const k of locks.watchedKeys(this.conn)) this.ks.lookup(k.db, k.key, 0, k.key.length, x.now);
        w.int(locks.isDirty(this.conn) ? 1 : 0);
        break;
      }
      case OP_UNLOCK:
        locks.unlock(this.txid);
        // The transaction's end, for the AOF (its argument: how many shards it held; none when it let go to try again).
        if (x.effects !== null && x.argc > 0) x.effects.unlocked(this.txid, Number(x.argStr(0)));
        if (flags & REQ_WIDE) {
          locks.unwatch(this.conn);
          this.syncWatchHook();
        }
        w.ok();
        // Run what waited for these locks once this reply is out (their replies follow it).
        this.afterReply = true;
        break;
      case OP_WATCH:
        // Argument 0 is the operation's name; the keys follow.
        for (let i = 1; i < x.argc; i++) {
          // Reclaim an already expired key first: watching it starts from "absent".
          this.ks.lookup(x.db, x.u8, x.off[i], x.len[i], x.now);
          locks.watch(this.conn, fingerprint(x.db, x.u8, x.off[i], x.len[i]), x.db, x.u8.subarray(x.off[i], x.off[i] + x.len[i]));
        }
        this.syncWatchHook();
        w.ok();
        break;
      case OP_UNWATCH:
        locks.unwatch(this.conn);
        this.syncWatchHook();
        w.ok();
        break;
      case OP_UNBLOCK: {
        const wt = this.blocked.byConnection(this.conn);
        if (wt === undefined) {
          w.int(0);
          break;
        }
        const mode = x.argStr(1);
        // "stale" (the command was answered by another shard) names the claim it means.
        if (mode === 'stale' && wt.claimIdx !== Number(x.argStr(2))) {
          w.int(0);
          break;
        }
        this.blocked.remove(wt);
        let answered = 0;
        if (mode !== 'drop' && mode !== 'stale' && this.claimFor(wt)) {
          this.replyTo(wt, mode === 'error' ? 'unblocked' : wt.timeoutReply === TimeoutReply.NullArray ? 'nullArray' : 'nullBulk');
          answered = 1;
        } else this.noneFor(wt);
        w.int(answered);
        break;
      }
      case OP_EXPORT: {
        x.reads = (flags & REQ_READ) !== 0;
        const h = x.peek(1);
        if (h === 0) w.nullBulk();
        else {
          w.bulkBytes(this.cmds.exportEntry(this.ks, h));
          if (flags & REQ_WIDE) {
            this.ks.removeEntry(x.db, h);
            x.effects?.rewritten(x.db, this.txid, [['DEL', x.arg(1)]]);
            if (x.argc > 2) x.notifyArg(Notify.Generic, x.argStr(2), 1);
          }
        }
        break;
      }
      case OP_IMPORT: {
        const h = x.peek(1);
        if (h !== 0 && x.argIs(3, 'nx')) {
          w.int(0);
          break;
        }
        const made = this.cmds.importEntry(this.ks, x.db, x.u8, x.off[1], x.len[1], h, x.u8.subarray(x.off[2], x.off[2] + x.len[2]), x.lru);
        // The key came from another shard (RENAME, COPY, MOVE across shards): the AOF gets it whole.
        if (x.effects !== null) x.effects.rewritten(x.db, this.txid, [this.cmds.restoreCommand(this.ks, made, x.arg(1), x.shard.tunables)]);
        if (x.argc > 4) x.notifyArg(Notify.Generic, x.argStr(4), 1);
        w.int(1);
        break;
      }
      default:
        w.error('ERR unknown internal operation');
    }
  }

  /** CONFIG RESETSTAT: forgets the command and error counts. */
  /**
   * Lets go of the arena's empty segments when they are worth a walk of its
   * free lists, and collects them. `purge` (MEMORY PURGE): whatever they
   * hold, and collects the thread's garbage even if there were none.
   * Returns the bytes released.
   */
  releaseEmptySegments(purge: boolean): number {
    const empty = this.arena.emptySegmentBytes();
    const worth = empty > 0 && (purge || empty >= Math.max(RELEASE_MIN_BYTES, this.arena.reservedBytes / 16));
    const released = worth ? this.arena.releaseEmptySegments() : 0;
    if (released > 0 || purge) collectGarbage();
    return released;
  }

  /** A slice of active defragmentation (the cron's); segments it released are collected. */
  defragStep(cronMs: number): void {
    if (!this.defrag.running && !this.defrag.settings.enabled) return;
    if (this.defrag.step(cronMs, this.exec.snapshot !== null) > 0) collectGarbage();
  }

  resetStats(): void {
    this.calls.fill(0);
    this.usec.fill(0);
    this.failed.fill(0);
    this.errorstats = {};
    this.latency = [];
    this.ks.hits = 0;
    this.ks.misses = 0;
    this.ks.expiredKeys = 0;
    this.ks.expiredFields = 0;
    this.evictedKeys = 0;
    this.defrag.resetStats();
  }

  stats(): ShardStats {
    const keys: number[] = [];
    const volatile: number[] = [];
    let tableBytes = 0;
    const tableBytesByDb: number[] = [];
    for (let db = 0; db < DB_COUNT; db++) {
      keys.push(this.ks.dbs[db].table.size);
      volatile.push(this.ks.dbs[db].volatile);
      tableBytesByDb.push(this.ks.dbs[db].table.memoryUsage());
      tableBytes += tableBytesByDb[db];
    }
    const cmdstats: ShardStats['cmdstats'] = {};
    for (let i = 0; i < this.calls.length; i++) {
      if (this.calls[i] > 0) cmdstats[this.cmds.names[i]] = [this.calls[i], Math.round(this.usec[i]), this.failed[i]];
    }
    return {
      index: this.opts.index,
      keys,
      volatile,
      arena: this.arena.stats(),
      tableBytes,
      tableBytesByDb,
      ...heapFigures(),
      commands: this.commands,
      expiredKeys: this.ks.expiredKeys,
      expiredFields: this.ks.expiredFields,
      hits: this.ks.hits,
      misses: this.ks.misses,
      evictedKeys: this.evictedKeys,
      defrag: { running: this.defrag.running, hits: this.defrag.hits, misses: this.defrag.misses, keyHits: this.defrag.keyHits, keyMisses: this.defrag.keyMisses },
      cmdstats,
      errorstats: this.errorstats,
      latency: Object.fromEntries(this.latency.flatMap((h, id) => (h === undefined ? [] : [[this.cmds.names[id], [...h]]]))),
    };
  }

  /** Sends the writer's bytes to the current frame's origin; `partial` marks that more of this reply follows. */
  private emit(partial: boolean): void {
    const w = this.writer;
    this.sinks[this.from].reply(this.conn, this.seq, w.buf, 0, w.len, partial, this.squashable && !partial);
    w.reset();
  }

  /**
   * Sends a large bulk in parts, straight from the arena, without copying it
   * whole; a slice at a time, so that the connection's thread can drop the
   * rest once its client passes its output limit.
   */
  private readonly streamBulk = (src: Uint8Array, off: number, len: number): void => {
    this.writer.bulkHeader(len);
    this.streamed = true;
    this.emit(true);
    const sink = this.sinks[this.from];
    for (let at = 0; at < len; at += STREAM_SLICE) sink.reply(this.conn, this.seq, src, off + at, Math.min(STREAM_SLICE, len - at), true, false);
    this.writer.ascii('\r\n');
  };

  /** Where the cron's field expiry events go for db (null while nobody listens). */
  private fieldEvents(db: number): FieldEventSink | null {
    const bus = this.exec.bus;
    if (bus === null || (bus.notifyFlags & (Notify.Hash | Notify.Generic)) === 0) return null;
    return (cls, event, key) => {
      if ((bus.notifyFlags & cls) !== 0) bus.notify(event, key, db);
    };
  }

  /** One step of active expiry over every database, within a time budget (ms). */
  activeExpire(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    const now = Date.now();
    // The deletions it records belong to no transaction.
    this.txid = 0;
    try {
      for (let db = 0; db < DB_COUNT; db++) {
        while (this.ks.expireStep(db, now, 256) > 0) {
          if (performance.now() > deadline) return;
          if (this.ks.dbs[db].expireCursor === 0) break;
        }
      }
      // Hash fields, within their own bound (Redis's per-cycle field quota).
      let fields = FIELDS_PER_CRON;
      for (let db = 0; db < DB_COUNT && fields > 0; db++) {
        if (this.ks.dbs[db].fieldExpiring.size === 0) continue;
        fields -= expireFieldsStep(this.ks, db, now, fields, this.exec.effects, this.fieldEvents(db));
        if (performance.now() > deadline) return;
      }
    } finally {
      // Clients that cached the keys that expired hear of it.
      if (this.tracking.active) this.tracking.flushChanged(0);
    }
  }

  /**
   * After a command: the keys a tracking client read are remembered, the
   * keys the command changed are invalidated (its client's own, with
   * NOLOOP, excepted), and FLUSHALL / FLUSHDB forgets every key and has
   * every tracking client told (once: by shard 0).
   */
  private afterCommandTracking(x: Exec, id: number, failed: boolean): void {
    const spec = this.cmds.keys[id];
    // Keys the command changed (or that expired as it read them) are invalidated before its reads are
    // remembered, as Redis invalidates at once: a read of a key that expired under it does not invalidate its reader.
    if (this.tracking.active) this.tracking.flushChanged(this.conn);
    if (x.track !== 0 && !failed && !spec.write && x.blockOn === null) this.rememberKeys(x, id);
    if (spec.global && spec.write && !failed && (x.name === 'flushall' || x.name === 'flushdb')) {
      this.tracking.flushed();
      if (this.opts.index === 0) this.opts.tracking.flushed();
    }
  }

  /** A tracking client's command read keys: this shard remembers them for it (not a script's own keys: its calls'). */
  private rememberKeys(x: Exec, id: number): void {
    const spec = this.cmds.keys[id];
    const [first, last, step] = keySpan(spec, x.argc, x.u8, x.off, x.len);
    if (first <= 0 || x.name.startsWith('eval') || x.name.startsWith('fcall')) return;
    const noloop = (x.track & REQ_TRACK_NOLOOP) !== 0;
    for (let k = first; k <= last; k += step) this.tracking.remember(x.arg(k), this.conn, noloop);
    this.syncWatchHook();
  }

  /** BCAST prefixes of a client turned on or off (CLIENT TRACKING … BCAST, from its thread). */
  trackPrefixes(conn: number, prefixes: string[], noloop: boolean, on: boolean): void {
    this.tracking.broadcast(conn, prefixes, noloop, on);
    this.syncWatchHook();
  }

  /** tracking-table-max-keys: this shard's share of the whole table. */
  setTrackingMaxKeys(total: number): void {
    this.tracking.maxKeys = total === 0 ? 0 : Math.max(1, Math.ceil(total / this.opts.count));
  }

  // ---- maxmemory --------------------------------------------------------------------------

  /** How many keys the policy may take here, for the other shards to see. */
  private publishEvictable(): void {
    const volatile = this.eviction.policy >= Policy.VolatileLru;
    let n = 0;
    for (const d of this.ks.dbs) n += volatile ? d.volatile : d.table.size;
    this.opts.memory.setEvictable(this.opts.index, this.eviction.policy === Policy.NoEviction ? 0 : n);
  }

  /** The cron's part (Redis's eviction in the background): while the process is over maxmemory, this shard evicts its share. */
  evictInBackground(): void {
    if (this.eviction.maxmemory <= 0 || this.eviction.policy === Policy.NoEviction) return;
    const x = this.exec;
    x.setClock(Date.now());
    this.txid = 0;
    this.makeRoom(x);
    if (this.tracking.active) this.tracking.flushChanged(0);
    this.publishEvictable();
  }

  /** maxmemory and its policy changed (CONFIG SET, start). */
  setEviction(s: EvictionSettings): void {
    if (s.policy !== this.eviction.policy) this.evictor.clear();
    this.eviction = s;
    this.exec.lfu = isLfu(s.policy) ? s : null;
    this.opts.memory.setArena(this.opts.index, this.arena.allocatedBytes);
    this.publishEvictable();
  }

  /**
   * Evicts keys of this shard, as the policy chooses them, until the
   * process is under maxmemory or the tenacity's time is spent (the next
   * write goes on, as Redis's eviction does); false when it cannot: under
   * noeviction, or with nothing left that the policy may take.
   */
  private makeRoom(x: Exec): boolean {
    const s = this.eviction;
    const gauge = this.opts.memory;
    const me = this.opts.index;
    gauge.setArena(me, this.arena.allocatedBytes);
    if (gauge.total() <= s.maxmemory) return true;
    if (s.policy === Policy.NoEviction) return false;
    // Redis's tenacity: up to ~500 µs at 10, longer as it grows (100: no limit).
    const budgetMs = s.tenacity >= 100 ? Infinity : 0.05 * 1.15 ** s.tenacity;
    const deadline = performance.now() + budgetMs;
    const bus = x.bus;
    while (gauge.total() > s.maxmemory) {
      const pick = this.evictor.next(s, x.now, x.lru);
      if (pick === null) {
        // Nothing left here: the write goes on while other shards still have keys to give (their crons evict them).
        this.publishEvictable();
        return gauge.evictableElsewhere(me) > 0;
      }
      const key = this.keyOf(pick.h).slice();
      this.ks.removeEntry(pick.db, pick.h);
      this.evictedKeys++;
      // As Redis propagates an eviction: a DEL of its own; subscribers hear `evicted`.
      x.effects?.rewritten(pick.db, 0, [['DEL', key]]);
      if (bus !== null && (bus.notifyFlags & Notify.Evicted) !== 0) bus.notify('evicted', key, pick.db);
      gauge.setArena(me, this.arena.allocatedBytes);
      if (performance.now() > deadline) return true;
    }
    return true;
  }

  /** What INFO reports of this shard's tracking table. */
  trackingStats(): { keys: number; items: number; prefixes: number } {
    return { keys: this.tracking.keys, items: this.tracking.items, prefixes: this.tracking.prefixCount };
  }
}

const OOM = "OOM command not allowed when used memory > 'maxmemory'.";
/** A streamed bulk reply goes to its connection in slices of this size. */
const STREAM_SLICE = 1024 * 1024;
/** Empty segments are let go in the background once they hold this much (or a sixteenth of the arena). */
const RELEASE_MIN_BYTES = 8 * 1024 * 1024;
const EMPTY = new Uint8Array(0);
/** Hash fields the cron reclaims at most per tick (the rest wait for the next one, or for a command). */
const FIELDS_PER_CRON = 1000;
