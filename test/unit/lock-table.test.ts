/**
 * LockTable (src/scheduler/lock-table.ts): a shard's intent locks, parked
 * frames and WATCH bookkeeping. The API is tested directly, and through a
 * small harness that drives it the way Shard.runFrame does (check, park or
 * run; a LOCK refused by wait-die; UNLOCK waiting for its own transaction's
 * frames; release after UNLOCK). A model-based property test runs random
 * sequences of frames against a reference written as a plain list.
 *
 *   FC_SEED=<n>   replay the property test with that seed (printed on failure)
 *   FC_RUNS=<n>   number of random runs (default 1000)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LockTable, type ParkedFrame, olderThan } from '../../src/scheduler/lock-table.js';
import { assertProperty } from '../helpers/property.js';

const enc = new TextEncoder();

// ---- a harness that uses LockTable as Shard.runFrame does ------------------------------------------------------

type Kind = 'plain' | 'lock' | 'step' | 'unlock';

interface Frame {
  id: number;
  name: string;
  kind: Kind;
  fps: number[];
  global: boolean;
  conn: number;
  txid: number;
  /** LOCK of a transaction on this shard alone (REQ_LOCK_ONE): may always wait. */
  lockOne: boolean;
}

class Harness {
  readonly lt = new LockTable();
  /** Names of frames run, in order. */
  readonly ran: string[] = [];
  readonly refused: string[] = [];
  readonly frames: Frame[] = [];
  private readonly byCopy = new Map<Uint8Array, Frame>();
  onRun: ((f: Frame) => void) | null = null;

  frame(name: string, kind: Kind, opts: Partial<Omit<Frame, 'id' | 'name' | 'kind'>> = {}): Frame {
    return { id: this.frames.length, name, kind, fps: [], global: false, conn: 0, txid: 0, lockOne: false, ...opts };
  }

  /** A frame arrives (Shard.runFrame). Returns what became of it. */
  arrive(f: Frame): 'ran' | 'parked' | 'refused' {
    this.frames.push(f);
    const lt = this.lt;
    const copy = new Uint8Array(4);
    this.byCopy.set(copy, f);
    if (!lt.idle) {
      if (f.kind === 'unlock') {
        if (lt.unlockWaits(f.txid)) {
          lt.park({ frame: copy, fps: [], global: false, conn: f.conn, txid: f.txid, from: 0, unlock: true });
          return 'parked';
        }
        this.exec(f);
        return 'ran';
      }
      if (lt.blocked(f.fps, f.global, f.conn, f.txid)) {
        if (f.kind === 'lock' && !f.lockOne && !lt.mayWait(f.txid)) {
          this.refused.push(f.name);
          return 'refused';
        }
        lt.park({ frame: copy, fps: f.fps, global: f.global, conn: f.conn, txid: f.txid, from: 0 });
        return 'parked';
      }
    }
    this.exec(f);
    return 'ran';
  }

  /** Runs a frame (Shard.execFrame): LOCK takes its locks, UNLOCK lets go and runs what waited (afterReply). */
  private exec(f: Frame): void {
    this.ran.push(f.name);
    if (f.kind === 'lock') this.lt.lock(f.txid, f.fps, f.global);
    this.onRun?.(f);
    if (f.kind === 'unlock') {
      this.lt.unlock(f.txid);
      this.lt.release(this.runParked);
    }
  }

  readonly runParked = (p: ParkedFrame): void => {
    const f = this.byCopy.get(p.frame);
    if (f === undefined) throw new Error('parked frame not from this harness');
    this.exec(f);
  };

  parkedNames(): string[] {
    return this.lt.parked.map((p) => this.byCopy.get(p.frame)!.name);
  }
}

/** Parked frame for direct API tests. */
function pf(fps: number[], opts: Partial<ParkedFrame> = {}): ParkedFrame {
  return { frame: new Uint8Array(4), fps, global: false, conn: 0, txid: 0, from: 0, ...opts };
}

