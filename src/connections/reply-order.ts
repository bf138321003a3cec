/**
 * A connection's reply order: every command takes the next sequence
 * number, and replies reach the output buffer in that order although the
 * shards that produce them answer independently.
 *
 * A reply for the sequence number at the head (`outSeq`) goes straight to
 * the output buffer; one that arrives early waits in `pending` until the
 * replies before it are written. A command whose keys span shards keeps one
 * pending slot whose parts are merged when all are in. CLIENT REPLY OFF/SKIP
 * marks sequence numbers whose replies are dropped.
 */
import type { Merger } from '../commands/mergers.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import { giveBuffer, POOLED_MIN, takeBuffer } from '../util/buffer-pool.js';
import { copyBytes, sliceBytes } from '../util/bytes.js';

/** Where merged replies are assembled (one at a time: merging is synchronous). */
const MERGE_SCRATCH = new ReplyWriter(16 * 1024);

/** Reply numbers travel as int32 in frames (negative ones are internal): they wrap at 2^31. */
const SEQ_MASK = 0x7fffffff;

export const enum ReplyMode {
  On = 0,
  Off = 1,
  Skip = 2,
}

interface Pending {
  chunks: Uint8Array[];
  /** Pool buffers holding large chunks: they go back to the pool once written. */
  pooled?: Uint8Array[];
  complete: boolean;
  /** Consecutive replies this slot answers (a squashed record); 1 when absent. */
  span?: number;
  /** For replies merged from several shards: the parts by shard, and how many are still due. */
  parts?: (Uint8Array | null)[];
  due?: number;
  merge?: Merger;
}

/** Keeps a copy of a reply (or part) that must wait for the replies before it; large ones in pool buffers. */
function keep(slot: Pending, u8: Uint8Array, off: number, len: number): void {
  if (len < POOLED_MIN) {
    slot.chunks.push(sliceBytes(u8, off, len));
    return;
  }
  const b = takeBuffer(len);
  copyBytes(b, 0, u8, off, len);
  slot.chunks.push(b.subarray(0, len));
  (slot.pooled ??= []).push(b);
}

export class ReplyOrder {
  /** Replies ready to be written to the socket. */
  readonly out = new ReplyWriter(4096);
  replyMode = ReplyMode.On;
  resp = 2;
  nextSeq = 0;
  outSeq = 0;
  /** Shard replies (parts) still due, so the connection's slot is not reused while frames are in flight. */
  inFlight = 0;
  private pending = new Map<number, Pending>();
  /**
   * Messages pushed (pub/sub) while replies were still due: each goes out
   * right after the reply of the last command sent before it, so a message
   * never overtakes the confirmation of the SUBSCRIBE that asked for it.
   */
  private pushes: { after: number; bytes: Uint8Array }[] | null = null;
  /** Bytes waiting in `pushes`. */
  pushedBytes = 0;
  /** Work that waits for a reply to be written (afterReply), by reply number. */
  private afterWrite: Map<number, (() => void)[]> | null = null;
  /** Sequence numbers whose replies are dropped (CLIENT REPLY OFF/SKIP). */
  private silent: Set<number> | null = null;
  /**
   * Every reply is dropped as it arrives, in whatever order (the AOF
   * loader, which reads none): no reply waits for its turn or is copied.
   */
  discardAll = false;

  /** Whether every reply is sent (no CLIENT REPLY OFF/SKIP pending): replies may then be squashed. */
  get sendsAll(): boolean {
    return this.silent === null || this.silent.size === 0;
  }

  /** Whether a reply for the next command could be written straight into `out` (nothing due before it). */
  get atHead(): boolean {
    return this.outSeq === this.nextSeq && this.sendsAll && !this.discardAll;
  }

  /** Takes the sequence number of a new command. */
  takeSeq(): number {
    const seq = this.nextSeq;
    this.nextSeq = (seq + 1) & SEQ_MASK;
    if (this.replyMode !== ReplyMode.On) {
      (this.silent ??= new Set()).add(seq);
      if (this.replyMode === ReplyMode.Skip) this.replyMode = ReplyMode.On;
    }
    return seq;
  }

