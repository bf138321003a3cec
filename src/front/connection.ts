/**
 * A client connection on the front: its socket, parser, session state
 * (database, protocol, name, auth, CLIENT flags) and the reorder buffer that
 * keeps replies in request order although shards answer independently.
 *
 * Every command gets the next sequence number. A reply for the sequence
 * number at the head (`outSeq`) goes straight to the output buffer; one that
 * arrives early waits in `pending` until the replies before it are written.
 * Commands answered on the front queue the same way, behind shard replies.
 */
import type { Socket } from 'node:net';
import { RequestParser, type ParserLimits } from '../protocol/request-parser.js';
import { ReplyWriter } from '../protocol/reply-writer.js';
import type { Merger } from './merge.js';
import type { ArgView, CommandEntry } from './front.js';

/** Where merged replies are assembled (one at a time: merging is synchronous). */
const MERGE_SCRATCH = new ReplyWriter(16 * 1024);

export const enum ReplyMode {
  On = 0,
  Off = 1,
  Skip = 2,
}

interface Pending {
  chunks: Uint8Array[];
  complete: boolean;
  /** Consecutive replies this slot answers (a squashed record); 1 when absent. */
  span?: number;
  /** For replies merged from several shards: the parts by shard, and how many are still due. */
  parts?: (Uint8Array | null)[];
  due?: number;
  merge?: Merger;
  /** Called instead of `merge` when the parts are in (multi-phase commands). */
  then?: (parts: (Uint8Array | null)[]) => void;
}

export class Connection {
  readonly parser: RequestParser;
  readonly out = new ReplyWriter(4096);
  db = 0;
  resp = 2;
  name = '';
  libName = '';
  libVer = '';
  authenticated: boolean;
  user = 'default';
  noTouch = false;
  noEvict = false;
  replyMode = ReplyMode.On;
  readonly createdAt = Date.now();
  lastInteraction = Date.now();
  lastCommand = 'NULL';
  closed = false;
  /** Close once the output is written (QUIT, protocol errors, CLIENT KILL). */
  closeAfterWrite = false;
  /** Parsing stopped for backpressure or a barrier; resumes later. */
  paused = false;
  /** Commands seen (for CLIENT INFO's `cmd`/stats). */
  commands = 0;
  /** Commands queued since MULTI (arguments packed, command resolved), or null outside MULTI. */
  multi: { view: ArgView; entry: CommandEntry }[] | null = null;
  /** A command was refused while queueing: EXEC will answer EXECABORT. */
  multiDirty = false;
  /** Shards holding this connection's WATCHes. */
  readonly watchShards = new Set<number>();
  /** EXEC is waiting for locks: later commands wait too, so reply numbers stay in order. */
  busy = false;
  /** Reply number of a blocking command (BLPOP ...) not answered yet, or -1; later commands wait, as in Redis. */
  blockedSeq = -1;
  /** The shards holding that command (several when its keys span shards), for CLIENT UNBLOCK and disconnects. */
  blockedShards: number[] = [];
  /** The claim word of a command registered on several shards, or -1. */
  blockedClaim = -1;
  /** BLMOVE across shards waits through an internal request: its sequence number (negative), or 0. */
  blockedInternal = 0;

  nextSeq = 0;
  outSeq = 0;
  /** Shard replies (parts) still due, so the slot is not reused while frames are in flight. */
  inFlight = 0;
  private pending = new Map<number, Pending>();
  /** Sequence numbers whose replies are dropped (CLIENT REPLY OFF/SKIP). */
  private silent: Set<number> | null = null;

  /** Whether every reply is sent (no CLIENT REPLY OFF/SKIP pending): replies may then be squashed. */
  get sendsAll(): boolean {
    return this.silent === null || this.silent.size === 0;
  }

  constructor(
    readonly id: number,
    readonly slot: number,
    readonly socket: Socket,
    limits: ParserLimits,
    needsAuth: boolean,
    readonly addr: string,
    readonly laddr: string,
  ) {
    this.parser = new RequestParser(limits);
    this.authenticated = !needsAuth;
    this.parser.authenticated = !needsAuth;
  }

  /** Takes the sequence number of a new command. */
  takeSeq(): number {
    const seq = this.nextSeq++;
    if (this.replyMode !== ReplyMode.On) {
      (this.silent ??= new Set()).add(seq);
      if (this.replyMode === ReplyMode.Skip) this.replyMode = ReplyMode.On;
    }
    return seq;
  }

  /** Drops the reply of the command being run (CLIENT REPLY OFF/SKIP answer nothing). */
  silenceCurrent(): void {
    (this.silent ??= new Set()).add(this.nextSeq - 1);
  }

