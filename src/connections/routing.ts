/**
 * Routing a command to the shard(s) that own its keys.
 *
 *  - All keys on this thread's shard: the command runs inline, at once,
 *    from the parser's buffer, and (when nothing is due before it) writes
 *    its reply straight into the client's output buffer.
 *  - All keys on another shard: one frame in the ring to that thread.
 *  - Keys on several shards: the command's cross-shard strategy from the
 *    command table (commands/across.ts): split parts under locks, every
 *    shard under a keyspace-wide lock, a SCAN cursor, or a multi-hop job.
 *
 * A command whose keys span shards holds the client's later commands until
 * it has its locks: a transaction refused by wait-die lets go and tries
 * again, and the client's next commands must not overtake it meanwhile.
 */
import type { Across, AcrossJob, CrossShard } from '../commands/across.js';
import { parseScanCursor } from '../commands/scan-args.js';
import { routingKeys } from '../commands/introspection.js';
import { type Merger, mergeInterleave } from '../commands/mergers.js';
import { Inline } from '../shard/shard.js';
import { REQ_NOBLOCK, REQ_NO_TOUCH, REQ_RESP3, REQ_SQUASH, REQ_TRACK, REQ_TRACK_NOLOOP, packArgs } from '../transport/frames.js';
import { tracksReads } from './tracking-family.js';
import { type Caller, LockPlan, type Tx, acquire, bytes, release, withLocks } from '../scheduler/transaction.js';
import type { BlockedClients } from './blocking.js';
import type { CommandEntry } from './command-table.js';
import type { ArgView, Connection } from './connection.js';
import type { ThreadContext } from './context.js';
import { argAt, copyArgs, fixedKeys, packView } from './args.js';
import { type NestedCall, type NestedResult, type ScriptCalls, keySpan } from '../shard/exec.js';
import { scriptCache } from '../scripting/cache.js';
import { KeyUse } from '../transport/script-key-use.js';
import { keyUseName, runKindOf } from '../commands/scripting.js';
import { scriptSha } from '../scripting/engine.js';
import { cacheEverywhere } from './scripting-family.js';
import { sliceBytes } from '../util/bytes.js';
import { parseInt64 } from '../util/numbers.js';
import { replyError } from './replies.js';
import { flushAllAndSave } from './persistence-family.js';

/**
 * The script of an EVAL that no thread has cached yet (its SHA1 and a copy
 * of its body), or null. Redis caches a script whatever its numkeys says
 * only when numkeys is valid (otherwise the shard answers the error).
 */
export function uncachedScript(p: ArgView, e: CommandEntry): { sha: string; body: Uint8Array } | null {
  if (!e.scriptBody) return null;
  const n = parseInt64(p.argBuf, p.argOff[2], p.argLen[2]);
  if (typeof n !== 'number' || n < 0 || n > p.argc - 3) return null;
  const body = argAt(p, 1);
  const sha = scriptSha(body);
  return scriptCache.has(sha) ? null : { sha, body: sliceBytes(body, 0, body.length) };
}

export class Router {
  /**
   * The transaction whose commands are being dispatched right now (EXEC
   * under locks): their frames carry its txid so they pass its locks. Set
   * only around synchronous dispatch, never across an await.
   */
  txid = 0;
  /** EXEC is replaying queued commands: blocking commands must not block. */
  replaying = false;
  /** The multi-hop job started by the last dispatch (EXEC waits for it before the next command). */
  lastJob: Promise<void> | null = null;

  constructor(
    private readonly ctx: ThreadContext,
    private readonly blocked: BlockedClients,
    /** Lets the connection parse its next commands again. */
    private readonly resume: (c: Connection) => void,
  ) {}

