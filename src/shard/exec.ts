/**
 * The context a shard command handler runs in: the command's arguments (views
 * into a ring, a parked frame, or the client's own parser buffer when the
 * command runs inline), the database, the clock, the keyspace and the reply
 * writer. One instance per shard, reused for every command, so running a
 * command allocates nothing.
 */
import type { ReplyWriter } from '../protocol/reply-writer.js';
import { Keyspace, ObjType, lruClock } from './keyspace.js';
import { segOf } from 'native-free-arena';
import type { TimeoutReply } from './blocking.js';
import { parseBlockingTimeout } from '../util/timeout.js';
import { parseInt64 } from '../util/numbers.js';
import { sliceBytes } from '../util/bytes.js';
import type { ScriptKeyUse } from '../transport/script-key-use.js';
import { Notify } from '../util/keyspace-events.js';
import { type EvictionSettings, lfuInit, lfuTouched } from './eviction.js';

export const WRONGTYPE = 'WRONGTYPE Operation against a key holding the wrong kind of value';
export const ERR_NOT_INT = 'ERR value is not an integer or out of range';
export const ERR_SYNTAX = 'ERR syntax error';
export const ERR_NOT_FLOAT = 'ERR value is not a valid float';

/** Streams a large bulk reply straight from memory to the reply ring. */
export type BulkStreamer = (src: Uint8Array, off: number, len: number) => void;

/** A command's implementation on a shard. */
export type ShardHandler = (x: Exec) => void;

/**
 * Where a handler's keys are, for the scheduler's lock checks and for
 * waking blocked clients: [first, last, step] (last < 0 counts from the
 * end), whether it spans the whole keyspace (DBSIZE, KEYS, FLUSHALL ...),
 * and whether it writes.
 */
export interface HandlerKeys {
  first: number;
  last: number;
  step: number;
  global: boolean;
  write: boolean;
  /** Redis's `fast` flag: a slow run is a "fast-command" latency event. */
  fast: boolean;
  /** Redis's `denyoom` flag: over maxmemory, keys are evicted first, or it answers OOM. */
  denyoom: boolean;
  /** Redis's `may_replicate` flag (PFCOUNT, PUBLISH): not a write, yet refused in read-only scripts. */
  mayReplicate?: boolean;
  /**
   * Keys found after a keyword instead (XREAD's STREAMS): the first half of
   * the arguments that follow it (lower-case keyword).
   */
  after?: string;
  /** Where the search for `after` starts (Redis's startfrom: XREADGROUP's group and consumer names come first). */
  afterFrom?: number;
}

/**
 * The key arguments of a command line as [first, last, step] (first 0: none):
 * the fixed range, or the first half of what follows spec.after.
 */
export function keySpan(spec: HandlerKeys, argc: number, u8: Uint8Array | readonly Uint8Array[], off?: Int32Array, len?: Int32Array): [number, number, number] {
  if (spec.after === undefined) {
    if (spec.first <= 0) return [0, -1, 1];
    return [spec.first, spec.last < 0 ? argc + spec.last : Math.min(spec.last, argc - 1), spec.step > 0 ? spec.step : 1];
  }
  const word = spec.after;
  for (let i = spec.afterFrom ?? 1; i < argc; i++) {
    const b = Array.isArray(u8) ? (u8 as readonly Uint8Array[])[i] : (u8 as Uint8Array).subarray(off![i], off![i] + len![i]);
    if (b.length !== word.length) continue;
    let same = true;
    for (let k = 0; k < b.length && same; k++) same = (b[k] | 0x20) === word.charCodeAt(k);
    if (!same) continue;
    const n = argc - i - 1;
    if (n <= 0 || n % 2 !== 0) return [0, -1, 1];
    return [i + 1, i + n / 2, 1];
  }
  return [0, -1, 1];
}

/** The commands a shard runs, by the ids frames carry (the command table's half that shards need), and how keys move between shards. */
export interface ShardCommands {
  handlers: readonly ShardHandler[];
  names: readonly string[];
  keys: readonly HandlerKeys[];
  /** A whole key (value, type, TTL) as bytes (RENAME/COPY across shards, foreign keys). */
  exportEntry(ks: Keyspace, h: number): Uint8Array;
  /** Writes key [keyOff, keyOff + keyLen) of `key` in `db` from exported bytes, replacing `existing` (0: none); returns the entry. */
  importEntry(ks: Keyspace, db: number, key: Uint8Array, keyOff: number, keyLen: number, existing: number, blob: Uint8Array, lru: number): number;
  /** The command that makes entry h again (RESTORE ... ABSTTL with its DUMP payload): how the AOF records a key that came from another shard. */
  restoreCommand(ks: Keyspace, h: number, key: Uint8Array, tunables: Int32Array): (Uint8Array | string)[];
}

