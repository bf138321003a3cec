/**
 * BlockingRegistry (src/shard/blocking.ts): clients blocked in a shard, a
 * FIFO of waiters per key fingerprint. First blocked, first served per key;
 * a waiter on several keys is served once and leaves every queue; every
 * waiter of a ready key is tried (one that cannot be served does not stop
 * the ones behind it); a dropped waiter leaves; keys made ready while
 * serving are served in the same pass; deadlines expire oldest first.
 */
import { describe, expect, it } from 'vitest';
import { BlockingRegistry, Retry, TimeoutReply, type Waiter } from '../../src/shard/blocking.js';

function waiter(conn: number, fps: number[], deadline = 0, seq = 0): Waiter {
  return {
    conn,
    seq,
    from: 0,
    frame: new Uint8Array(4),
    fps,
    deadline,
    timeoutReply: TimeoutReply.NullArray,
    resp3: false,
    claimIdx: -1,
    claimGen: 0,
  };
}

/** Items available per key: tryServe pops one if its waiter's keys have any (first key first). */
class Lists {
  readonly items = new Map<number, number>();
  readonly served: number[] = [];
  readonly tried: number[] = [];

  push(fp: number, n = 1): void {
    this.items.set(fp, (this.items.get(fp) ?? 0) + n);
  }

  tryServe = (w: Waiter): Retry => {
    this.tried.push(w.conn);
    for (const k of w.fps) {
      const n = this.items.get(k) ?? 0;
      if (n > 0) {
        this.items.set(k, n - 1);
        this.served.push(w.conn);
        return Retry.Served;
      }
    }
    return Retry.Waiting;
  };
}