describe('LockTable: locks', () => {
  it('grants locks and releases them', () => {
    const lt = new LockTable();
    expect(lt.idle).toBe(true);
    lt.lock(7, [1, 2], false);
    expect(lt.idle).toBe(false);
    expect(lt.owns(7)).toBe(true);
    expect(lt.owns(8)).toBe(false);
    expect(lt.blocked([1], false, 5, 0)).toBe(true);
    expect(lt.blocked([2, 9], false, 5, 0)).toBe(true);
    lt.unlock(7);
    expect(lt.idle).toBe(true);
    expect(lt.owns(7)).toBe(false);
    expect(lt.blocked([1], false, 5, 0)).toBe(false);
  });

  it('blocks a frame on a locked key, not one on another key or on no key', () => {
    const lt = new LockTable();
    lt.lock(7, [1, 2], false);
    expect(lt.blocked([1], false, 5, 0)).toBe(true);
    expect(lt.blocked([3], false, 5, 0)).toBe(false);
    expect(lt.blocked([], false, 5, 0)).toBe(false);
    // Another transaction's frame is blocked as well.
    expect(lt.blocked([2], false, 5, 9)).toBe(true);
  });

  it('lets the frames of the owning transaction pass its locks, and its claims', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.park(pf([1], { conn: 5 }));
    expect(lt.blocked([1], false, 5, 7)).toBe(false);
    expect(lt.blocked([1], true, 3, 7)).toBe(false);
    expect(lt.blocked([1], false, 3, 0)).toBe(true);
  });

  it('txid 0 (no transaction) never owns anything', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    expect(lt.owns(0)).toBe(false);
    expect(lt.blocked([1], false, 0, 0)).toBe(true);
  });

  it('a lock with no keys still makes its transaction an owner (a LOCK sent only for WATCH)', () => {
    const lt = new LockTable();
    lt.lock(7, [], false);
    expect(lt.owns(7)).toBe(true);
    expect(lt.idle).toBe(false);
    expect(lt.blocked([1], false, 1, 0)).toBe(false);
    lt.unlock(7);
    expect(lt.idle).toBe(true);
  });

  it('releasing one transaction keeps the locks of the others', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.lock(8, [2], false);
    lt.unlock(7);
    expect(lt.blocked([1], false, 0, 0)).toBe(false);
    expect(lt.blocked([2], false, 0, 0)).toBe(true);
    expect(lt.idle).toBe(false);
    // Unlocking a transaction that holds nothing changes nothing.
    lt.unlock(99);
    expect(lt.blocked([2], false, 0, 0)).toBe(true);
  });

  it('a keyspace-wide lock blocks every other frame, keys or not', () => {
    const lt = new LockTable();
    lt.lock(7, [], true);
    expect(lt.owns(7)).toBe(true);
    expect(lt.blocked([1], false, 1, 0)).toBe(true);
    expect(lt.blocked([], false, 1, 0)).toBe(true);
    expect(lt.blocked([], true, 1, 0)).toBe(true);
    expect(lt.blocked([1], false, 1, 8)).toBe(true);
    expect(lt.blocked([1], true, 1, 7)).toBe(false);
    lt.unlock(7);
    expect(lt.idle).toBe(true);
    expect(lt.blocked([], true, 1, 0)).toBe(false);
  });

  it('a keyspace-wide frame waits while any lock is held or any frame is parked', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    expect(lt.blocked([], true, 1, 0)).toBe(true);
    lt.unlock(7);
    expect(lt.blocked([], true, 1, 0)).toBe(false);
    lt.park(pf([4], { conn: 2 }));
    expect(lt.blocked([], true, 1, 0)).toBe(true);
  });

  it('everything waits behind a parked keyspace-wide frame', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.park(pf([], { global: true, conn: 2 }));
    expect(lt.blocked([9], false, 3, 0)).toBe(true);
    expect(lt.blocked([], false, 3, 0)).toBe(true);
    expect(lt.blocked([], false, 0, 0)).toBe(true);
  });
});