export interface ShardInfo {
  index: number;
  count: number;
  protoMaxBulkLen: number;
  /** Encoding thresholds (config/tunables.ts): the shard's private copy, changed by OP_CONFIG frames. */
  tunables: Int32Array;
}

/** What the shard asks of a running snapshot before a write (persistence/shard-snapshot.ts implements it). */
export interface SnapshotHooks {
  /** Entry h of db is about to change or go. */
  preserve(db: number, h: number): void;
  /** A keyspace-wide write (FLUSHALL, FLUSHDB, SWAPDB) is about to run. */
  drain(): void;
}

/**
 * Where a shard writes the effects of its writes for the AOF (persistence/
 * aof-feed.ts implements it): each record is the command as Redis
 * propagates it, with the transaction it ran in (0: none).
 */
export interface EffectLog {
  /** The command as it ran (its arguments in `u8`). */
  asRun(db: number, txid: number, u8: Uint8Array, off: Int32Array, len: Int32Array, argc: number): void;
  /** Commands that stand for it (Redis's rewrites: absolute expiries, the SREM an SPOP made ...). */
  rewritten(db: number, txid: number, commands: ReadonlyArray<ReadonlyArray<Uint8Array | string>>): void;
  /** Transaction txid let this shard go; it held `parts` shards. */
  unlocked(txid: number, parts: number): void;
  /** An AOF rewrite's instant (every shard held): what follows goes to the new incr file. */
  rotate(): void;
}

/** Where PUBLISH and keyspace events go: the thread's pub/sub hub (pubsub/hub.ts). */
export interface MessageBus {
  /** Delivers to the channel's (or shard channel's) subscribers on every thread; returns how many receive it. */
  publish(channel: Uint8Array, message: Uint8Array, shard: boolean): number;
  /** The event classes notify-keyspace-events publishes (util/keyspace-events.ts), 0 for none. */
  readonly notifyFlags: number;
  /** Publishes a keyspace event: on __keyspace@<db>__:<key> and/or __keyevent@<db>__:<event>. */
  notify(event: string, key: Uint8Array, db: number): void;
  /**
   * The same, once the reply `seq` of connection `conn` (of any thread) is
   * written: a transaction's events, from any shard, then leave in the
   * order of its commands.
   */
  notifyAfterReply(conn: number, seq: number, event: string, key: Uint8Array, db: number): void;
  /** A MONITOR line, once reply `seq` of connection `conn` is written. */
  monitorAfterReply(conn: number, seq: number, line: Uint8Array): void;
  /** Monitors exist on some thread (MONITOR). */
  readonly monitoring: boolean;
  /** A MONITOR line (util/monitor-line.ts), for the monitors of every thread. */
  monitorLine(line: Uint8Array): void;
}

/** How a command a script called ended: its reply (RESP), or why it was refused before running. */
export type NestedResult = { reply: Uint8Array } | { refused: string };

/** What a script's call runs in. */
export interface NestedCall {
  db: number;
  resp3: boolean;
  readonly: boolean;
  /** The script's AOF transaction. */
  txid: number;
  /**
   * MONITOR shows the script's calls once this client's reply is written
   * (a script run on its keys' shard, maybe another thread: the lines must
   * not overtake the client's next commands); -1: at once (a script run on
   * the client's thread).
   */
  replyConn?: number;
  replySeq?: number;
}

/** Runs the commands a script calls on the script's shard (shard/nested.ts). */
export interface ScriptCalls {
  /** The shard command's id by name (and subcommand), or -1. */
  idOf(args: readonly Uint8Array[]): number;
  /** Whether shard command `id` writes. */
  writes(id: number): boolean;
  /** The keys a call names. */
  keysOf(id: number, args: readonly Uint8Array[]): Uint8Array[];
  /** MONITOR shows the call (as `[<db> lua]`). */
  monitor(args: readonly Uint8Array[], call: NestedCall): void;
  /** What is known of each script's keys (transport/script-key-use.ts). */
  readonly keyUse: ScriptKeyUse;
  /** The shard every key of a call lives on: -2 without keys, -1 when they span shards. */
  shardOf(id: number, args: readonly Uint8Array[]): number;
  call(id: number, args: readonly Uint8Array[], call: NestedCall): NestedResult;
  /** A fresh transaction id for a script's AOF records. */
  newTxid(): number;
  /** redis.log: a line in the server's log (level: Redis's 0 debug … 3 warning). */
  log(level: number, message: Uint8Array): void;
  /** A script starts / ends on this thread (SCRIPT KILL and BUSY replies watch it from other threads). */
  scriptStarted(wide: boolean): void;
  scriptEnded(): void;
  /** The running script wrote: SCRIPT KILL may no longer stop it. */
  scriptWrote(): void;
  /** SCRIPT KILL asked to stop the running script. */
  killRequested(): boolean;
}