describe('BlockingRegistry', () => {
  it('serves the waiters of a key in the order they blocked', () => {
    const r = new BlockingRegistry();
    for (const c of [3, 1, 2]) r.add(waiter(c, [10]));
    const l = new Lists();
    l.push(10, 2);
    r.signal(10);
    r.serve(l.tryServe);
    expect(l.served).toEqual([3, 1]);
    expect(r.size).toBe(1);
    expect(r.byConnection(2)).toBeDefined();
    expect(r.byConnection(3)).toBeUndefined();
    expect(r.byConnection(1)).toBeUndefined();
    // The next item goes to the one left.
    l.push(10);
    r.signal(10);
    r.serve(l.tryServe);
    expect(l.served).toEqual([3, 1, 2]);
    expect(r.size).toBe(0);
    expect(r.waitsOn(10)).toBe(false);
  });

  it('tries every waiter of a key in order; one that cannot be served does not stop the others', () => {
    const r = new BlockingRegistry();
    for (const c of [1, 2, 3]) r.add(waiter(c, [10]));
    const l = new Lists();
    l.push(10, 1);
    r.signal(10);
    r.serve(l.tryServe);
    // 1 is served; 2 and 3 are tried (the key is empty now) and keep waiting.
    expect(l.served).toEqual([1]);
    expect(l.tried).toEqual([1, 2, 3]);
    expect(r.size).toBe(2);
    expect(r.waitsOn(10)).toBe(true);
    // A waiter the retry cannot serve (another type, say) keeps its place; the one behind it is served.
    const r2 = new BlockingRegistry();
    r2.add(waiter(1, [10]));
    r2.add(waiter(2, [10]));
    r2.signal(10);
    const served: number[] = [];
    r2.serve((w) => (w.conn === 1 ? Retry.Waiting : (served.push(w.conn), Retry.Served)));
    expect(served).toEqual([2]);
    expect(r2.byConnection(1)).toBeDefined();
    expect(r2.byConnection(2)).toBeUndefined();
  });

  it('removes a dropped waiter (answered by another shard) and serves the next', () => {
    const r = new BlockingRegistry();
    r.add(waiter(1, [10]));
    r.add(waiter(2, [10]));
    r.signal(10);
    const served: number[] = [];
    r.serve((w) => (w.conn === 1 ? Retry.Dropped : (served.push(w.conn), Retry.Served)));
    expect(served).toEqual([2]);
    expect(r.size).toBe(0);
    expect(r.waitsOn(10)).toBe(false);
  });

  it('serves a waiter on several keys once, and removes it from every key', () => {
    const r = new BlockingRegistry();
    const multi = waiter(1, [10, 20, 30]);
    r.add(multi);
    r.add(waiter(2, [20]));
    const l = new Lists();
    l.push(10);
    l.push(20);
    r.signal(10);
    r.signal(20);
    r.serve(l.tryServe);
    // 1 takes the item of key 10; on key 20 it is gone, so 2 is next in line and takes 20's item.
    expect(l.served).toEqual([1, 2]);
    expect(l.tried).toEqual([1, 2]);
    expect(r.size).toBe(0);
    for (const k of [10, 20, 30]) expect(r.waitsOn(k)).toBe(false);
  });

  it('does not serve a waiter twice when two of its keys are ready', () => {
    const r = new BlockingRegistry();
    r.add(waiter(1, [10, 20]));
    const l = new Lists();
    l.push(10, 5);
    l.push(20, 5);
    r.signal(10);
    r.signal(20);
    r.serve(l.tryServe);
    expect(l.served).toEqual([1]);
    expect(l.tried).toEqual([1]);
  });

  it('serves keys made ready while serving (a BLMOVE pushing to another key)', () => {
    const r = new BlockingRegistry();
    // conn 1 waits on 10 and, when served, pushes to key 20 (and signals it); conn 2 waits on 20.
    r.add(waiter(1, [10]));
    r.add(waiter(2, [20]));
    const l = new Lists();
    l.push(10);
    const order: number[] = [];
    r.signal(10);
    r.serve((w) => {
      const ok = l.tryServe(w) === Retry.Served;
      if (ok) order.push(w.conn);
      if (ok && w.conn === 1) {
        l.push(20);
        r.signal(20);
      }
      return ok ? Retry.Served : Retry.Waiting;
    });
    expect(order).toEqual([1, 2]);
    expect(r.size).toBe(0);
    expect(r.hasReady).toBe(false);
  });

  it('serves a key signalled again while it is being served in the same pass', () => {
    const r = new BlockingRegistry();
    r.add(waiter(1, [10]));
    r.add(waiter(2, [10]));
    let items = 1;
    const served: number[] = [];
    r.signal(10);
    r.serve((w) => {
      if (items === 0) return Retry.Waiting;
      items--;
      served.push(w.conn);
      // Serving 1 pushes to the same key again (a rotation onto itself).
      if (w.conn === 1) {
        items++;
        r.signal(10);
      }
      return Retry.Served;
    });
    expect(served).toEqual([1, 2]);
    expect(r.size).toBe(0);
  });

  it('signal marks only keys with waiters, once until served', () => {
    const r = new BlockingRegistry();
    r.signal(99);
    expect(r.hasReady).toBe(false);
    r.add(waiter(1, [10]));
    expect(r.waitsOn(10)).toBe(true);
    expect(r.waitsOn(99)).toBe(false);
    r.signal(99);
    expect(r.hasReady).toBe(false);
    r.signal(10);
    r.signal(10);
    expect(r.hasReady).toBe(true);
    const tried: number[] = [];
    r.serve((w) => {
      tried.push(w.conn);
      return Retry.Waiting;
    });
    // Signalled twice, served (tried) once.
    expect(tried).toEqual([1]);
    expect(r.hasReady).toBe(false);
    // Not served: still waiting, and can be signalled again.
    r.signal(10);
    expect(r.hasReady).toBe(true);
  });

  it('skips a key whose waiters left before it was served', () => {
    const r = new BlockingRegistry();
    const w = waiter(1, [10]);
    r.add(w);
    r.signal(10);
    r.remove(w);
    const tried: number[] = [];
    r.serve((x) => {
      tried.push(x.conn);
      return Retry.Served;
    });
    expect(tried).toEqual([]);
    expect(r.hasReady).toBe(false);
  });

  it('remove takes a waiter out of every key and of its connection, leaving the others in order', () => {
    const r = new BlockingRegistry();
    const a = waiter(1, [10, 20]);
    const b2 = waiter(2, [10]);
    const c = waiter(3, [20, 10]);
    r.add(a);
    r.add(b2);
    r.add(c);
    r.remove(a);
    expect(r.size).toBe(2);
    expect(r.byConnection(1)).toBeUndefined();
    expect(r.waitsOn(20)).toBe(true);
    const l = new Lists();
    l.push(10, 2);
    r.signal(10);
    r.serve(l.tryServe);
    expect(l.served).toEqual([2, 3]);
    expect(r.waitsOn(10)).toBe(false);
    expect(r.waitsOn(20)).toBe(false);
    // Removing again (or a waiter never added) changes nothing.
    r.remove(a);
    r.remove(waiter(7, [10]));
    expect(r.size).toBe(0);
  });

  it('a stale waiter of a connection that blocked again is skipped, and removing it keeps the new one', () => {
    const r = new BlockingRegistry();
    const old = waiter(1, [10], 0, 5);
    r.add(old);
    const fresh = waiter(1, [20], 0, 6);
    r.add(fresh);
    expect(r.byConnection(1)).toBe(fresh);
    expect(r.size).toBe(1);
    const l = new Lists();
    l.push(10);
    r.signal(10);
    r.serve(l.tryServe);
    expect(l.tried).toEqual([]);
    r.remove(old);
    expect(r.byConnection(1)).toBe(fresh);
    expect(r.waitsOn(10)).toBe(false);
    expect(r.waitsOn(20)).toBe(true);
  });

  it('byConnection finds the waiter of a connection', () => {
    const r = new BlockingRegistry();
    const w = waiter(42, [1, 2], 0, 9);
    r.add(w);
    expect(r.byConnection(42)).toBe(w);
    expect(r.byConnection(43)).toBeUndefined();
  });

  it('nextDeadline is the earliest deadline, ignoring waiters that wait forever', () => {
    const r = new BlockingRegistry();
    expect(r.nextDeadline()).toBe(0);
    r.add(waiter(1, [10], 0));
    expect(r.nextDeadline()).toBe(0);
    r.add(waiter(2, [10], 5000));
    r.add(waiter(3, [11], 3000));
    r.add(waiter(4, [12], 4000));
    expect(r.nextDeadline()).toBe(3000);
    r.remove(r.byConnection(3)!);
    expect(r.nextDeadline()).toBe(4000);
  });

  it('expired removes and returns the waiters whose deadline passed, earliest first', () => {
    const r = new BlockingRegistry();
    // Blocked in another order than their deadlines.
    r.add(waiter(1, [10], 3000));
    r.add(waiter(4, [20, 10], 2000));
    r.add(waiter(2, [10], 1000));
    r.add(waiter(3, [10], 0));
    r.add(waiter(5, [20], 2500));
    expect(r.expired(999)).toEqual([]);
    const out = r.expired(2000);
    expect(out.map((w) => w.conn)).toEqual([2, 4]);
    expect(r.size).toBe(3);
    expect(r.byConnection(4)).toBeUndefined();
    expect(r.nextDeadline()).toBe(2500);
    // The expired waiters are gone from their keys: the next item on 10 goes to 1, then 3.
    const l = new Lists();
    l.push(10, 2);
    r.signal(10);
    r.serve(l.tryServe);
    expect(l.served).toEqual([1, 3]);
    expect(r.expired(1e15).map((w) => w.conn)).toEqual([5]);
    expect(r.size).toBe(0);
    expect(r.waitsOn(20)).toBe(false);
  });

  it('a waiter with a deadline exactly now has expired', () => {
    const r = new BlockingRegistry();
    r.add(waiter(1, [10], 1234));
    expect(r.expired(1234).map((w) => w.conn)).toEqual([1]);
  });

  it('publishes how many waiters registered on several shards it holds, however they leave', () => {
    const published = new Int32Array(4);
    const r = new BlockingRegistry(published, 2);
    const cross = (conn: number, fps: number[], deadline = 0): Waiter => ({ ...waiter(conn, fps, deadline), claimIdx: conn, claimGen: 2 });
    r.add(cross(1, [10]));
    r.add(waiter(2, [10]));
    r.add(cross(3, [20], 100));
    r.add(cross(4, [30]));
    expect([...published]).toEqual([0, 0, 3, 0]);
    // Served (1 leaves, 2 stays waiting), expired (3), removed (4): each counted once.
    r.signal(10);
    r.serve((w) => (w.conn === 1 ? Retry.Served : Retry.Waiting));
    expect(published[2]).toBe(2);
    expect(r.expired(100).map((w) => w.conn)).toEqual([3]);
    expect(published[2]).toBe(1);
    const w4 = r.byConnection(4)!;
    r.remove(w4);
    r.remove(w4);
    expect(published[2]).toBe(0);
    expect(r.size).toBe(1);
  });
});
