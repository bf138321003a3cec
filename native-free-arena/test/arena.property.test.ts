import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Arena,
  MAX_CLASS_SIZE,
  NUM_CLASSES,
  OFF_MASK,
  SEGMENT_SIZE,
  offOf,
  segOf,
  sizeClassIndex,
} from '../src/arena.js';
import { expectedUsable } from './helpers.js';

type Op =
  | { t: 'alloc'; size: number; fillByte: number }
  | { t: 'free'; pick: number }
  | { t: 'realloc'; pick: number; size: number; fillByte: number }
  | { t: 'write'; pick: number; at: number; data: Uint8Array };

interface Live {
  h: number;
  size: number;
  usable: number;
  /** Expected content of all usable bytes. */
  content: Uint8Array;
}

function opArb(sizeArb: fc.Arbitrary<number>): fc.Arbitrary<Op> {
  return fc.oneof(
    { weight: 5, arbitrary: fc.record({ t: fc.constant('alloc' as const), size: sizeArb, fillByte: fc.integer({ min: 0, max: 255 }) }) },
    { weight: 3, arbitrary: fc.record({ t: fc.constant('free' as const), pick: fc.nat() }) },
    {
      weight: 2,
      arbitrary: fc.record({
        t: fc.constant('realloc' as const),
        pick: fc.nat(),
        size: sizeArb,
        fillByte: fc.integer({ min: 0, max: 255 }),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        t: fc.constant('write' as const),
        pick: fc.nat(),
        at: fc.nat(),
        data: fc.uint8Array({ minLength: 1, maxLength: 64 }),
      }),
    },
  );
}

const mixedSizes = fc.oneof(
  { weight: 14, arbitrary: fc.integer({ min: 1, max: 256 }) },
  { weight: 4, arbitrary: fc.integer({ min: 257, max: 6000 }) },
  { weight: 2, arbitrary: fc.integer({ min: 6001, max: MAX_CLASS_SIZE }) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_CLASS_SIZE + 1, max: 1_500_000 }) },
);

// Large classes only: fills several 4 MiB segments, exercising tail carving.
const largeSizes = fc.oneof(
  { weight: 6, arbitrary: fc.integer({ min: 40_000, max: MAX_CLASS_SIZE }) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 5000 }) },
  { weight: 1, arbitrary: fc.integer({ min: MAX_CLASS_SIZE + 1, max: 1_200_000 }) },
);

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.from(a.buffer, a.byteOffset, a.length).equals(Buffer.from(b.buffer, b.byteOffset, b.length));
}

class Model {
  readonly live: Live[] = [];

  constructor(readonly arena: Arena) {}

  checkBlock(b: Live): void {
    const { arena } = this;
    expect(arena.usableSize(b.h)).toBe(b.usable);
    expect(arena.requestedSize(b.h)).toBe(b.size);
    if (!sameBytes(arena.bytes(b.h, 0, b.usable), b.content)) {
      throw new Error(`content of block ${b.h} (size ${b.size}) corrupted`);
    }
  }

  checkAccounting(): void {
    const st = this.arena.stats();
    let used = 0;
    let allocated = 0;
    let huge = 0;
    let hugeBytes = 0;
    const perClass = new Array<number>(NUM_CLASSES).fill(0);
    for (const b of this.live) {
      used += b.size;
      allocated += b.usable;
      if (b.size > MAX_CLASS_SIZE) {
        huge++;
        hugeBytes += b.usable;
      } else perClass[sizeClassIndex(b.size)]++;
    }
    expect(st.usedBytes).toBe(used);
    expect(st.allocatedBytes).toBe(allocated);
    expect(st.liveBlocks).toBe(this.live.length);
    expect(st.hugeBlocks).toBe(huge);
    expect(st.classes.map((c) => c.live)).toEqual(perClass);
    expect(st.freeListBytes).toBe(st.classes.reduce((s, c) => s + c.free * c.size, 0));
    expect(st.segments).toBe(st.normalSegments + huge);
    expect(st.reservedBytes).toBe(st.normalSegments * SEGMENT_SIZE + hugeBytes);
    // Everything in normal segments is accounted for, to the byte, by live
    // blocks, free lists, not-yet-used run blocks, the unused tail and overhead.
    expect(allocated - hugeBytes + st.freeListBytes + st.runReserveBytes + st.bumpReserveBytes).toBeLessThanOrEqual(
      st.normalSegments * SEGMENT_SIZE,
    );
  }

