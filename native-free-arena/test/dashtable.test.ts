import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Arena, segOf, wordOf } from '../src/arena.js';
import {
  BUCKETS,
  DashTable,
  REGULAR_BUCKETS,
  SEGMENT_BYTES,
  SLOTS_PER_SEGMENT,
  fmix32,
  hashBytes,
  homeBucket,
} from '../src/dashtable.js';
import { prng } from './helpers.js';

/** Hash families used to drive the table. */
const hashFns: Record<string, (key: number) => number> = {
  // Well mixed.
  random: (k) => fmix32(k ^ 0x5bd1e995),
  // Every key has the same home bucket: a segment holds at most 48 of them,
  // so splits happen every few dozen inserts.
  sameHome: (k) => ((fmix32(k) & 0xfffff000) | 0x7c5) >>> 0,
  // 16 distinct hashes: full 32-bit collisions, find must rely on eq.
  colliding: (k) => fmix32(k % 16),
};

/** Entries are arena blocks holding their key (an int32) in the first word. */
class Harness {
  readonly arena = new Arena();
  readonly table = new DashTable(this.arena);
  readonly model = new Map<number, number>(); // key -> handle

  constructor(readonly hash: (key: number) => number) {}

  keyOf(h: number): number {
    return this.arena.i32[segOf(h)][wordOf(h)];
  }

  find(key: number): number {
    let calls = 0;
    const hv = this.hash(key);
    const r = this.table.find(hv, (h) => {
      calls++;
      // eq is only called for slots holding the same hash.
      if (this.hash(this.keyOf(h)) >>> 0 !== hv >>> 0) throw new Error(`eq called for entry ${h} of another hash`);
      return this.keyOf(h) === key;
    });
    if (calls > 48) throw new Error(`eq called ${calls} times`);
    return r;
  }

  insert(key: number): void {
    if (this.find(key) !== 0) throw new Error(`key ${key} found before insert`);
    const h = this.arena.alloc(4 + (key % 24));
    this.arena.i32[segOf(h)][wordOf(h)] = key;
    this.table.insert(this.hash(key), h);
    this.model.set(key, h);
  }

  remove(key: number): boolean {
    const h = this.model.get(key) ?? this.find(key);
    const removed = h !== 0 && this.table.remove(this.hash(key), h);
    if (removed !== this.model.has(key)) throw new Error(`remove(${key}) returned ${removed}`);
    if (removed) {
      this.model.delete(key);
      this.arena.free(h);
    }
    return removed;
  }

  /** Moves an entry to a bigger block (as realloc would) and tells the table. */
  grow(key: number): void {
    const h = this.model.get(key);
    if (h === undefined) return;
    const g = this.arena.realloc(h, 200);
    if (g !== h) this.table.replace(this.hash(key), h, g);
    this.model.set(key, g);
  }

  check(): void {
    expect(this.table.size).toBe(this.model.size);
    for (const [key, h] of this.model) {
      if (this.find(key) !== h) throw new Error(`find(${key}) !== ${h}`);
    }
    const seen: number[] = [];
    this.table.forEach((h) => seen.push(h));
    expect(seen.sort((a, b) => a - b)).toEqual([...this.model.values()].sort((a, b) => a - b));
    const st = this.table.stats();
    expect(st.entries).toBe(this.model.size);
    expect(this.table.memoryUsage()).toBe(4 * 2 ** this.table.globalDepth + this.table.segments * 4608);
  }
}

type TOp = { t: 'insert' | 'remove' | 'find' | 'grow'; key: number };