describe('LockTable: parked frames keep arrival order', () => {
  it('a frame behind a parked frame claiming the same key waits even once the lock is gone', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.park(pf([1], { conn: 1 }));
    lt.unlock(7);
    // The lock is gone, but the parked frame has not run yet.
    expect(lt.blocked([1], false, 2, 0)).toBe(true);
    expect(lt.blocked([2], false, 2, 0)).toBe(false);
  });

  it('a frame of a connection with a parked frame waits, whatever its keys', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.park(pf([1], { conn: 1 }));
    expect(lt.blocked([2], false, 1, 0)).toBe(true);
    expect(lt.blocked([], false, 1, 0)).toBe(true);
    expect(lt.blocked([2], false, 2, 0)).toBe(false);
    // Connection 0 (requests of a thread) is no connection: it is not held back.
    lt.park(pf([1], { conn: 0 }));
    expect(lt.blocked([3], false, 0, 0)).toBe(false);
  });

  it('release runs the frames no longer blocked in arrival order and re-parks the others', () => {
    const h = new Harness();
    h.arrive(h.frame('L7', 'lock', { txid: 7, conn: 70, fps: [1] }));
    h.arrive(h.frame('L8', 'lock', { txid: 8, conn: 80, fps: [2] }));
    expect(h.ran).toEqual(['L7', 'L8']);
    expect(h.arrive(h.frame('a1', 'plain', { conn: 1, fps: [1] }))).toBe('parked');
    expect(h.arrive(h.frame('b2', 'plain', { conn: 2, fps: [2] }))).toBe('parked');
    // Behind a (same connection), on a free key.
    expect(h.arrive(h.frame('a3', 'plain', { conn: 1, fps: [3] }))).toBe('parked');
    // Behind a (same key) and b (same key).
    expect(h.arrive(h.frame('c12', 'plain', { conn: 3, fps: [1, 2] }))).toBe('parked');
    // On a free key, another connection: runs at once.
    expect(h.arrive(h.frame('d4', 'plain', { conn: 4, fps: [4] }))).toBe('ran');
    expect(h.parkedNames()).toEqual(['a1', 'b2', 'a3', 'c12']);
    h.arrive(h.frame('U7', 'unlock', { txid: 7, conn: 70 }));
    // a1 and a3 run; b2 still waits for 8, so c12 (which shares key 2) waits behind it.
    expect(h.ran).toEqual(['L7', 'L8', 'd4', 'U7', 'a1', 'a3']);
    expect(h.parkedNames()).toEqual(['b2', 'c12']);
    expect(h.lt.blocked([2], false, 9, 0)).toBe(true);
    expect(h.lt.blocked([1], false, 9, 0)).toBe(true);
    expect(h.lt.blocked([5], false, 9, 0)).toBe(false);
    h.arrive(h.frame('U8', 'unlock', { txid: 8, conn: 80 }));
    expect(h.ran.slice(-3)).toEqual(['U8', 'b2', 'c12']);
    expect(h.lt.idle).toBe(true);
  });

  it('release with nothing unblocked keeps every frame parked, in order', () => {
    const lt = new LockTable();
    lt.lock(7, [1], false);
    lt.park(pf([1], { conn: 1 }));
    lt.park(pf([2], { conn: 1 }));
    const ran: ParkedFrame[] = [];
    const before = [...lt.parked];
    lt.release((p) => ran.push(p));
    expect(ran).toEqual([]);
    expect(lt.parked).toEqual(before);
    // The claims are rebuilt: key 1, key 2 and connection 1 are still claimed.
    lt.unlock(7);
    expect(lt.blocked([1], false, 2, 0)).toBe(true);
    expect(lt.blocked([2], false, 2, 0)).toBe(true);
    expect(lt.blocked([3], false, 1, 0)).toBe(true);
    lt.release((p) => ran.push(p));
    expect(ran).toEqual(before);
    expect(lt.idle).toBe(true);
    expect(lt.blocked([1], false, 1, 0)).toBe(false);
  });

  it('a frame run by release that takes locks (a LOCK) blocks the frames after it in the same pass', () => {
    const h = new Harness();
    h.arrive(h.frame('L7', 'lock', { txid: 7, conn: 70, fps: [1] }));
    expect(h.arrive(h.frame('L9', 'lock', { txid: 5, conn: 90, fps: [1, 2], lockOne: true }))).toBe('parked');
    expect(h.arrive(h.frame('x2', 'plain', { conn: 1, fps: [2] }))).toBe('parked');
    h.arrive(h.frame('U7', 'unlock', { txid: 7, conn: 70 }));
    expect(h.ran).toEqual(['L7', 'U7', 'L9']);
    expect(h.parkedNames()).toEqual(['x2']);
    expect(h.lt.owns(5)).toBe(true);
  });

  it('a keyspace-wide frame parked before others runs first when released, and holds them until it has', () => {
    const h = new Harness();
    h.arrive(h.frame('L7', 'lock', { txid: 7, conn: 70, fps: [1] }));
    expect(h.arrive(h.frame('flush', 'plain', { conn: 1, global: true }))).toBe('parked');
    expect(h.arrive(h.frame('get9', 'plain', { conn: 2, fps: [9] }))).toBe('parked');
    h.arrive(h.frame('U7', 'unlock', { txid: 7, conn: 70 }));
    expect(h.ran).toEqual(['L7', 'U7', 'flush', 'get9']);
  });
});

