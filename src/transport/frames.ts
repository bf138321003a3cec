/**
 * Binary frames carried by the rings. All fields are 32-bit words, so frames
 * are written and read as Int32 words at 4-byte-aligned offsets.
 *
 * Request frame (a thread → the thread owning the shard), one ring record:
 *   word 0  connection key (connKey: thread and slot of the client's
 *           connection; 0 for requests a thread makes on its own behalf)
 *   word 1  reply sequence number of that connection (negative: an
 *           internal request, answered to the requesting thread's promise)
 *   word 2  handler id (low 16 bits) | flags (high 16 bits)
 *   word 3  database index (| claim index << 8 with REQ_CLAIM)
 *   word 4  txid of the transaction the frame belongs to, 0 for none
 *   word 5  argc
 *   then argc times: word length, bytes padded to 4
 *
 * Reply record (the owning thread → the requesting thread):
 *   word 0  connection key
 *   word 1  reply sequence number
 *   word 2  payload length in bytes
 *   word 3  flags (REPLY_PARTIAL: more records of this reply follow; a span)
 *   then the RESP bytes of the reply, padded to 4
 */
import { copyBytes } from '../util/bytes.js';

export const REQ_HEADER_BYTES = 24;
export const REP_HEADER_BYTES = 16;

/** Request flags (high 16 bits of word 2). */
export const REQ_RESP3 = 1;
export const REQ_NO_TOUCH = 2;
/**
 * The last argument carries the value of a key owned by another shard,
 * fetched in an earlier hop (LCS across shards).
 */
export const REQ_FOREIGN_VALUE = 8;
/** LOCK: the transaction spans the whole keyspace. EXPORT: delete the key after reading it. */
export const REQ_WIDE = 16;
/** Run inside MULTI/EXEC: a blocking command answers at once instead of blocking. */
export const REQ_NOBLOCK = 32;
/**
 * A blocking command whose keys span shards, registered on each of them: the
 * database word carries a claim index in its high bits (db | index << 8). The
 * shard that can serve first wins the claim word by compare-and-swap; the
 * others drop their waiter.
 */
export const REQ_CLAIM = 64;
/**
 * Some key arguments belong to other shards (read-only sources of a
 * multi-key command such as SINTERSTORE across shards): they were exported
 * and their blobs appended (empty: missing key), then one argument of u16 LE
 * indexes saying which key argument each blob stands for. The shard
 * materializes them in a scratch database for the duration of the command.
 */
export const REQ_FOREIGN_KEYS = 128;
/**
 * The reply may share a record with the connection's neighbouring replies
 * (squashing): set on plain single-shard commands of connections that drop
 * no replies (no CLIENT REPLY OFF/SKIP).
 */
export const REQ_SQUASH = 256;
/**
 * LOCK of a transaction that locks on this shard only: it holds nothing
 * elsewhere, so it may always wait (wait-die never applies to it).
 */
export const REQ_LOCK_ONE = 512;
/**
 * OP_EXPORT for a command that reads the key (a COPY's source, a STORE
 * command's inputs): it counts in keyspace_hits / keyspace_misses, and a
 * missing key is a keymiss event, as Redis's lookupKeyRead.
 */
export const REQ_READ = 1024;
/** The client tracks the keys it reads (CLIENT TRACKING): the shard remembers them for it. */
export const REQ_TRACK = 2048;
/** …and it asked NOLOOP: its own writes do not invalidate them for it. */
export const REQ_TRACK_NOLOOP = 4096;

/** Reply sequence number of a record that answers nothing (a dropped waiter), kept for in-flight accounting. */
export const SEQ_NONE = -1;

/** Reply flags. */
export const REPLY_PARTIAL = 1;
/**
 * A squashed record answers `flags >>> REPLY_SPAN_SHIFT` consecutive
 * requests of one connection (seq, seq + 1, ...), their replies back to
 * back; 0 there means 1.
 */
export const REPLY_SPAN_SHIFT = 8;

// ---- connection keys --------------------------------------------------------

/** A connection key is `thread << CONN_THREAD_SHIFT | slot`: unique across threads. */
const CONN_THREAD_SHIFT = 20;
export const MAX_SLOTS_PER_THREAD = 1 << CONN_THREAD_SHIFT;

export function connKey(thread: number, slot: number): number {
  return (thread << CONN_THREAD_SHIFT) | slot;
}

export function connSlot(key: number): number {
  return key & (MAX_SLOTS_PER_THREAD - 1);
}

/** The thread that owns a connection key. */
export function connThread(key: number): number {
  return key >>> CONN_THREAD_SHIFT;
}

// ---- internal operations ----------------------------------------------------

/** Handler ids from here up are internal operations, not commands. */
export const OP_BASE = 0x8000;
/** New encoding thresholds (arg 1: int32 words, config/tunables.ts), applied in ring order. */
export const OP_CONFIG = 0x8002;
/**
 * Scheduler: take intent locks on the keys named (each argument: db byte +
 * key). Replies :0 when granted, :1 when granted and the connection's watched
 * keys here were touched, :-1 when the transaction must let go of its locks
 * everywhere and try again (wait-die). REQ_WIDE locks the whole keyspace;
 * REQ_LOCK_ONE may always wait.
 */
