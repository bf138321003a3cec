/**
 * A single-producer / single-consumer ring of length-prefixed records in a
 * SharedArrayBuffer. One ring per ordered pair of threads: it carries the
 * producer's requests to the consumer's shard and the producer's replies to
 * the consumer's requests, told apart by a bit of the record header.
 *
 * Layout of the SharedArrayBuffer:
 *   Int32 header (HEADER_BYTES): HEAD (consumer position), TAIL (producer
 *   position), each on its own cache line, then the producer's wait flag.
 *   Data area of `capacity` bytes (a multiple of 4).
 *
 * A record is a 4-byte word `length | MORE_BIT | REPLY_BIT` followed by the
 * payload padded to 4 bytes; `length` counts the header word and the padding. A record never
 * wraps: when it does not fit before the end of the data area, the producer
 * writes a SKIP word and starts again at 0 (the free-space check counts it).
 * A logical frame larger than `maxRecord` is sent as several records, all but
 * the last carrying MORE_BIT; the consumer reassembles them.
 *
 * The producer writes records at its private tail and publishes the tail once
 * per batch (`publish()`); the consumer reads everything up to the published
 * tail and releases the space once per batch (`release()`). Head and tail are
 * moved with Atomics so that the payload writes happen-before the reads.
 *
 * One word of free space is kept between tail and head, so head == tail
 * always means "empty".
 */

export const HEADER_BYTES = 256;
const HEAD = 0; // int32 index
const TAIL = 16; // int32 index (64 bytes later: its own cache line)
/** Producer sets this to 1 when it holds records the ring had no room for: the consumer wakes it after freeing space. */
const PRODUCER_WAITING = 32;

const SKIP = -1;
export const MORE_BIT = 0x40000000;
/** The record is a reply (to a request of the consumer), not a request. */
export const REPLY_BIT = 0x20000000;
const LEN_MASK = 0x1fffffff;

export function createRingBuffer(capacity: number): SharedArrayBuffer {
  if (capacity % 4 !== 0 || capacity < 1024) throw new Error('ring capacity must be a multiple of 4 and >= 1024');
  return new SharedArrayBuffer(HEADER_BYTES + capacity);
}

abstract class RingEnd {
  readonly ctl: Int32Array;
  readonly u8: Uint8Array;
  readonly i32: Int32Array;
  readonly capacity: number;
  /** Largest record; bigger logical frames are split. */
  readonly maxRecord: number;

  constructor(readonly sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, HEADER_BYTES / 4);
    this.capacity = sab.byteLength - HEADER_BYTES;
    this.u8 = new Uint8Array(sab, HEADER_BYTES, this.capacity);
    this.i32 = new Int32Array(sab, HEADER_BYTES, this.capacity / 4);
    this.maxRecord = Math.min(256 * 1024, (this.capacity / 4) & ~3);
  }
}