describe('LockTable: wait-die', () => {
  it('a transaction may wait only when older than every holder', () => {
    const lt = new LockTable();
    lt.lock(10, [1], false);
    lt.lock(20, [2], false);
    expect(lt.mayWait(5)).toBe(true);
    expect(lt.mayWait(15)).toBe(false);
    expect(lt.mayWait(25)).toBe(false);
    // Its own locks do not count.
    expect(lt.mayWait(10)).toBe(true);
    expect(lt.mayWait(20)).toBe(false);
  });

  it('a transaction may wait only when older than every parked transaction', () => {
    const lt = new LockTable();
    lt.lock(10, [1], false);
    lt.park(pf([1], { txid: 6, conn: 60 }));
    expect(lt.mayWait(5)).toBe(true);
    expect(lt.mayWait(8)).toBe(false);
    // Its own parked frames and frames of no transaction do not count.
    expect(lt.mayWait(6)).toBe(true);
    lt.park(pf([1], { txid: 0, conn: 3 }));
    expect(lt.mayWait(5)).toBe(true);
  });

  it('the keyspace-wide owner counts as a holder', () => {
    const lt = new LockTable();
    lt.lock(10, [], true);
    expect(lt.mayWait(9)).toBe(true);
    expect(lt.mayWait(11)).toBe(false);
    expect(lt.mayWait(10)).toBe(true);
  });

  it('compares ages across the 2^32 wrap', () => {
    const lt = new LockTable();
    // -2 is 0xfffffffe: issued just before the counter wrapped to 1.
    lt.lock(-2, [1], false);
    expect(lt.mayWait(1)).toBe(false);
    expect(lt.mayWait(-5)).toBe(true);
    const lt2 = new LockTable();
    lt2.lock(3, [1], false);
    expect(lt2.mayWait(-1)).toBe(true);
  });

  it('harness: a LOCK that may not wait is refused, and one on a single shard always waits', () => {
    const h = new Harness();
    h.arrive(h.frame('L10', 'lock', { txid: 10, conn: 100, fps: [1] }));
    expect(h.arrive(h.frame('L20', 'lock', { txid: 20, conn: 200, fps: [1] }))).toBe('refused');
    expect(h.arrive(h.frame('L5', 'lock', { txid: 5, conn: 50, fps: [1] }))).toBe('parked');
    // 7 is older than the holder 10 but younger than the parked 5: refused.
    expect(h.arrive(h.frame('L7', 'lock', { txid: 7, conn: 70, fps: [1] }))).toBe('refused');
    expect(h.arrive(h.frame('L30', 'lock', { txid: 30, conn: 300, fps: [1], lockOne: true }))).toBe('parked');
    expect(h.refused).toEqual(['L20', 'L7']);
    // A LOCK on free keys is granted whatever its age.
    expect(h.arrive(h.frame('L40', 'lock', { txid: 40, conn: 400, fps: [9] }))).toBe('ran');
  });
});

describe('olderThan', () => {
  it('orders txids by serial number', () => {
    expect(olderThan(1, 2)).toBe(true);
    expect(olderThan(2, 1)).toBe(false);
    expect(olderThan(5, 5)).toBe(false);
  });

  it('keeps the order across the signed and unsigned 32-bit wraps', () => {
    // 0x7fffffff then 0x80000000 (read back from an Int32Array as -2^31).
    expect(olderThan(0x7fffffff, 0x80000000 | 0)).toBe(true);
    expect(olderThan(0x80000000 | 0, 0x7fffffff)).toBe(false);
    // 0xffffffff (-1) then 1 (0 is never a txid).
    expect(olderThan(-1, 1)).toBe(true);
    expect(olderThan(1, -1)).toBe(false);
    // The same across the wrap with unsigned values, as a JS counter would give them.
    expect(olderThan(0xffffffff, 1)).toBe(true);
    expect(olderThan(0x7fffffff, 0x80000000)).toBe(true);
  });

  it('is a strict order within half the number space', () => {
    for (const base of [1, 0x7ffffff0, -20, 0x40000000]) {
      for (let d = 1; d < 40; d++) {
        expect(olderThan(base, (base + d) | 0)).toBe(true);
        expect(olderThan((base + d) | 0, base)).toBe(false);
      }
    }
    expect(olderThan(0, 0x7fffffff)).toBe(true);
    expect(olderThan(0x7fffffff, 0)).toBe(false);
  });
});

