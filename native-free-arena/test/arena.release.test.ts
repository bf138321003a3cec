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
