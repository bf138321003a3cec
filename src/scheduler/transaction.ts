/**
 * The coordinator's half of the transactional scheduler (the shards' half is
 * lock-table.ts; docs/transactions.md has the argument).
 *
 * A multi-shard command gets a txid from the counter all threads share,
 * sends LOCK frames for its keys to every shard involved, and waits until
 * every shard granted them. A shard may refuse (wait-die: the transaction
 * would wait for an older one): then it lets go of what it got and tries
 * again with the same txid, so it grows older and eventually waits instead
 * of dying. With all locks held it runs its steps as frames carrying the
 * txid (they pass its own locks), then sends UNLOCK. Frames of other
 * transactions that touch those keys wait in the shards; others run on.
 *
 * Commands write their logic against `Tx`: `tx.call(shard, command, args)`
 * runs one step and returns the shard's RESP reply, which is all a family
 * needs to make a command work across shards.
 */
import { OP_EXPORT, OP_IMPORT, OP_LOCK, OP_UNLOCK, REQ_FOREIGN_VALUE, REQ_LOCK_ONE, REQ_READ, REQ_RESP3, REQ_WIDE } from '../transport/frames.js';

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** What the scheduler needs from the thread it runs on: where keys live, and a way to send frames. */
export interface Hops {
  /** Number of shards (one per thread). */
  readonly shards: number;
  shardOf(key: Uint8Array): number;
  /** A txid from the counter every thread shares. */
  newTxid(): number;
  /** The id frames carry for a shard command, by full name ("get", "object|encoding"). */
  handlerId(name: string): number;
  /**
   * Sends a frame to a shard on behalf of connection `conn` (a connKey, 0
   * for none) and resolves with the shard's RESP reply.
   */
  request(shard: number, word2: number, db: number, args: Uint8Array[], txid: number, conn: number): Promise<Uint8Array>;
  /** Whether any of `shards` holds a client blocked on keys of several shards. */
  claimWaitersOn(shards: number[]): boolean;
}

/** The client a transaction acts for. */
export interface Caller {
  /** Connection key (frames.ts connKey). */
  readonly conn: number;
  readonly db: number;
  readonly resp3: boolean;
  /** Told when the transaction holds all its locks (the client's next commands may then be dispatched). */
  readonly onLocked?: () => void;
}

/** A lock key on the wire: the database as one byte, then the key. */
function lockArg(db: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = db;
  out.set(key, 1);
  return out;
}

/** Which keys to lock on which shard, and whether the whole keyspace is involved. */
export class LockPlan {
  readonly keys = new Map<number, Uint8Array[]>();
  wide = false;

  constructor(private readonly hops: Hops) {}

  add(db: number, key: Uint8Array): this {
    const s = this.hops.shardOf(key);
    let list = this.keys.get(s);
    if (list === undefined) this.keys.set(s, (list = []));
    list.push(lockArg(db, key));
    return this;
  }

  /** Shards to lock: all of them when wide. */
  shards(): number[] {
    if (this.wide) return Array.from({ length: this.hops.shards }, (_, i) => i);
    return [...this.keys.keys()];
  }
}

/** One running transaction. */
export class Tx {
  constructor(
    readonly hops: Hops,
    readonly txid: number,
    readonly caller: Caller,
    /** The database when the command arrived (a later SELECT does not apply). */
    readonly db: number,
  ) {}

  private word2(id: number, flags = 0): number {
    return id | ((flags | (this.caller.resp3 ? REQ_RESP3 : 0)) << 16);
  }

  /** Runs a shard command (by full name) as a step of the transaction; resolves with its RESP reply. */
  call(shard: number, name: string, args: Uint8Array[], db = this.db, flags = 0): Promise<Uint8Array> {
    // `name` may be spelled as the client typed it: the shard sees it as argument 0.
    return this.hops.request(shard, this.word2(this.hops.handlerId(name.toLowerCase()), flags), db, [bytes(name), ...args], this.txid, this.caller.conn);
  }

  /** Reads a whole key as bytes (null when missing); `del` removes it in the same step. */
  async exportKey(shard: number, key: Uint8Array, opts: { del?: boolean; db?: number; event?: string; read?: boolean } = {}): Promise<Uint8Array | null> {
    const args = [bytes('export'), key];
    // The keyspace event the shard publishes for a deleted key (RENAME's rename_from).
    if (opts.event !== undefined) args.push(bytes(opts.event));
    const flags = (opts.del === true ? REQ_WIDE : 0) | (opts.read === true ? REQ_READ : 0);
    const r = await this.hops.request(shard, this.word2(OP_EXPORT, flags), opts.db ?? this.db, args, this.txid, this.caller.conn);
    return bulkOrNull(r);
  }

  /** Writes a key from exported bytes; `nx` keeps an existing key. Resolves whether it wrote. */
  async importKey(shard: number, key: Uint8Array, blob: Uint8Array, nx: boolean, db = this.db, event?: string): Promise<boolean> {
    const args = [bytes('import'), key, blob, bytes(nx ? 'nx' : 'replace')];
    // The keyspace event the shard publishes for the written key (rename_to, copy_to).
    if (event !== undefined) args.push(bytes(event));
    const r = await this.hops.request(shard, this.word2(OP_IMPORT), db, args, this.txid, this.caller.conn);
    return r[1] === 49; // ":1"
  }