export const OP_LOCK = 0x8004;
/** Scheduler: release the frame's txid's locks (and the connection's watches, with REQ_WIDE). */
export const OP_UNLOCK = 0x8005;
/** WATCH the keys named (in the frame's database) for the frame's connection. */
export const OP_WATCH = 0x8006;
/** Forget the frame's connection's watches. */
export const OP_UNWATCH = 0x8007;
/** Read a whole key as bytes (nil if missing); REQ_WIDE deletes it afterwards. */
export const OP_EXPORT = 0x8008;
/** Write key (arg 1) from exported bytes (arg 2); arg 3 is "replace" or "nx". Replies 1 if written, else 0. */
export const OP_IMPORT = 0x8009;
/** CLIENT UNBLOCK of the frame's connection: arg 1 is "timeout", "error", "drop" (connection gone) or "stale". Replies 1 if it was blocked here. */
export const OP_UNBLOCK = 0x800a;
/**
 * A question for the receiving thread rather than its shard (connection-wide
 * views and settings): arg 0 names the action (list, kill, unblock, unpause,
 * info, resetstat, config), arg 1 is its JSON argument; the answer is JSON.
 */
export const OP_THREAD = 0x8100;
/**
 * A message for the receiving thread's subscribers (pubsub/hub.ts): arg 0
 * is the kind (one byte: 0 channel, 2 shard channel), then the channel and
 * the message. Nothing is answered.
 */
export const OP_PUBLISH = 0x8101;
/**
 * Client-side caching between threads: arg 0 names the step — `inv` (a
 * shard tells the thread of connection arg 1 that the keys that follow
 * changed; none: everything), `redir` (the invalidation of client arg 3
 * for its redirect target, connection arg 1 with id arg 2), `broken` (the
 * redirect target of connection arg 1 is gone). Nothing is answered.
 */
export const OP_TRACKING = 0x8102;

// ---- encoding -------------------------------------------------------------------

/**
 * A command's arguments as (offset, length) pairs into one buffer: how the
 * parser hands them over, and what a request frame carries.
 */
export interface FrameArgs {
  argBuf: Uint8Array;
  argOff: Int32Array;
  argLen: Int32Array;
  argc: number;
}

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/**
 * Bytes of a request frame for `args`; `pick` optionally lists which
 * argument indexes to send (the part of a multi-key command that belongs to
 * one shard).
 */
export function requestSize(args: FrameArgs, pick: number[] | null): number {
  const n = pick === null ? args.argc : pick.length;
  const argLen = args.argLen;
  let size = REQ_HEADER_BYTES;
  for (let k = 0; k < n; k++) size += 4 + pad4(argLen[pick === null ? k : pick[k]]);
  return size;
}

/** Writes a request frame at byte offset `p` (4-aligned) of `u8`/`i32` (views of one buffer). */
export function writeRequest(
  u8: Uint8Array,
  i32: Int32Array,
  p: number,
  conn: number,
  seq: number,
  word2: number,
  db: number,
  txid: number,
  args: FrameArgs,
  pick: number[] | null,
): void {
  const n = pick === null ? args.argc : pick.length;
  const { argBuf: buf, argOff, argLen } = args;
  const w = p >> 2;
  i32[w] = conn;
  i32[w + 1] = seq;
  i32[w + 2] = word2;
  i32[w + 3] = db;
  i32[w + 4] = txid;
  i32[w + 5] = n;
  let pos = p + REQ_HEADER_BYTES;
  for (let k = 0; k < n; k++) {
    const a = pick === null ? k : pick[k];
    const len = argLen[a];
    const off = argOff[a];
    i32[pos >> 2] = len;
    pos += 4;
    if (len < 48) {
      for (let i = 0; i < len; i++) u8[pos + i] = buf[off + i];
    } else {
      copyBytes(u8, pos, buf, off, len);
    }
    pos += pad4(len);
  }
}

/** A request frame in a buffer of its own (frames that wait: parked, queued, in overflow). */
export function requestFrame(conn: number, seq: number, word2: number, db: number, txid: number, args: FrameArgs, pick: number[] | null): Uint8Array {
  const frame = new Uint8Array(requestSize(args, pick));
  writeRequest(frame, new Int32Array(frame.buffer), 0, conn, seq, word2, db, txid, args, pick);
  return frame;
}

/** Lays out separate argument buffers the way the parser hands them over. */
export function packArgs(args: Uint8Array[]): FrameArgs {
  let total = 0;
  for (const a of args) total += a.length;
  const buf = new Uint8Array(total);
  const off = new Int32Array(args.length);
  const len = new Int32Array(args.length);
  let o = 0;
  for (let i = 0; i < args.length; i++) {
    buf.set(args[i], o);
    off[i] = o;
    len[i] = args[i].length;
    o += args[i].length;
  }
  return { argBuf: buf, argOff: off, argLen: len, argc: args.length };
}
