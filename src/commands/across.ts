/**
 * How a command crosses shards: each family registers, next to its shard
 * handlers, what its multi-key commands do when their keys live on several
 * shards (cross-shard.ts gathers them into the command table). A command
 * whose keys are all on one shard never gets here: it runs there in one
 * step, whatever its strategy.
 *
 *   split       the keys are split by shard; every part runs under the
 *               transaction's locks and the parts are merged (MGET, MSET,
 *               DEL, EXISTS, TOUCH, UNLINK)
 *   everyShard  a command without keys that spans the keyspace runs on
 *               every shard under a keyspace-wide lock, merged (DBSIZE,
 *               KEYS, FLUSHALL, SWAPDB, RANDOMKEY)
 *   cursor      SCAN: the cursor names the shard to continue on
 *   hops        plain async code on the scheduler's `Tx` (RENAME, SMOVE,
 *               LMOVE, SORT ... STORE, the foreign-key commands, and the
 *               blocking pops whose keys span shards)
 */
import type { Caller, Hops, LockPlan, Tx } from '../scheduler/transaction.js';
import type { Merger } from './mergers.js';
import type { FrameArgs } from '../transport/frames.js';
import type { NestedCall, NestedResult, ScriptCalls } from '../shard/exec.js';

/** What a multi-hop strategy gets: the command, its client, and the scheduler. */
export interface AcrossJob extends Caller {
  readonly hops: Hops;
  /** The command's arguments (copies: the job outlives the parser's buffer). */
  readonly args: Uint8Array[];
  /** Positions of the key arguments. */
  readonly keys: number[];
  /** The txid of the EXEC this command runs inside (its locks cover the keys), or 0. */
  readonly inside: number;
  /** False inside MULTI/EXEC: a blocking command answers at once. */
  readonly mayBlock: boolean;
  /** An empty lock plan. */
  plan(): LockPlan;
  /** Runs `body` under the locks of `plan`, or inside the running transaction. */
  locked<T>(plan: LockPlan, body: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * A script's call on shard `shard`, synchronously (this thread's shard
   * directly, another's through its mailbox): only while the job holds
   * every shard.
   */
  scriptCall(shard: number, id: number, args: Uint8Array[], call: NestedCall): NestedResult;
  /** This thread's shard's script calls: command ids and the shard of a call's keys. */
  readonly scriptCalls: ScriptCalls;
  /** This thread's shard. */
  readonly localShard: number;
  /** How a command crosses shards (from the command table), by full name; null for none. */
  crossOf(fullName: string): CrossShard | null;

  // ---- for blocking commands -----------------------------------------------
  /** The client's reply number (frames registered with it are answered to the client directly). */
  readonly seq: number;
  /** A fresh claim word, for a command registered on several shards (frames.ts REQ_CLAIM). */
  newClaim(): number;
  /** The client waits on these shards (CLIENT UNBLOCK and disconnects reach it there); claim -1 for none. */
  blockedOn(shards: number[], claim: number): void;
  /** Registers a command on a shard, answered to the client directly (its reply number). */
  register(shard: number, word2: number, db: number, args: Uint8Array[], txid: number): void;
  /**
   * Waits on a shard as a blocked pop would (same FIFO, timeout, CLIENT
   * UNBLOCK and disconnects); resolves with the reply it was served, or an
   * empty array when the client went away.
   */
  waitOn(shard: number, word2: number, db: number, args: Uint8Array[]): Promise<Uint8Array>;
}

/** A multi-hop strategy: resolves with the reply, or null when a shard answers the client itself. */
export type Across = (job: AcrossJob) => Promise<Uint8Array | null>;

/**
 * A check of the whole command line made before it runs (wherever its keys
 * are): an error text, or null. For what no single shard can judge (MSET's
 * pairs, once split) or must not half-do (FLUSHDB's mode on every shard).
 */
export type ArgsCheck = (args: FrameArgs) => string | null;

export type CrossShard =
  | { kind: 'split'; merge: Merger | 'interleave'; check?: ArgsCheck }
  | { kind: 'everyShard'; merge: Merger; check?: ArgsCheck }
  | { kind: 'cursor' }
  | {
      kind: 'hops';
      run: Across;
      check?: ArgsCheck;
      /**
       * Whether the command needs hops although its key arguments share a
       * shard (SORT's BY/GET patterns name keys the key specs cannot see);
       * when given, it also adds those keys to an EXEC's lock plan.
       */
      hidden?: { needed(args: Uint8Array[], shardOf: (key: Uint8Array) => number): boolean; lock(plan: LockPlan, db: number, args: Uint8Array[]): void };
    };