describe('LockTable: UNLOCK waits for its own transaction', () => {
  it('unlockWaits while a frame of the transaction is parked, not for others', () => {
    const lt = new LockTable();
    lt.lock(10, [1], false);
    expect(lt.unlockWaits(10)).toBe(false);
    lt.park(pf([1], { txid: 5, conn: 50 }));
    expect(lt.unlockWaits(5)).toBe(true);
    expect(lt.unlockWaits(10)).toBe(false);
    lt.park(pf([2], { txid: 5, conn: 50 }));
    lt.unlock(10);
    lt.release(() => {});
    expect(lt.unlockWaits(5)).toBe(false);
  });

  it('a parked UNLOCK claims nothing: no key, no connection, and it is not a frame its transaction waits for', () => {
    const lt = new LockTable();
    lt.lock(10, [1], false);
    lt.park(pf([], { txid: 5, conn: 50, unlock: true }));
    expect(lt.blocked([2], false, 50, 0)).toBe(false);
    expect(lt.blocked([], false, 50, 0)).toBe(false);
    expect(lt.unlockWaits(5)).toBe(false);
  });

  it('release runs a parked UNLOCK right after the frames of its transaction that were parked before it', () => {
    const lt = new LockTable();
    lt.lock(10, [1], false);
    lt.park(pf([1], { txid: 5, conn: 50 }));
    lt.park(pf([], { txid: 5, conn: 50, unlock: true }));
    lt.park(pf([1], { txid: 0, conn: 1 }));
    lt.unlock(10);
    const ran: string[] = [];
    lt.release((p) => {
      ran.push(p.unlock === true ? 'unlock' : p.txid === 5 ? 'lock' : 'frame');
      if (p.unlock === true) lt.unlock(p.txid);
      else if (p.txid !== 0) lt.lock(p.txid, p.fps, p.global);
    });
    // The frame on key 1 waited behind the LOCK's claim; once the LOCK ran and its UNLOCK let go, it runs in the same pass.
    expect(ran).toEqual(['lock', 'unlock', 'frame']);
    expect(lt.parked).toEqual([]);
    expect(lt.idle).toBe(true);
  });

  it('harness: a batched transaction (LOCK, steps, UNLOCK sent at once) runs them in order once its LOCK is granted', () => {
    const h = new Harness();
    h.arrive(h.frame('L10', 'lock', { txid: 10, conn: 100, fps: [1] }));
    expect(h.arrive(h.frame('L5', 'lock', { txid: 5, conn: 50, fps: [1, 2], lockOne: true }))).toBe('parked');
    // Its steps wait behind its LOCK (same connection), even the one without keys.
    expect(h.arrive(h.frame('S5a', 'step', { txid: 5, conn: 50, fps: [2] }))).toBe('parked');
    expect(h.arrive(h.frame('S5b', 'step', { txid: 5, conn: 50, fps: [] }))).toBe('parked');
    expect(h.lt.unlockWaits(5)).toBe(true);
    expect(h.arrive(h.frame('U5', 'unlock', { txid: 5, conn: 50 }))).toBe('parked');
    // A frame of another connection on key 2 waits behind the LOCK that claims it.
    expect(h.arrive(h.frame('g2', 'plain', { conn: 1, fps: [2] }))).toBe('parked');
    expect(h.parkedNames()).toEqual(['L5', 'S5a', 'S5b', 'U5', 'g2']);
    h.arrive(h.frame('U10', 'unlock', { txid: 10, conn: 100 }));
    expect(h.ran).toEqual(['L10', 'U10', 'L5', 'S5a', 'S5b', 'U5', 'g2']);
    expect(h.lt.idle).toBe(true);
  });

  it('harness: an UNLOCK of a transaction with nothing parked runs at once, and frames waiting for it follow', () => {
    const h = new Harness();
    h.arrive(h.frame('L10', 'lock', { txid: 10, conn: 100, fps: [1] }));
    h.arrive(h.frame('x', 'plain', { conn: 1, fps: [1] }));
    expect(h.arrive(h.frame('U10', 'unlock', { txid: 10, conn: 100 }))).toBe('ran');
    expect(h.ran).toEqual(['L10', 'U10', 'x']);
  });
});

describe('LockTable: WATCH', () => {
  const key = (s: string): Uint8Array => enc.encode(s);

  it('marks the watchers of a touched key dirty, and only them', () => {
    const lt = new LockTable();
    expect(lt.hasWatches).toBe(false);
    lt.watch(1, 100, 0, key('a'));
    lt.watch(2, 100, 0, key('a'));
    lt.watch(3, 200, 0, key('b'));
    expect(lt.hasWatches).toBe(true);
    lt.touched(999);
    expect([1, 2, 3].map((c) => lt.isDirty(c))).toEqual([false, false, false]);
    lt.touched(100);
    expect([1, 2, 3].map((c) => lt.isDirty(c))).toEqual([true, true, false]);
  });

  it('unwatch forgets a connection: its dirty mark, its keys, and keys nobody watches any more', () => {
    const lt = new LockTable();
    lt.watch(1, 100, 0, key('a'));
    lt.watch(1, 200, 0, key('b'));
    lt.watch(2, 200, 0, key('b'));
    lt.touched(100);
    expect(lt.isDirty(1)).toBe(true);
    lt.unwatch(1);
    expect(lt.isDirty(1)).toBe(false);
    expect([...lt.watchedKeys(1)]).toEqual([]);
    // Key b is still watched by 2, key a by nobody.
    lt.touched(100);
    expect(lt.isDirty(1)).toBe(false);
    expect(lt.isDirty(2)).toBe(false);
    lt.touched(200);
    expect(lt.isDirty(2)).toBe(true);
    expect(lt.isDirty(1)).toBe(false);
    lt.unwatch(2);
    expect(lt.hasWatches).toBe(false);
    // Unwatching a connection that watches nothing is harmless.
    lt.unwatch(42);
  });

  it('watching again after unwatch starts clean', () => {
    const lt = new LockTable();
    lt.watch(1, 100, 0, key('a'));
    lt.touched(100);
    lt.unwatch(1);
    lt.watch(1, 100, 0, key('a'));
    expect(lt.isDirty(1)).toBe(false);
  });

  it('watchedKeys lists the (db, key) pairs of a connection, keeping its own copy of the key', () => {
    const lt = new LockTable();
    const k = key('mykey');
    lt.watch(1, 100, 3, k);
    lt.watch(1, 200, 0, key('other'));
    lt.watch(1, 100, 3, key('mykey'));
    k.fill(0x21);
    const got = [...lt.watchedKeys(1)].map((w) => ({ db: w.db, key: Buffer.from(w.key).toString() }));
    expect(got).toEqual([
      { db: 3, key: 'mykey' },
      { db: 0, key: 'other' },
    ]);
    expect([...lt.watchedKeys(2)]).toEqual([]);
  });

  it('touchedDb marks watchers of keys of that database that exist', () => {
    const lt = new LockTable();
    lt.watch(1, 100, 0, key('here'));
    lt.watch(2, 200, 0, key('gone'));
    lt.watch(3, 300, 1, key('here'));
    const seen: string[] = [];
    lt.touchedDb(0, (k) => {
      seen.push(Buffer.from(k).toString());
      return Buffer.from(k).toString() === 'here';
    });
    expect(seen.sort()).toEqual(['gone', 'here']);
    expect([1, 2, 3].map((c) => lt.isDirty(c))).toEqual([true, false, false]);
    lt.touchedDb(1, () => true);
    expect(lt.isDirty(3)).toBe(true);
  });

  it('WATCH state is independent of locks', () => {
    const lt = new LockTable();
    lt.watch(1, 100, 0, key('a'));
    expect(lt.idle).toBe(true);
    lt.lock(7, [100], false);
    lt.unlock(7);
    expect(lt.isDirty(1)).toBe(false);
    expect(lt.hasWatches).toBe(true);
  });
});