  /** Sends a keyspace command on its way (connection-side commands never get here). */
  route(c: Connection, p: ArgView, e: CommandEntry): void {
    if (e.scriptBody && this.txid === 0) {
      // A script's first EVAL: every thread caches it first, so an EVALSHA finds it on any shard (inside MULTI it was cached when queued).
      const script = uncachedScript(p, e);
      if (script !== null) return this.cacheThenRoute(c, p, e, script.sha, script.body);
    }
    const cross = e.cross;
    if (cross !== null && cross.kind !== 'cursor' && cross.check !== undefined) {
      const err = cross.check(p);
      if (err !== null) return replyError(this.ctx, c, err);
    }
    let word2 = e.id | (((c.resp === 3 ? REQ_RESP3 : 0) | (c.noTouch ? REQ_NO_TOUCH : 0)) << 16);
    // A tracking client's reads are remembered by their shard (and a script's, by the shard its calls run on).
    const t = c.tracking;
    if (t !== null && (!e.write || e.meta.group === 'scripting') && tracksReads(t)) word2 |= (REQ_TRACK | (t.noloop ? REQ_TRACK_NOLOOP : 0)) << 16;
    if (e.meta.route === 'keyspace') {
      if (cross?.kind === 'cursor') return this.scan(c, p, word2);
      if (e.fullName === 'flushall' && this.txid === 0 && this.ctx.config.get('save').trim() !== '') return this.flushAllAndSave(c, p);
      if (this.ctx.shards === 1 || cross?.kind !== 'everyShard') return this.single(c, p, e, this.ctx.index, word2);
      return this.everyShard(c, p, cross.merge, word2);
    }
    const first = e.meta.firstKey;
    const ctx = this.ctx;
    if (!e.movable && first > 0) {
      // The common case, without allocating: one key, or a fixed range of keys.
      const shard = ctx.shardOfArg(p.argBuf, p.argOff[first], p.argLen[first]);
      const last = e.meta.lastKey < 0 ? p.argc + e.meta.lastKey : e.meta.lastKey;
      const step = e.meta.step;
      let spans = false;
      for (let k = first + step; k <= last && step > 0; k += step) {
        if (ctx.shardOfArg(p.argBuf, p.argOff[k], p.argLen[k]) !== shard) {
          spans = true;
          break;
        }
      }
      if (!spans && !(cross?.kind === 'hops' && cross.hidden !== undefined && cross.hidden.needed(copyArgs(p), (k) => ctx.shardOf(k)))) {
        return this.single(c, p, e, shard, word2);
      }
      return this.across(c, p, e, word2, null);
    }
    if (e.keys?.after !== undefined && !(cross?.kind === 'hops' && cross.hidden !== undefined)) {
      // Keys after a keyword (XREAD's STREAMS), found in place: no copy when they share a shard.
      const [kf, kl, ks] = keySpan(e.keys, p.argc, p.argBuf, p.argOff, p.argLen);
      if (kf > 0) {
        const shard = ctx.shardOfArg(p.argBuf, p.argOff[kf], p.argLen[kf]);
        let spans = false;
        for (let k = kf + ks; k <= kl && !spans; k += ks) spans = ctx.shardOfArg(p.argBuf, p.argOff[k], p.argLen[k]) !== shard;
        if (!spans) return this.single(c, p, e, shard, word2);
      }
    }
    // Keys found through the key specs (numkeys arguments: LMPOP, ZUNIONSTORE ...; SORT's STORE).
    const args = copyArgs(p);
    const keys = routingKeys(e.meta, args);
    const shard = keys.length > 0 ? ctx.shardOf(args[keys[0]]) : ctx.index;
    let spans = keys.some((k) => ctx.shardOf(args[k]) !== shard);
    // A script not yet known to keep to its declared keys holds every shard (transport/script-key-use.ts).
    if (!spans && e.meta.group === 'scripting' && e.id >= 0 && ctx.scriptKeyUse.get(keyUseName(runKindOf(e.fullName), args)) !== KeyUse.DeclaredOnly) spans = true;
    if (!spans && cross?.kind === 'hops' && cross.hidden !== undefined) spans = cross.hidden.needed(args, (k) => ctx.shardOf(k));
    if (!spans) return this.single(c, p, e, shard, word2);
    this.across(c, p, e, word2, keys);
  }

  /** Holds the connection while every thread caches the script, then routes its EVAL. */
  private cacheThenRoute(c: Connection, p: ArgView, e: CommandEntry, sha: string, body: Uint8Array): void {
    const view = packView(p);
    c.busy = true;
    void cacheEverywhere(this.ctx, sha, body).then(() => {
      c.busy = false;
      if (!c.closed) this.route(c, view, e);
      this.ctx.markDirty(c);
      this.resume(c);
    });
  }

  /** A command whose keys all live on `shard`: inline when it is this thread's own, else one frame. */
  private single(c: Connection, p: ArgView, e: CommandEntry, shard: number, word2: number): void {
    const ctx = this.ctx;
    // A script has held that shard's thread past busy-reply-threshold: BUSY, as Redis answers while one runs long.
    // Read once: that thread may end its script between two reads (and a 0 would look very old).
    // A script holding every shard makes every shard busy.
    const wide = ctx.scriptWatch.wideStartedAt();
    const scriptStarted = wide !== 0 ? wide : shard === ctx.index ? 0 : ctx.scriptWatch.startedAt(shard);
    if (scriptStarted !== 0 && Date.now() - scriptStarted > ctx.config.int('busy-reply-threshold')) {
      return replyError(ctx, c, 'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.');
    }
    const seq = c.takeSeq();
    if (e.blocking) {
      if (this.replaying || c.loader) word2 |= REQ_NOBLOCK << 16;
      else this.blocked.blocking(c, seq, [shard]);
    } else if (c.sendsAll) word2 |= REQ_SQUASH << 16;
    c.inFlight++;
    if (shard === ctx.index && this.txid === 0 && !ctx.localBacklog) {
      const out = c.outSeq === seq && c.sendsAll && !c.discardAll ? c.out : null;
      const r = ctx.shard.runInline(c.key, seq, word2, c.db, p, out);
      if (r === Inline.Replied) {
        c.inFlight--;
        c.wroteInPlace(seq);
        if (e.blocking) this.blocked.unblocked(c);
      }
      ctx.markDirty(c);
      return;
    }
    ctx.send(shard, c.key, seq, word2, c.db, this.txid, p, null);
  }

