import { describe, expect, it } from 'vitest';
import {
  Arena,
  MAX_CLASS_SIZE,
  MAX_SEGMENTS,
  NUM_CLASSES,
  OFF_MASK,
  PAGE_SIZE,
  SEGMENT_SIZE,
  SEG_SHIFT,
  SIZE_CLASSES,
  classInfo,
  f64Of,
  makeHandle,
  offOf,
  segOf,
  sizeClassIndex,
  wordOf,
} from '../src/arena.js';

const MB = 1024 * 1024;

describe('handles and size classes', () => {
  it('encodes handles as (segment << 19) | (offset >>> 3)', () => {
    expect(SEG_SHIFT).toBe(19);
    expect(OFF_MASK).toBe(0x7ffff);
    expect(MAX_SEGMENTS).toBe(4096);
    expect(SEGMENT_SIZE).toBe(4 * MB);
    const h = makeHandle(4095, SEGMENT_SIZE - 8);
    expect(h).toBe(2 ** 31 - 1);
    expect(segOf(h)).toBe(4095);
    expect(offOf(h)).toBe(SEGMENT_SIZE - 8);
    expect(wordOf(h)).toBe((SEGMENT_SIZE - 8) / 4);
    expect(f64Of(h)).toBe((SEGMENT_SIZE - 8) / 8);
  });

  it('has 8-byte steps up to 64 and 8 classes per doubling up to 512 KiB', () => {
    expect(SIZE_CLASSES.slice(0, 32)).toEqual([
      8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352,
      384, 416, 448, 480, 512,
    ]);
    expect(SIZE_CLASSES[NUM_CLASSES - 1]).toBe(MAX_CLASS_SIZE);
    expect(NUM_CLASSES).toBe(112);
    // A table segment (4608 bytes) has a class of its size, whose blocks are 64-byte aligned.
    expect(SIZE_CLASSES[sizeClassIndex(4608)]).toBe(4608);
    expect(classInfo(sizeClassIndex(4608)).pagesPerRun * PAGE_SIZE % 64).toBe(0);
    expect(4608 % 64).toBe(0);
  });

  it('maps every size to the smallest class that holds it', () => {
    let c = 0;
    for (let s = 1; s <= MAX_CLASS_SIZE; s++) {
      if (s > SIZE_CLASSES[c]) c++;
      if (sizeClassIndex(s) !== c) throw new Error(`size ${s}: class ${sizeClassIndex(s)}, expected ${c}`);
    }
  });

  it('lays out runs with little waste', () => {
    for (let c = 0; c < NUM_CLASSES; c++) {
      const { size, pagesPerRun, blocksPerRun, headerBytes } = classInfo(c);
      const run = pagesPerRun * PAGE_SIZE;
      expect(headerBytes + blocksPerRun * size).toBeLessThanOrEqual(run);
      const waste = run - blocksPerRun * size;
      if (size >= 16) expect(waste / run).toBeLessThan(0.07); // includes the slack table
      expect(pagesPerRun).toBeLessThanOrEqual(128); // a page's distance back to its run's first fits 7 bits
      if (size >= PAGE_SIZE) expect(waste).toBe(0);
    }
    // The 112-byte class: 36 blocks and a 40-byte slack table in one page.
    const c112 = classInfo(sizeClassIndex(112));
    expect(c112).toEqual({ size: 112, pagesPerRun: 1, blocksPerRun: 36, headerBytes: 40 });
  });
});

