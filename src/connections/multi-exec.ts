/**
 * MULTI/EXEC and WATCH on top of the scheduler (docs/transactions.md).
 *
 * MULTI queues on the connection (dispatch.ts). EXEC takes locks on every
 * key the queued commands name (the whole keyspace if one of them spans
 * it), plus a LOCK on each shard holding the connection's watches, which
 * answers whether a watched key was touched. Then the queued commands run
 * under the transaction's txid, and UNLOCK lets the shards go on.
 *
 * When everything is on one shard and nothing is watched elsewhere, the
 * LOCK, the commands and the UNLOCK travel as one batch (a transaction on
 * one shard cannot deadlock, so it never has to let go): one hop.
 */
import { routingKeys } from '../commands/introspection.js';
import { dbIndexError, parseDb } from '../commands/db-index.js';
import { OP_LOCK, OP_UNWATCH, OP_WATCH, REQ_LOCK_ONE } from '../transport/frames.js';
import { LockPlan, acquire, bytes, release } from '../scheduler/transaction.js';
import type { CommandEntry } from './command-table.js';
import type { ArgView, Connection } from './connection.js';
import type { ThreadContext } from './context.js';
import { replyBytes } from './replies.js';
import type { Router } from './routing.js';
import { argAt, copyArgs, fixedKeys } from './args.js';

const NIL_ARRAY = bytes('*-1\r\n');
const NIL3 = bytes('_\r\n');
const EXECABORT = bytes('-EXECABORT Transaction discarded because of previous errors.\r\n');
const OK = bytes('+OK\r\n');
const WATCH_NAME = bytes('watch');

const HEADERS: Uint8Array[] = [];
/** `*n\r\n`, shared for small n (never modified). */
function arrayHeader(n: number): Uint8Array {
  if (n < 64) return (HEADERS[n] ??= bytes(`*${n}\r\n`));
  return bytes(`*${n}\r\n`);
}

export class MultiExec {
  constructor(
    private readonly ctx: ThreadContext,
    private readonly router: Router,
    /** Runs a queued command as dispatch would (its connection-side handler, or routing). */
    private readonly run: (c: Connection, view: ArgView, e: CommandEntry) => void,
    /** Lets the connection parse its next commands again. */
    private readonly resume: (c: Connection) => void,
  ) {}

  /**
   * WATCH: each key is registered on its shard for this connection. The OK
   * waits for every shard to have registered it, so a write another client
   * makes after seeing it is always noticed.
   */
  watch(c: Connection, keys: Uint8Array[], seq: number): void {
    c.watchCount += keys.length;
    const byShard = new Map<number, Uint8Array[]>();
    for (const key of keys) {
      const s = this.ctx.shardOf(key);
      c.watchShards.add(s);
      let list = byShard.get(s);
      if (list === undefined) byShard.set(s, (list = []));
      list.push(key);
    }
    const acks = [...byShard].map(([s, ks]) => this.ctx.request(s, OP_WATCH, c.db, [WATCH_NAME, ...ks], 0, c.key));
    void Promise.all(acks).then(() => replyBytes(this.ctx, c, seq, OK));
  }

  /** Forgets every WATCH of a connection. */
  unwatchAll(c: Connection): void {
    for (const s of c.watchShards) void this.ctx.request(s, OP_UNWATCH, 0, [], 0, c.key);
    c.watchShards.clear();
    c.watchCount = 0;
  }