  /** The reply of command `seq`, at the head, was written straight into `out`. */
  wroteInPlace(seq: number): void {
    if (seq === this.outSeq) this.advance(1);
  }

  /** The head moves past `n` replies; the numbers CLIENT REPLY silenced among them are forgotten. */
  private advance(n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.silent !== null) this.silent.delete(this.outSeq);
      const done = this.outSeq;
      this.outSeq = (this.outSeq + 1) & SEQ_MASK;
      if (this.pushes !== null) this.writePushes();
      if (this.afterWrite !== null) this.runAfterWrite(done);
    }
  }

  /**
   * An out-of-band message: written now when no reply is due (or `now`),
   * else after the reply of the last command sent so far.
   */
  push(bytes: Uint8Array, off: number, len: number, now = false): void {
    if (this.discardAll) return;
    if (now || this.outSeq === this.nextSeq) {
      this.out.raw(bytes, off, len);
      return;
    }
    (this.pushes ??= []).push({ after: (this.nextSeq - 1) & SEQ_MASK, bytes: sliceBytes(bytes, off, len) });
    this.pushedBytes += len;
  }

  private runAfterWrite(seq: number): void {
    const list = this.afterWrite!.get(seq);
    if (list === undefined) return;
    this.afterWrite!.delete(seq);
    if (this.afterWrite!.size === 0) this.afterWrite = null;
    for (const fn of list) fn();
  }

  /** Writes the pushes whose command's reply is now out. */
  private writePushes(): void {
    const q = this.pushes!;
    let i = 0;
    while (i < q.length && ((q[i].after + 1) & SEQ_MASK) === this.outSeq) {
      this.out.raw(q[i].bytes);
      this.pushedBytes -= q[i].bytes.length;
      i++;
    }
    if (i === q.length) this.pushes = null;
    else if (i > 0) q.splice(0, i);
  }

  /** Drops the reply of the command being run (CLIENT REPLY OFF/SKIP answer nothing). */
  silenceCurrent(): void {
    (this.silent ??= new Set()).add((this.nextSeq - 1) & SEQ_MASK);
  }

  /** CLIENT REPLY ON answers although it was sent while replies were off. */
  unsilenceCurrent(): void {
    this.silent?.delete((this.nextSeq - 1) & SEQ_MASK);
  }

  /**
   * A reply produced by this thread for command `seq`. `stable` says the
   * bytes never change (a constant like +QUEUED), so a reply that must wait
   * keeps them without a copy.
   */
  replyNow(seq: number, bytes: Uint8Array, off: number, len: number, stable = false): void {
    if (this.discardAll) return;
    if (seq === this.outSeq) {
      this.write(bytes, off, len);
      this.advance(1);
      if (this.pending.size > 0) this.flushPending();
    } else {
      const slot: Pending = { chunks: [], complete: true };
      if (stable && off === 0 && len === bytes.length && len < POOLED_MIN) slot.chunks.push(bytes);
      else keep(slot, bytes, off, len);
      this.pending.set(seq, slot);
    }
  }

  /** Registers a command answered by several shards, merged when `due` parts are in. */
  expectParts(seq: number, shardCount: number, due: number, merge: Merger): void {
    if (this.discardAll) return;
    this.pending.set(seq, {
      chunks: [],
      complete: false,
      parts: new Array<Uint8Array | null>(shardCount).fill(null),
      due,
      merge,
    });
  }

  /** A reply record from shard `shard`: a whole reply, a part of a merged one, or a piece of a streamed one (`partial`). */
  deliver(seq: number, shard: number, u8: Uint8Array, off: number, len: number, partial: boolean, span = 1): void {
    if (!partial) this.inFlight -= span;
    if (this.discardAll) return;
    const slot = this.pending.size === 0 ? undefined : this.pending.get(seq);
    if (slot === undefined) {
      if (seq === this.outSeq) {
        this.write(u8, off, len);
        if (!partial) {
          this.advance(span);
          if (this.pending.size > 0) this.flushPending();
        }
      } else {
        const slot: Pending = { chunks: [], complete: !partial };
        if (span !== 1) slot.span = span;
        keep(slot, u8, off, len);
        this.pending.set(seq, slot);
      }
      return;
    }
    if (slot.parts !== undefined) {
      const prev = slot.parts[shard];
      if (prev === null) slot.parts[shard] = sliceBytes(u8, off, len);
      else {
        const joined = new Uint8Array(prev.length + len);
        joined.set(prev);
        copyBytes(joined, prev.length, u8, off, len);
        slot.parts[shard] = joined;
      }
      if (partial || --slot.due! > 0) return;
      const w = MERGE_SCRATCH;
      w.reset();
      w.resp3 = this.resp === 3;
      slot.merge!(slot.parts, w);
      if (seq === this.outSeq && slot.chunks.length === 0) {
        // At the head: write the merged reply straight out, no copy kept.
        this.pending.delete(seq);
        this.write(w.buf, 0, w.len);
        this.advance(1);
        if (this.pending.size > 0) this.flushPending();
        return;
      }
      keep(slot, w.buf, 0, w.len);
      slot.parts = undefined;
      slot.complete = true;
    } else {
      keep(slot, u8, off, len);
      if (!partial) slot.complete = true;
    }
    if (seq === this.outSeq) this.flushPending();
  }

  private flushPending(): void {
    for (;;) {
      const slot = this.pending.get(this.outSeq);
      if (slot === undefined || slot.parts !== undefined) return;
      for (const c of slot.chunks) this.write(c, 0, c.length);
      slot.chunks.length = 0;
      if (slot.pooled !== undefined) {
        for (const b of slot.pooled) giveBuffer(b);
        slot.pooled.length = 0;
      }
      if (!slot.complete) return;
      this.pending.delete(this.outSeq);
      this.advance(slot.span ?? 1);
    }
  }

  private write(u8: Uint8Array, off: number, len: number): void {
    // Dropped by CLIENT REPLY (the number is forgotten once the whole reply passed).
    if (this.silent !== null && this.silent.has(this.outSeq)) return;
    this.out.raw(u8, off, len);
  }

  /**
   * Runs `fn` once the reply of command `seq` has been written (at once if
   * it has): a transaction's keyspace events leave in its commands' order.
   */
  afterReply(seq: number, fn: () => void): void {
    // Reply numbers wrap at 2^31: `seq` is behind the head when it is less than half the space behind it.
    const behind = (this.outSeq - seq) & SEQ_MASK;
    if (behind > 0 && behind < 0x40000000) return fn();
    let list = (this.afterWrite ??= new Map()).get(seq);
    if (list === undefined) this.afterWrite.set(seq, (list = []));
    list.push(fn);
  }

  /** Replies and messages waiting for the replies before them (CLIENT LIST oll). */
  get queuedCount(): number {
    return this.pending.size + (this.pushes?.length ?? 0);
  }

  /** Their bytes (CLIENT LIST omem, with what the socket holds). */
  get queuedBytes(): number {
    let n = this.pushedBytes;
    for (const slot of this.pending.values()) for (const c of slot.chunks) n += c.length;
    return n;
  }

  /** Whether every command so far has been answered. */
  get idle(): boolean {
    return this.outSeq === this.nextSeq;
  }

  /**
   * Takes what accumulated for the socket (null when nothing did). A large
   * output is not copied: `bytes` is a view of the output buffer itself,
   * `whole`, which goes back to the pool once the socket has written it.
   */
  takeOutput(): { bytes: Buffer; whole: Uint8Array | null } | null {
    const n = this.out.len;
    if (n === 0) return null;
    if (n < POOLED_MIN) return { bytes: this.out.take(), whole: null };
    const whole = this.out.handOver();
    return { bytes: Buffer.from(whole.buffer, whole.byteOffset, n), whole };
  }
}
