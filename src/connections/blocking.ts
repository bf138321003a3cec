/**
 * The client side of blocked clients: which shards hold a client's blocking
 * command (BLPOP ...), what to tell them when the client is answered,
 * unblocked or goes away. The waiting itself happens in the shards
 * (shard/blocking.ts), first blocked first served whatever the thread.
 */
import { OP_UNBLOCK } from '../transport/frames.js';
import type { Connection } from './connection.js';
import type { ThreadContext } from './context.js';

const enc = new TextEncoder();
const UNBLOCK_NAME = enc.encode('unblock');
const STALE = enc.encode('stale');
const DROP = enc.encode('drop');
const ERROR_MODE = enc.encode('error');
const TIMEOUT_MODE = enc.encode('timeout');

export class BlockedClients {
  constructor(
    private readonly ctx: ThreadContext,
    /** Lets the connection parse its next commands again. */
    private readonly resume: (c: Connection) => void,
  ) {}

  /** A blocking command takes reply number `seq`: the client's later commands wait for its reply, as in Redis. */
  blocking(c: Connection, seq: number, shards: number[]): void {
    c.blockedSeq = seq;
    c.blockedShards = shards;
    c.blockedClaim = -1;
  }

  /** A blocking command was answered: the client's later commands may run; other shards forget it. */
  unblocked(c: Connection): void {
    if (c.blockedClaim >= 0) {
      const claim = enc.encode(String(c.blockedClaim));
      for (const s of c.blockedShards) this.unblockFrame(s, c, [UNBLOCK_NAME, STALE, claim]);
    }
    c.blockedSeq = -1;
    c.blockedShards = [];
    c.blockedClaim = -1;
    c.blockedInternal = 0;
    this.settlePending(c, 0);
    if (!c.closed) this.resume(c);
  }

  /**
   * A blocking command across shards has sent its registrations (or its
   * internal wait) to `c.blockedShards`: an UNBLOCK that came meanwhile goes
   * now. It is sent after the registrations have been queued (the rest of
   * the command's turn is synchronous), and each shard reads its frames from
   * this thread in order, so it finds the waiter.
   */
  registered(c: Connection): void {
    const pending = c.pendingUnblock;
    if (pending === null) return;
    c.pendingUnblock = null;
    queueMicrotask(() => void this.unblock(c, pending.mode).then(pending.resolve));
  }

  private settlePending(c: Connection, n: number): void {
    const pending = c.pendingUnblock;
    if (pending === null) return;
    c.pendingUnblock = null;
    pending.resolve(n);
  }

  /**
   * The connection closed: shards drop its waiters. An internal wait for it
   * (BLMOVE across shards) then ends with an empty answer; if it was served
   * first, the served element is still moved.
   */
  closed(c: Connection): void {
    for (const s of c.blockedShards) this.unblockFrame(s, c, [UNBLOCK_NAME, DROP]);
    this.settlePending(c, 0);
  }

  /** CLIENT UNBLOCK of a client of this thread: resolves 1 if it was blocked (and is now answered), else 0. */
  async unblock(target: Connection, mode: 'timeout' | 'error'): Promise<number> {
    if (target.blockedShards.length === 0) {
      if (target.blockedSeq < 0 || target.closed) return 0;
      // Blocked (CLIENT LIST shows it so) but on no shard yet: a command across shards
      // still checking its keys under locks. It registers, or answers at once (then 0).
      if (target.pendingUnblock !== null) return 0;
      return new Promise((resolve) => (target.pendingUnblock = { mode, resolve }));
    }
    const answers = await Promise.all(
      target.blockedShards.map((s) => this.ctx.request(s, OP_UNBLOCK, 0, [UNBLOCK_NAME, mode === 'error' ? ERROR_MODE : TIMEOUT_MODE], 0, target.key)),
    );
    return answers.some((r) => r[1] === 49) ? 1 : 0;
  }

  private unblockFrame(shard: number, c: Connection, args: Uint8Array[]): void {
    void this.ctx.request(shard, OP_UNBLOCK, 0, args, 0, c.key);
  }
}