  exec(c: Connection, seq: number): void {
    const queue = c.multi ?? [];
    const dirty = c.multiDirty;
    c.multi = null;
    c.multiDirty = false;
    if (dirty) {
      this.unwatchAll(c);
      return replyBytes(this.ctx, c, seq, EXECABORT);
    }
    const header = arrayHeader(queue.length);
    const { plan, hops } = this.lockPlan(c, queue);
    const shards = new Set(plan.shards());
    for (const s of c.watchShards) shards.add(s);
    if (shards.size === 0) {
      // Nothing on any shard (PING, SELECT ...): nothing to lock.
      c.replyNow(seq, header, 0, header.length, true);
      this.replay(c, queue, 0);
      this.ctx.markDirty(c);
      return;
    }
    const caller = { conn: c.key, db: c.db, resp3: c.resp === 3 };
    const txid = this.ctx.newTxid();
    const list = [...shards];
    if (list.length === 1 && !plan.wide && !hops && c.watchShards.size === 0) {
      // One shard: LOCK, the commands and UNLOCK in one batch.
      const s = list[0];
      void this.ctx.request(s, OP_LOCK | (REQ_LOCK_ONE << 16), 0, plan.keys.get(s) ?? [], txid, c.key);
      c.replyNow(seq, header, 0, header.length, true);
      this.replay(c, queue, txid);
      release(this.ctx, caller, list, txid);
      this.ctx.markDirty(c);
      return;
    }
    c.busy = true;
    void (async () => {
      let ran = false;
      try {
        const touched = await acquire(this.ctx, caller, plan, list, txid);
        ran = true;
        if (touched) {
          const nil = c.resp === 3 ? NIL3 : NIL_ARRAY;
          c.replyNow(seq, nil, 0, nil.length);
        } else {
          c.replyNow(seq, header, 0, header.length);
          for (const q of queue) {
            this.router.lastJob = null;
            this.replay(c, [q], txid);
            // A multi-hop command inside: the next command waits for its steps.
            if (this.router.lastJob !== null) await this.router.lastJob;
          }
        }
      } finally {
        if (ran) release(this.ctx, caller, list, txid, true);
        c.watchShards.clear();
        c.watchCount = 0;
        c.busy = false;
        this.ctx.markDirty(c);
        this.resume(c);
      }
    })();
  }

  /** Runs queued commands (already checked when queued) under txid, synchronously: nothing else runs between them. */
  private replay(c: Connection, queue: { view: ArgView; entry: CommandEntry }[], txid: number): void {
    const r = this.router;
    r.txid = txid;
    r.replaying = true;
    try {
      for (const { view, entry } of queue) {
        c.lastCommand = entry.fullName;
        this.ctx.stats.totalCommands++;
        this.run(c, view, entry);
      }
    } finally {
      r.txid = 0;
      r.replaying = false;
    }
  }

  /** Every key the queued commands name, in the database each runs in; whether any needs hops. */
  private lockPlan(c: Connection, queue: { view: ArgView; entry: CommandEntry }[]): { plan: LockPlan; hops: boolean } {
    const plan = new LockPlan(this.ctx);
    let hops = false;
    let db = c.db;
    for (const { view, entry: e } of queue) {
      if (e.fullName === 'select') {
        const d = parseDb(Buffer.from(argAt(view, 1)).toString('latin1'));
        if (dbIndexError(d) === null) db = d as number;
        continue;
      }
      if (e.front !== null) continue;
      if (e.meta.route === 'keyspace') {
        if (e.cross?.kind === 'everyShard') plan.wide = true;
        continue;
      }
      // A script may touch keys it did not declare: the transaction holds every shard.
      if (e.meta.group === 'scripting' && e.id >= 0) plan.wide = true;
      const args = copyArgs(view);
      const keys = e.movable ? routingKeys(e.meta, args) : fixedKeys(e, view.argc);
      for (const k of keys) plan.add(db, args[k]);
      if (e.cross?.kind === 'hops' && e.cross.hidden !== undefined) {
        e.cross.hidden.lock(plan, db, args);
        if (e.cross.hidden.needed(args, (k) => this.ctx.shardOf(k))) hops = true;
      }
      const touched = new Set(keys.map((k) => this.ctx.shardOf(args[k])));
      if (touched.size > 1) hops = true;
    }
    return { plan, hops };
  }
}
