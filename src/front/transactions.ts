/**
 * The front's half of the transactional scheduler (the shards' half is
 * shard/scheduler.ts; docs/transactions.md has the argument).
 *
 * A multi-hop command gets a txid, sends LOCK frames for its keys to every
 * shard involved — synchronously, so they take one place in the global
 * order —, waits for the locks, runs its steps as frames carrying the txid
 * (they pass its own locks), then sends UNLOCK. Frames of other
 * transactions that touch those keys wait in the shards; others run on.
 *
 * Commands write their logic against `Tx`: `tx.call(shard, command, args)`
 * runs one step and returns the shard's RESP reply, which is all a family
 * needs to add a multi-key command.
 */
import type { CommandMeta } from '../commands/meta.js';
import { shardHandlerId } from '../commands/registry.js';
import { OP_EXPORT, OP_IMPORT, OP_LOCK, OP_UNLOCK } from '../shard/shard.js';
import { REQ_FOREIGN_KEYS, REQ_FOREIGN_VALUE, REQ_RESP3, REQ_WIDE } from '../transport/frames.js';
import type { Connection } from './connection.js';
import type { Front } from './front.js';

const enc = new TextEncoder();
export const bytes = (s: string): Uint8Array => enc.encode(s);

/** Positions of a command's keys in its arguments, from the catalog's key spec. */
export function keyPositions(meta: CommandMeta, argc: number): number[] {
  const out: number[] = [];
  if (meta.firstKey <= 0) return out;
  const last = meta.lastKey < 0 ? argc + meta.lastKey : Math.min(meta.lastKey, argc - 1);
  for (let k = meta.firstKey; k <= last; k += meta.step > 0 ? meta.step : 1) out.push(k);
  return out;
}

/** A lock key on the wire: the database as one byte, then the key. */
export function lockArg(db: number, key: Uint8Array): Uint8Array {
  const out = new Uint8Array(key.length + 1);
  out[0] = db;
  out.set(key, 1);
  return out;
}

/** Which keys to lock on which shard, and whether the whole keyspace is involved. */
export class LockPlan {
  readonly keys = new Map<number, Uint8Array[]>();
  wide = false;

  add(front: Front, db: number, key: Uint8Array): void {
    const s = front.shardOf(key, 0, key.length);
    let list = this.keys.get(s);
    if (list === undefined) this.keys.set(s, (list = []));
    list.push(lockArg(db, key));
  }

  /** Shards to lock: all of them when wide. */
  shards(front: Front): number[] {
    if (this.wide) return front.links.map((_, i) => i);
    return [...this.keys.keys()];
  }
}

/** One running multi-hop transaction. */
export class Tx {
  /** The protocol of the connection when the command arrived (a later HELLO does not apply). */
  private readonly resp3: boolean;

  constructor(
    readonly front: Front,
    readonly txid: number,
    readonly c: Connection,
    readonly db: number,
  ) {
    this.resp3 = c.resp === 3;
  }

  private word2(id: number, flags = 0): number {
    return id | ((flags | (this.resp3 ? REQ_RESP3 : 0)) << 16);
  }

  /** Runs a shard command (by full name) as a step of the transaction; resolves with its RESP reply. */
  call(shard: number, name: string, args: Uint8Array[], db = this.db, flags = 0): Promise<Uint8Array> {
    return this.front.request(shard, this.word2(shardHandlerId(name), flags), db, [bytes(name), ...args], this.txid, this.c.slot);
  }

  /** Reads a whole key as bytes (null when missing); `del` removes it in the same step. */
  async exportKey(shard: number, key: Uint8Array, del: boolean, db = this.db): Promise<Uint8Array | null> {
    const r = await this.front.request(shard, this.word2(OP_EXPORT, del ? REQ_WIDE : 0), db, [bytes('export'), key], this.txid, this.c.slot);
    return bulkOrNull(r);
  }

  /** Writes a key from exported bytes; `nx` keeps an existing key. Resolves whether it wrote. */
  async importKey(shard: number, key: Uint8Array, blob: Uint8Array, nx: boolean, db = this.db): Promise<boolean> {
    const r = await this.front.request(shard, this.word2(OP_IMPORT), db, [bytes('import'), key, blob, bytes(nx ? 'nx' : 'replace')], this.txid, this.c.slot);
    return r[1] === 49; // ":1"
  }

  foreignFlag(): number {
    return REQ_FOREIGN_VALUE;
  }
}

/**
 * Takes the locks of `plan` for a new transaction, runs `body`, and releases
 * them. The LOCK frames are sent before the first await, so the transaction
 * takes its place in the global order at the call. When `inside` is a
 * running transaction (a command inside EXEC), its locks already cover the
 * keys and the body runs under its txid.
 */