describe('DashTable against a Map model (fast-check)', () => {
  for (const name of Object.keys(hashFns)) {
    it(`random operation sequences, ${name} hashes`, () => {
      const keyMax = name === 'colliding' ? 400 : 3000; // colliding: <= 25 keys per hash
      const opArb: fc.Arbitrary<TOp> = fc.record({
        t: fc.constantFrom('insert', 'insert', 'insert', 'remove', 'find', 'grow'),
        key: fc.integer({ min: 0, max: keyMax }),
      });
      fc.assert(
        fc.property(fc.array(opArb, { minLength: 1, maxLength: 600 }), (ops) => {
          const t = new Harness(hashFns[name]);
          for (const op of ops) {
            if (op.t === 'insert') {
              if (!t.model.has(op.key)) t.insert(op.key);
            } else if (op.t === 'remove') t.remove(op.key);
            else if (op.t === 'grow') t.grow(op.key);
            else expect(t.find(op.key)).toBe(t.model.get(op.key) ?? 0);
          }
          t.check();
        }),
        { numRuns: name === 'random' ? 30 : 20 },
      );
    });
  }

  it('50k entries with many splits, interleaved removals (seeded)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.constantFrom('random', 'sameHome'), (seed, name) => {
        const rand = prng(seed);
        const t = new Harness(hashFns[name]);
        let next = 0;
        for (let i = 0; i < 50_000; i++) {
          const r = rand();
          if (r < 0.75) t.insert(next++);
          else if (r < 0.95) t.remove(Math.floor(rand() * next));
          else {
            const k = Math.floor(rand() * next);
            if (t.find(k) !== (t.model.get(k) ?? 0)) throw new Error(`find(${k}) mismatch`);
          }
        }
        t.check();
        expect(t.table.segments).toBeGreaterThan(name === 'random' ? 64 : 500);
        // Every entry sits in its home bucket, the next one, or the stash: find
        // succeeding for all keys (check) covers that; here we also check the
        // table never rehashed everything: segments only ever split.
        expect(t.table.globalDepth).toBeLessThanOrEqual(24);
      }),
      { numRuns: 3 },
    );
  });
});

describe('DashTable scan', () => {
  function fullScan(table: DashTable, count: number): number[] {
    const out: number[] = [];
    let cursor = 0;
    let calls = 0;
    do {
      cursor = table.scan(cursor, count, (h) => out.push(h));
      expect(cursor).toBeGreaterThanOrEqual(0);
      expect(cursor).toBeLessThan(2 ** 40);
      expect(Number.isInteger(cursor)).toBe(true);
      calls++;
    } while (cursor !== 0);
    expect(calls).toBeGreaterThan(0);
    return out;
  }

  it('returns 0 at once on an empty table and each entry once when nothing changes', () => {
    const t = new Harness(hashFns.random);
    expect(t.table.scan(0, 10, () => {})).toBe(0);
    for (let k = 0; k < 5000; k++) t.insert(k);
    const seen = fullScan(t.table, 37);
    expect(seen.length).toBe(5000);
    expect(new Set(seen).size).toBe(5000);
  });

  for (const name of ['random', 'sameHome']) {
    it(`reports every entry present throughout, while inserts split segments (${name})`, () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 200 }), (seed, count) => {
          const rand = prng(seed);
          const t = new Harness(hashFns[name]);
          let next = 0;
          for (; next < 3000; next++) t.insert(next);
          const initial = new Map(t.model);
          const removedInitial = new Set<number>();
          const everPresent = new Set<number>(t.model.values());
          const segmentsAtStart = t.table.segments;
          const seen = new Set<number>();
          let cursor = 0;
          do {
            cursor = t.table.scan(cursor, count, (h) => {
              if (!everPresent.has(h)) throw new Error(`scan reported unknown handle ${h}`);
              seen.add(h);
            });
            // Between calls: inserts (forcing splits) and a few removals. On
            // average as many inserts as entries reported, so the scan ends.
            const adds = Math.floor(rand() * 2 * count) + 1;
            for (let i = 0; i < adds; i++) {
              t.insert(next);
              everPresent.add(t.model.get(next)!);
              next++;
            }
            if (rand() < 0.3) {
              const k = Math.floor(rand() * next);
              if (initial.has(k)) removedInitial.add(k);
              t.remove(k);
            }
          } while (cursor !== 0);
          expect(t.table.segments).toBeGreaterThan(segmentsAtStart);
          for (const [k, h] of initial) {
            if (!removedInitial.has(k) && !seen.has(h)) throw new Error(`entry ${k} missed by scan`);
          }
        }),
        { numRuns: 8 },
      );
    });
  }

  it('lets the callback remove entries', () => {
    const t = new Harness(hashFns.random);
    for (let k = 0; k < 3000; k++) t.insert(k);
    let cursor = 0;
    let n = 0;
    do {
      cursor = t.table.scan(cursor, 50, (h) => {
        n++;
        t.remove(t.keyOf(h));
      });
    } while (cursor !== 0);
    expect(n).toBe(3000);
    expect(t.table.size).toBe(0);
  });
});