export class RingProducer extends RingEnd {
  /** Private tail: records written but not yet published. */
  private tail: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.tail = Atomics.load(this.ctl, TAIL);
  }

  /** Bytes that can be written now (before publishing), not counting a possible SKIP. */
  freeBytes(): number {
    const head = Atomics.load(this.ctl, HEAD);
    let free = head - this.tail - 4;
    if (free < 0) free += this.capacity;
    return free;
  }

  /**
   * Reserves a record of `payloadBytes` (rounded up to 4) and returns the
   * byte offset of its payload in `u8`, or -1 when the ring has no room now.
   * The caller fills the payload and then calls `commit(offset, more)`.
   */
  reserve(payloadBytes: number): number {
    this.lastRecord = -1;
    const recordBytes = 4 + ((payloadBytes + 3) & ~3);
    if (recordBytes > this.capacity / 2) throw new Error(`record of ${recordBytes} bytes exceeds ring limit`);
    const head = Atomics.load(this.ctl, HEAD);
    let tail = this.tail;
    const cap = this.capacity;
    let free = head - tail - 4;
    if (free < 0) free += cap;
    const untilEnd = cap - tail;
    if (recordBytes > untilEnd) {
      // Must skip to the start: needs the rest of the data area plus the record.
      if (untilEnd + recordBytes > free) return -1;
      this.i32[tail >> 2] = SKIP;
      tail = 0;
    } else if (recordBytes > free) {
      return -1;
    }
    this.tail = tail;
    this.pendingLen = recordBytes;
    return tail + 4;
  }

  private pendingLen = 0;
  /** Start of the last committed record while nothing follows it and it is unpublished, else -1. */
  private lastRecord = -1;

  /** Finishes the record reserved last. */
  commit(more = false, reply = false): void {
    const t = this.tail;
    this.i32[t >> 2] = this.pendingLen | (more ? MORE_BIT : 0) | (reply ? REPLY_BIT : 0);
    let next = t + this.pendingLen;
    if (next === this.capacity) next = 0;
    this.tail = next;
    this.pendingLen = 0;
    this.lastRecord = more ? -1 : t;
  }

  /**
   * Grows the last committed record, still unpublished, so that its payload
   * holds `payloadBytes`; returns the payload's offset (its first bytes are
   * unchanged), or -1 when that record is gone or there is no contiguous
   * room after it. Used to squash replies into one record.
   */
  growLast(payloadBytes: number): number {
    const start = this.lastRecord;
    if (start < 0) return -1;
    const recordBytes = 4 + ((payloadBytes + 3) & ~3);
    if (recordBytes > this.capacity / 2 || start + recordBytes > this.capacity || this.tail === 0) return -1;
    const extra = start + recordBytes - this.tail;
    if (extra > 0) {
      let free = Atomics.load(this.ctl, HEAD) - this.tail - 4;
      if (free < 0) free += this.capacity;
      if (extra > free) return -1;
    }
    this.i32[start >> 2] = recordBytes | (this.i32[start >> 2] & REPLY_BIT);
    this.tail = start + recordBytes === this.capacity ? 0 : start + recordBytes;
    return start + 4;
  }

  /** Makes every committed record visible to the consumer. */
  publish(): void {
    Atomics.store(this.ctl, TAIL, this.tail);
    this.lastRecord = -1;
  }

  /** Whether records were committed since the last publish. */
  hasUnpublished(): boolean {
    return Atomics.load(this.ctl, TAIL) !== this.tail;
  }

  /** Asks the consumer to report freed space (see RingConsumer.release). */
  wantSpace(): void {
    Atomics.store(this.ctl, PRODUCER_WAITING, 1);
  }
}

export class RingConsumer extends RingEnd {
  private head: number;
  /** Position of the record returned by the last `next()`. */
  private cursor: number;
  private published: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.head = Atomics.load(this.ctl, HEAD);
    this.cursor = this.head;
    this.published = this.head;
  }

  /** Refreshes the view of the producer's tail; returns whether records are available. */
  poll(): boolean {
    this.published = Atomics.load(this.ctl, TAIL);
    return this.cursor !== this.published;
  }

  hasData(): boolean {
    return this.cursor !== this.published || Atomics.load(this.ctl, TAIL) !== this.cursor;
  }

  /** Length word of the current record, after `next()` returned its offset. */
  recordLength = 0;
  /** Whether the current record is followed by more parts of the same frame. */
  recordMore = false;
  /** Whether the current record is a reply rather than a request. */
  recordReply = false;

  /**
   * Returns the byte offset of the next record's payload in `u8` (its length
   * in `recordLength` includes the header word), or -1 when none is published.
   */
  next(): number {
    let c = this.cursor;
    if (c === this.published) return -1;
    let word = this.i32[c >> 2];
    if (word === SKIP) {
      c = 0;
      if (c === this.published) {
        this.cursor = 0;
        return -1;
      }
      word = this.i32[0];
    }
    const len = word & LEN_MASK;
    this.recordLength = len;
    this.recordMore = (word & MORE_BIT) !== 0;
    this.recordReply = (word & REPLY_BIT) !== 0;
    let nextPos = c + len;
    if (nextPos === this.capacity) nextPos = 0;
    this.cursor = nextPos;
    return c + 4;
  }

  /**
   * Gives the space of every record read so far back to the producer.
   * Returns true when the producer asked to hear about freed space (it
   * holds records that did not fit): the caller then wakes it.
   */
  release(): boolean {
    if (this.head === this.cursor) return false;
    this.head = this.cursor;
    Atomics.store(this.ctl, HEAD, this.head);
    return Atomics.load(this.ctl, PRODUCER_WAITING) === 1 && Atomics.compareExchange(this.ctl, PRODUCER_WAITING, 1, 0) === 1;
  }
}
