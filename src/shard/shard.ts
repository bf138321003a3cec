/**
 * A shard: the single owner of part of the keyspace. It drains request frames
 * from its ring in order, runs each command against its keyspace and writes
 * the RESP reply as a record into its reply ring. It never takes a lock: no
 * other thread touches its arena.
 *
 * The Shard class is thread-agnostic (it only needs the two rings and the
 * front's doorbell); worker.ts runs it on a worker thread.
 */
import { Arena } from 'native-free-arena';
import v8 from 'node:v8';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { Doorbell } from '../transport/doorbell.js';
import { REP_HEADER_BYTES, REPLY_PARTIAL, REPLY_SPAN_SHIFT, REQ_CLAIM, REQ_FOREIGN_KEYS, REQ_FOREIGN_VALUE, REQ_NOBLOCK, REQ_NO_TOUCH, REQ_RESP3, REQ_SQUASH, REQ_WIDE, SEQ_NONE, pad4 } from '../transport/frames.js';
import { BlockingRegistry, TimeoutReply, type Waiter } from './blocking.js';
import { RingConsumer, RingProducer } from '../transport/ring.js';
import { SHARD_HANDLERS, SHARD_HANDLER_KEYS, SHARD_HANDLER_NAMES } from '../commands/registry.js';
import { exportEntry, importEntry } from '../types/serialize.js';
import { bytesEqual } from '../util/bytes.js';
import { Scheduler, lockKey, type ParkedFrame } from './scheduler.js';
import { Exec, type ShardInfo } from './exec.js';
import { DB_COUNT, Keyspace, SCRATCH_DB } from './keyspace.js';

/** Internal operations the front asks of every shard (ids above the handler range). */
export const OP_STATS = 0x8000;
export const OP_SHUTDOWN = 0x8001;
export const OP_CONFIG = 0x8002;
export const OP_RESETSTAT = 0x8003;
/** Scheduler: take intent locks on the keys named (each argument: db byte + key); replies 1 if the
 *  connection's watched keys here were touched, else 0. REQ_WIDE locks the whole keyspace. */
export const OP_LOCK = 0x8004;
/** Scheduler: release the frame's txid's locks (and the connection's watches, with REQ_WIDE). */
export const OP_UNLOCK = 0x8005;
/** WATCH the keys named (in the frame's database) for the frame's connection. */
export const OP_WATCH = 0x8006;
/** Forget the frame's connection's watches. */
export const OP_UNWATCH = 0x8007;
/** CLIENT UNBLOCK of the frame's connection: arg 1 is "timeout", "error" or "drop" (connection gone). Replies 1 if it was blocked here. */
export const OP_UNBLOCK = 0x800a;
/** Read a whole key as bytes (nil if missing); REQ_WIDE deletes it afterwards. */
export const OP_EXPORT = 0x8008;
/** Write key (arg 1) from exported bytes (arg 2); arg 3 is "replace" or "nx". Replies 1 if written, else 0. */
export const OP_IMPORT = 0x8009;

/** Replies longer than this are not squashed (they would make records, and copies, large). */
const SQUASH_MAX = 16 * 1024;

export interface ShardOptions extends ShardInfo {
  /** Claim words for blocking commands registered on several shards. */
  claims: SharedArrayBuffer;
  requestRing: SharedArrayBuffer;
  replyRing: SharedArrayBuffer;
  doorbell: SharedArrayBuffer;
}

/** Per-shard statistics the front merges into INFO. */
export interface ShardStats {
  index: number;
  keys: number[];
  volatile: number[];
  arena: ReturnType<Arena['stats']>;
  tableBytes: number;
  heapUsed: number;
  commands: number;
  expiredKeys: number;
  cmdstats: Record<string, [calls: number, usec: number, failed: number]>;
  errorstats: Record<string, number>;
}