  /** Keys on several shards: the command's strategy, or an error naming hash tags. */
  private across(c: Connection, p: ArgView, e: CommandEntry, word2: number, keys: number[] | null): void {
    const cross = e.cross;
    if (cross?.kind === 'split') return this.split(c, p, e, word2, cross.merge);
    if (cross?.kind === 'hops') return this.startJob(c, copyArgs(p), keys ?? fixedKeys(e, p.argc), cross.run, e.blocking);
    replyError(this.ctx, c, `ERR keys of '${e.fullName}' live on different shards; use {hash tags} to keep them together`);
  }

  /**
   * MGET, MSET, DEL ... with keys on several shards: the keys are split by
   * shard, locked, and each shard runs its part under the locks; the parts
   * are merged into the client's reply.
   */
  private split(c: Connection, p: ArgView, e: CommandEntry, word2: number, merge: Merger | 'interleave'): void {
    const step = e.meta.step;
    const n = this.ctx.shards;
    const picks: (number[] | null)[] = new Array(n).fill(null);
    const order: number[] = [];
    const plan = new LockPlan(this.ctx);
    for (let k = e.meta.firstKey; k < p.argc; k += step) {
      const key = p.argBuf.subarray(p.argOff[k], p.argOff[k] + p.argLen[k]);
      const s = this.ctx.shardOf(key);
      let pick = picks[s];
      if (pick === null) pick = picks[s] = [0];
      for (let j = 0; j < step; j++) pick.push(k + j);
      order.push(s);
      plan.add(c.db, key);
    }
    const seq = c.takeSeq();
    const shards = plan.shards();
    c.expectParts(seq, n, shards.length, merge === 'interleave' ? mergeInterleave(order) : merge);
    c.inFlight += shards.length;
    this.underLocks(c, plan, shards, p, (txid, view) => {
      for (const s of shards) this.ctx.send(s, c.key, seq, word2, c.db, txid, view, picks[s]);
    });
  }

  /** A keyspace-wide command (DBSIZE, KEYS, FLUSHALL ...): every shard, under a keyspace-wide lock, merged. */
  private everyShard(c: Connection, p: ArgView, merge: Merger, word2: number): void {
    const n = this.ctx.shards;
    const seq = c.takeSeq();
    c.expectParts(seq, n, n, merge);
    c.inFlight += n;
    const plan = new LockPlan(this.ctx);
    plan.wide = true;
    const shards = plan.shards();
    this.underLocks(c, plan, shards, p, (txid, view) => {
      for (const s of shards) this.ctx.send(s, c.key, seq, word2, c.db, txid, view, null);
    });
  }

  /**
   * Runs `send` under the locks of `plan` and releases them right behind the
   * frames it sent (UNLOCK follows them in every ring). Inside EXEC the
   * transaction's locks already cover the keys.
   */
  private underLocks(c: Connection, plan: LockPlan, shards: number[], p: ArgView, send: (txid: number, view: ArgView) => void): void {
    if (this.txid !== 0) return send(this.txid, p);
    const view = packView(p);
    const txid = this.ctx.newTxid();
    const caller: Caller = { conn: c.key, db: c.db, resp3: c.resp === 3 };
    c.busy = true;
    void acquire(this.ctx, caller, plan, shards, txid).then(() => {
      send(txid, view);
      release(this.ctx, caller, shards, txid);
      c.busy = false;
      this.resume(c);
    });
  }

  /** FLUSHALL with save points: it saves before it answers (persistence-family.ts). */
  private flushAllAndSave(c: Connection, p: ArgView): void {
    const seq = c.takeSeq();
    const caller: Caller = { conn: c.key, db: c.db, resp3: c.resp === 3 };
    c.busy = true;
    void flushAllAndSave(this.ctx, caller, copyArgs(p)).then((reply) => {
      c.replyNow(seq, reply, 0, reply.length);
      c.busy = false;
      this.ctx.markDirty(c);
      this.resume(c);
    });
  }