describe('DashTable merges', () => {
  for (const name of ['random', 'sameHome']) {
    it(`gives segments and directory back as entries go, and keeps every entry findable (${name})`, () => {
      const t = new Harness(hashFns[name]);
      for (let k = 0; k < 60_000; k++) t.insert(k);
      const grown = { segments: t.table.segments, depth: t.table.globalDepth };
      // Keep one key in 64: the table ends far below a tenth full.
      for (let k = 0; k < 60_000; k++) if (k % 64 !== 0) t.remove(k);
      t.check();
      const left = t.table.segments;
      expect(left).toBeLessThan(grown.segments / 4);
      if (name === 'random') expect(t.table.globalDepth).toBeLessThan(grown.depth);
      expect(t.table.size / (left * SLOTS_PER_SEGMENT)).toBeGreaterThan(name === 'random' ? 0.1 : 0.02);
      // It grows again as before.
      for (let k = 60_000; k < 90_000; k++) t.insert(k);
      t.check();
      for (const k of [...t.model.keys()]) t.remove(k);
      t.check();
      expect(t.table.segments).toBe(1);
      expect(t.table.globalDepth).toBe(0);
    });
  }

  for (const name of ['random', 'sameHome']) {
    it(`scan reports every entry present throughout while removals merge segments and inserts split them (${name})`, () => {
      fc.assert(
        fc.property(fc.integer(), fc.integer({ min: 1, max: 200 }), (seed, count) => {
          const rand = prng(seed);
          const t = new Harness(hashFns[name]);
          let next = 0;
          for (; next < 20_000; next++) t.insert(next);
          // A tenth of the keys stay throughout; the others may go at any time.
          const kept = new Map([...t.model].filter(([k]) => k % 10 === 0));
          const everPresent = new Set<number>(t.model.values());
          const segmentsAtStart = t.table.segments;
          let victims = [...t.model.keys()].filter((k) => k % 10 !== 0);
          const seen = new Set<number>();
          let cursor = 0;
          let merged = false;
          do {
            cursor = t.table.scan(cursor, count, (h) => {
              if (!everPresent.has(h)) throw new Error(`scan reported unknown handle ${h}`);
              seen.add(h);
            });
            // Between calls: many removals (merging segments), some inserts (splitting them).
            // Half of the rest each time (merges start within a few calls, before the scan ends), and a few more.
            const removes = Math.ceil(victims.length / 2) + Math.floor(rand() * count);
            for (let i = 0; i < removes && victims.length > 0; i++) {
              const j = Math.floor(rand() * victims.length);
              t.remove(victims[j]);
              victims[j] = victims[victims.length - 1];
              victims.pop();
            }
            if (t.table.segments < segmentsAtStart) merged = true;
            if (rand() < 0.3) {
              for (let i = Math.floor(rand() * count); i >= 0; i--) {
                t.insert(next);
                everPresent.add(t.model.get(next)!);
                victims.push(next);
                next++;
              }
            }
          } while (cursor !== 0);
          victims = [];
          expect(merged).toBe(true);
          for (const [k, h] of kept) if (!seen.has(h)) throw new Error(`entry ${k} missed by scan`);
        }),
        { numRuns: 8 },
      );
    });
  }
});