export class Shard {
  readonly arena = new Arena();
  readonly ks = new Keyspace(this.arena);
  readonly writer = new ReplyWriter(64 * 1024);
  readonly exec: Exec;
  readonly sched = new Scheduler();
  readonly blocked = new BlockingRegistry();
  readonly requests: RingConsumer;
  readonly replies: RingProducer;
  readonly doorbell: Doorbell;
  stopped = false;
  /**
   * Called when the reply ring is full. A shard on its own thread waits for
   * the front to drain; a shard hosted on the front thread cannot wait for
   * itself, so the front drains the ring from this hook instead.
   */
  onReplyRingFull: (() => void) | null = null;

  private commands = 0;
  private readonly calls = new Float64Array(SHARD_HANDLERS.length);
  private readonly usec = new Float64Array(SHARD_HANDLERS.length);
  private readonly failed = new Float64Array(SHARD_HANDLERS.length);
  private errorstats: Record<string, number> = {};

  // The frame being run: its connection, reply number and transaction.
  private txid = 0;
  private conn = 0;
  /** Set by UNLOCK: run the frames waiting for the released locks after its reply. */
  private afterReply = false;
  private seq = 0;
  private streamed = false;

  // Reassembly of frames that arrived as several records.
  private big: Uint8Array | null = null;
  private bigLen = 0;

  constructor(readonly opts: ShardOptions) {
    this.requests = new RingConsumer(opts.requestRing);
    this.replies = new RingProducer(opts.replyRing);
    this.doorbell = new Doorbell(opts.doorbell);
    // A private copy: thresholds change only when an OP_CONFIG frame arrives, in
    // ring order, so commands sent before a CONFIG SET still run under the old values.
    this.exec = new Exec(this.ks, this.writer, { ...opts, tunables: new Int32Array(opts.tunables) });
    this.exec.streamBulk = (src, off, len) => this.streamBulk(src, off, len);
    this.exec.claims = new Int32Array(opts.claims);
  }

  /** Keeps WATCH informed of changed keys, only while something is watched. */
  private readonly onModify = (db: number, h: number): void => {
    const ks = this.ks;
    this.sched.touched(lockKey(db, ks.arena.u8[h >>> 19], ks.keyOffset(h), ks.keyLen(h)));
  };

  /**
   * FLUSHDB / SWAPDB: a watched key changes if it exists in any of the
   * databases involved (for SWAPDB, in either of the two), as in Redis.
   */
  private readonly onWholeDb = (dbs: number[]): void => {
    const exists = (k: string): boolean => {
      const key = Buffer.from(k.slice(1), 'latin1');
      return dbs.some((db) => this.ks.lookup(db, key, 0, key.length, this.exec.now) !== 0);
    };
    for (const db of dbs) this.sched.touchedDb(db, exists);
  };

  private syncWatchHook(): void {
    const on = this.sched.hasWatches;
    this.ks.onModify = on ? this.onModify : null;
    this.ks.onWholeDb = on ? this.onWholeDb : null;
  }

  /** Runs every published frame; returns whether there were any. */
  drain(): boolean {
    const rq = this.requests;
    if (!rq.poll()) return false;
    this.exec.setClock(Date.now());
    for (;;) {
      const p = rq.next();
      if (p < 0) break;
      const payload = rq.recordLength - 4;
      if (rq.recordMore || this.big !== null) {
        this.appendBig(rq.u8, p, payload);
        if (rq.recordMore) continue;
        const buf = this.big!;
        this.big = null;
        this.bigLen = 0;
        this.runFrame(buf, new Int32Array(buf.buffer, buf.byteOffset, buf.length >> 2), 0, buf.length);
      } else {
        this.runFrame(rq.u8, rq.i32, p, payload);
      }
    }
    rq.release();
    this.flushReplies();
    return true;
  }

  /** Publishes written replies and wakes the front if it sleeps. */
  flushReplies(): void {
    this.replies.publish();
    this.doorbell.ring();
  }

  private appendBig(src: Uint8Array, off: number, n: number): void {
    if (this.big === null) {
      this.big = new Uint8Array(Math.max(n * 2, 1 << 20));
      this.bigLen = 0;
    } else if (this.bigLen + n > this.big.length) {
      const grown = new Uint8Array(Math.max(this.big.length * 2, this.bigLen + n));
      grown.set(this.big.subarray(0, this.bigLen));
      this.big = grown;
    }
    this.big.set(src.subarray(off, off + n), this.bigLen);
    this.bigLen += n;
  }

