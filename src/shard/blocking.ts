/**
 * Clients blocked in a shard (BLPOP, BLMOVE, BLMPOP ... whose keys live on
 * this shard), kept as Redis keeps them: a FIFO of waiters per key, so the
 * client that blocked first is served first, whichever thread it is on.
 *
 * A waiter keeps a copy of its command's frame. When a write makes one of
 * its keys ready, the shard runs that frame again after the write (in
 * arrival order of the waiters); if the command can now pop, its reply goes
 * out with the waiter's reply number and the waiter is gone, otherwise it
 * keeps waiting. Deadlines answer nil; CLIENT UNBLOCK answers nil or the
 * UNBLOCKED error. Keys are fingerprints (scheduler/fingerprint.ts).
 */

/** What became of a waiter run again because one of its keys was written. */
export const enum Retry {
  /** It was answered: it leaves every key's queue. */
  Served = 0,
  /** Another shard answered it (its claim was taken): it leaves, answering nothing. */
  Dropped = 1,
  /** It still waits (the key is empty, holds another type, or is locked by a transaction for now). */
  Waiting = 2,
}

/** What a blocked command answers when it times out. */
export const enum TimeoutReply {
  NullArray = 0,
  NullBulk = 1,
}

export interface Waiter {
  /** Connection key (frames.ts connKey): unique across threads. */
  conn: number;
  seq: number;
  /** The thread the command came from (its reply goes back there). */
  from: number;
  /** The command's frame, run again when a key is ready. */
  frame: Uint8Array;
  fps: number[];
  /** ms since the epoch; 0 waits forever. */
  deadline: number;
  timeoutReply: TimeoutReply;
  resp3: boolean;
  /** Claim word index for a command registered on several shards, or -1. */
  claimIdx: number;
  /** The claim word's value when registered: the waiter may answer only if it still holds it. */
  claimGen: number;
}

export class BlockingRegistry {
  private readonly byKey = new Map<number, Waiter[]>();
  private readonly byConn = new Map<number, Waiter>();
  /** Keys written since the last serve that have waiters. */
  private ready: number[] = [];
  private readonly readySet = new Set<number>();
  /** Waiters registered on several shards (claimIdx >= 0), published for coordinators (see `release`). */
  private claimed = 0;

  /** `published[slot]` mirrors how many waiters registered on several shards this registry holds. */
  constructor(
    private readonly published: Int32Array | null = null,
    private readonly slot = 0,
  ) {}

  get size(): number {
    return this.byConn.size;
  }

  add(w: Waiter): void {
    this.byConn.set(w.conn, w);
    if (w.claimIdx >= 0) this.countClaimed(1);
    for (const k of w.fps) {
      let list = this.byKey.get(k);
      if (list === undefined) this.byKey.set(k, (list = []));
      list.push(w);
    }
  }

  remove(w: Waiter): void {
    if (this.byConn.get(w.conn) === w) {
      this.byConn.delete(w.conn);
      if (w.claimIdx >= 0) this.countClaimed(-1);
    }
    for (const k of w.fps) {
      const list = this.byKey.get(k);
      if (list === undefined) continue;
      const i = list.indexOf(w);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.byKey.delete(k);
    }
  }

  private countClaimed(d: number): void {
    this.claimed += d;
    if (this.published !== null) Atomics.store(this.published, this.slot, this.claimed);
  }

  /** The connection keys of the waiting clients. */
  connections(): number[] {
    return [...this.byConn.keys()];
  }

  byConnection(conn: number): Waiter | undefined {
    return this.byConn.get(conn);
  }

  /** Whether anyone waits on this key. */
  waitsOn(fp: number): boolean {
    return this.byKey.has(fp);
  }

  /** A key changed: if someone waits on it, serve them after the current command. */
  signal(fp: number): void {
    if (this.byKey.has(fp) && !this.readySet.has(fp)) {
      this.readySet.add(fp);
      this.ready.push(fp);
    }
  }

  get hasReady(): boolean {
    return this.ready.length > 0;
  }

  /**
   * Serves waiters of the ready keys, first blocked first served. `retry`
   * runs a waiter's command again. Every waiter of a ready key is tried, in
   * the order they blocked: one that still waits (say a BLPOP on a key that
   * now holds a sorted set) does not keep the ones behind it (a BZPOPMIN)
   * from being served, as in Redis. A key made ready while serving (BLMOVE
   * pushing to another key) is served too.
   */
  serve(retry: (w: Waiter) => Retry): void {
    while (this.ready.length > 0) {
      const key = this.ready.shift()!;
      this.readySet.delete(key);
      const list = this.byKey.get(key);
      if (list === undefined) continue;
      for (const w of [...list]) {
        if (this.byConn.get(w.conn) !== w) continue;
        if (retry(w) !== Retry.Waiting) this.remove(w);
      }
    }
  }

  /** The earliest deadline, or 0 when no waiter has one. */
  nextDeadline(): number {
    let min = 0;
    for (const w of this.byConn.values()) if (w.deadline !== 0 && (min === 0 || w.deadline < min)) min = w.deadline;
    return min;
  }

  /** Removes and returns the waiters whose deadline has passed, oldest deadline first. */
  expired(now: number): Waiter[] {
    const out: Waiter[] = [];
    for (const w of this.byConn.values()) if (w.deadline !== 0 && w.deadline <= now) out.push(w);
    out.sort((a, b) => a.deadline - b.deadline);
    for (const w of out) this.remove(w);
    return out;
  }
}