export class Exec {
  u8: Uint8Array = new Uint8Array(0);
  off: Int32Array = new Int32Array(0);
  len: Int32Array = new Int32Array(0);
  argc = 0;
  db = 0;
  resp3 = false;
  noTouch = false;
  /** The last argument is the value of a key of another shard (REQ_FOREIGN_VALUE). */
  foreignValue = false;
  /** Whether a blocking command may block (not inside MULTI/EXEC). */
  mayBlock = true;
  /** The command is a script's call (redis.call): XREAD's BLOCK is refused there, as Redis refuses it. */
  inScript = false;
  /** The command is a blocked client's, run again because one of its keys was written. */
  retrying = false;
  /** Claim words shared with the front and every shard (REQ_CLAIM). */
  claims: Int32Array | null = null;
  claimIdx = -1;
  claimGen = 0;
  /** Set by a handler that lost its claim: the shard answers nothing and forgets the waiter. */
  dropped = false;
  /** Set by a blocking command that found nothing to serve: the shard parks the client. */
  blockOn: { keys: number[]; deadline: number; timeoutReply: TimeoutReply } | null = null;
  /** The command's time (ms), fixed for the whole batch as Redis fixes it per command. */
  now = 0;
  lru = 0;
  /** Full lower-case command name, for error messages ("set", "getex"). */
  name = '';
  /** The command only reads: a key it does not find is a `keymiss` keyspace event. */
  reads = false;
  /** The client tracks the keys it reads: 0, or REQ_TRACK (| REQ_TRACK_NOLOOP) from the frame's flags. */
  track = 0;
  /** An LFU maxmemory-policy's settings: keys then keep an access counter where the LRU clock was (shard/eviction.ts); null otherwise. */
  lfu: EvictionSettings | null = null;
  /** A transaction's command: its events wait for its reply (connection key and reply number); -1 otherwise. */
  eventsConn = -1;
  eventsSeq = 0;
  /** The client's reply this command makes (connection key, reply number), -1 for none (a hop, a waiter served). */
  replyConn = -1;
  replySeq = 0;
  /** The snapshot this shard takes part in, between its barrier and its last chunk (persistence/shard-snapshot.ts). */
  snapshot: SnapshotHooks | null = null;
  /** Large bulk replies stream through this instead of being copied into the writer. */
  streamBulk: BulkStreamer | null = null;
  /** The AOF's record of this shard's writes, or null when appendonly is off (or the AOF is loading). */
  effects: EffectLog | null = null;
  /** The thread's AOF feed, which `effects` is set to while the AOF records. */
  feed: EffectLog | null = null;
  /** Where PUBLISH sends messages (set by the thread; null in a shard without one, such as a unit test's). */
  bus: MessageBus | null = null;
  /** Where a script's redis.call runs (the shard's NestedRunner). */
  scriptCalls: ScriptCalls | null = null;
  /** The AOF transaction of the frame being run (0: none). */
  txid = 0;
  /**
   * Set by a read-only command that changed its key all the same (PFCOUNT
   * caching a cardinality): it counts as a write and the AOF records it, as
   * Redis propagates it.
   */
  sideWrite = false;
  /** What the current command propagates instead of itself (propagate()), or null: itself. */
  rewrites: (Uint8Array | string)[][] | null = null;

  constructor(
    readonly ks: Keyspace,
    /** Where the reply goes: the shard's writer, or a client's output buffer for commands run inline. */
    public r: ReplyWriter,
    readonly shard: ShardInfo,
  ) {}

  /** Sets up for the next command: its database, reply protocol and flags, nothing waiting. */
  prepare(db: number, resp3: boolean, noTouch: boolean, foreignValue: boolean, mayBlock: boolean, retrying: boolean): void {
    this.db = db;
    this.ks.currentDb = db;
    this.resp3 = resp3;
    this.noTouch = noTouch;
    this.foreignValue = foreignValue;
    this.mayBlock = mayBlock;
    this.retrying = retrying;
    this.blockOn = null;
    this.reads = false;
    this.r.resp3 = resp3;
    this.r.reset();
  }