  /** SCAN: the cursor names the shard to continue on (cursor = local * shards + shard). */
  private scan(c: Connection, p: ArgView, word2: number): void {
    const cursor = parseScanCursor(p.argBuf, p.argOff[1], p.argLen[1]);
    if (cursor === null) return replyError(this.ctx, c, 'ERR invalid cursor');
    const shard = Number(cursor % BigInt(this.ctx.shards));
    const seq = c.takeSeq();
    c.inFlight++;
    if (shard === this.ctx.index && this.txid === 0 && !this.ctx.localBacklog) {
      this.ctx.shard.runInline(c.key, seq, word2, c.db, p, null);
      this.ctx.markDirty(c);
      return;
    }
    this.ctx.send(shard, c.key, seq, word2, c.db, this.txid, p, null);
  }

  /**
   * Runs a multi-hop strategy: its reply takes the next place in the
   * connection's order now and is filled in when the steps are done. The
   * client's later commands wait until the job has its locks.
   */
  private startJob(c: Connection, args: Uint8Array[], keys: number[], run: Across, blocking: boolean): void {
    const seq = c.takeSeq();
    c.inFlight++;
    const blocks = blocking && !this.replaying && !c.loader;
    if (blocks) this.blocked.blocking(c, seq, []);
    let held = this.txid === 0;
    if (held) c.busy = true;
    // Called when the job has its locks, and again when it ends (it may end without locking).
    const unhold = (): void => {
      if (!held) return;
      held = false;
      c.busy = false;
      this.resume(c);
    };
    const job = new Job(this.ctx, c, args, keys, seq, this.txid, !this.replaying && !c.loader, unhold, () => this.blocked.registered(c));
    const done = run(job).then(
      (reply) => {
        unhold();
        if (reply === null) {
          // Registered on shards, which answer the client themselves.
          c.inFlight--;
          return;
        }
        c.inFlight--;
        c.replyNow(seq, reply, 0, reply.length);
        if (blocks) this.blocked.unblocked(c);
        this.ctx.markDirty(c);
      },
      (err: Error) => {
        unhold();
        c.inFlight--;
        const r = bytes(`-ERR internal error: ${err.message.replace(/[\r\n]/g, ' ')}\r\n`);
        c.replyNow(seq, r, 0, r.length);
        if (blocks) this.blocked.unblocked(c);
        this.ctx.markDirty(c);
      },
    );
    this.lastJob = done;
  }
}

/** What a multi-hop strategy runs against: the client's command and the scheduler (commands/across.ts). */
class Job implements AcrossJob {
  readonly conn: number;
  readonly db: number;
  readonly resp3: boolean;

  constructor(
    readonly hops: ThreadContext,
    private readonly c: Connection,
    readonly args: Uint8Array[],
    readonly keys: number[],
    readonly seq: number,
    readonly inside: number,
    readonly mayBlock: boolean,
    private readonly locksTaken: () => void,
    /** The command has told the connection where it waits (a pending CLIENT UNBLOCK may go). */
    private readonly waiting: () => void,
  ) {
    this.conn = c.key;
    this.db = c.db;
    this.resp3 = c.resp === 3;
  }

  plan(): LockPlan {
    return new LockPlan(this.hops);
  }

  locked<T>(plan: LockPlan, body: (tx: Tx) => Promise<T>): Promise<T> {
    return withLocks(this.hops, { conn: this.conn, db: this.db, resp3: this.resp3, onLocked: this.locksTaken }, plan, this.inside, body);
  }

  scriptCall(shard: number, id: number, args: Uint8Array[], call: NestedCall): NestedResult {
    return this.hops.scriptCallOn(shard, id, args, call);
  }

  get localShard(): number {
    return this.hops.index;
  }

  crossOf(fullName: string): CrossShard | null {
    return this.hops.crossOf(fullName);
  }

  get scriptCalls(): ScriptCalls {
    return this.hops.shard.exec.scriptCalls!;
  }

  newClaim(): number {
    return this.hops.shared.newClaim();
  }

  blockedOn(shards: number[], claim: number): void {
    this.c.blockedShards = shards;
    this.c.blockedClaim = claim;
    this.waiting();
  }

  register(shard: number, word2: number, db: number, args: Uint8Array[], txid: number): void {
    // Each registration is answered once: served, timed out, or dropped (an empty record).
    this.c.inFlight++;
    this.hops.send(shard, this.conn, this.seq, word2, db, txid, packArgs(args), null);
  }

  waitOn(shard: number, word2: number, db: number, args: Uint8Array[]): Promise<Uint8Array> {
    return this.hops.requestWithSeq(shard, word2, db, args, 0, this.conn, (s) => (this.c.blockedInternal = s));
  }
}
