/**
 * The front's end of one shard: the worker thread, the request ring it
 * produces into and the reply ring it consumes from.
 *
 * Frames are encoded straight into the request ring. When the ring has no
 * room (or a frame is larger than a record), frames go to an overflow queue,
 * and every later frame queues behind them, so order is kept. The queue is
 * moved into the ring whenever the shard frees space; frames larger than a
 * record are cut into records marked MORE. The caller applies backpressure
 * by looking at `overflowBytes`.
 */
import { Worker } from 'node:worker_threads';
import { REQ_HEADER_BYTES, pad4 } from '../transport/frames.js';
import { RingConsumer, RingProducer, createRingBuffer } from '../transport/ring.js';
import { Shard, type ShardOptions } from '../shard/shard.js';

export const RING_BYTES = 4 * 1024 * 1024;

export class ShardLink {
  /** The shard's thread, or null when the shard runs on the front thread itself. */
  readonly worker: Worker | null;
  /** The shard, when it runs on the front thread (no hop, no wake-up for its keys). */
  readonly inline: Shard | null;
  readonly requests: RingProducer;
  readonly replies: RingConsumer;
  /** Frames waiting for ring space, in order. */
  private overflow: Uint8Array[] = [];
  /** Bytes of the first overflow frame already moved into the ring. */
  private overflowSent = 0;
  overflowBytes = 0;
  /** Frames published and not yet answered (for the doorbell logic). */
  inFlight = 0;
  exited = false;

  constructor(
    readonly index: number,
    workerUrl: URL,
    opts: Omit<ShardOptions, 'requestRing' | 'replyRing' | 'index'>,
    onFront: boolean,
  ) {
    const requestRing = createRingBuffer(RING_BYTES);
    const replyRing = createRingBuffer(RING_BYTES);
    this.requests = new RingProducer(requestRing);
    this.replies = new RingConsumer(replyRing);
    const data: ShardOptions = { ...opts, index, requestRing, replyRing };
    if (onFront) {
      this.worker = null;
      this.inline = new Shard(data);
      return;
    }
    this.inline = null;
    this.worker = new Worker(workerUrl, { workerData: data, name: `shard-${index}` });
    this.worker.on('exit', () => {
      this.exited = true;
    });
  }

  /**
   * Encodes a request frame. `args` are (offset, length) pairs in `buf`;
   * `pick` optionally lists which argument indexes to send (for the part of a
   * multi-key command that belongs to this shard).
   */
  send(
    conn: number,
    seq: number,
    word2: number,
    db: number,
    buf: Uint8Array,
    argOff: Int32Array,
    argLen: Int32Array,
    argc: number,
    pick: number[] | null,
    txid = 0,
  ): void {
    const n = pick === null ? argc : pick.length;
    let size = REQ_HEADER_BYTES;
    for (let k = 0; k < n; k++) size += 4 + pad4(argLen[pick === null ? k : pick[k]]);
    this.inFlight++;
    const ring = this.requests;
    let p = -1;
    if (this.overflow.length === 0 && size + 4 <= ring.maxRecord) p = ring.reserve(size);
    let u8: Uint8Array;
    let i32: Int32Array;
    if (p >= 0) {
      u8 = ring.u8;
      i32 = ring.i32;
    } else {
      const frame = new Uint8Array(size);
      u8 = frame;
      i32 = new Int32Array(frame.buffer);
      p = 0;
      this.overflow.push(frame);
      this.overflowBytes += size;
    }
    let w = p >> 2;
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
        u8.set(buf.subarray(off, off + len), pos);
      }
      pos += pad4(len);
    }
    if (u8 === ring.u8) ring.commit();
  }

  /** Moves queued frames into the ring as far as space allows. */
  pumpOverflow(): void {
    const ring = this.requests;
    const chunkMax = ring.maxRecord - 8;
    while (this.overflow.length > 0) {
      const frame = this.overflow[0];
      const rest = frame.length - this.overflowSent;
      const n = rest > chunkMax ? chunkMax : rest;
      const p = ring.reserve(n);
      if (p < 0) return;
      ring.u8.set(frame.subarray(this.overflowSent, this.overflowSent + n), p);
      const more = n < rest;
      ring.commit(more);
      if (more) {
        this.overflowSent += n;
      } else {
        this.overflow.shift();
        this.overflowSent = 0;
        this.overflowBytes -= frame.length;
      }
    }
  }

  /**
   * Publishes what was written this turn and wakes the shard if it sleeps.
   * A shard hosted on the front runs right here; as it frees ring space, the
   * rest of the overflow (say, the remaining records of a 100 MB frame) is
   * moved in and run too, since no other thread will come back for it.
   */
  publish(): void {
    for (;;) {
      if (this.overflow.length > 0) this.pumpOverflow();
      if (!this.requests.hasUnpublished()) return;
      this.requests.publish();
      if (this.inline === null) {
        this.requests.wakeConsumer();
        return;
      }
      this.inline.drain();
      if (this.overflow.length === 0) return;
    }
  }

  hasOverflow(): boolean {
    return this.overflow.length > 0;
  }
}
