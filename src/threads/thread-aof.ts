/**
 * A thread's part in the AOF (docs/persistence.md, "AOF"): its shard's
 * record of writes (persistence/aof-feed.ts), posted to the writer at the
 * end of every turn with appendfsync always (and the replies held until
 * the writer has synced every record made before them), otherwise once
 * 256 KiB or 2 ms of records have gathered.
 *
 * A held reply waits for the effect counter's value at the end of the turn
 * that made it: whatever command it answers (run here or on another
 * thread's shard) took its record's number before the reply existed, so
 * once `synced` reaches that value the command is on disk. Replies of one
 * connection keep their order (the queue is released from its front).
 */
import type { Connection } from '../connections/connection.js';
import { AofFeed, type AofBatch } from '../persistence/aof-feed.js';
import { AofMode, AofState } from '../persistence/aof-state.js';

type Output = ReturnType<Connection['takeOutput']>;

/** Without appendfsync always, a thread posts its records once this many bytes or this many ms have gathered. */
const BATCH_BYTES = 256 * 1024;
const BATCH_MS = 2;

export class ThreadAof {
  readonly state: AofState;
  readonly feed: AofFeed;
  private held: { c: Connection; out: Output; need: bigint }[] = [];
  private waiting = false;
  private flushTimer: NodeJS.Timeout | null = null;

  constructor(
    buf: SharedArrayBuffer,
    threads: number,
    index: number,
    post: (batch: AofBatch, transfer: ArrayBuffer[]) => void,
    /** Writes a held reply (and closes the connection when it asked to be closed once written). */
    private readonly send: (c: Connection, out: Output) => void,
  ) {
    this.state = new AofState(buf, threads);
    this.feed = new AofFeed(this.state, index, post);
  }

  get on(): boolean {
    return this.state.mode !== AofMode.Off;
  }

  /**
   * The end of a turn: posts the turn's records (with appendfsync always;
   * otherwise once enough have gathered), then says whether the
   * connections' output must wait (appendfsync always, and the file is
   * behind the counter, or earlier output waits already).
   */
  endOfTurn(): boolean {
    if (this.state.mode !== AofMode.Always) {
      // No reply waits for the file: records travel in bigger batches (a post costs
      // about as much as a few commands), at least every BATCH_MS.
      if (this.feed.bytes >= BATCH_BYTES) this.flush();
      else if (this.feed.pending && this.flushTimer === null) this.flushTimer = setTimeout(this.flush, BATCH_MS);
      if (this.held.length > 0) this.release(true);
      return false;
    }
    this.flush();
    return this.held.length > 0 || this.state.synced < this.state.counter();
  }

  /** Posts the records gathered so far. */
  readonly flush = (): void => {
    if (this.flushTimer !== null) {
      clearTimeout(this.flushTimer);
      this.flushTimer = null;
    }
    this.feed.flush();
  };

  /** Takes the output of `dirty` connections to write once the file has caught up. */
  hold(dirty: Connection[]): void {
    const need = this.state.counter();
    for (const c of dirty) {
      c.dirty = false;
      this.held.push({ c, out: c.takeOutput(), need });
    }
    dirty.length = 0;
    this.wait();
  }

  private wait(): void {
    if (this.waiting || this.held.length === 0) return;
    this.waiting = true;
    void this.state.waitSynced(this.held[0].need).then(() => {
      this.waiting = false;
      this.release(false);
      this.wait();
    });
  }

  /** Writes the held output the file covers now (all of it when `all`: appendfsync is no longer always). */
  private release(all: boolean): void {
    const synced = this.state.synced;
    let i = 0;
    for (; i < this.held.length && (all || this.held[i].need <= synced); i++) this.send(this.held[i].c, this.held[i].out);
    this.held.splice(0, i);
  }
}
