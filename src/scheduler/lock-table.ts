/**
 * A shard's half of the transactional scheduler: the intent locks held by
 * transactions, the frames waiting for them, and WATCH bookkeeping. The
 * coordinator's half (taking locks on every shard, running the hops,
 * letting go) is transaction.ts; docs/transactions.md has the argument.
 *
 * A transaction (txid T, from the shared counter) sends LOCK frames naming
 * its keys to every shard involved. A lock is granted when none of its keys
 * is held by another transaction or claimed by a frame that waits before
 * it. Otherwise the LOCK waits here, parked, if T is older (a smaller txid)
 * than every transaction holding locks or waiting here; if not, it is
 * refused ("die") and T lets go of everything and tries again with the same
 * txid. So a transaction only ever waits for younger ones: the waits-for
 * relation has no cycle, and there is no deadlock (wait-die). A LOCK that
 * names this shard alone (REQ_LOCK_ONE) holds nothing elsewhere and may
 * always wait.
 *
 * While T holds a key, a frame touching it is parked. Order is kept by one
 * rule: a frame parks if any of its keys is locked by another transaction,
 * or claimed by a frame parked before it, or if its connection already has a
 * parked frame (a client's commands run in the order it sent them). Frames
 * on other keys run on. Frames of T itself (same txid) pass its locks.
 * Keyspace-wide frames (DBSIZE, KEYS, FLUSHALL ...) park while any lock is
 * held, and everything after a parked keyspace-wide frame parks too.
 *
 * Keys are fingerprints (fingerprint.ts): numbers, so a shard holding locks
 * checks each frame with a few map lookups.
 */
import { sliceBytes } from '../util/bytes.js';

export interface ParkedFrame {
  /** A copy of the frame (its payload words), run later from offset 0. */
  frame: Uint8Array;
  fps: number[];
  global: boolean;
  conn: number;
  txid: number;
  /** The thread the frame came from (its reply goes back there). */
  from: number;
  /** An UNLOCK: it waits only for its own transaction's frames parked before it. */
  unlock?: boolean;
}

/** Whether txid a is older than txid b (txids wrap at 2^32: serial-number order). */
export function olderThan(a: number, b: number): boolean {
  return ((a - b) | 0) < 0;
}

interface Watched {
  db: number;
  key: Uint8Array;
  conns: Set<number>;
}

export class LockTable {
  /** fingerprint → txid holding it. */
  private readonly locks = new Map<number, number>();
  /** txid → fingerprints it holds on this shard. */
  private readonly held = new Map<number, number[]>();
  /** txid holding the whole keyspace (a transaction with keyspace-wide commands), or 0. */
  private globalOwner = 0;
  parked: ParkedFrame[] = [];
  private claims = new Set<number>();
  private claimConns = new Set<number>();
  private claimGlobal = false;
  /** txid → how many of its frames are parked. */
  private parkedOf = new Map<number, number>();

  // WATCH: fingerprint → the key and its watchers; connection → its fingerprints; connections whose watch was touched.
  private readonly watchers = new Map<number, Watched>();
  private readonly watchedBy = new Map<number, Set<number>>();
  private readonly dirty = new Set<number>();

  /** Nothing locked and nothing waiting: frames run without any check. */
  get idle(): boolean {
    return this.held.size === 0 && this.globalOwner === 0 && this.parked.length === 0;
  }

  get hasWatches(): boolean {
    return this.watchers.size > 0;
  }

  /** Whether txid holds locks here (its frames pass the checks). */
  owns(txid: number): boolean {
    return txid !== 0 && (this.held.has(txid) || this.globalOwner === txid);
  }

  /** Whether a frame must wait, given the locks and the frames parked before it. */
  blocked(fps: number[], global: boolean, conn: number, txid: number): boolean {
    if (this.owns(txid)) return false;
    if (this.claimGlobal || (this.globalOwner !== 0 && this.globalOwner !== txid)) return true;
    if (conn !== 0 && this.claimConns.has(conn)) return true;
    if (global && (this.locks.size > 0 || this.parked.length > 0)) return true;
    for (let i = 0; i < fps.length; i++) {
      const k = fps[i];
      const owner = this.locks.get(k);
      if ((owner !== undefined && owner !== txid) || this.claims.has(k)) return true;
    }
    return false;
  }