// ---- model-based property --------------------------------------------------------------------------------------

/**
 * The reference: the frames that wait, as a plain list in arrival order. A
 * frame waits when it is not of a transaction holding locks here and it
 * conflicts with a lock or with a frame waiting before it (same key, same
 * connection, either spans the keyspace); an UNLOCK waits while a frame of
 * its transaction waits before it. Whenever an UNLOCK runs, the first frame
 * of the list that need not wait runs, again and again.
 */
class Model {
  readonly locks = new Map<number, number>();
  readonly holders = new Set<number>();
  globalOwner = 0;
  queue: Frame[] = [];
  readonly ran: string[] = [];
  readonly refused: string[] = [];

  static older(a: number, b: number): boolean {
    const d = (((a - b) % 2 ** 32) + 2 ** 32) % 2 ** 32;
    return d >= 2 ** 31;
  }

  waits(f: Frame, before: Frame[]): boolean {
    if (f.kind === 'unlock') return before.some((g) => g.kind !== 'unlock' && g.txid === f.txid);
    if (f.txid !== 0 && this.holders.has(f.txid)) return false;
    const claims = before.filter((g) => g.kind !== 'unlock');
    if (claims.some((g) => g.global)) return true;
    if (this.globalOwner !== 0 && this.globalOwner !== f.txid) return true;
    if (f.conn !== 0 && claims.some((g) => g.conn === f.conn)) return true;
    if (f.global && (this.locks.size > 0 || before.length > 0)) return true;
    for (const k of f.fps) {
      const owner = this.locks.get(k);
      if (owner !== undefined && owner !== f.txid) return true;
      if (claims.some((g) => g.fps.includes(k))) return true;
    }
    return false;
  }

  mayWait(t: number): boolean {
    const others = [...this.holders, this.globalOwner, ...this.queue.map((g) => g.txid)].filter((x) => x !== 0 && x !== t);
    return others.every((x) => Model.older(t, x));
  }

  arrive(f: Frame): void {
    if (this.waits(f, this.queue)) {
      if (f.kind === 'lock' && !f.lockOne && !this.mayWait(f.txid)) this.refused.push(f.name);
      else this.queue.push(f);
      return;
    }
    this.exec(f);
    if (f.kind === 'unlock') this.drain();
  }

  private exec(f: Frame): void {
    this.ran.push(f.name);
    if (f.kind === 'lock') {
      for (const k of f.fps) if (!this.locks.has(k)) this.locks.set(k, f.txid);
      this.holders.add(f.txid);
      if (f.global) this.globalOwner = f.txid;
    } else if (f.kind === 'unlock') {
      for (const [k, t] of this.locks) if (t === f.txid) this.locks.delete(k);
      this.holders.delete(f.txid);
      if (this.globalOwner === f.txid) this.globalOwner = 0;
    }
  }

  drain(): void {
    for (;;) {
      const i = this.queue.findIndex((f, j) => !this.waits(f, this.queue.slice(0, j)));
      if (i < 0) return;
      const [f] = this.queue.splice(i, 1);
      this.exec(f);
    }
  }
}