describe('DashTable details', () => {
  it('stores colliding hashes side by side and uses eq to tell them apart', () => {
    const arena = new Arena();
    const table = new DashTable(arena);
    const handles: number[] = [];
    for (let i = 0; i < 40; i++) {
      const h = arena.alloc(8);
      arena.i32[segOf(h)][wordOf(h)] = i;
      table.insert(0xdeadbeef, h);
      handles.push(h);
    }
    expect(table.size).toBe(40);
    for (let i = 0; i < 40; i++) {
      let calls = 0;
      const r = table.find(0xdeadbeef, (h) => {
        calls++;
        return arena.i32[segOf(h)][wordOf(h)] === i;
      });
      expect(r).toBe(handles[i]);
      expect(calls).toBeGreaterThanOrEqual(1);
    }
    expect(table.find(0xdeadbeef, () => false)).toBe(0);
    // A different hash never reaches eq.
    expect(
      table.find(0xdeadbeee, () => {
        throw new Error('eq called for another hash');
      }),
    ).toBe(0);
    expect(table.remove(0xdeadbeef, handles[7])).toBe(true);
    expect(table.remove(0xdeadbeef, handles[7])).toBe(false);
    expect(table.find(0xdeadbeef, (h) => h === handles[7])).toBe(0);
    expect(table.find(0xdeadbeef, (h) => h === handles[8])).toBe(handles[8]);
  });

  it('throws a clear error when more identical hashes arrive than a segment can hold', () => {
    const arena = new Arena();
    const table = new DashTable(arena);
    for (let i = 0; i < 48; i++) table.insert(12345, arena.alloc(8));
    expect(() => table.insert(12345, arena.alloc(8))).toThrow(/share the top 24 bits/);
    expect(table.size).toBe(48);
    expect(table.segments).toBe(1);
  });

  it('splits one segment at a time and doubles the directory only when needed', () => {
    const arena = new Arena();
    const table = new DashTable(arena);
    let k = 0;
    const insert = (): void => table.insert(hashFns.random(k++), arena.alloc(8));
    while (table.segments === 1) insert();
    expect(table.segments).toBe(2);
    expect(table.globalDepth).toBe(1);
    expect(k).toBeGreaterThan(SLOTS_PER_SEGMENT * 0.5);
    while (table.segments < 3) insert();
    expect(table.globalDepth).toBe(2);
    while (table.segments < 4) insert();
    expect(table.globalDepth).toBe(2); // the sibling split reuses the directory
    for (let i = 0; i < 4; i++) {
      // Every segment holds only hashes with its prefix: local depth == 2 for all.
      expect(table.localDepth(i * 2 ** 30)).toBe(2);
    }
  });

  it('bumps bucket versions on every change to the bucket', () => {
    const arena = new Arena();
    const table = new DashTable(arena);
    const hv = 0x12345678;
    const b = homeBucket(hv);
    const v0 = table.bucketVersion(hv, b);
    const e = arena.alloc(8);
    table.insert(hv, e);
    const v1 = table.bucketVersion(hv, b);
    expect(v1).not.toBe(v0);
    const f = arena.alloc(8);
    table.replace(hv, e, f);
    const v2 = table.bucketVersion(hv, b);
    expect(v2).not.toBe(v1);
    table.remove(hv, f);
    expect(table.bucketVersion(hv, b)).not.toBe(v2);
    expect(table.bucketVersion(hv, (b + 7) % REGULAR_BUCKETS)).toBe(0);
    expect(() => table.replace(hv, f, e)).toThrow(/not found/);
  });

  it('randomEntry returns live entries, roughly uniformly', () => {
    const t = new Harness(hashFns.random);
    expect(t.table.randomEntry(Math.random)).toBe(0);
    for (let k = 0; k < 2000; k++) t.insert(k);
    const rand = prng(42);
    const hits = new Map<number, number>();
    const live = new Set(t.model.values());
    for (let i = 0; i < 40_000; i++) {
      const h = t.table.randomEntry(rand);
      expect(live.has(h)).toBe(true);
      hits.set(h, (hits.get(h) ?? 0) + 1);
    }
    expect(hits.size).toBeGreaterThan(1900);
    expect(Math.max(...hits.values())).toBeLessThan(100); // mean 20
    // Nearly empty table.
    for (let k = 1; k < 2000; k++) t.remove(k);
    expect(t.table.randomEntry(rand)).toBe(t.model.get(0));
  });

  it('sampleEntries returns distinct live entries, and every entry in time', () => {
    const t = new Harness(hashFns.random);
    const out = new Int32Array(16);
    expect(t.table.sampleEntries(Math.random, 5, out)).toBe(0);
    const rand = prng(7);
    for (const n of [1, 3, 700, 5000]) {
      while (t.model.size < n) t.insert(t.model.size);
      const live = new Set(t.model.values());
      const seen = new Set<number>();
      for (let i = 0; i < 4000; i++) {
        const got = t.table.sampleEntries(rand, 5, out);
        expect(got).toBe(Math.min(5, n));
        const picked = Array.from(out.subarray(0, got));
        expect(new Set(picked).size).toBe(got);
        for (const h of picked) {
          expect(live.has(h)).toBe(true);
          seen.add(h);
        }
      }
      // A sample starting within the few slots before an entry meets it: 4,000 samples meet every
      // entry of a table of one or two segments, and nearly all of 5,000 entries (~98% expected).
      if (n <= 700) expect(seen.size).toBe(n);
      else expect(seen.size).toBeGreaterThan(n * 0.95);
    }
    // Thinned to a few entries spread over many segments: still found.
    for (let k = 0; k < 5000; k++) if (k % 1000 !== 0) t.remove(k);
    expect(t.table.sampleEntries(rand, 16, out)).toBe(5);
    expect(new Set(out.subarray(0, 5))).toEqual(new Set(t.model.values()));
  });

  it('clear calls back for every entry and returns table memory to the arena', () => {
    const t = new Harness(hashFns.random);
    const before = t.arena.stats();
    for (let k = 0; k < 20_000; k++) t.insert(k);
    expect(t.table.segments).toBeGreaterThan(32);
    let n = 0;
    t.table.clear((h) => {
      n++;
      t.arena.free(h);
    });
    expect(n).toBe(20_000);
    expect(t.table.size).toBe(0);
    expect(t.table.segments).toBe(1);
    expect(t.table.globalDepth).toBe(0);
    const after = t.arena.stats();
    expect(after.liveBlocks).toBe(before.liveBlocks);
    expect(after.usedBytes).toBe(before.usedBytes);
    expect(t.table.memoryUsage()).toBe(4 + 4608);
    // Usable again.
    t.model.clear();
    for (let k = 0; k < 1000; k++) t.insert(k);
    t.check();
  });

  it('clear keeps the lowest of its segments, so the arena segments the cleared data filled can empty', () => {
    const t = new Harness(hashFns.random);
    for (let k = 0; k < 20_000; k++) t.insert(k);
    const segmentsOf = (): number[] => {
      const hs: number[] = [];
      t.table.relocateSegments((h) => {
        hs.push(h);
        return false;
      });
      return hs;
    };
    const lowest = Math.min(...segmentsOf());
    t.table.clear((h) => t.arena.free(h));
    expect(segmentsOf()).toEqual([lowest]);
    t.model.clear();
    for (let k = 0; k < 100; k++) t.insert(k);
    t.check();
  });

  it('segment layout constants', () => {
    expect(BUCKETS).toBe(64);
    expect(SLOTS_PER_SEGMENT).toBe(512);
    // The header ends on a cache line, and a segment fills its class exactly.
    expect(SEGMENT_BYTES).toBe(4608);
    for (let h = 0; h < 4096; h++) {
      const b = homeBucket(h);
      expect(b).toBeGreaterThanOrEqual(0);
      expect(b).toBeLessThan(60);
    }
  });
});

