/**
 * Records waiting for room in a ring (peer-link.ts), or for the thread's own
 * shard (the thread's local queue), in order, packed into
 * large chunks: a 4-byte word (length, and a flag for replies) then the
 * record's bytes, padded to 4. One record costs its bytes, not a buffer and
 * two JS objects: a client pipelining a million commands to another
 * thread's shard once left hundreds of MB of RSS in per-record buffers
 * (docs/benchmarks.md, issue 12).
 */
import { giveBuffer, takeBuffer } from '../util/buffer-pool.js';

const CHUNK_BYTES = 256 * 1024;
const REPLY_FLAG = 0x80000000;
const EMPTY = new Uint8Array(0);

interface Chunk {
  u8: Uint8Array;
  i32: Int32Array;
  /** Where the next record goes (the last chunk), or where the written records end. */
  end: number;
}

export class RecordQueue {
  private readonly chunks: Chunk[] = [];
  /** Offset of the first record in the first chunk. */
  private head = 0;
  /** Records queued. */
  length = 0;
  /** Bytes of the records queued (payload, without the words and padding). */
  bytes = 0;

  /** While held (`hold`), chunks whose records are all gone wait here instead of going back to the pool. */
  private spent: Uint8Array[] | null = null;

  /** The views and offset where `reserve` put the record's payload. */
  u8: Uint8Array = EMPTY;
  i32: Int32Array = new Int32Array(0);

  /**
   * Room for a record of `n` bytes at the tail: sets `u8`/`i32` to its
   * chunk and returns the payload's offset (4-aligned). The caller writes it.
   */
  reserve(n: number, reply: boolean): number {
    const need = 4 + ((n + 3) & ~3);
    let c = this.chunks.length > 0 ? this.chunks[this.chunks.length - 1] : null;
    if (c === null || c.end + need > c.u8.length) {
      let u8 = takeBuffer(Math.max(CHUNK_BYTES, need));
      if ((u8.byteOffset & 3) !== 0) u8 = new Uint8Array(u8.length);
      c = { u8, i32: new Int32Array(u8.buffer, u8.byteOffset, u8.length >> 2), end: 0 };
      this.chunks.push(c);
      if (this.chunks.length === 1) this.head = 0;
    }
    const p = c.end;
    c.i32[p >> 2] = n | (reply ? REPLY_FLAG : 0);
    c.end += need;
    this.length++;
    this.bytes += n;
    this.u8 = c.u8;
    this.i32 = c.i32;
    return p + 4;
  }

  /** Queues a copy of `src[off, off + n)`. */
  push(src: Uint8Array, off: number, n: number, reply: boolean): void {
    const p = this.reserve(n, reply);
    this.u8.set(src.subarray(off, off + n), p);
  }

  // The first record, valid until `shift`.
  get frontU8(): Uint8Array {
    return this.chunks[0].u8;
  }

  /** Offset of the first record's payload in `frontU8`. */
  get frontOffset(): number {
    return this.head + 4;
  }

  get frontLength(): number {
    return this.chunks[0].i32[this.head >> 2] & ~REPLY_FLAG;
  }

  /** An Int32 view of the first record's chunk (`frontOffset` / 4 indexes its payload). */
  get frontI32(): Int32Array {
    return this.chunks[0].i32;
  }

  get frontIsReply(): boolean {
    return (this.chunks[0].i32[this.head >> 2] & REPLY_FLAG) !== 0;
  }

  /** Drops the first record; a chunk whose records are all gone goes back to the pool. */
  shift(): void {
    const c = this.chunks[0];
    const n = c.i32[this.head >> 2] & ~REPLY_FLAG;
    this.head += 4 + ((n + 3) & ~3);
    this.length--;
    this.bytes -= n;
    if (this.head >= c.end) {
      this.chunks.shift();
      if (this.spent === null) giveBuffer(c.u8);
      else this.spent.push(c.u8);
      this.head = 0;
    }
  }

  /**
   * Until `release`, the bytes of records already shifted stay valid (their
   * chunks are not reused): a pass that runs records may look back at them.
   */
  hold(): void {
    this.spent ??= [];
  }

  release(): void {
    const spent = this.spent;
    this.spent = null;
    if (spent !== null) for (const b of spent) giveBuffer(b);
  }
}
