/**
 * A shard's part of the transactional scheduler: intent locks, the queue of
 * frames waiting for them, and WATCH bookkeeping.
 *
 * A multi-hop transaction (txid T) first sends LOCK frames naming its keys
 * to every shard involved. Frames reach each shard in the front's global
 * order, so every shard sees the LOCKs of two transactions in the same
 * order, and a lock is granted only when no earlier frame still waits for
 * any of its keys: there is no cycle, hence no deadlock.
 *
 * While T holds a key, a frame touching it is parked. Order is kept with one
 * rule: a frame parks if any of its keys is locked by another transaction,
 * or claimed by a frame parked before it, or if its connection already has a
 * parked frame (a client's commands run in the order it sent them). Frames
 * on other keys run on. Frames of T itself (same txid) bypass its locks.
 * Keyspace-wide frames (DBSIZE, KEYS, FLUSHALL ...) park while any lock is
 * held, and everything after a parked keyspace-wide frame parks too.
 *
 * Lock keys are strings: one char for the database, then the key as latin1.
 */

export interface ParkedFrame {
  /** A copy of the frame (its payload words), run later from offset 0. */
  frame: Uint8Array;
  keys: string[];
  global: boolean;
  conn: number;
  txid: number;
}

export class Scheduler {
  /** key → txid holding it. */
  private readonly locks = new Map<string, number>();
  /** txid → keys it holds on this shard. */
  private readonly held = new Map<number, string[]>();
  /** txid holding the whole keyspace (a transaction with keyspace-wide commands), or 0. */
  private globalOwner = 0;
  parked: ParkedFrame[] = [];
  private claims = new Set<string>();
  private claimConns = new Set<number>();
  private claimGlobal = false;

  // WATCH: key → watching connections; connection → its keys; connections whose watch was touched.
  private readonly watchers = new Map<string, Set<number>>();
  private readonly watchedBy = new Map<number, Set<string>>();
  private readonly dirty = new Set<number>();

  /** Nothing locked and nothing waiting: frames run without any check. */
  get idle(): boolean {
    return this.locks.size === 0 && this.globalOwner === 0 && this.parked.length === 0;
  }

  get hasWatches(): boolean {
    return this.watchers.size > 0;
  }

  /** Whether txid holds locks here (its frames bypass the checks). */
  owns(txid: number): boolean {
    return txid !== 0 && (this.held.has(txid) || this.globalOwner === txid);
  }

  /** Whether a frame must wait, given the locks and the frames parked before it. */
  blocked(keys: string[], global: boolean, conn: number, txid: number): boolean {
    if (this.owns(txid)) return false;
    if (this.claimGlobal || (this.globalOwner !== 0 && this.globalOwner !== txid)) return true;
    if (conn !== 0 && this.claimConns.has(conn)) return true;
    if (global && (this.locks.size > 0 || this.parked.length > 0)) return true;
    for (const k of keys) {
      const owner = this.locks.get(k);
      if ((owner !== undefined && owner !== txid) || this.claims.has(k)) return true;
    }
    return false;
  }

  park(p: ParkedFrame): void {
    this.parked.push(p);
    this.claim(p);
  }

  private claim(p: ParkedFrame): void {
    for (const k of p.keys) this.claims.add(k);
    if (p.conn !== 0) this.claimConns.add(p.conn);
    if (p.global) this.claimGlobal = true;
  }

  /** Grants txid its locks (the caller checked `blocked` first). */
  lock(txid: number, keys: string[], global: boolean): void {
    const mine = this.held.get(txid) ?? [];
    for (const k of keys) {
      if (!this.locks.has(k)) {
        this.locks.set(k, txid);
        mine.push(k);
      }
    }
    this.held.set(txid, mine);
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
    for (let i = 0; i < waiting.length; i++) {
      const p = waiting[i];
      if (this.blocked(p.keys, p.global, p.conn, p.txid)) this.park(p);
      else run(p);
    }
  }

  // ---- WATCH -------------------------------------------------------------------

  watch(conn: number, key: string): void {
    let set = this.watchers.get(key);
    if (set === undefined) this.watchers.set(key, (set = new Set()));
    set.add(conn);
    let mine = this.watchedBy.get(conn);
    if (mine === undefined) this.watchedBy.set(conn, (mine = new Set()));
    mine.add(key);
  }

  unwatch(conn: number): void {
    const mine = this.watchedBy.get(conn);
    if (mine !== undefined) {
      for (const k of mine) {
        const set = this.watchers.get(k);
        set?.delete(conn);
        if (set !== undefined && set.size === 0) this.watchers.delete(k);
      }
    }
    this.watchedBy.delete(conn);
    this.dirty.delete(conn);
  }

  /** The keys a connection watches here. */
  watchedKeys(conn: number): Iterable<string> {
    return this.watchedBy.get(conn) ?? [];
  }

  /** A watched key changed: its watchers' transactions must fail. */
  touched(key: string): void {
    const set = this.watchers.get(key);
    if (set !== undefined) for (const c of set) this.dirty.add(c);
  }

  /** Every watched key of a database that `exists` says is there changed (FLUSHDB, SWAPDB). */
  touchedDb(db: number, exists: (key: string) => boolean): void {
    const prefix = String.fromCharCode(db);
    for (const [k, set] of this.watchers) {
      if (k[0] === prefix && exists(k)) for (const c of set) this.dirty.add(c);
    }
  }

  isDirty(conn: number): boolean {
    return this.dirty.has(conn);
  }
}

/** The lock key of a key in a database. */
export function lockKey(db: number, u8: Uint8Array, off: number, len: number): string {
  let s = String.fromCharCode(db);
  for (let i = 0; i < len; i++) s += String.fromCharCode(u8[off + i]);
  return s;
}
