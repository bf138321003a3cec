/**
 * The thread's pool of large buffers (src/util/buffer-pool.ts): what goes
 * in, what comes back out, the size limits, and the trim that empties it
 * once no one takes from it.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import { giveBuffer, POOLED_MIN, takeBuffer, trimBuffers } from '../../src/util/buffer-pool.js';

/** Empties the pool: a trim after a trim with no take in between drops everything. */
function emptyPool(): void {
  trimBuffers();
  trimBuffers();
}

describe('buffer pool', () => {
  beforeEach(emptyPool);

  it('hands a given-back buffer to the next take that fits it', () => {
    const b = takeBuffer(100_000);
    expect(b.length).toBeGreaterThanOrEqual(100_000);
    giveBuffer(b);
    expect(takeBuffer(90_000)).toBe(b);
    // Taken: the pool does not hand it out twice.
    expect(takeBuffer(90_000)).not.toBe(b);
  });

  it('does not hand a buffer more than four times the size asked', () => {
    const big = takeBuffer(400_000);
    giveBuffer(big);
    expect(takeBuffer(50_000)).not.toBe(big);
    expect(takeBuffer(100_000)).toBe(big);
  });

  it('leaves small and huge buffers to the garbage collector', () => {
    const small = new Uint8Array(POOLED_MIN - 1);
    giveBuffer(small);
    expect(takeBuffer(POOLED_MIN - 1)).not.toBe(small);
    const huge = new Uint8Array(8 * 1024 * 1024);
    giveBuffer(huge);
    expect(takeBuffer(5 * 1024 * 1024)).not.toBe(huge);
  });

  it('holds a bounded number of bytes', () => {
    const given: Uint8Array[] = [];
    for (let i = 0; i < 20; i++) given.push(new Uint8Array(4 * 1024 * 1024));
    for (const b of given) giveBuffer(b);
    const back = new Set<Uint8Array>();
    for (let i = 0; i < 20; i++) back.add(takeBuffer(4 * 1024 * 1024));
    const reused = given.filter((b) => back.has(b)).length;
    expect(reused).toBeGreaterThan(0);
    expect(reused).toBeLessThan(20);
  });

  it('a trim keeps the pool while buffers are being taken, and empties it once they are not', () => {
    const b = takeBuffer(64 * 1024);
    giveBuffer(b);
    trimBuffers(); // a take happened since the last trim: kept
    expect(takeBuffer(64 * 1024)).toBe(b);
    giveBuffer(b);
    trimBuffers(); // the take above counts: kept
    trimBuffers(); // nothing taken since: emptied
    expect(takeBuffer(64 * 1024)).not.toBe(b);
  });
});
