/**
 * Binary frames carried by the rings. All fields are 32-bit words, so frames
 * are written and read as Int32 words at 4-byte-aligned offsets.
 *
 * Request frame (front → shard), the payload of one ring record:
 *   word 0  connection id
 *   word 1  reply sequence number of that connection
 *   word 2  handler id (low 16 bits) | flags (high 16 bits)
 *   word 3  database index
 *   word 4  txid (global order; reserved for the transactional scheduler)
 *   word 5  argc
 *   then argc times: word length, bytes padded to 4
 *
 * Reply record (shard → front):
 *   word 0  connection id
 *   word 1  reply sequence number
 *   word 2  payload length in bytes
 *   word 3  flags (REPLY_PARTIAL: more records of this reply follow)
 *   then the RESP bytes of the reply, padded to 4
 */

export const REQ_HEADER_BYTES = 24;
export const REP_HEADER_BYTES = 16;

/** Request flags (high 16 bits of word 2). */
export const REQ_RESP3 = 1;
export const REQ_NO_TOUCH = 2;
/** The frame is one part of a command whose keys span several shards. */
export const REQ_PART = 4;
/**
 * The last argument carries the value of a key owned by another shard,
 * fetched by the front in an earlier phase (LCS across shards).
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
 * multi-key command such as SINTERSTORE across shards): the front exported
 * them and appended their blobs (empty: missing key), then one argument of
 * u16 LE indexes saying which key argument each blob stands for. The shard
 * materializes them in a scratch database for the duration of the command.
 */
export const REQ_FOREIGN_KEYS = 128;
/**
 * The reply may share a record with the connection's neighbouring replies
 * (squashing): set by the front on plain single-shard commands of
 * connections that drop no replies (no CLIENT REPLY OFF/SKIP).
 */
export const REQ_SQUASH = 256;
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

/** Connection id used for frames the front sends on its own behalf (INFO, stats). */
export const INTERNAL_CONN = 0;

export function pad4(n: number): number {
  return (n + 3) & ~3;
}

/** Copies bytes; a plain loop beats TypedArray.set for short runs. */
export function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (len < 48) {
    for (let i = 0; i < len; i++) dst[dstOff + i] = src[srcOff + i];
  } else {
    dst.set(src.subarray(srcOff, srcOff + len), dstOff);
  }
}