  private argOff = new Int32Array(64);
  private argLen = new Int32Array(64);

  /**
   * Runs one frame, or parks it while the scheduler says it must wait for a
   * transaction's locks (it is copied out of the ring and run on release).
   * UNLOCK and UNWATCH never wait; WATCH waits like a read of its keys, so
   * it comes after the connection's earlier commands.
   */
  private runFrame(u8: Uint8Array, i32: Int32Array, p: number, bytes: number): void {
    const b = p >> 2;
    const w2 = i32[b + 2];
    const id = w2 & 0xffff;
    const sched = this.sched;
    if (!sched.idle && id !== OP_UNLOCK && id !== OP_UNWATCH) {
      const txid = i32[b + 4];
      const conn = i32[b];
      const { keys, global } = this.frameKeys(u8, i32, p, id, w2 >>> 16);
      if (sched.blocked(keys, global, conn, txid)) {
        sched.park({ frame: u8.slice(p, p + bytes), keys, global, conn, txid });
        return;
      }
    }
    this.execFrame(u8, i32, p, bytes);
  }

  /** The lock keys a frame touches, and whether it spans the keyspace. */
  private frameKeys(u8: Uint8Array, i32: Int32Array, p: number, id: number, flags: number): { keys: string[]; global: boolean } {
    const b = p >> 2;
    const db = i32[b + 3];
    const argc = i32[b + 5];
    const offs: number[] = [];
    const lens: number[] = [];
    let pos = p + 24;
    for (let i = 0; i < argc; i++) {
      const len = i32[pos >> 2];
      offs.push(pos + 4);
      lens.push(len);
      pos += 4 + pad4(len);
    }
    const keys: string[] = [];
    if (id === OP_LOCK) {
      for (let i = 0; i < argc; i++) keys.push(lockKey(u8[offs[i]], u8, offs[i] + 1, lens[i] - 1));
      return { keys, global: (flags & REQ_WIDE) !== 0 };
    }
    if (id === OP_EXPORT || id === OP_IMPORT) {
      keys.push(lockKey(db, u8, offs[1], lens[1]));
      return { keys, global: false };
    }
    // New thresholds apply after every frame that arrived before them, parked ones included.
    if (id === OP_CONFIG) return { keys, global: true };
    if (id === OP_WATCH) {
      for (let i = 1; i < argc; i++) keys.push(lockKey(db, u8, offs[i], lens[i]));
      return { keys, global: false };
    }
    if (id >= 0x8000) return { keys, global: false };
    const spec = SHARD_HANDLER_KEYS[id];
    if (spec.first > 0) {
      const last = spec.last < 0 ? argc + spec.last : Math.min(spec.last, argc - 1);
      for (let k = spec.first; k <= last; k += spec.step > 0 ? spec.step : 1) keys.push(lockKey(db, u8, offs[k], lens[k]));
    }
    return { keys, global: spec.global };
  }

  /** Runs a frame that waited for locks now released. */
  private readonly runParked = (pf: ParkedFrame): void => {
    this.execFrame(pf.frame, new Int32Array(pf.frame.buffer, pf.frame.byteOffset, pf.frame.length >> 2), 0, pf.frame.length);
  };