  foreignFlag(): number {
    return REQ_FOREIGN_VALUE;
  }
}

/** A LOCK's answer: granted, granted with the caller's watched keys touched, or refused (try again). */
export const enum LockAnswer {
  Granted = 0,
  Dirty = 1,
  Refused = -1,
}

function lockAnswer(r: Uint8Array): LockAnswer {
  if (r[1] === 45 /* ":-1" */) return LockAnswer.Refused;
  return r[1] === 49 ? LockAnswer.Dirty : LockAnswer.Granted;
}

/**
 * Takes the locks of `plan` on `shards` for transaction `txid`, retrying
 * (same txid) while some shard refuses. Resolves whether any shard reported
 * the caller's watched keys touched.
 */
export async function acquire(hops: Hops, caller: Caller, plan: LockPlan, shards: number[], txid: number): Promise<boolean> {
  const flags = (plan.wide ? REQ_WIDE : 0) | (shards.length === 1 ? REQ_LOCK_ONE : 0);
  for (let attempt = 1; ; attempt++) {
    const answers = await Promise.all(shards.map((s) => hops.request(s, OP_LOCK | (flags << 16), 0, plan.keys.get(s) ?? [], txid, caller.conn)));
    let refused = false;
    let dirty = false;
    for (const a of answers) {
      const v = lockAnswer(a);
      if (v === LockAnswer.Refused) refused = true;
      else if (v === LockAnswer.Dirty) dirty = true;
    }
    if (!refused) {
      caller.onLocked?.();
      return dirty;
    }
    // Let go of what was granted, so the older transaction in the way can finish; ask
    // again at once, then, if it is still in the way, after a pause that grows to 4 ms.
    // (All at once: the LOCKs that follow must find every UNLOCK ahead of them.)
    for (const s of shards) void hops.request(s, OP_UNLOCK, 0, [], txid, caller.conn);
    if (attempt < 3) await new Promise((r) => setImmediate(r));
    else await new Promise((r) => setTimeout(r, Math.min(4, 1 << (attempt - 3))));
  }
}

/**
 * Ends transaction txid: sends UNLOCK to every shard of `shards` (UNLOCK
 * never waits). A shard serves the clients blocked on keys the transaction
 * wrote when it unlocks. Redis serves them in the order the keys were
 * written, so a client blocked on keys of several of these shards must be
 * served by the shard the transaction touched first: then the shards unlock
 * one after another, in that order (`shards` lists them so), each once the
 * one before has answered. Otherwise they all unlock at once.
 */
export function release(hops: Hops, caller: Caller, shards: number[], txid: number, unwatch = false): void {
  const word2 = OP_UNLOCK | ((unwatch ? REQ_WIDE : 0) << 16);
  // The count of shards tells the AOF writer when it has every shard's part of the transaction.
  const parts = [bytes(String(shards.length))];
  if (shards.length > 1 && hops.claimWaitersOn(shards)) {
    void (async () => {
      for (const s of shards) await hops.request(s, word2, 0, parts, txid, caller.conn);
    })();
    return;
  }
  for (const s of shards) void hops.request(s, word2, 0, parts, txid, caller.conn);
}

/**
 * Takes the locks of `plan` for a new transaction, runs `body`, and releases
 * them. When `inside` is a running transaction (a command inside EXEC), its
 * locks already cover the keys and the body runs under its txid.
 */
export async function withLocks<T>(hops: Hops, caller: Caller, plan: LockPlan, inside: number, body: (tx: Tx) => Promise<T>): Promise<T> {
  // The database is the connection's now: its later commands (a SELECT) may run before the steps do.
  const db = caller.db;
  if (inside !== 0) {
    caller.onLocked?.();
    return body(new Tx(hops, inside, caller, db));
  }
  const txid = hops.newTxid();
  const shards = plan.shards();
  await acquire(hops, caller, plan, shards, txid);
  try {
    return await body(new Tx(hops, txid, caller, db));
  } finally {
    release(hops, caller, shards, txid);
  }
}

/**
 * withLocks over the whole keyspace: one txid holding every shard, so
 * `body` sees every shard at the same point of the global order (snapshots,
 * digests). `body` gets the shards' indexes.
 */
export function withEveryShard<T>(hops: Hops, caller: Caller, inside: number, body: (tx: Tx, shards: number[]) => Promise<T>): Promise<T> {
  const plan = new LockPlan(hops);
  plan.wide = true;
  const shards = plan.shards();
  return withLocks(hops, caller, plan, inside, (tx) => body(tx, shards));
}

/** The body of a bulk reply, or null for a nil reply. */
export function bulkOrNull(reply: Uint8Array): Uint8Array | null {
  if (reply[0] !== 36 /* $ */ || reply[1] === 45 /* - */) return null;
  let i = 1;
  while (reply[i] !== 13) i++;
  return reply.subarray(i + 2, reply.length - 2);
}