export async function withLocks<T>(front: Front, c: Connection, plan: LockPlan, inside: number, body: (tx: Tx) => Promise<T>): Promise<T> {
  // The database is the connection's now: its later commands (a SELECT) may run before the steps do.
  const db = c.db;
  if (inside !== 0) return body(new Tx(front, inside, c, db));
  const txid = front.newTxid();
  const shards = plan.shards(front);
  const locked = shards.map((s) =>
    front.request(s, OP_LOCK | ((plan.wide ? REQ_WIDE : 0) << 16), 0, plan.keys.get(s) ?? [], txid, c.slot),
  );
  await Promise.all(locked);
  try {
    return await body(new Tx(front, txid, c, db));
  } finally {
    for (const s of shards) void front.request(s, OP_UNLOCK, 0, [], txid, c.slot);
  }
}

/** The body of a bulk reply, or null for a nil reply. */
export function bulkOrNull(reply: Uint8Array): Uint8Array | null {
  if (reply[0] !== 36 /* $ */ || reply[1] === 45 /* - */) return null;
  let i = 1;
  while (reply[i] !== 13) i++;
  return reply.subarray(i + 2, reply.length - 2);
}

const OK = bytes('+OK\r\n');
const ONE = bytes(':1\r\n');
const ZERO = bytes(':0\r\n');
const NO_SUCH_KEY = bytes('-ERR no such key\r\n');

/**
 * RENAME / RENAMENX with the two keys on different shards. Redis's order of
 * checks: a missing source is an error even when NX would refuse; NX
 * refuses an existing destination; the TTL moves with the value.
 */
export function renameAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, nx: boolean, inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  plan.add(front, c.db, src);
  plan.add(front, c.db, dst);
  const a = front.shardOf(src, 0, src.length);
  const b = front.shardOf(dst, 0, dst.length);
  return withLocks(front, c, plan, inside, async (tx) => {
    const blob = await tx.exportKey(a, src, false);
    if (blob === null) return NO_SUCH_KEY;
    if (!(await tx.importKey(b, dst, blob, nx))) return ZERO;
    await tx.call(a, 'del', [src]);
    return nx ? ONE : OK;
  });
}

/** COPY with the destination on another shard (options already checked). */
export function copyAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, dstDb: number, replace: boolean, inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  plan.add(front, c.db, src);
  plan.add(front, dstDb, dst);
  const a = front.shardOf(src, 0, src.length);
  const b = front.shardOf(dst, 0, dst.length);
  return withLocks(front, c, plan, inside, async (tx) => {
    const blob = await tx.exportKey(a, src, false);
    if (blob === null) return ZERO;
    return (await tx.importKey(b, dst, blob, !replace, dstDb)) ? ONE : ZERO;
  });
}

/** MSETNX over several shards: check every key, then set them all or none. */
export function msetnxAcross(front: Front, c: Connection, args: Uint8Array[], inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  const byShard = new Map<number, Uint8Array[]>();
  for (let i = 1; i + 1 < args.length; i += 2) {
    plan.add(front, c.db, args[i]);
    const s = front.shardOf(args[i], 0, args[i].length);
    let list = byShard.get(s);
    if (list === undefined) byShard.set(s, (list = []));
    list.push(args[i], args[i + 1]);
  }
  return withLocks(front, c, plan, inside, async (tx) => {
    const checks = [...byShard].map(([s, kv]) => tx.call(s, 'exists', kv.filter((_, i) => i % 2 === 0)));
    for (const r of await Promise.all(checks)) if (r[0] === 58 && r[1] !== 48) return ZERO;
    await Promise.all([...byShard].map(([s, kv]) => tx.call(s, 'mset', kv)));
    return ONE;
  });
}

/**
 * LCS with its keys on two shards: read the second key's value (a GET: its
 * type error is LCS's own), then run LCS on the first key's shard with it.
 */
export function lcsAcross(front: Front, c: Connection, args: Uint8Array[], inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  plan.add(front, c.db, args[1]);
  plan.add(front, c.db, args[2]);
  const a = front.shardOf(args[1], 0, args[1].length);
  const b = front.shardOf(args[2], 0, args[2].length);
  return withLocks(front, c, plan, inside, async (tx) => {
    const got = await tx.call(b, 'get', [args[2]]);
    if (got[0] === 45) return bytes('-ERR The specified keys must contain string values\r\n');
    const value = bulkOrNull(got) ?? new Uint8Array(0);
    return tx.call(a, 'lcs', [...args.slice(1), value], tx.db, tx.foreignFlag());
  });
}

const WRONGTYPE_REPLY = bytes('-WRONGTYPE Operation against a key holding the wrong kind of value\r\n');

/**
 * LMOVE / RPOPLPUSH with the lists on two shards: Redis's order of checks (a
 * missing source answers nil before the destination is looked at; either key
 * of another type is WRONGTYPE), then pop on one shard and push on the other.
 */