  setClock(now: number): void {
    this.now = now;
    // New keys start with the LFU policy's initial count, or the LRU clock.
    this.lru = this.lfu !== null ? lfuInit(now) : lruClock(now);
  }

  /**
   * Blocks the client on keys (argument indexes) until one of them is written
   * or `timeoutMs` passes (0: forever). The handler writes no reply; inside
   * MULTI (`mayBlock` false) it must answer the timeout reply itself instead.
   */
  block(keys: number[], timeoutMs: number, timeoutReply: TimeoutReply): void {
    this.blockOn = { keys, deadline: timeoutMs === 0 ? 0 : this.now + timeoutMs, timeoutReply };
  }

  /** A blocking command's timeout (argument i, util/timeout.ts): ms (0 = forever), or null after replying the error. */
  timeoutArg(i: number): number | null {
    const ms = parseBlockingTimeout(this.u8, this.off[i], this.len[i], this.now);
    if (typeof ms === 'string') {
      this.r.error(ms);
      return null;
    }
    return ms;
  }

  /**
   * Before answering a command registered on several shards: takes the claim
   * (true), or learns another shard answered it (false: drop it).
   */
  claim(): boolean {
    if (this.claimIdx < 0 || this.claims === null) return true;
    return Atomics.compareExchange(this.claims, this.claimIdx, this.claimGen, this.claimGen + 1) === this.claimGen;
  }

  /**
   * The AOF records `args` for this command instead of the command itself
   * (called once per command it stands for; a handler that calls
   * propagateNothing() records none). Redis's rewriteClientCommandVector
   * and alsoPropagate. Costs nothing while appendonly is off.
   */
  propagate(...args: (Uint8Array | string)[]): void {
    if (this.effects === null) return;
    (this.rewrites ??= []).push(args);
  }

  /**
   * A keyspace event of class `cls` (util/keyspace-events.ts) on `key`, as
   * Redis's notifyKeyspaceEvent; costs one test while notifications are off.
   */
  notify(cls: number, event: string, key: Uint8Array, db = this.db): void {
    const bus = this.bus;
    if (bus === null || (bus.notifyFlags & cls) === 0) return;
    if (this.eventsConn >= 0) bus.notifyAfterReply(this.eventsConn, this.eventsSeq, event, key, db);
    else bus.notify(event, key, db);
  }

  /** The same, for the key that is argument i. */
  notifyArg(cls: number, event: string, i: number): void {
    const bus = this.bus;
    if (bus !== null && (bus.notifyFlags & cls) !== 0) this.notify(cls, event, this.arg(i));
  }

  /** Entry h's key (a view into the arena: use it before the entry changes). */
  keyOf(h: number): Uint8Array {
    const off = this.ks.keyOffset(h);
    return this.bytesOf(h).subarray(off, off + this.ks.keyLen(h));
  }

  /**
   * After a change to a collection: its keyspace event, then, when the
   * change emptied it, `del` and the key's removal (Redis's order);
   * otherwise WATCH hears of the change.
   */
  collectionChanged(h: number, cls: number, event: string, empty: boolean): void {
    const bus = this.bus;
    const notify = bus !== null && (bus.notifyFlags & (cls | Notify.Generic)) !== 0;
    const key = notify ? this.keyOf(h) : null;
    if (key !== null) this.notify(cls, event, key);
    if (empty) {
      if (key !== null) this.notify(Notify.Generic, 'del', key);
      this.ks.removeEntry(this.db, h);
    } else this.ks.modified(h);
  }

  /** This write changed nothing worth replaying. */
  propagateNothing(): void {
    if (this.effects !== null) this.rewrites ??= [];
  }

  /** Whether the AOF records this shard's writes (handlers skip building rewrites otherwise). */
  get propagating(): boolean {
    return this.effects !== null;
  }

  /** Argument i as the bytes it is (a view: valid while the command runs). */
  arg(i: number): Uint8Array {
    return this.u8.subarray(this.off[i], this.off[i] + this.len[i]);
  }

  // ---- arguments -----------------------------------------------------------