  /** Runs a frame. `retry` is a blocked client's command run again: if it would block again, it keeps waiting silently. */
  private execFrame(u8: Uint8Array, i32: Int32Array, p: number, bytes: number, retry: Waiter | null = null): boolean {
    const b = p >> 2;
    this.conn = i32[b];
    this.seq = i32[b + 1];
    const w2 = i32[b + 2];
    const id = w2 & 0xffff;
    const flags = w2 >>> 16;
    const x = this.exec;
    const dbWord = i32[b + 3];
    x.db = dbWord & 0xff;
    this.ks.currentDb = x.db;
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
    x.resp3 = (flags & REQ_RESP3) !== 0;
    x.noTouch = (flags & REQ_NO_TOUCH) !== 0;
    x.foreignValue = (flags & REQ_FOREIGN_VALUE) !== 0;
    x.mayBlock = (flags & REQ_NOBLOCK) === 0;
    x.retrying = retry !== null;
    x.blockOn = null;
    this.writer.resp3 = x.resp3;
    this.writer.reset();
    this.streamed = false;
    if ((flags & REQ_FOREIGN_KEYS) !== 0 && !this.importForeign()) {
      this.writer.error('ERR malformed foreign keys');
    } else if (id >= 0x8000) this.runInternal(id, flags);
    else this.runCommand(id);
    if (x.foreignIdx.length !== 0) {
      x.foreignIdx = [];
      x.foreignH = [];
      this.ks.clearScratch();
    }
    if ((x.dropped as boolean) === true) {
      // Another shard answered this client: forget it, with a record that answers nothing.
      this.writer.reset();
      this.emitNone();
      x.blockOn = null;
      return true;
    }
    // (Read through a cast: TypeScript does not see that the handler may have set it.)
    const blockOn = x.blockOn as Exec['blockOn'];
    if (blockOn !== null) {
      // Nothing to serve yet: park the client (or keep it parked) without a reply.
      this.writer.reset();
      if (retry === null) {
        const keys = blockOn.keys.map((k) => lockKey(x.db, u8, this.argOff[k], this.argLen[k]));
        this.blocked.add({
          conn: this.conn,
          seq: this.seq,
          frame: u8.slice(p, p + bytes),
          keys,
          deadline: blockOn.deadline,
          timeoutReply: blockOn.timeoutReply,
          resp3: x.resp3,
          claimIdx: x.claimIdx,
          claimGen: x.claimGen,
        });
      }
      x.blockOn = null;
      return false;
    }
    this.squashable = (flags & REQ_SQUASH) !== 0 && retry === null && !this.streamed;
    this.emit(false);
    this.squashable = false;
    if (id < 0x8000 && this.blocked.size > 0 && SHARD_HANDLER_KEYS[id].write) this.signalWritten(id, u8, x.db);
    if (this.afterReply) {
      this.afterReply = false;
      this.sched.release(this.runParked);
    }
    if (this.blocked.hasReady && retry === null) this.blocked.serve(this.serveWaiter);
    return true;
  }