type Op =
  | { op: 'plain'; conn: number; keys: number[]; global: boolean }
  | { op: 'begin'; tx: number }
  | { op: 'step'; tx: number; keys: number[] }
  | { op: 'unlock'; tx: number }
  | { op: 'release' };

interface TxPlan {
  keys: number[];
  global: boolean;
  lockOne: boolean;
}

const KEYS = 4;
const TXS = 5;
const keysArb: fc.Arbitrary<number[]> = fc.oneof(
  { weight: 5, arbitrary: fc.uniqueArray(fc.integer({ min: 1, max: KEYS }), { minLength: 1, maxLength: 3 }) },
  { weight: 1, arbitrary: fc.constant<number[]>([]) },
);
const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('plain' as const), conn: fc.integer({ min: 0, max: 3 }), keys: keysArb, global: fc.nat({ max: 7 }).map((n) => n === 0) }) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant('begin' as const), tx: fc.integer({ min: 0, max: TXS - 1 }) }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('step' as const), tx: fc.integer({ min: 0, max: TXS - 1 }), keys: keysArb }) },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('unlock' as const), tx: fc.integer({ min: 0, max: TXS - 1 }) }) },
  { weight: 1, arbitrary: fc.constant({ op: 'release' as const }) },
);
const txPlanArb: fc.Arbitrary<TxPlan> = fc.record({
  keys: keysArb,
  global: fc.nat({ max: 5 }).map((n) => n === 0),
  lockOne: fc.boolean(),
});

/** Nonzero txids from `base` on, in serial order (0 is never a txid), handed out by age. */
function txids(base: number, ages: number[]): number[] {
  const vals: number[] = [];
  for (let v = base; vals.length < ages.length; v++) if ((v | 0) !== 0) vals.push(v | 0);
  return ages.map((a) => vals[a]);
}

type TxState = 'idle' | 'sent' | 'granted' | 'refused' | 'done';