describe('Arena basics', () => {
  it('never returns handle 0 and aligns blocks to 8 bytes', () => {
    const a = new Arena();
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const h = a.alloc(1 + (i % 100));
      expect(h).toBeGreaterThan(0);
      expect(offOf(h) % 8).toBe(0);
      expect(seen.has(h)).toBe(false);
      seen.add(h);
    }
  });

  it('reuses the most recently freed block of the class', () => {
    const a = new Arena();
    const x = a.alloc(108);
    const y = a.alloc(108);
    a.free(x);
    a.free(y);
    expect(a.alloc(105)).toBe(y); // 105 and 108 are both in the 112 class
    expect(a.alloc(112)).toBe(x);
    expect(a.stats().classes[sizeClassIndex(112)]).toEqual({ size: 112, live: 2, free: 0 });
  });

  it('rejects bad sizes and bad handles, detects double free', () => {
    const a = new Arena();
    expect(() => a.alloc(0)).toThrow(RangeError);
    expect(() => a.alloc(-5)).toThrow(RangeError);
    expect(() => a.alloc(1.5)).toThrow(RangeError);
    expect(() => a.alloc(NaN)).toThrow(RangeError);
    const h = a.alloc(64);
    expect(() => a.free(0)).toThrow(/invalid handle/);
    expect(() => a.free(h + 1)).toThrow(/invalid handle/); // interior pointer
    expect(() => a.free(makeHandle(7, 0))).toThrow(/invalid handle/); // unused segment
    a.free(h);
    expect(() => a.free(h)).toThrow(/double free/);
    expect(() => a.usableSize(h)).toThrow(/invalid handle/);
  });

  it('tracks requested and usable sizes exactly, including realloc in place', () => {
    const a = new Arena();
    const h = a.alloc(108);
    expect(a.usableSize(h)).toBe(112);
    expect(a.requestedSize(h)).toBe(108);
    let st = a.stats();
    expect([st.usedBytes, st.allocatedBytes, st.liveBlocks]).toEqual([108, 112, 1]);
    expect(a.realloc(h, 111)).toBe(h);
    st = a.stats();
    expect([st.usedBytes, st.allocatedBytes]).toEqual([111, 112]);
    expect(st.fragmentationRatio).toBe(st.reservedBytes / 111);
    const big = a.alloc(300_000);
    expect(a.usableSize(big)).toBe(327_680);
    expect(a.requestedSize(big)).toBe(300_000);
    st = a.stats();
    expect([st.usedBytes, st.allocatedBytes]).toEqual([300_111, 327_792]);
    a.free(h);
    a.free(big);
    st = a.stats();
    expect([st.usedBytes, st.allocatedBytes, st.liveBlocks]).toEqual([0, 0, 0]);
    expect(st.freeListBytes).toBe(112 + 327_680);
    expect(st.fragmentationRatio).toBe(0);
  });

  it('realloc across classes moves the block and keeps its bytes', () => {
    const a = new Arena();
    const h = a.alloc(40);
    for (let i = 0; i < 40; i++) a.u8[segOf(h)][offOf(h) + i] = i + 1;
    const g = a.realloc(h, 5000);
    expect(g).not.toBe(h);
    expect([...a.bytes(g, 0, 40)]).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const k = a.realloc(g, 10);
    expect([...a.bytes(k, 0, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(a.stats().usedBytes).toBe(10);
    expect(a.stats().liveBlocks).toBe(1);
  });

  it('copy / fill / bytes / writeBytes work within and across segments', () => {
    const a = new Arena();
    const x = a.alloc(64);
    const huge = a.alloc(2 * MB);
    expect(segOf(huge)).not.toBe(segOf(x));
    a.writeBytes(x, 0, Uint8Array.from({ length: 64 }, (_, i) => i));
    a.copy(huge, 2 * MB - 64, x, 0, 64);
    expect([...a.bytes(huge, 2 * MB - 64, 64)]).toEqual([...a.bytes(x, 0, 64)]);
    a.copy(x, 8, x, 0, 16); // overlapping, same block
    expect([...a.bytes(x, 8, 16)]).toEqual(Array.from({ length: 16 }, (_, i) => i));
    a.fill(x, 0, 8, 0xee);
    expect([...a.bytes(x, 0, 9)]).toEqual([0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0xee, 0]);
    // Typed views address the same bytes.
    a.f64[segOf(x)][f64Of(x) + 2] = 1.5;
    expect(new Float64Array(a.bytes(x, 16, 8).slice().buffer)[0]).toBe(1.5);
    a.i32[segOf(x)][wordOf(x)] = -7;
    expect(a.u32[segOf(x)][wordOf(x)]).toBe(2 ** 32 - 7);
  });

  it('carves the tail of a full segment into free blocks, then opens a new one', () => {
    const a = new Arena();
    // 320 KiB class: 80-page runs. Segment 0 has 1023 usable pages: 12 runs fit.
    const hs: number[] = [];
    for (let i = 0; i < 12; i++) hs.push(a.alloc(300_000));
    expect(a.stats().normalSegments).toBe(1);
    expect(a.stats().bumpReserveBytes).toBe(63 * PAGE_SIZE);
    const next = a.alloc(300_000);
    expect(segOf(next)).toBe(1);
    const st = a.stats();
    expect(st.normalSegments).toBe(2);
    // 63 pages -> one 240 KiB block (60 pages) + one 12 KiB block (3 pages).
    expect(st.freeListBytes).toBe(63 * PAGE_SIZE);
    expect(st.classes[sizeClassIndex(245_760)].free).toBe(1);
    expect(st.classes[sizeClassIndex(12_288)].free).toBe(1);
    const reuse = a.alloc(240_000);
    expect(segOf(reuse)).toBe(0);
    expect(a.stats().freeListBytes).toBe(3 * PAGE_SIZE);
  });

  it('grows by adding segments without moving live data', () => {
    const a = new Arena();
    const hs: number[] = [];
    for (let i = 0; i < 60_000; i++) {
      const h = a.alloc(112);
      a.i32[segOf(h)][wordOf(h)] = i;
      hs.push(h);
    }
    expect(a.stats().normalSegments).toBe(2);
    const bad = hs.findIndex((h, i) => a.i32[segOf(h)][wordOf(h)] !== i);
    expect(bad).toBe(-1);
  });
});

describe('huge blocks', () => {
  it('alloc / write / realloc / free 10 MB blocks in dedicated segments', () => {
    const a = new Arena();
    const base = a.stats();
    const h = a.alloc(10 * MB + 1);
    expect(offOf(h)).toBe(0);
    expect(segOf(h)).toBeGreaterThan(0);
    expect(a.usableSize(h)).toBe(10 * MB + 4096);
    expect(a.u8[segOf(h)].length).toBe(10 * MB + 4096);
    let st = a.stats();
    expect(st.hugeBlocks).toBe(1);
    expect(st.usedBytes).toBe(10 * MB + 1);
    expect(st.allocatedBytes).toBe(10 * MB + 4096);
    expect(st.reservedBytes).toBe(base.reservedBytes + 10 * MB + 4096);
    a.fill(h, 0, 16, 0xab);
    a.u8[segOf(h)][10 * MB] = 0xcd;

    // Same rounded size: stays in place.
    expect(a.realloc(h, 10 * MB + 4000)).toBe(h);
    expect(a.stats().usedBytes).toBe(10 * MB + 4000);

    // Grow: new segment, bytes copied, old segment dropped.
    const g = a.realloc(h, 20 * MB);
    expect(g).not.toBe(h);
    expect(a.u8[segOf(g)][10 * MB]).toBe(0xcd);
    expect([...a.bytes(g, 0, 16)]).toEqual(new Array(16).fill(0xab));
    expect(a.u8[segOf(h)].length).toBe(0);
    st = a.stats();
    expect(st.hugeBlocks).toBe(1);
    expect(st.reservedBytes).toBe(base.reservedBytes + 20 * MB);

    // Shrink to a class block: first usable bytes copied.
    const s = a.realloc(g, 108);
    expect(a.usableSize(s)).toBe(112);
    expect([...a.bytes(s, 0, 16)]).toEqual(new Array(16).fill(0xab));
    st = a.stats();
    expect(st.hugeBlocks).toBe(0);
    expect(st.reservedBytes).toBe(base.reservedBytes);
    expect(st.usedBytes).toBe(108);

    // Small -> huge.
    const back = a.realloc(s, 3 * MB);
    expect(offOf(back)).toBe(0);
    expect([...a.bytes(back, 0, 16)]).toEqual(new Array(16).fill(0xab));
    a.free(back);
    expect(() => a.free(back)).toThrow(/invalid handle/);
    st = a.stats();
    expect([st.usedBytes, st.allocatedBytes, st.liveBlocks, st.hugeBlocks]).toEqual([0, 0, 0, 0]);
  });

  it('reuses the segment slot of a freed huge block', () => {
    const a = new Arena();
    const h1 = a.alloc(MAX_CLASS_SIZE + 1);
    const h2 = a.alloc(MAX_CLASS_SIZE + 1);
    a.free(h1);
    const h3 = a.alloc(5 * MB);
    expect(segOf(h3)).toBe(segOf(h1));
    expect(a.stats().segments).toBe(3);
    a.free(h2);
    a.free(h3);
    // A freed slot can also become a normal segment.
    const slot = segOf(h3);
    for (let i = 0; i < 80_000; i++) a.alloc(100);
    expect(a.stats().normalSegments).toBe(3);
    expect(a.u8[slot].length).toBe(SEGMENT_SIZE);
  });

  it('throws a clear error when the segment slots are exhausted', () => {
    const a = new Arena({ maxSegments: 3 });
    const h1 = a.alloc(MB);
    a.alloc(MB);
    expect(() => a.alloc(MB)).toThrow(/out of segments/);
    // Nothing leaked by the failed attempt; a freed slot makes room again.
    expect(a.stats().segments).toBe(3);
    a.free(h1);
    expect(offOf(a.alloc(MB))).toBe(0);
    expect(() => {
      for (let i = 0; i < 100_000; i++) a.alloc(1000);
    }).toThrow(/out of segments/);
    expect(() => new Arena({ maxSegments: 0 })).toThrow(RangeError);
    expect(() => new Arena({ maxSegments: 4097 })).toThrow(RangeError);
  });
});
