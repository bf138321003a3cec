/**
 * A thread's end of its two rings with one peer thread: the ring it writes
 * (its requests to the peer's shard, and its shard's replies to the peer's
 * requests) and the ring it reads (the same, the other way).
 *
 * Records are written straight into the ring. When the ring has no room, or
 * a request is larger than a record, records go to an overflow queue and
 * every later record queues behind them, so order is kept; the queue moves
 * into the ring as the peer frees space (it rings this thread's bell then).
 * Requests larger than a record are cut into records marked MORE, which
 * are contiguous in the ring; replies larger than a record were already cut
 * into PARTIAL records by the shard.
 */
import { type FrameArgs, REP_HEADER_BYTES, REPLY_PARTIAL, REPLY_SPAN_SHIFT, requestSize, writeRequest } from './frames.js';
import { RecordQueue } from './record-queue.js';
import type { Doorbells } from './doorbell.js';
import { RingConsumer, RingProducer } from './ring.js';
import { copyBytes } from '../util/bytes.js';

/** Replies longer than this are not squashed (they would make records, and copies, large). */
const SQUASH_MAX = 16 * 1024;

export class PeerLink {
  readonly out: RingProducer;
  readonly in: RingConsumer;
  private readonly overflow = new RecordQueue();
  /** Bytes of the first queued record already moved into the ring (a request cut into parts). */
  private overflowSent = 0;

  // The open squashed reply record: its connection (-1: none), first seq, span and payload bytes.
  private squashConn = -1;
  private squashSeq = 0;
  private squashSpan = 0;
  private squashLen = 0;

  constructor(
    readonly peer: number,
    outRing: SharedArrayBuffer,
    inRing: SharedArrayBuffer,
    private readonly bells: Doorbells,
    /** Told how many bytes joined (positive) or left (negative) the overflow queue. */
    private readonly onOverflow: (delta: number) => void,
  ) {
    this.out = new RingProducer(outRing);
    this.in = new RingConsumer(inRing);
  }

  /** Encodes a request frame (see frames.ts) into the ring, or queues it. */
  request(conn: number, seq: number, word2: number, db: number, txid: number, args: FrameArgs, pick: number[] | null): void {
    const ring = this.out;
    // A request now follows the last reply: that reply's record can no longer grow.
    this.squashConn = -1;
    const size = requestSize(args, pick);
    if (this.overflow.length === 0 && size + 4 <= ring.maxRecord) {
      const p = ring.reserve(size);
      if (p >= 0) {
        writeRequest(ring.u8, ring.i32, p, conn, seq, word2, db, txid, args, pick);
        ring.commit();
        return;
      }
    }
    const q = this.overflow;
    const p = q.reserve(size, false);
    writeRequest(q.u8, q.i32, p, conn, seq, word2, db, txid, args, pick);
    this.onOverflow(size);
  }

  /**
   * Writes (part of) a reply. `squash` lets it join the previous record when
   * that record answers the same connection's previous request and is still
   * the ring's last, unpublished record: a pipeline's replies then travel as
   * one record, which the peer delivers with one lookup and one copy.
   */
  reply(conn: number, seq: number, src: Uint8Array, off: number, len: number, partial: boolean, squash: boolean): void {
    const ring = this.out;
    if (squash && !partial && this.squashInto(conn, seq, src, off, len)) return;
    if (squash && !partial && len <= SQUASH_MAX) {
      this.squashConn = conn;
      this.squashSeq = seq;
      this.squashSpan = 1;
      this.squashLen = len;
    } else this.squashConn = -1;
    const max = ring.maxRecord - REP_HEADER_BYTES - 8;
    do {
      const n = len > max ? max : len;
      const last = n === len && !partial;
      let p = this.overflow.length === 0 ? ring.reserve(REP_HEADER_BYTES + n) : -1;
      let u8 = ring.u8;
      let i32 = ring.i32;
      const queued = p < 0;
      if (queued) {
        const q = this.overflow;
        p = q.reserve(REP_HEADER_BYTES + n, true);
        u8 = q.u8;
        i32 = q.i32;
        this.squashConn = -1;
        this.onOverflow(REP_HEADER_BYTES + n);
      }
      const b = p >> 2;
      i32[b] = conn;
      i32[b + 1] = seq;
      i32[b + 2] = n;
      i32[b + 3] = last ? 0 : REPLY_PARTIAL;
      const d = p + REP_HEADER_BYTES;
      copyBytes(u8, d, src, off, n);
      if (!queued) ring.commit(false, true);
      off += n;
      len -= n;
    } while (len > 0);
  }

  private squashInto(conn: number, seq: number, src: Uint8Array, off: number, len: number): boolean {
    if (this.squashConn !== conn || seq !== this.squashSeq + this.squashSpan || len > SQUASH_MAX) return false;
    const ring = this.out;
    const p = ring.growLast(REP_HEADER_BYTES + this.squashLen + len);
    if (p < 0) return false;
    const d = p + REP_HEADER_BYTES + this.squashLen;
    const u8 = ring.u8;
    copyBytes(u8, d, src, off, len);
    this.squashSpan++;
    this.squashLen += len;
    const b = p >> 2;
    ring.i32[b + 2] = this.squashLen;
    ring.i32[b + 3] = this.squashSpan << REPLY_SPAN_SHIFT;
    return true;
  }

  /** Moves queued records into the ring as far as space allows. */
  private pump(): void {
    const ring = this.out;
    const chunkMax = ring.maxRecord - 8;
    const q = this.overflow;
    while (q.length > 0) {
      const len = q.frontLength;
      const rest = len - this.overflowSent;
      const n = rest > chunkMax ? chunkMax : rest;
      const p = ring.reserve(n);
      if (p < 0) return;
      copyBytes(ring.u8, p, q.frontU8, q.frontOffset + this.overflowSent, n);
      const more = n < rest;
      ring.commit(more, q.frontIsReply);
      if (more) this.overflowSent += n;
      else {
        q.shift();
        this.overflowSent = 0;
        this.onOverflow(-len);
      }
    }
  }

  /**
   * Publishes what was written since the last call and wakes the peer if it
   * sleeps. With records still queued, asks the peer to ring back when it
   * frees space.
   */
  publish(): void {
    if (this.overflow.length > 0) {
      this.pump();
      if (this.overflow.length > 0) {
        this.out.wantSpace();
        // Space freed before the request was seen would never be reported: look again.
        this.pump();
      }
    }
    this.squashConn = -1;
    if (!this.out.hasUnpublished()) return;
    this.out.publish();
    this.bells.ring(this.peer);
  }

  hasOverflow(): boolean {
    return this.overflow.length > 0;
  }
}