describe('hashBytes', () => {
  const enc = new TextEncoder();
  const h = (s: string, seed = 0): number => {
    const b = enc.encode(s);
    return hashBytes(b, 0, b.length, seed);
  };

  it('matches the MurmurHash3 x86_32 reference vectors', () => {
    expect(h('')).toBe(0);
    expect(h('', 1)).toBe(0x514e28b7);
    expect(h('test')).toBe(0xba6bd213);
    expect(h('Hello, world!', 1234)).toBe(0xfaf6cdb3);
    expect(h('The quick brown fox jumps over the lazy dog')).toBe(0x2e4ff723);
  });

  it('hashes a range of a larger buffer', () => {
    const buf = enc.encode('xxkey:000123yy');
    expect(hashBytes(buf, 2, 10)).toBe(h('key:000123'));
  });

  it('avalanches on short ASCII keys', () => {
    // Flipping any one input bit flips each output bit with probability ~1/2.
    const flips = new Float64Array(32);
    let trials = 0;
    for (let i = 0; i < 400; i++) {
      const key = enc.encode(`key:${String(i).padStart(6, '0')}`);
      const base = hashBytes(key, 0, key.length);
      for (let bit = 0; bit < key.length * 8; bit++) {
        key[bit >>> 3] ^= 1 << (bit & 7);
        const d = (hashBytes(key, 0, key.length) ^ base) >>> 0;
        key[bit >>> 3] ^= 1 << (bit & 7);
        for (let o = 0; o < 32; o++) flips[o] += (d >>> o) & 1;
        trials++;
      }
    }
    for (let o = 0; o < 32; o++) {
      const p = flips[o] / trials;
      expect(p).toBeGreaterThan(0.45);
      expect(p).toBeLessThan(0.55);
    }
  });

  it('spreads sequential keys evenly over home buckets and directory prefixes', () => {
    const n = 60_000;
    const homes = new Float64Array(60);
    const tops = new Float64Array(64);
    for (let i = 0; i < n; i++) {
      const v = h(`key:${String(i).padStart(6, '0')}`);
      homes[homeBucket(v)]++;
      tops[v >>> 26]++;
    }
    const chi2 = (obs: Float64Array, expected: (i: number) => number): number =>
      obs.reduce((s, o, i) => s + (o - expected(i)) ** 2 / expected(i), 0);
    // Home buckets: 4096 low-bit values onto 60 buckets (68 or 69 values each).
    const homeExp = (b: number): number => {
      let cnt = 0;
      for (let x = 0; x < 4096; x++) if (homeBucket(x) === b) cnt++;
      return (n * cnt) / 4096;
    };
    expect(chi2(homes, homeExp)).toBeLessThan(120); // 59 dof, p ~ 1e-5
    expect(chi2(tops, () => n / 64)).toBeLessThan(125); // 63 dof
  });
});