export function lmoveAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, fromLeft: boolean, toLeft: boolean, inside: number): Promise<Uint8Array>;
/** With `nullIfEmpty`: resolves null instead of nil when the source is missing (BLMOVE then waits). */
export function lmoveAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, fromLeft: boolean, toLeft: boolean, inside: number, nullIfEmpty: true): Promise<Uint8Array | null>;
export function lmoveAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, fromLeft: boolean, toLeft: boolean, inside: number, nullIfEmpty = false): Promise<Uint8Array | null> {
  const plan = new LockPlan();
  plan.add(front, c.db, src);
  plan.add(front, c.db, dst);
  const a = front.shardOf(src, 0, src.length);
  const b = front.shardOf(dst, 0, dst.length);
  return withLocks(front, c, plan, inside, async (tx) => {
    const srcType = await tx.call(a, 'type', [src]);
    if (isType(srcType, 'none')) return nullIfEmpty ? null : tx.call(a, fromLeft ? 'lpop' : 'rpop', [src]); // nil, in the connection's protocol
    if (!isType(srcType, 'list')) return WRONGTYPE_REPLY;
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'list')) return WRONGTYPE_REPLY;
    const popped = await tx.call(a, fromLeft ? 'lpop' : 'rpop', [src]);
    const value = bulkOrNull(popped);
    if (value !== null) await tx.call(b, toLeft ? 'lpush' : 'rpush', [dst, value]);
    return popped;
  });
}

/**
 * A command of FOREIGN_SOURCE_COMMANDS whose keys (argument indexes `keys`,
 * first one written) span shards: under locks on all of them, the keys on
 * other shards are exported and the command runs on the first key's shard
 * with them attached (REQ_FOREIGN_KEYS).
 */
export function foreignKeysAcross(front: Front, c: Connection, args: Uint8Array[], keys: number[], inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  for (const k of keys) plan.add(front, c.db, args[k]);
  const home = front.shardOf(args[keys[0]], 0, args[keys[0]].length);
  const foreign = keys.filter((k) => front.shardOf(args[k], 0, args[k].length) !== home);
  return withLocks(front, c, plan, inside, async (tx) => {
    const blobs = await Promise.all(foreign.map((k) => tx.exportKey(front.shardOf(args[k], 0, args[k].length), args[k], false)));
    const index = new Uint8Array(foreign.length * 2);
    foreign.forEach((k, j) => {
      index[2 * j] = k & 255;
      index[2 * j + 1] = k >>> 8;
    });
    const attached = blobs.map((b) => b ?? new Uint8Array(0));
    const name = new TextDecoder().decode(args[0]).toLowerCase();
    return tx.call(home, name, [...args.slice(1), ...attached, index], tx.db, REQ_FOREIGN_KEYS);
  });
}

/**
 * The second half of BLMOVE across shards: `value` was popped from `src`;
 * push it onto `dst` under a lock, or put it back if `dst` is no longer a
 * list (then WRONGTYPE, as Redis answers a BLMOVE whose destination is of
 * another type).
 */
export function pushAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, value: Uint8Array, fromLeft: boolean, toLeft: boolean): Promise<Uint8Array> {
  const plan = new LockPlan();
  plan.add(front, c.db, src);
  plan.add(front, c.db, dst);
  const a = front.shardOf(src, 0, src.length);
  const b = front.shardOf(dst, 0, dst.length);
  return withLocks(front, c, plan, 0, async (tx) => {
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'list')) {
      await tx.call(a, fromLeft ? 'lpush' : 'rpush', [src, value]);
      return WRONGTYPE_REPLY;
    }
    await tx.call(b, toLeft ? 'lpush' : 'rpush', [dst, value]);
    const head = bytes(`$${value.length}\r\n`);
    const out = new Uint8Array(head.length + value.length + 2);
    out.set(head);
    out.set(value, head.length);
    out.set([13, 10], head.length + value.length);
    return out;
  });
}

/**
 * SMOVE with the two sets on different shards, in Redis's order of checks:
 * a missing source answers 0 before any type is looked at; then either key
 * of another type is WRONGTYPE; a member not in the source answers 0.
 */
export function smoveAcross(front: Front, c: Connection, src: Uint8Array, dst: Uint8Array, member: Uint8Array, inside: number): Promise<Uint8Array> {
  const plan = new LockPlan();
  plan.add(front, c.db, src);
  plan.add(front, c.db, dst);
  const a = front.shardOf(src, 0, src.length);
  const b = front.shardOf(dst, 0, dst.length);
  return withLocks(front, c, plan, inside, async (tx) => {
    const srcType = await tx.call(a, 'type', [src]);
    if (isType(srcType, 'none')) return ZERO;
    if (!isType(srcType, 'set')) return WRONGTYPE_REPLY;
    const dstType = await tx.call(b, 'type', [dst]);
    if (!isType(dstType, 'none') && !isType(dstType, 'set')) return WRONGTYPE_REPLY;
    const removed = await tx.call(a, 'srem', [src, member]);
    if (removed[1] === 48 /* ":0" */) return ZERO;
    await tx.call(b, 'sadd', [dst, member]);
    return ONE;
  });
}

/** Whether a TYPE reply (+name) names `type`. */
function isType(reply: Uint8Array, type: string): boolean {
  if (reply.length !== type.length + 3) return false;
  for (let i = 0; i < type.length; i++) if (reply[i + 1] !== type.charCodeAt(i)) return false;
  return true;
}
