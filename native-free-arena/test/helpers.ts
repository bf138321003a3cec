import { HUGE_ALIGN, MAX_CLASS_SIZE, SIZE_CLASSES, sizeClassIndex } from '../src/arena.js';

/** Small deterministic PRNG (mulberry32), returns [0, 1). */
export function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The usable size the arena must report for a request of `size` bytes. */
export function expectedUsable(size: number): number {
  if (size > MAX_CLASS_SIZE) return Math.ceil(size / HUGE_ALIGN) * HUGE_ALIGN;
  return SIZE_CLASSES[sizeClassIndex(size)];
}