function runScenario(ops: Op[], plans: TxPlan[], ids: number[]): void {
  const h = new Harness();
  const m = new Model();
  const state: TxState[] = plans.map(() => 'idle');
  /** The arrival index of each transaction's current LOCK; each frame's position in the serial order. */
  const lockAt: number[] = plans.map(() => -1);
  const pos = new Map<number, number>();
  const round = new Map<number, string>();
  const rounds: number[] = plans.map(() => 0);
  const runAt = new Map<number, number[]>();
  let clock = 0;
  h.onRun = (f) => {
    const list = runAt.get(f.id) ?? [];
    list.push(clock++);
    runAt.set(f.id, list);
    if (f.kind === 'lock' && state[f.conn - 100] === 'sent') state[f.conn - 100] = 'granted';
  };
  const txOf = (f: Frame): number => f.conn - 100;

  const send = (f: Frame): void => {
    const holder = f.kind === 'step' && state[txOf(f)] === 'granted';
    const outcome = h.arrive(f);
    m.arrive(f);
    expect(h.ran).toEqual(m.ran);
    expect(h.refused).toEqual(m.refused);
    expect(h.parkedNames()).toEqual(m.queue.map((g) => g.name));
    // At rest, no parked frame could run (release only matters after an UNLOCK).
    expect(m.queue.every((g, j) => m.waits(g, m.queue.slice(0, j)))).toBe(true);
    if (f.kind === 'lock') {
      if (outcome === 'refused') state[txOf(f)] = 'refused';
      else if (outcome === 'parked') state[txOf(f)] = 'sent';
    }
    // A step of a transaction that holds its locks never waits.
    if (holder) expect(outcome).toBe('ran');
  };

  const sendLock = (tx: number): void => {
    const p = plans[tx];
    rounds[tx]++;
    const f = h.frame(`L${tx}.${rounds[tx]}#${h.frames.length}`, 'lock', { txid: ids[tx], conn: 100 + tx, fps: p.keys, global: p.global, lockOne: p.lockOne });
    lockAt[tx] = h.frames.length;
    pos.set(f.id, h.frames.length);
    round.set(f.id, `${tx}.${rounds[tx]}`);
    state[tx] = 'sent';
    send(f);
  };

  const sendUnlock = (tx: number): void => {
    const f = h.frame(`U${tx}.${rounds[tx]}#${h.frames.length}`, 'unlock', { txid: ids[tx], conn: 100 + tx });
    round.set(f.id, `${tx}.${rounds[tx]}`);
    const wasRefused = state[tx] === 'refused';
    send(f);
    state[tx] = wasRefused ? 'idle' : 'done';
  };

  for (const o of ops) {
    switch (o.op) {
      case 'plain': {
        // Keyspace-wide commands (DBSIZE, KEYS, FLUSHALL) name no keys.
        const f = h.frame(`p${o.conn}#${h.frames.length}`, 'plain', { conn: o.conn, fps: o.global ? [] : o.keys, global: o.global });
        pos.set(f.id, h.frames.length);
        send(f);
        break;
      }
      case 'begin':
        // A new transaction; or a refused one lets go (UNLOCK) and tries again with the same txid.
        if (state[o.tx] === 'refused') sendUnlock(o.tx);
        if (state[o.tx] === 'idle') sendLock(o.tx);
        break;
      case 'step': {
        const p = plans[o.tx];
        // Steps go out once every shard granted the locks, or right behind the LOCK in a one-shard batch.
        const may = state[o.tx] === 'granted' || (state[o.tx] === 'sent' && p.lockOne);
        if (!may) break;
        const keys = p.global ? o.keys : o.keys.filter((k) => p.keys.includes(k));
        const f = h.frame(`S${o.tx}.${rounds[o.tx]}#${h.frames.length}`, 'step', { txid: ids[o.tx], conn: 100 + o.tx, fps: keys });
        pos.set(f.id, lockAt[o.tx]);
        round.set(f.id, `${o.tx}.${rounds[o.tx]}`);
        send(f);
        break;
      }
      case 'unlock': {
        const s = state[o.tx];
        if (s === 'granted' || s === 'refused' || (s === 'sent' && plans[o.tx].lockOne)) sendUnlock(o.tx);
        break;
      }
      case 'release': {
        const before = h.ran.length;
        h.lt.release(h.runParked);
        m.drain();
        expect(h.ran.length).toBe(before);
        expect(h.parkedNames()).toEqual(m.queue.map((g) => g.name));
        break;
      }
    }
  }

  // Let every transaction go (a refused one lets go of nothing and stops); nothing may stay parked.
  for (let guard = 0; guard < 4 * TXS; guard++) {
    const tx = state.findIndex((s, i) => s === 'granted' || s === 'refused' || (s === 'sent' && plans[i].lockOne));
    if (tx < 0) break;
    sendUnlock(tx);
    if (state[tx] === 'idle') state[tx] = 'done';
  }
  expect(state.filter((s) => s === 'sent')).toEqual([]);
  expect(h.lt.parked).toEqual([]);
  expect(h.lt.idle).toBe(true);

  // Every frame not refused ran exactly once.
  const refused = new Set(h.refused);
  for (const f of h.frames) {
    if (refused.has(f.name)) expect(runAt.get(f.id)).toBeUndefined();
    else expect(runAt.get(f.id)?.length).toBe(1);
  }

  // Frames on a common key (or spanning the keyspace, or of one connection) ran in arrival order, a
  // transaction's frames counting at its LOCK's place.
  const ran = h.frames.filter((f) => f.kind !== 'unlock' && !refused.has(f.name));
  const touches = (f: Frame): boolean => f.global || f.fps.length > 0;
  const conflict = (a: Frame, b: Frame): boolean =>
    (a.global && touches(b)) || (b.global && touches(a)) || a.fps.some((k) => b.fps.includes(k)) || (a.kind === 'plain' && b.kind === 'plain' && a.conn !== 0 && a.conn === b.conn);
  for (const a of ran) {
    for (const b of ran) {
      if (a === b || (round.has(a.id) && round.get(a.id) === round.get(b.id))) continue;
      if (pos.get(a.id)! < pos.get(b.id)! && conflict(a, b)) {
        if (runAt.get(a.id)![0] > runAt.get(b.id)![0]) {
          throw new Error(`${b.name} ran before ${a.name} (arrived in that order: ${pos.get(a.id)}, ${pos.get(b.id)}); run order ${h.ran.join(' ')}`);
        }
      }
    }
  }

  // A transaction's frames ran in the order they were sent: LOCK, steps, UNLOCK.
  const byRound = new Map<string, Frame[]>();
  for (const f of h.frames) {
    const r = round.get(f.id);
    if (r === undefined || refused.has(f.name)) continue;
    const list = byRound.get(r) ?? [];
    list.push(f);
    byRound.set(r, list);
  }
  for (const list of byRound.values()) {
    const times = list.map((f) => runAt.get(f.id)![0]);
    expect(times).toEqual([...times].sort((x, y) => x - y));
  }
}

describe('LockTable: model-based property', () => {
  const runs = Number(process.env.FC_RUNS ?? 1000);

  it('random frames, LOCKs, steps, UNLOCKs and releases: same runs as the reference, arrival order kept on common keys, everything runs in the end', () => {
    assertProperty(
      fc.property(
        fc.array(opArb, { minLength: 1, maxLength: 80, size: 'large' }),
        fc.array(txPlanArb, { minLength: TXS, maxLength: TXS }),
        fc.shuffledSubarray([0, 1, 2, 3, 4], { minLength: TXS, maxLength: TXS }),
        fc.constantFrom(1, 0x7ffffffd, -3, 1000),
        (ops, plans, ages, base) => runScenario(ops, plans, txids(base, ages)),
      ),
      runs,
    );
  });
});
