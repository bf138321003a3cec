/**
 * The memory every thread shares, made by the supervisor before the threads
 * start: the counters that must be global (txids, client ids, the number
 * of connections for maxclients, claim words for blocking commands), the
 * CLIENT PAUSE state, the doorbells, and one ring per ordered pair of
 * threads.
 */
import { createBells } from './doorbell.js';
import { createMailboxes } from './mailbox.js';
import { createScriptWatch } from './script-watch.js';
import { createScriptKeyUse } from './script-key-use.js';
import { createMemoryGauge } from './memory-gauge.js';
import { createRingBuffer } from './ring.js';

const enum Word {
  Txid = 0,
  ClientId = 1,
  Connections = 2,
  NextClaim = 3,
  /** CLIENT PAUSE: 0 none, 1 WRITE, 2 ALL. */
  PauseMode = 4,
  /** Bumped by every CLIENT PAUSE / UNPAUSE, so threads notice a change. */
  PauseEpoch = 5,
  /** The id of the next SLOWLOG entry (one order for every thread's entries). */
  SlowlogId = 6,
  Words = 16,
}

/** Claim words for blocking commands registered on several shards. */
const CLAIM_WORDS = 1 << 16;

/** Total ring memory is about this much, whatever the thread count (within the bounds below). */
const RING_BUDGET = 64 * 1024 * 1024;
const RING_MIN = 64 * 1024;
const RING_MAX = 4 * 1024 * 1024;

/** Ring capacity for `threads` threads: N·(N−1) rings share the budget (64 threads: 4032 rings of 64 KiB). */
function ringBytes(threads: number): number {
  if (threads < 2) return RING_MIN;
  const each = RING_BUDGET / (threads * (threads - 1));
  let cap = RING_MIN;
  while (cap * 2 <= each && cap < RING_MAX) cap *= 2;
  return cap;
}

export interface SharedBuffers {
  threads: number;
  words: SharedArrayBuffer;
  /** CLIENT PAUSE end time in ms (a Float64). */
  pauseUntil: SharedArrayBuffer;
  claims: SharedArrayBuffer;
  /** Per shard (one Int32 each, written only by that shard): how many waiters registered on several shards it holds. */
  claimWaiters: SharedArrayBuffer;
  bells: SharedArrayBuffer;
  /** rings[from][to]: the ring thread `from` writes and thread `to` reads (null on the diagonal). */
  rings: (SharedArrayBuffer | null)[][];
  /** Each thread's box for scripts' calls across threads (mailbox.ts). */
  mailboxes: SharedArrayBuffer;
  /** The scripts running on each thread (script-watch.ts). */
  scriptWatch: SharedArrayBuffer;
  /** What is known of each script's keys (transport/script-key-use.ts). */
  scriptKeyUse: SharedArrayBuffer;
  /** Every thread's arena and heap bytes (memory-gauge.ts), for maxmemory. */
  memory: SharedArrayBuffer;
}

export function createShared(threads: number): SharedBuffers {
  const cap = ringBytes(threads);
  const rings: (SharedArrayBuffer | null)[][] = [];
  for (let a = 0; a < threads; a++) {
    const row: (SharedArrayBuffer | null)[] = [];
    for (let b = 0; b < threads; b++) row.push(a === b ? null : createRingBuffer(cap));
    rings.push(row);
  }
  return {
    threads,
    words: new SharedArrayBuffer(Word.Words * 4),
    pauseUntil: new SharedArrayBuffer(8),
    claims: new SharedArrayBuffer(4 * CLAIM_WORDS),
    claimWaiters: new SharedArrayBuffer(4 * threads),
    bells: createBells(threads),
    rings,
    mailboxes: createMailboxes(threads),
    scriptWatch: createScriptWatch(threads),
    scriptKeyUse: createScriptKeyUse(),
    memory: createMemoryGauge(threads),
  };
}

export const enum PauseMode {
  None = 0,
  Write = 1,
  All = 2,
}

/** A thread's view of the shared counters. */
export class SharedState {
  private readonly w: Int32Array;
  private readonly pause: Float64Array;
  readonly claims: Int32Array;
  private readonly claimWaiters: Int32Array;

  constructor(readonly buffers: SharedBuffers) {
    this.w = new Int32Array(buffers.words);
    this.pause = new Float64Array(buffers.pauseUntil);
    this.claims = new Int32Array(buffers.claims);
    this.claimWaiters = new Int32Array(buffers.claimWaiters);
  }

  /** Whether any of `shards` holds a client blocked on keys of several shards. */
  claimWaitersOn(shards: number[]): boolean {
    for (const s of shards) if (Atomics.load(this.claimWaiters, s) > 0) return true;
    return false;
  }

  /** A txid from the one global counter; never 0 (0 means "no transaction"). */
  newTxid(): number {
    let t = Atomics.add(this.w, Word.Txid, 1) + 1;
    if (t === 0) t = Atomics.add(this.w, Word.Txid, 1) + 1;
    return t;
  }

  /** A client id, unique across threads and increasing, as Redis's are. */
  newClientId(): number {
    return Atomics.add(this.w, Word.ClientId, 1) + 1;
  }

  /** The next SLOWLOG entry id (0, 1, 2 … as Redis numbers them; SLOWLOG RESET does not restart them). */
  newSlowlogId(): number {
    return Atomics.add(this.w, Word.SlowlogId, 1);
  }

  /** Counts a new connection if the total stays within `max`; false when it would not. */
  addConnection(max: number): boolean {
    for (;;) {
      const n = Atomics.load(this.w, Word.Connections);
      if (n >= max) return false;
      if (Atomics.compareExchange(this.w, Word.Connections, n, n + 1) === n) return true;
    }
  }

  removeConnection(): void {
    Atomics.sub(this.w, Word.Connections, 1);
  }

  get connections(): number {
    return Atomics.load(this.w, Word.Connections);
  }

  /** A claim word for a new cross-shard blocking command; its value changes so stale waiters cannot win it. */
  newClaim(): number {
    const idx = (Atomics.add(this.w, Word.NextClaim, 1) >>> 0) % CLAIM_WORDS;
    Atomics.add(this.claims, idx, 2);
    return idx;
  }

  // ---- CLIENT PAUSE ---------------------------------------------------------------

  setPause(mode: PauseMode, until: number): void {
    // The end time first: a thread that sees the new mode reads a matching end.
    this.pause[0] = until;
    Atomics.store(this.w, Word.PauseMode, mode);
    Atomics.add(this.w, Word.PauseEpoch, 1);
  }

  /** The pause in force now (None once its end time has passed); reads the clock only while a pause is set. */
  pauseMode(): PauseMode {
    const mode = Atomics.load(this.w, Word.PauseMode) as PauseMode;
    if (mode === PauseMode.None || Date.now() >= this.pause[0]) return PauseMode.None;
    return mode;
  }

  pauseEnd(): number {
    return this.pause[0];
  }

  get pauseEpoch(): number {
    return Atomics.load(this.w, Word.PauseEpoch);
  }
}
