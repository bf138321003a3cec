/**
 * Releasing empty segments: after waves of allocations that fill many
 * segments and frees that empty most of them, `releaseEmptySegments` gives
 * back exactly the normal segments with no live block; live blocks keep
 * their bytes, the accounting stays exact, and allocation goes on (no
 * handle ever comes from a released segment: its views are empty, so a
 * write there would be lost and the content check would fail).
 */
import { describe, expect, it } from 'vitest';
import { Arena, SEGMENT_SIZE, offOf, segOf } from '../src/arena.js';
import { prng } from './helpers.js';

function fillOf(h: number): number {
  return (h * 2654435761) >>> 24;
}

describe('Arena.releaseEmptySegments', () => {
  for (const seed of [1, 2, 3, 4]) {
    it(`gives back empty segments and nothing else (seed ${seed})`, () => {
      const rand = prng(seed);
      const a = new Arena();
      const live = new Map<number, number>(); // handle -> size
      const alloc = () => {
        const size = rand() < 0.05 ? 600_000 + Math.floor(rand() * 400_000) : 1 + Math.floor(rand() * (rand() < 0.8 ? 200 : 9000));
        const h = a.alloc(size);
        a.fill(h, 0, Math.min(size, 64), fillOf(h));
        live.set(h, size);
      };
      const check = () => {
        for (const [h, size] of live) {
          const n = Math.min(size, 64);
          const bytes = a.bytes(h, 0, n);
          for (let i = 0; i < n; i++) if (bytes[i] !== fillOf(h)) throw new Error(`block ${h} lost its bytes`);
        }
        const st = a.stats();
        let classLive = 0;
        for (const c of st.classes) classLive += c.live;
        expect(classLive + st.hugeBlocks).toBe(live.size);
        expect(st.liveBlocks).toBe(live.size);
        expect(st.reservedBytes).toBeGreaterThanOrEqual(st.normalSegments * SEGMENT_SIZE);
      };
      let totalReleased = 0;
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 25_000; i++) alloc();
        // Free most blocks, keeping half of those of two segments.
        const keepSeg = new Set<number>();
        for (const h of live.keys()) if (keepSeg.size < 2 && rand() < 0.001) keepSeg.add(segOf(h));
        for (const h of [...live.keys()]) {
          if (keepSeg.has(segOf(h)) && rand() < 0.5) continue;
          a.free(h);
          live.delete(h);
        }
        const before = a.stats();
        const expected = a.emptySegmentBytes();
        const released = a.releaseEmptySegments();
        expect(released).toBe(expected);
        const after = a.stats();
        expect(after.reservedBytes).toBe(before.reservedBytes - released);
        expect(after.normalSegments).toBe(before.normalSegments - released / SEGMENT_SIZE);
        expect(after.usedBytes).toBe(before.usedBytes);
        expect(after.allocatedBytes).toBe(before.allocatedBytes);
        expect(a.emptySegmentBytes()).toBe(0);
        // Every segment left holds a live block, or is segment 0 or the one being carved.
        const segsWithLive = new Set([...live.keys()].map(segOf));
        expect(after.normalSegments).toBeLessThanOrEqual(segsWithLive.size + 2);
        totalReleased += released;
        // The free lists hold no block of a released segment: allocating every free block writes where it can be read back.
        check();
        for (const h of [...live.keys()]) expect(offOf(h)).toBeLessThan(SEGMENT_SIZE);
      }
      expect(totalReleased).toBeGreaterThan(0);
      for (const h of [...live.keys()]) {
        a.free(h);
        live.delete(h);
      }
      a.releaseEmptySegments();
      expect(a.stats().normalSegments).toBeLessThanOrEqual(2);
      expect(a.stats().usedBytes).toBe(0);
    });
  }
});

describe('Arena drain (defragmentation)', () => {
  for (const seed of [5, 6, 7]) {
    it(`moving the live blocks out of drained segments empties them; undrain gives back the free blocks of those that keep one (seed ${seed})`, () => {
      const rand = prng(seed);
      const a = new Arena();
      const live = new Map<number, number>(); // handle -> size
      const put = (size: number) => {
        const h = a.alloc(size);
        a.fill(h, 0, Math.min(size, 64), fillOf(h));
        live.set(h, size);
        return h;
      };
      for (let i = 0; i < 60_000; i++) put(1 + Math.floor(rand() * (rand() < 0.9 ? 200 : 6000)));
      // Keep one block in eight, scattered: every segment stays, sparse.
      for (const h of [...live.keys()]) {
        if (rand() < 0.125) continue;
        a.free(h);
        live.delete(h);
      }
      expect(a.releaseEmptySegments()).toBe(0);
      const sparse = a.sparseSegments(0.5, 1000);
      expect(sparse.length).toBeGreaterThan(3);
      // One block of the first sparse segment cannot move (its owner says so).
      const pinned = [...live.keys()].find((h) => segOf(h) === sparse[0])!;
      a.drain(sparse);
      const before = a.stats();
      for (const [h, size] of [...live]) {
        if (!a.isDraining(h) || h === pinned) continue;
        const n = a.alloc(size);
        expect(a.isDraining(n)).toBe(false);
        a.copy(n, 0, h, 0, Math.min(size, 64));
        a.free(h);
        live.delete(h);
        live.set(n, size);
        // The copy carries the old handle's fill: keep checking it under the new handle.
        fills.set(n, fillOf(h));
      }
      const released = a.releaseEmptySegments();
      expect(released).toBe((sparse.length - 1) * SEGMENT_SIZE);
      expect(a.stats().usedBytes).toBe(before.usedBytes);
      const freeBefore = a.stats().freeListBytes;
      a.undrain();
      expect(a.stats().freeListBytes).toBeGreaterThan(freeBefore);
      expect(a.isDraining(pinned)).toBe(false);
      for (const [h, size] of live) {
        const want = fills.get(h) ?? fillOf(h);
        const n = Math.min(size, 64);
        const bytes = a.bytes(h, 0, n);
        for (let i = 0; i < n; i++) if (bytes[i] !== want) throw new Error(`block ${h} lost its bytes`);
      }
      // Allocation goes on, reusing the pinned segment's free blocks among others.
      for (let i = 0; i < 20_000; i++) put(1 + Math.floor(rand() * 200));
      fills.clear();
    });
  }
});

const fills = new Map<number, number>();