  /** Whether argument i equals `lower` case-insensitively (`lower` is lower-case ASCII). */
  argIs(i: number, lower: string): boolean {
    const n = this.len[i];
    if (n !== lower.length) return false;
    const u8 = this.u8;
    const o = this.off[i];
    for (let k = 0; k < n; k++) {
      let c = u8[o + k];
      if (c >= 65 && c <= 90) c += 32;
      if (c !== lower.charCodeAt(k)) return false;
    }
    return true;
  }

  argStr(i: number): string {
    const o = this.off[i];
    return Buffer.from(this.u8.buffer, this.u8.byteOffset + o, this.len[i]).toString('utf8');
  }

  argCopy(i: number): Uint8Array {
    const o = this.off[i];
    return sliceBytes(this.u8, o, this.len[i]);
  }

  /**
   * Parses argument i as a 64-bit signed integer with Redis's string2ll
   * rules. Returns a number when it is a safe integer, a bigint when it is
   * beyond 2^53, or null when it is not an integer in range.
   */
  argInt64(i: number): number | bigint | null {
    return parseInt64(this.u8, this.off[i], this.len[i]);
  }

  /**
   * Argument i as Redis's getLongFromObject, for counts and indexes: null
   * when it is not an int64; values beyond ±2^53 are clamped to ±2^53,
   * which changes nothing for collections (far smaller than that).
   */
  argLong(i: number): number | null {
    const v = this.argInt64(i);
    if (v === null) return null;
    if (typeof v === 'bigint') return v > 0n ? CLAMP : -CLAMP;
    return v;
  }

  /** argLong, at least `min`; replies `msg` and returns null otherwise. */
  argRange(i: number, min: number, msg: string): number | null {
    const v = this.argLong(i);
    if (v === null || v < min) {
      this.r.error(msg);
      return null;
    }
    return v;
  }

  /** Parses argument i as an int64 and replies Redis's error if it is not one. */
  argIntOrReply(i: number): number | bigint | null {
    const v = this.argInt64(i);
    if (v === null) this.r.error(ERR_NOT_INT);
    return v;
  }

  // ---- keys ----------------------------------------------------------------

  /**
   * Key arguments that stand for keys of other shards (REQ_FOREIGN_KEYS):
   * argument index → entry in the scratch database (0: the key is missing).
   */
  foreignIdx: number[] = [];
  foreignH: number[] = [];

  /** The scratch entry of argument i when it names a foreign key, else -1. */
  private foreign(i: number): number {
    const idx = this.foreignIdx;
    for (let k = 0; k < idx.length; k++) if (idx[k] === i) return this.foreignH[k];
    return -1;
  }

  /**
   * Looks up argument i as a key of the current database (lazy expiry
   * included). `read`: a missing key is a `keymiss` event (Redis's
   * lookupKeyRead; by default, when the command only reads).
   */
  lookup(i: number, read = this.reads): number {
    if (this.foreignIdx.length !== 0) {
      const f = this.foreign(i);
      if (f >= 0) return f;
    }
    const h = this.ks.lookup(this.db, this.u8, this.off[i], this.len[i], this.now);
    if (h !== 0 && !this.noTouch) this.ks.touch(h, this.lfu !== null ? lfuTouched(this.ks.lru(h), this.now, this.lfu) : this.lru);
    if (read) this.counted(h, i);
    return h;
  }

  /** Looks up argument i as a key without updating its access time (OBJECT, TTL ...). */
  peek(i: number): number {
    if (this.foreignIdx.length !== 0) {
      const f = this.foreign(i);
      if (f >= 0) return f;
    }
    const h = this.ks.lookup(this.db, this.u8, this.off[i], this.len[i], this.now);
    if (this.reads) this.counted(h, i);
    return h;
  }

  /** A read's lookup: a hit or a miss in INFO, and a miss is a `keymiss` event. */
  private counted(h: number, i: number): void {
    if (h !== 0) this.ks.hits++;
    else {
      this.ks.misses++;
      this.notifyArg(Notify.KeyMiss, 'keymiss', i);
    }
  }

  /** Looks up a key that must hold `type`: replies WRONGTYPE and returns -1 otherwise. */
  lookupTyped(i: number, type: ObjType, read = this.reads): number {
    const h = this.lookup(i, read);
    if (h !== 0 && this.ks.type(h) !== type) {
      this.r.error(WRONGTYPE);
      return -1;
    }
    return h;
  }

  /** The segment bytes of an entry (for reading values in place). */
  bytesOf(h: number): Uint8Array {
    return this.ks.arena.u8[segOf(h)];
  }
}

const CLAMP = 2 ** 53;