  checkAll(): void {
    for (const b of this.live) this.checkBlock(b);
    // No two live blocks overlap.
    const iv = this.live
      .map((b) => ({ seg: segOf(b.h), start: offOf(b.h), end: offOf(b.h) + b.usable }))
      .sort((x, y) => x.seg - y.seg || x.start - y.start);
    for (let i = 1; i < iv.length; i++) {
      if (iv[i].seg === iv[i - 1].seg) expect(iv[i].start).toBeGreaterThanOrEqual(iv[i - 1].end);
    }
    for (const x of iv) expect(x.end).toBeLessThanOrEqual(this.arena.u8[x.seg].length);
    this.checkAccounting();
  }

  checkHandle(h: number): void {
    expect(Number.isInteger(h)).toBe(true);
    expect(h).toBeGreaterThan(0);
    expect(h).toBeLessThan(2 ** 31);
    expect(h | 0).toBe(h);
    expect(offOf(h) % 8).toBe(0);
    expect(offOf(h)).toBe((h & OFF_MASK) * 8);
  }

  run(op: Op): void {
    const { arena, live } = this;
    switch (op.t) {
      case 'alloc': {
        const big = op.size > MAX_CLASS_SIZE;
        const c = big ? -1 : sizeClassIndex(op.size);
        const before = arena.stats();
        const h = arena.alloc(op.size);
        this.checkHandle(h);
        expect(live.some((b) => b.h === h)).toBe(false);
        const after = arena.stats();
        if (!big && before.classes[c].free > 0) {
          // Freed memory is reused before anything new is reserved.
          expect(after.classes[c].free).toBe(before.classes[c].free - 1);
          expect(after.reservedBytes).toBe(before.reservedBytes);
        }
        const usable = expectedUsable(op.size);
        arena.fill(h, 0, usable, op.fillByte);
        const b: Live = { h, size: op.size, usable, content: new Uint8Array(usable).fill(op.fillByte) };
        live.push(b);
        this.checkBlock(b);
        break;
      }
      case 'free': {
        if (live.length === 0) return;
        const [b] = live.splice(op.pick % live.length, 1);
        arena.free(b.h);
        expect(() => arena.free(b.h)).toThrow();
        break;
      }
      case 'realloc': {
        if (live.length === 0) return;
        const i = op.pick % live.length;
        const b = live[i];
        const usable = expectedUsable(op.size);
        const nh = arena.realloc(b.h, op.size);
        this.checkHandle(nh);
        if (usable === b.usable) expect(nh).toBe(b.h);
        const keep = Math.min(usable, b.usable);
        const content = new Uint8Array(usable).fill(op.fillByte);
        content.set(b.content.subarray(0, keep));
        if (usable > keep) arena.fill(nh, keep, usable - keep, op.fillByte);
        live[i] = { h: nh, size: op.size, usable, content };
        this.checkBlock(live[i]);
        break;
      }
      case 'write': {
        if (live.length === 0) return;
        const b = live[op.pick % live.length];
        const len = Math.min(op.data.length, b.usable);
        const at = op.at % (b.usable - len + 1);
        const data = op.data.subarray(0, len);
        arena.writeBytes(b.h, at, data);
        b.content.set(data, at);
        expect(sameBytes(arena.bytes(b.h, at, len), data)).toBe(true);
        break;
      }
    }
    this.checkAccounting();
  }
}

function runOps(ops: Op[]): void {
  const model = new Model(new Arena());
  ops.forEach((op, i) => {
    model.run(op);
    if (i % 25 === 24) model.checkAll();
  });
  model.checkAll();
  // Free everything: the accounting returns to zero.
  for (const b of model.live.splice(0)) model.arena.free(b.h);
  const st = model.arena.stats();
  expect(st.usedBytes).toBe(0);
  expect(st.allocatedBytes).toBe(0);
  expect(st.liveBlocks).toBe(0);
  expect(st.hugeBlocks).toBe(0);
  expect(st.reservedBytes).toBe(st.normalSegments * SEGMENT_SIZE);
}

describe('Arena against a model (fast-check)', () => {
  it('mixed sizes: contents, no overlap, exact accounting, reuse', () => {
    fc.assert(
      fc.property(fc.array(opArb(mixedSizes), { minLength: 1, maxLength: 160 }), (ops) => runOps(ops)),
      { numRuns: 60 },
    );
  });

  it('small sizes with heavy churn', () => {
    fc.assert(
      fc.property(fc.array(opArb(fc.integer({ min: 1, max: 300 })), { minLength: 50, maxLength: 400 }), (ops) =>
        runOps(ops),
      ),
      { numRuns: 25 },
    );
  });

  it('large classes spanning several segments (tail carving)', () => {
    fc.assert(
      fc.property(fc.array(opArb(largeSizes), { minLength: 20, maxLength: 90 }), (ops) => runOps(ops)),
      { numRuns: 12 },
    );
  });
});