  /**
   * REQ_FOREIGN_KEYS: imports the blobs the front appended into the scratch
   * database and points their key arguments at them (Exec.lookup answers
   * those from there); trims the arguments back to the command's own.
   */
  private importForeign(): boolean {
    const x = this.exec;
    const t = x.argc - 1;
    const n = this.argLen[t] >> 1;
    if (t - n < 1 || (this.argLen[t] & 1) !== 0) return false;
    const idx: number[] = [];
    const hs: number[] = [];
    const u8 = x.u8;
    try {
      for (let k = 0; k < n; k++) {
        const o = this.argOff[t] + 2 * k;
        const i = u8[o] | (u8[o + 1] << 8);
        if (i < 1 || i >= t - n) return false;
        const bo = this.argOff[t - n + k];
        const bl = this.argLen[t - n + k];
        let h = 0;
        // The same key named twice (SINTER a a): one import serves both.
        for (let j = 0; j < idx.length && h === 0; j++) {
          if (bytesEqual(u8, this.argOff[idx[j]], this.argLen[idx[j]], u8, this.argOff[i], this.argLen[i])) h = hs[j];
        }
        if (h === 0 && bl > 0) h = importEntry(this.ks, SCRATCH_DB, u8, this.argOff[i], this.argLen[i], 0, u8.subarray(bo, bo + bl), x.lru);
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
  private signalWritten(id: number, u8: Uint8Array, db: number): void {
    const spec = SHARD_HANDLER_KEYS[id];
    if (spec.first <= 0) return;
    const argc = this.exec.argc;
    const last = spec.last < 0 ? argc + spec.last : Math.min(spec.last, argc - 1);
    for (let k = spec.first; k <= last; k += spec.step > 0 ? spec.step : 1) this.blocked.signal(lockKey(db, u8, this.argOff[k], this.argLen[k]));
  }

  /** Runs a blocked client's command again; true if it was answered. */
  private readonly serveWaiter = (w: Waiter): boolean => {
    const f = w.frame;
    return this.execFrame(f, new Int32Array(f.buffer, f.byteOffset, f.length >> 2), 0, f.length, w);
  };

  /** Answers the blocked clients whose timeout has passed; returns the next deadline (0: none). */
  expireBlocked(now: number): number {
    if (this.blocked.size === 0) return 0;
    const due = this.blocked.expired(now);
    for (const w of due) {
      if (this.claimFor(w)) this.replyTo(w.conn, w.seq, w.resp3, w.timeoutReply === TimeoutReply.NullArray ? 'nullArray' : 'nullBulk');
      else this.noneFor(w);
    }
    if (due.length > 0) this.flushReplies();
    return this.blocked.nextDeadline();
  }

  /** A waiter registered on several shards may answer only with the claim; others always may. */
  private claimFor(w: Waiter): boolean {
    if (w.claimIdx < 0) return true;
    return Atomics.compareExchange(this.exec.claims!, w.claimIdx, w.claimGen, w.claimGen + 1) === w.claimGen;
  }

  /** The record of a waiter that goes away without answering (the front counts frames in flight). */
  private noneFor(w: Waiter): void {
    const saveConn = this.conn;
    this.conn = w.conn;
    this.writer.reset();
    this.emitNone();
    this.conn = saveConn;
  }

  private emitNone(): void {
    const saveSeq = this.seq;
    this.seq = SEQ_NONE;
    this.emit(false);
    this.seq = saveSeq;
  }

  /** Writes a one-off reply for a connection's command (timeouts, CLIENT UNBLOCK). */
  private replyTo(conn: number, seq: number, resp3: boolean, kind: 'nullArray' | 'nullBulk' | 'unblocked'): void {
    const saveConn = this.conn;
    const saveSeq = this.seq;
    this.conn = conn;
    this.seq = seq;
    const w = this.writer;
    w.reset();
    w.resp3 = resp3;
    if (kind === 'nullArray') w.nullArray();
    else if (kind === 'nullBulk') w.nullBulk();
    else w.error('UNBLOCKED client unblocked via CLIENT UNBLOCK');
    this.emit(false);
    this.conn = saveConn;
    this.seq = saveSeq;
  }



  private runCommand(id: number): void {
    const x = this.exec;
    const handler = SHARD_HANDLERS[id];
    x.name = SHARD_HANDLER_NAMES[id];
    const t0 = performance.now();
    try {
      handler(x);
    } catch (err) {
      // A bug must not take the shard down: answer this command and go on.
      this.writer.reset();
      this.writer.error(`ERR internal error in '${x.name}': ${(err as Error).message}`);
    }
    this.usec[id] += (performance.now() - t0) * 1000;
    this.calls[id]++;
    this.commands++;
    if (!this.streamed && this.writer.len > 0 && this.writer.buf[0] === 45 /* '-' */) {
      this.failed[id]++;
      const b = this.writer.buf;
      let e = 1;
      while (e < this.writer.len && b[e] !== 32 && b[e] !== 13) e++;
      const prefix = Buffer.from(b.subarray(1, e)).toString('latin1');
      this.errorstats[prefix] = (this.errorstats[prefix] ?? 0) + 1;
    }
  }

  private runInternal(op: number, flags: number): void {
    const x = this.exec;
    const w = this.writer;
    const sched = this.sched;
    switch (op) {
      case OP_STATS:
        w.bulkString(JSON.stringify(this.stats()));
        break;
      case OP_CONFIG: {
        // Arg 1: the front's tunables, as int32 words (config/tunables.ts).
        const t = this.exec.shard.tunables;
        const o = x.off[1];
        const n = Math.min(t.length, x.len[1] >> 2);
        for (let i = 0; i < n; i++) t[i] = x.u8[o + 4 * i] | (x.u8[o + 4 * i + 1] << 8) | (x.u8[o + 4 * i + 2] << 16) | (x.u8[o + 4 * i + 3] << 24);
        w.ok();
        break;
      }
      case OP_RESETSTAT:
        this.calls.fill(0);
        this.usec.fill(0);
        this.failed.fill(0);
        this.errorstats = {};
        w.ok();
        break;
      case OP_SHUTDOWN:
        this.stopped = true;
        w.ok();
        break;
      case OP_LOCK: {
        const keys: string[] = [];
        for (let i = 0; i < x.argc; i++) keys.push(lockKey(x.u8[x.off[i]], x.u8, x.off[i] + 1, x.len[i] - 1));
        sched.lock(this.txid, keys, (flags & REQ_WIDE) !== 0);
        // A watched key that expired counts as changed: look each one up so lazy expiry runs now.
        for (const k of sched.watchedKeys(this.conn)) {
          const key = Buffer.from(k.slice(1), 'latin1');
          this.ks.lookup(k.charCodeAt(0), key, 0, key.length, x.now);
        }
        w.int(sched.isDirty(this.conn) ? 1 : 0);
        break;
      }
      case OP_UNLOCK:
        sched.unlock(this.txid);
        if (flags & REQ_WIDE) {
          sched.unwatch(this.conn);
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
          sched.watch(this.conn, lockKey(x.db, x.u8, x.off[i], x.len[i]));
        }
        this.syncWatchHook();
        w.ok();
        break;
      case OP_UNWATCH:
        sched.unwatch(this.conn);
        this.syncWatchHook();
        w.ok();
        break;
      case OP_UNBLOCK: {
        const w = this.blocked.byConnection(this.conn);
        if (w === undefined) {
          this.writer.int(0);
          break;
        }
        const mode = x.argStr(1);
        // "stale" (the command was answered by another shard) names the claim it means.
        if (mode === 'stale' && w.claimIdx !== Number(x.argStr(2))) {
          this.writer.int(0);
          break;
        }
        this.blocked.remove(w);
        let answered = 0;
        if (mode !== 'drop' && mode !== 'stale' && this.claimFor(w)) {
          this.replyTo(w.conn, w.seq, w.resp3, mode === 'error' ? 'unblocked' : w.timeoutReply === TimeoutReply.NullArray ? 'nullArray' : 'nullBulk');
          answered = 1;
        } else this.noneFor(w);
        this.writer.reset();
        this.writer.int(answered);
        break;
      }
      case OP_EXPORT: {
        const h = x.peek(1);
        if (h === 0) w.nullBulk();
        else {
          w.bulkBytes(exportEntry(this.ks, h));
          if (flags & REQ_WIDE) this.ks.removeEntry(x.db, h);
        }
        break;
      }
      case OP_IMPORT: {
        const h = x.peek(1);
        if (h !== 0 && x.argIs(3, 'nx')) {
          w.int(0);
          break;
        }
        importEntry(this.ks, x.db, x.u8, x.off[1], x.len[1], h, x.u8.subarray(x.off[2], x.off[2] + x.len[2]), x.lru);
        w.int(1);
        break;
      }
      default:
        w.error('ERR unknown internal operation');
    }
  }

  stats(): ShardStats {
    const keys: number[] = [];
    const volatile: number[] = [];
    let tableBytes = 0;
    for (let db = 0; db < DB_COUNT; db++) {
      keys.push(this.ks.dbs[db].table.size);
      volatile.push(this.ks.dbs[db].volatile);
      tableBytes += this.ks.dbs[db].table.memoryUsage();
    }
    const cmdstats: ShardStats['cmdstats'] = {};
    for (let i = 0; i < this.calls.length; i++) {
      if (this.calls[i] > 0) cmdstats[SHARD_HANDLER_NAMES[i]] = [this.calls[i], Math.round(this.usec[i]), this.failed[i]];
    }
    return {
      index: this.opts.index,
      keys,
      volatile,
      arena: this.arena.stats(),
      tableBytes,
      heapUsed: v8.getHeapStatistics().used_heap_size,
      commands: this.commands,
      expiredKeys: this.ks.expiredKeys,
      cmdstats,
      errorstats: this.errorstats,
    };
  }

  /**
   * Writes the writer's bytes as one or more reply records. `partial` marks
   * that more of this reply follows (a streamed bulk).
   */
  private emit(partial: boolean): void {
    const w = this.writer;
    this.emitBytes(w.buf, 0, w.len, partial);
    w.reset();
  }

  /** Whether the reply being emitted may join the previous record (REQ_SQUASH, not streamed). */
  private squashable = false;
  /** The open squashed record: its connection (-1: none), first seq, span and payload bytes. */
  private squashConn = -1;
  private squashSeq = 0;
  private squashSpan = 0;
  private squashLen = 0;

  /**
   * Appends a reply to the previous record when that record answers the
   * same connection's previous request and is still the ring's last,
   * unpublished record: a pipeline's replies travel as one record, which the
   * front delivers with one lookup and one copy.
   */
  private squash(src: Uint8Array, off: number, len: number): boolean {
    if (this.squashConn !== this.conn || this.seq !== this.squashSeq + this.squashSpan || len > SQUASH_MAX) return false;
    const ring = this.replies;
    const p = ring.growLast(REP_HEADER_BYTES + this.squashLen + len);
    if (p < 0) return false;
    const d = p + REP_HEADER_BYTES + this.squashLen;
    const u8 = ring.u8;
    if (len < 64) for (let i = 0; i < len; i++) u8[d + i] = src[off + i];
    else u8.set(src.subarray(off, off + len), d);
    this.squashSpan++;
    this.squashLen += len;
    const b = p >> 2;
    ring.i32[b + 2] = this.squashLen;
    ring.i32[b + 3] = this.squashSpan << REPLY_SPAN_SHIFT;
    return true;
  }

  private emitBytes(src: Uint8Array, off: number, len: number, partial: boolean): void {
    const ring = this.replies;
    if (this.squashable && !partial && this.squash(src, off, len)) return;
    const max = ring.maxRecord - REP_HEADER_BYTES - 8;
    // A record that may be grown: one whole squashable reply.
    if (this.squashable && !partial && len <= SQUASH_MAX) {
      this.squashConn = this.conn;
      this.squashSeq = this.seq;
      this.squashSpan = 1;
      this.squashLen = len;
    } else this.squashConn = -1;
    do {
      const n = len > max ? max : len;
      const last = n === len && !partial;
      let p = ring.reserve(REP_HEADER_BYTES + n);
      while (p < 0) {
        // Ring full: let the front see what is there, then wait for it to drain.
        this.flushReplies();
        if (this.onReplyRingFull !== null) this.onReplyRingFull();
        else ring.waitForSpace(5);
        p = ring.reserve(REP_HEADER_BYTES + n);
      }
      const i32 = ring.i32;
      const b = p >> 2;
      i32[b] = this.conn;
      i32[b + 1] = this.seq;
      i32[b + 2] = n;
      i32[b + 3] = last ? 0 : REPLY_PARTIAL;
      const d = p + REP_HEADER_BYTES;
      const u8 = ring.u8;
      if (n < 64) for (let i = 0; i < n; i++) u8[d + i] = src[off + i];
      else u8.set(src.subarray(off, off + n), d);
      ring.commit();
      off += n;
      len -= n;
    } while (len > 0);
  }

  /** Sends a large bulk in parts, straight from the arena, without copying it whole. */
  private streamBulk(src: Uint8Array, off: number, len: number): void {
    this.writer.bulkHeader(len);
    this.streamed = true;
    this.emit(true);
    this.emitBytes(src, off, len, true);
    this.replies.publish();
    this.doorbell.ring();
    this.writer.ascii('\r\n');
  }

  /** One step of active expiry over every database, within a time budget (ms). */
  activeExpire(budgetMs: number): void {
    const deadline = performance.now() + budgetMs;
    const now = Date.now();
    for (let db = 0; db < DB_COUNT; db++) {
      while (this.ks.expireStep(db, now, 256) > 0) {
        if (performance.now() > deadline) return;
        if (this.ks.dbs[db].expireCursor === 0) break;
      }
    }
  }
}
