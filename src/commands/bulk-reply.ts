/**
 * Replies with values read in place from the arena: a long one streams to
 * the reply ring (Exec.streamBulk) instead of being copied into the reply
 * writer whole.
 */
import type { Exec } from '../shard/exec.js';

/** Values at least this long stream. */
const STREAM_MIN = 512 * 1024;

/** Replies the bytes u8[off, off + len) as a bulk string. */
export function replyBulk(x: Exec, u8: Uint8Array, off: number, len: number): void {
  if (len >= STREAM_MIN && x.streamBulk !== null) x.streamBulk(u8, off, len);
  else x.r.bulk(u8, off, len);
}