  /** CLIENT REPLY ON answers although it was sent while replies were off. */
  unsilenceCurrent(): void {
    this.silent?.delete(this.nextSeq - 1);
  }

  /**
   * A reply produced on the front for command `seq`. `stable` says the bytes
   * never change (a constant like +QUEUED), so a reply that must wait keeps
   * them without a copy.
   */
  replyFront(seq: number, bytes: Uint8Array, off: number, len: number, stable = false): void {
    if (seq === this.outSeq) {
      this.write(bytes, off, len);
      this.outSeq++;
      if (this.pending.size > 0) this.flushPending();
    } else {
      const kept = stable && off === 0 && len === bytes.length ? bytes : bytes.slice(off, off + len);
      this.pending.set(seq, { chunks: [kept], complete: true });
    }
  }

  /** Registers a command answered by several shards, merged when all parts are in. */
  expectParts(seq: number, shardCount: number, due: number, merge: Merger | null, then?: (parts: (Uint8Array | null)[]) => void): void {
    this.pending.set(seq, {
      chunks: [],
      complete: false,
      parts: new Array<Uint8Array | null>(shardCount).fill(null),
      due,
      merge: merge ?? undefined,
      then,
    });
  }

  /** Adds more due parts to a pending multi-part command (its second phase). */
  addDue(seq: number, due: number, merge: Merger): void {
    const p = this.pending.get(seq)!;
    p.parts = p.parts!.map(() => null);
    p.due = due;
    p.merge = merge;
    p.then = undefined;
  }

  /** Completes a pending multi-part command with a reply decided on the front. */
  completeParts(seq: number, bytes: Uint8Array): void {
    const p = this.pending.get(seq)!;
    p.parts = undefined;
    p.then = undefined;
    p.chunks = [bytes];
    p.complete = true;
    if (seq === this.outSeq) this.flushPending();
  }

  /** A reply record from a shard. */
  deliver(seq: number, shard: number, u8: Uint8Array, off: number, len: number, partial: boolean, span = 1): void {
    if (!partial) this.inFlight -= span;
    if (this.closed) return;
    const slot = this.pending.get(seq);
    if (slot === undefined) {
      if (seq === this.outSeq) {
        this.write(u8, off, len);
        if (!partial) {
          this.outSeq += span;
          if (this.pending.size > 0) this.flushPending();
        }
      } else if (span === 1) {
        this.pending.set(seq, { chunks: [u8.slice(off, off + len)], complete: !partial });
      } else {
        this.pending.set(seq, { chunks: [u8.slice(off, off + len)], complete: true, span });
      }
      return;
    }
    if (slot.parts !== undefined) {
      const prev = slot.parts[shard];
      const piece = u8.subarray(off, off + len);
      if (prev === null) slot.parts[shard] = piece.slice();
      else {
        const joined = new Uint8Array(prev.length + len);
        joined.set(prev);
        joined.set(piece, prev.length);
        slot.parts[shard] = joined;
      }
      if (partial || --slot.due! > 0) return;
      if (slot.then !== undefined) {
        slot.then(slot.parts);
        return;
      }
      const w = MERGE_SCRATCH;
      w.reset();
      w.resp3 = this.resp === 3;
      slot.merge!(slot.parts, w);
      if (seq === this.outSeq && slot.chunks.length === 0) {
        // At the head: write the merged reply straight out, no copy kept.
        this.pending.delete(seq);
        this.write(w.buf, 0, w.len);
        this.outSeq++;
        if (this.pending.size > 0) this.flushPending();
        return;
      }
      slot.chunks.push(w.buf.slice(0, w.len));
      slot.parts = undefined;
      slot.complete = true;
    } else {
      slot.chunks.push(u8.slice(off, off + len));
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
      if (!slot.complete) return;
      this.pending.delete(this.outSeq);
      this.outSeq += slot.span ?? 1;
    }
  }

  private write(u8: Uint8Array, off: number, len: number): void {
    if (this.silent !== null && this.silent.has(this.outSeq)) {
      // Dropped by CLIENT REPLY; forget the number once the whole reply passed.
      return;
    }
    this.out.raw(u8, off, len);
  }

  /** Whether every command so far has been answered. */
  get idle(): boolean {
    return this.outSeq === this.nextSeq;
  }

  /** Sends what accumulated this turn with one socket write. */
  flush(): void {
    if (this.silent !== null) for (const s of this.silent) if (s < this.outSeq) this.silent.delete(s);
    if (this.out.len === 0 || this.closed) return;
    const buf = this.out.take();
    this.socket.write(buf);
    if (this.out.buf.length > 1 << 20) this.out.buf = new Uint8Array(4096);
  }
}