  /**
   * Wait-die: whether transaction `txid`, which cannot take its locks now,
   * may wait for them. It may when it is older than every transaction
   * holding locks or waiting here, so that it only ever waits for younger ones.
   */
  mayWait(txid: number): boolean {
    if (this.globalOwner !== 0 && this.globalOwner !== txid && !olderThan(txid, this.globalOwner)) return false;
    for (const t of this.held.keys()) if (t !== txid && !olderThan(txid, t)) return false;
    for (const p of this.parked) if (p.txid !== 0 && p.txid !== txid && !olderThan(txid, p.txid)) return false;
    return true;
  }

  /**
   * Whether UNLOCK of txid must wait: frames of the transaction (its LOCK, its
   * steps) parked before it must run first, or the locks they take would
   * never be released.
   */
  unlockWaits(txid: number): boolean {
    return this.parkedOf.has(txid);
  }

  park(p: ParkedFrame): void {
    this.parked.push(p);
    this.claim(p);
  }

  private claim(p: ParkedFrame): void {
    if (p.unlock === true) return;
    for (const k of p.fps) this.claims.add(k);
    if (p.conn !== 0) this.claimConns.add(p.conn);
    if (p.global) this.claimGlobal = true;
    if (p.txid !== 0) this.parkedOf.set(p.txid, (this.parkedOf.get(p.txid) ?? 0) + 1);
  }

  /** Grants txid its locks (the caller checked `blocked` first). */
  lock(txid: number, fps: number[], global: boolean): void {
    let mine = this.held.get(txid);
    if (mine === undefined) this.held.set(txid, (mine = []));
    for (const k of fps) {
      if (!this.locks.has(k)) {
        this.locks.set(k, txid);
        mine.push(k);
      }
    }
    if (global) this.globalOwner = txid;
  }

  /** Releases everything txid holds here. */
  unlock(txid: number): void {
    const mine = this.held.get(txid);
    if (mine !== undefined) for (const k of mine) if (this.locks.get(k) === txid) this.locks.delete(k);
    this.held.delete(txid);
    if (this.globalOwner === txid) this.globalOwner = 0;
  }

  /**
   * Runs, in order, every parked frame that is no longer blocked, keeping the
   * others (and the claims they make on frames behind them) parked.
   */
  release(run: (p: ParkedFrame) => void): void {
    const waiting = this.parked;
    this.parked = [];
    this.claims = new Set();
    this.claimConns = new Set();
    this.claimGlobal = false;
    this.parkedOf = new Map();
    for (let i = 0; i < waiting.length; i++) {
      const p = waiting[i];
      const waits = p.unlock === true ? this.unlockWaits(p.txid) : this.blocked(p.fps, p.global, p.conn, p.txid);
      if (waits) this.park(p);
      else run(p);
    }
  }

  // ---- WATCH -------------------------------------------------------------------

  watch(conn: number, fp: number, db: number, key: Uint8Array): void {
    let w = this.watchers.get(fp);
    if (w === undefined) this.watchers.set(fp, (w = { db, key: sliceBytes(key, 0, key.length), conns: new Set() }));
    w.conns.add(conn);
    let mine = this.watchedBy.get(conn);
    if (mine === undefined) this.watchedBy.set(conn, (mine = new Set()));
    mine.add(fp);
  }

  unwatch(conn: number): void {
    const mine = this.watchedBy.get(conn);
    if (mine !== undefined) {
      for (const k of mine) {
        const w = this.watchers.get(k);
        w?.conns.delete(conn);
        if (w !== undefined && w.conns.size === 0) this.watchers.delete(k);
      }
    }
    this.watchedBy.delete(conn);
    this.dirty.delete(conn);
  }

  /** The keys a connection watches here, as (db, key). */
  *watchedKeys(conn: number): Iterable<{ db: number; key: Uint8Array }> {
    const mine = this.watchedBy.get(conn);
    if (mine === undefined) return;
    for (const k of mine) {
      const w = this.watchers.get(k);
      if (w !== undefined) yield w;
    }
  }

  /** A watched key changed: its watchers' transactions must fail. */
  touched(fp: number): void {
    const w = this.watchers.get(fp);
    if (w !== undefined) for (const c of w.conns) this.dirty.add(c);
  }

  /** Every watched key of a database that `exists` says is there changed (FLUSHDB, SWAPDB). */
  touchedDb(db: number, exists: (key: Uint8Array) => boolean): void {
    for (const w of this.watchers.values()) {
      if (w.db === db && exists(w.key)) for (const c of w.conns) this.dirty.add(c);
    }
  }

  isDirty(conn: number): boolean {
    return this.dirty.has(conn);
  }
}
