/**
 * DashTable: a Dragonfly/Dash-style extendible hash table stored in an Arena.
 *
 * The table maps 32-bit hashes to arena handles of caller-owned entries. It
 * stores only (hash, handle) per slot; key comparison is the caller's job
 * (the `eq` callback of `find`).
 *
 * Directory: a JS Int32Array of table-segment handles, 2^globalDepth long,
 * indexed by the TOP globalDepth bits of the hash. A table segment with local
 * depth L owns the 2^(globalDepth-L) consecutive directory slots that share
 * its top L bits, i.e. the hash range [P, P + 2^(32-L)) where P is a multiple
 * of 2^(32-L).
 *
 * Table segment: one arena block (4608 bytes, a class of its own size) of 32-bit words:
 *
 *     word 0            local depth
 *     word 1            number of entries
 *     words 4..67       per-bucket version (bumped, wrapping, on every change)
 *     words 68..127     per-home-bucket overflow word: low 16 bits = entries
 *                       whose home is b stored in bucket b+1 ("displaced"),
 *                       high 16 bits = entries whose home is b in the stash
 *     words 128..1151   64 buckets x 8 slots x (hash, handle); handle 0 = empty
 *                       buckets 0..59 are regular, 60..63 are the stash; each
 *                       bucket is one 64-byte cache line
 *
 * Home bucket = ((hash & 0xfff) * 60) >>> 12: the low 12 bits, which the
 * directory does not use until it has 2^20 slots. An entry goes to its home
 * bucket, else to home+1 (mod 60), else to any stash bucket. The displaced /
 * stashed counters let `find` look at one bucket in the common case.
 *
 * When an insert finds no room, only that segment is split: local depth L+1,
 * entries whose hash bit (31-L) is 1 move, to the same bucket and slot, into a
 * new segment (the placement rules only depend on the hash, so they still
 * hold), and the upper half of the segment's directory slots point to it. The
 * directory doubles (a copy of the small Int32Array, no entry is touched) only
 * when L == globalDepth. Nothing ever rehashes the whole table.
 *
 * When removals leave a segment nearly empty and its buddy (the other half of
 * the range they split from) has the same depth and few entries too, the two
 * merge into one segment of depth L-1, and the directory halves once no
 * segment needs its full length: a table that grew to a million entries and
 * lost them gives its segments back, one merge at a time (Redis shrinks its
 * dicts below 10% fill).
 */
import { Arena, OFF_MASK, SEG_SHIFT } from './arena.js';

export { hashBytes, fmix32 } from './hash.js';

/** Regular buckets per segment. */
export const REGULAR_BUCKETS = 60;
/** Stash buckets per segment. */
export const STASH_BUCKETS = 4;
/** All buckets per segment. */
export const BUCKETS = REGULAR_BUCKETS + STASH_BUCKETS;
/** Slots per bucket. */
export const SLOTS_PER_BUCKET = 8;
/** Slots per segment. */
export const SLOTS_PER_SEGMENT = BUCKETS * SLOTS_PER_BUCKET;
/**
 * Maximum local/global depth. 2^24 directory slots exceed what an arena of 4096
 * segments can fill with table segments, so only pathological hash sets
 * (> 48 entries whose hashes share their top 24 bits) can reach it.
 */
export const MAX_DEPTH = 24;

const W_DEPTH = 0;
const W_COUNT = 1;
const W_VER = 4;
const W_OVF = 68;
const W_SLOTS = 128; // byte 512: each 64-byte bucket is one cache line (blocks of the 4608 class are 64-byte aligned)
const DISP_ONE = 1; // W_OVF low 16 bits: entries of home b stored in b+1
const STASH_ONE = 0x10000; // W_OVF high 16 bits: entries of home b stored in the stash
const SEG_WORDS = W_SLOTS + SLOTS_PER_SEGMENT * 2;
/** Bytes requested from the arena for one table segment. */
export const SEGMENT_BYTES = SEG_WORDS * 4;

const TWO32 = 4294967296;
/** A removal that leaves a segment with at most this many entries tries to merge it with its buddy. */
const MERGE_BELOW = SLOTS_PER_SEGMENT / 8;
/** ...when both together hold at most this many (a quarter of a segment: far from splitting again). */
const MERGE_MAX = SLOTS_PER_SEGMENT / 4;
const STASH_START = W_SLOTS + REGULAR_BUCKETS * SLOTS_PER_BUCKET * 2;
const STASH_END = W_SLOTS + BUCKETS * SLOTS_PER_BUCKET * 2;

/** Home bucket (0..59) of a hash. */
export function homeBucket(hash: number): number {
  return ((hash & 0xfff) * REGULAR_BUCKETS) >>> 12;
}

export interface DashTableStats {
  entries: number;
  segments: number;
  globalDepth: number;
  /** entries / (segments * 512). */
  loadFactor: number;
  /** Entries stored in their home bucket's neighbour. */
  displaced: number;
  /** Entries stored in stash buckets. */
  stashed: number;
  memoryUsage: number;
}

export class DashTable {
  private readonly arena: Arena;
  private readonly words: Int32Array[]; // arena.i32, same array object
  private dir: Int32Array;
  private gd = 0;
  private shift = 31; // directory index = (hash >>> 1) >>> shift, shift = 31 - globalDepth
  private count = 0;
  private segCount = 0;
  private readonly segBlockBytes: number;
  private readonly scratch = new Int32Array(SLOTS_PER_SEGMENT);

  constructor(arena: Arena) {
    this.arena = arena;
    this.words = arena.i32;
    this.dir = new Int32Array(1);
    this.dir[0] = this.newSegment(0);
    this.segBlockBytes = arena.usableSize(this.dir[0]);
  }

  /** Number of entries. */
  get size(): number {
    return this.count;
  }
  /** log2 of the directory length. */
  get globalDepth(): number {
    return this.gd;
  }
  /** Number of table segments. */
  get segments(): number {
    return this.segCount;
  }

  /**
   * Returns the handle of the entry with this hash for which `eq(handle)` is
   * true, or 0. `eq` is only called for slots whose stored hash equals `hash`.
   */
  find(hash: number, eq: (handle: number) => boolean): number {
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    const w = this.words[sh >>> SEG_SHIFT];
    const base = (sh & OFF_MASK) << 1;
    const hv = hash | 0;
    const b = ((hash & 0xfff) * REGULAR_BUCKETS) >>> 12;
    let i = base + W_SLOTS + (b << 4);
    let end = i + 16;
    for (; i < end; i += 2) {
      if (w[i] === hv) {
        const e = w[i + 1];
        if (e !== 0 && eq(e)) return e;
      }
    }
    const ovf = w[base + W_OVF + b];
    if (ovf === 0) return 0;
    if ((ovf & 0xffff) !== 0) {
      i = base + W_SLOTS + ((b === REGULAR_BUCKETS - 1 ? 0 : b + 1) << 4);
      end = i + 16;
      for (; i < end; i += 2) {
        if (w[i] === hv) {
          const e = w[i + 1];
          if (e !== 0 && eq(e)) return e;
        }
      }
    }
    if (ovf >>> 16 !== 0) {
      end = base + STASH_END;
      for (i = base + STASH_START; i < end; i += 2) {
        if (w[i] === hv) {
          const e = w[i + 1];
          if (e !== 0 && eq(e)) return e;
        }
      }
    }
    return 0;
  }

  /** Adds an entry. The caller guarantees no entry with an equal key is present. */
  insert(hash: number, handle: number): void {
    if ((handle | 0) !== handle || handle <= 0) {
      throw new RangeError(`DashTable: invalid entry handle ${handle}`);
    }
    const hv = hash | 0;
    const b = ((hash & 0xfff) * REGULAR_BUCKETS) >>> 12;
    const nb = b === REGULAR_BUCKETS - 1 ? 0 : b + 1;
    for (;;) {
      const di = (hash >>> 1) >>> this.shift;
      const sh = this.dir[di];
      const w = this.words[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      if (place(w, base, hv, handle)) {
        w[base + W_COUNT]++;
        this.count++;
        return;
      }
      if (!splitCanHelp(w, base, b, nb, hv)) {
        throw new Error(
          `DashTable: cannot insert: more than ${SLOTS_PER_BUCKET * 2 + STASH_BUCKETS * SLOTS_PER_BUCKET} ` +
            `entries share the top ${MAX_DEPTH} bits of hash ${hash >>> 0} (use a seeded hash)`,
        );
      }
      this.split(di);
    }
  }

  /** Replaces the handle of an entry (e.g. after the entry moved through realloc). */
  replace(hash: number, oldHandle: number, newHandle: number): void {
    if ((newHandle | 0) !== newHandle || newHandle <= 0) {
      throw new RangeError(`DashTable: invalid entry handle ${newHandle}`);
    }
    const i = this.slotOf(hash, oldHandle);
    if (i < 0) throw new Error(`DashTable: replace: entry ${oldHandle} with hash ${hash >>> 0} not found`);
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    const w = this.words[sh >>> SEG_SHIFT];
    w[i + 1] = newHandle;
    this.bumpVersionOfSlot(w, (sh & OFF_MASK) << 1, i);
  }

  /** Removes the entry (hash, handle). Returns false if it is not in the table. */
  remove(hash: number, handle: number): boolean {
    const i = this.slotOf(hash, handle);
    if (i < 0) return false;
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    const w = this.words[sh >>> SEG_SHIFT];
    const base = (sh & OFF_MASK) << 1;
    const b = ((hash & 0xfff) * REGULAR_BUCKETS) >>> 12;
    const bucket = (i - base - W_SLOTS) >>> 4;
    if (bucket >= REGULAR_BUCKETS) w[base + W_OVF + b] -= STASH_ONE;
    else if (bucket !== b) w[base + W_OVF + b] -= DISP_ONE;
    w[i] = 0;
    w[i + 1] = 0;
    w[base + W_VER + bucket]++;
    w[base + W_COUNT]--;
    this.count--;
    if (w[base + W_COUNT] <= MERGE_BELOW && this.gd > 0) this.tryMerge((hash >>> 1) >>> this.shift);
    return true;
  }

  /**
   * Incremental traversal with the SCAN guarantee: every entry present during
   * the whole traversal is reported at least once (possibly more), even if
   * segments split or merge between calls. Start with cursor 0; returns the
   * next cursor, 0 when done. Reports roughly `maxEntries` entries per call
   * (all entries of a home bucket are reported together, so a call may report
   * up to 47 more; a step after a merge up to a segment's worth).
   * The callback may modify the table.
   *
   * A cursor names a position (P, b) and the range [P, P + len) it is in:
   * P (< 2^32) is the start of the hash range of the segment visited, len =
   * 2^(32-L) its length (L its local depth), b (< 60) a home bucket. It is
   * (P + len/2) * 64 + b: the lowest set bit of P + len/2 gives len back.
   * Step (P, b) reports the entries of the segment owning P whose HOME bucket
   * is b (stored in b, b+1 or the stash); the next step is (P, b+1), and after
   * b = 59 it is (P + len, 0).
   *
   * Invariant: before step (P, b) in [P, P + len), every entry present during
   * the whole traversal so far with hash < P, or with hash in [P, P + len)
   * and home < b, has been reported. Segment ranges always partition
   * [0, 2^32) into aligned power-of-two intervals.
   *  - Steps keep it: (P, b) reports home b of the owner's range; after b = 59
   *    all of [P, P + len) was reported, hence (P + len, 0).
   *  - A split of the segment owning P leaves P the start of the lower half,
   *    whose entries with home < b were reported as part of the whole; the
   *    upper half is visited from its start with b = 0 (duplicates, allowed).
   *    So whenever the owner's range is no longer than len, it starts at P
   *    and the walk goes on in it.
   *  - A merge makes the owner's range longer than len, and its entries
   *    beyond P + len with home < b were never reported. Then the step
   *    reports every entry of the owner with hash in [P, P + len) and home
   *    >= b at once and moves to (P + len, 0) with the same len; from a
   *    position with b = 0 at the start of the owner's range, the walk
   *    adopts the owner's range (nothing in it was reported yet).
   *  - Changes to other segments do not change which hashes are below P.
   * At P = 2^32 every such entry has been reported.
   */
  scan(cursor: number, maxEntries: number, cb: (handle: number) => void): number {
    if (!Number.isInteger(cursor) || cursor < 0 || cursor >= TWO32 * 64) {
      throw new RangeError(`DashTable: invalid scan cursor ${cursor}`);
    }
    if (!(maxEntries >= 1)) maxEntries = 1;
    let b = cursor % 64;
    let p = 0;
    // 0: the start, where any range may be adopted.
    let len = 0;
    if (cursor !== 0) {
      const marked = (cursor - b) / 64;
      const half = (marked & -marked) >>> 0;
      len = half * 2;
      p = marked - half;
    }
    let emitted = 0;
    let steps = 0;
    const maxSteps = maxEntries * 8 + 64;
    const scratch = this.scratch;
    while (p < TWO32 && emitted < maxEntries && steps < maxSteps) {
      steps++;
      const sh = this.dir[(p >>> 1) >>> this.shift];
      const w = this.words[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      const rangeLen = 2 ** (32 - w[base + W_DEPTH]);
      if (len === 0 || rangeLen <= len || (b === 0 && p % rangeLen === 0)) {
        len = rangeLen;
        if (b < REGULAR_BUCKETS && w[base + W_COUNT] !== 0) {
          // Collect first, call back after: the callback may change the table.
          const n = collectHome(w, base, b, scratch);
          b++;
          for (let k = 0; k < n; k++) cb(scratch[k]);
          emitted += n;
          if (b < REGULAR_BUCKETS) continue;
        }
      } else {
        const n = collectRange(w, base, p, len, b, scratch);
        for (let k = 0; k < n; k++) cb(scratch[k]);
        emitted += n;
      }
      p += len;
      b = 0;
    }
    return p >= TWO32 ? 0 : (p + len / 2) * 64 + b;
  }

  /** Calls `cb` once per entry. The callback must not modify the table. */
  forEach(cb: (handle: number) => void): void {
    const dir = this.dir;
    const ws = this.words;
    for (let d = 0; d < dir.length; ) {
      const sh = dir[d];
      const w = ws[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      d += 1 << (this.gd - w[base + W_DEPTH]);
      if (w[base + W_COUNT] === 0) continue;
      const end = base + STASH_END;
      for (let i = base + W_SLOTS + 1; i < end; i += 2) {
        const e = w[i];
        if (e !== 0) cb(e);
      }
    }
  }

  /**
   * Up to `count` distinct entries from consecutive slots after a random
   * point, going on into the next segments: Redis's dictGetSomeKeys, which
   * eviction samples with. Consecutive slots hold unrelated keys (they are
   * placed by hash), and a sample costs about count / load slots instead of
   * a walk of half a segment per key. Writes them to `out`; returns how many
   * (fewer only when the table holds fewer).
   */
  sampleEntries(rand: () => number, count: number, out: Int32Array | number[]): number {
    if (this.count === 0 || count <= 0) return 0;
    const dir = this.dir;
    const ws = this.words;
    const want = Math.min(count, this.count);
    // A segment is owned by a run of 2^(gd - depth) directory slots, aligned: start at the run's first.
    let d = Math.floor(rand() * dir.length);
    let slot = Math.floor(rand() * SLOTS_PER_SEGMENT);
    let got = 0;
    for (let visited = 0; visited <= dir.length && got < want; ) {
      const sh = dir[d];
      const w = ws[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      const run = 1 << (this.gd - w[base + W_DEPTH]);
      d &= ~(run - 1);
      if (w[base + W_COUNT] !== 0) {
        const end = base + STASH_END;
        for (let i = base + W_SLOTS + 1 + slot * 2; i < end && got < want; i += 2) {
          const e = w[i];
          if (e !== 0) out[got++] = e;
        }
      }
      slot = 0;
      visited += run;
      d = (d + run) % dir.length;
    }
    return got;
  }

  /**
   * A random entry (0 when empty). `rand` returns uniform numbers in [0, 1).
   * Picks a random hash point, then a uniformly random entry of the segment
   * owning it: roughly uniform since segments of equal range hold similar counts.
   */
  randomEntry(rand: () => number): number {
    if (this.count === 0) return 0;
    for (let attempt = 0; attempt < 64; attempt++) {
      const p = Math.floor(rand() * TWO32);
      const sh = this.dir[(p >>> 1) >>> this.shift];
      const w = this.words[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      const n = w[base + W_COUNT];
      if (n === 0) continue;
      let k = Math.floor(rand() * n);
      const end = base + STASH_END;
      for (let i = base + W_SLOTS + 1; i < end; i += 2) {
        const e = w[i];
        if (e !== 0 && k-- === 0) return e;
      }
    }
    // Very sparse table: the first entry after a random directory slot.
    const dir = this.dir;
    const start = Math.floor(rand() * dir.length);
    for (let j = 0; j < dir.length; j++) {
      const sh = dir[(start + j) % dir.length];
      const w = this.words[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      if (w[base + W_COUNT] === 0) continue;
      const end = base + STASH_END;
      for (let i = base + W_SLOTS + 1; i < end; i += 2) if (w[i] !== 0) return w[i];
    }
    return 0;
  }

  /**
   * Removes all entries, calling `onEntry` for each first (e.g. to free them),
   * frees the table segments back to the arena and starts over empty.
   */
  clear(onEntry?: (handle: number) => void): void {
    const dir = this.dir;
    const ws = this.words;
    // The table keeps its lowest segment (usually its first, in the arena's
    // oldest memory): a new one would come from the free lists, likely in a
    // segment the cleared data emptied, and keep that whole arena segment alive.
    let keep = dir[0];
    for (let d = 0; d < dir.length; ) {
      const sh = dir[d];
      if (sh < keep) keep = sh;
      d += 1 << (this.gd - ws[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_DEPTH]);
    }
    for (let d = 0; d < dir.length; ) {
      const sh = dir[d];
      const w = ws[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      d += 1 << (this.gd - w[base + W_DEPTH]);
      if (onEntry !== undefined && w[base + W_COUNT] !== 0) {
        const end = base + STASH_END;
        for (let i = base + W_SLOTS + 1; i < end; i += 2) {
          const e = w[i];
          if (e !== 0) onEntry(e);
        }
      }
      if (sh === keep) continue;
      this.arena.free(sh);
      this.segCount--;
    }
    this.gd = 0;
    this.shift = 31;
    this.count = 0;
    this.dir = new Int32Array(1);
    this.arena.fill(keep, 0, SEGMENT_BYTES, 0);
    this.dir[0] = keep;
  }

  /**
   * Frees every table segment (calling `onEntry` for each entry first). The
   * table must not be used afterwards.
   */
  destroy(onEntry?: (handle: number) => void): void {
    this.clear(onEntry);
    this.arena.free(this.dir[0]);
    this.segCount = 0;
    this.dir = new Int32Array(0);
  }

  /**
   * Moves every table segment for which `shouldMove(handle)` is true to a
   * new arena block (defragmentation: the arena's `drain`); entries and scan
   * cursors are unaffected. Returns how many moved.
   */
  relocateSegments(shouldMove: (handle: number) => boolean): number {
    const dir = this.dir;
    const ws = this.words;
    let moved = 0;
    for (let d = 0; d < dir.length; ) {
      const sh = dir[d];
      const span = 1 << (this.gd - ws[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_DEPTH]);
      if (shouldMove(sh)) {
        const nh = this.arena.alloc(SEGMENT_BYTES);
        this.arena.copy(nh, 0, sh, 0, SEGMENT_BYTES);
        for (let j = d; j < d + span; j++) dir[j] = nh;
        this.arena.free(sh);
        moved++;
      }
      d += span;
    }
    return moved;
  }

  /** Bytes used by the directory and the table segments (arena usable sizes). */
  memoryUsage(): number {
    return this.dir.byteLength + this.segCount * this.segBlockBytes;
  }

  /** Version of bucket `bucket` (0..63) in the segment owning `hash`; changes whenever that bucket does. */
  bucketVersion(hash: number, bucket: number): number {
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    return this.words[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_VER + bucket] >>> 0;
  }

  /** Local depth of the segment owning `hash`. */
  localDepth(hash: number): number {
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    return this.words[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_DEPTH];
  }

  stats(): DashTableStats {
    let displaced = 0;
    let stashed = 0;
    const dir = this.dir;
    for (let d = 0; d < dir.length; ) {
      const sh = dir[d];
      const w = this.words[sh >>> SEG_SHIFT];
      const base = (sh & OFF_MASK) << 1;
      d += 1 << (this.gd - w[base + W_DEPTH]);
      for (let b = 0; b < REGULAR_BUCKETS; b++) {
        displaced += w[base + W_OVF + b] & 0xffff;
        stashed += w[base + W_OVF + b] >>> 16;
      }
    }
    return {
      entries: this.count,
      segments: this.segCount,
      globalDepth: this.gd,
      loadFactor: this.count / (this.segCount * SLOTS_PER_SEGMENT),
      displaced,
      stashed,
      memoryUsage: this.memoryUsage(),
    };
  }

  // -------------------------------------------------------------------------

  private newSegment(depth: number): number {
    const sh = this.arena.alloc(SEGMENT_BYTES);
    this.arena.fill(sh, 0, SEGMENT_BYTES, 0);
    this.words[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_DEPTH] = depth;
    this.segCount++;
    return sh;
  }

  /** Word index of the slot holding (hash, handle) in the owning segment, or -1. */
  private slotOf(hash: number, handle: number): number {
    const sh = this.dir[(hash >>> 1) >>> this.shift];
    const w = this.words[sh >>> SEG_SHIFT];
    const base = (sh & OFF_MASK) << 1;
    const b = ((hash & 0xfff) * REGULAR_BUCKETS) >>> 12;
    let i = base + W_SLOTS + (b << 4);
    let end = i + 16;
    for (; i < end; i += 2) if (w[i + 1] === handle && handle !== 0) return i;
    if ((w[base + W_OVF + b] & 0xffff) !== 0) {
      i = base + W_SLOTS + ((b === REGULAR_BUCKETS - 1 ? 0 : b + 1) << 4);
      end = i + 16;
      for (; i < end; i += 2) if (w[i + 1] === handle && handle !== 0) return i;
    }
    if (w[base + W_OVF + b] >>> 16 !== 0) {
      end = base + STASH_END;
      for (i = base + STASH_START; i < end; i += 2) if (w[i + 1] === handle && handle !== 0) return i;
    }
    return -1;
  }

  private bumpVersionOfSlot(w: Int32Array, base: number, i: number): void {
    w[base + W_VER + ((i - base - W_SLOTS) >>> 4)]++;
  }

  /**
   * Merges the segment at directory slot `di` with its buddy when both have
   * the same depth and together hold at most MERGE_MAX entries: their
   * entries go into a new segment of depth L-1, placed by the same rules (a
   * placement that fails leaves both as they were).
   */
  private tryMerge(di: number): void {
    const ws = this.words;
    const sh = this.dir[di];
    const w = ws[sh >>> SEG_SHIFT];
    const base = (sh & OFF_MASK) << 1;
    const depth = w[base + W_DEPTH];
    if (depth === 0) return;
    const span = 1 << (this.gd - depth);
    const start = di & ~(span - 1);
    const bh = this.dir[start ^ span];
    const bw = ws[bh >>> SEG_SHIFT];
    const bbase = (bh & OFF_MASK) << 1;
    if (bw[bbase + W_DEPTH] !== depth || w[base + W_COUNT] + bw[bbase + W_COUNT] > MERGE_MAX) return;
    const mh = this.newSegment(depth - 1);
    const mw = ws[mh >>> SEG_SHIFT];
    const mbase = (mh & OFF_MASK) << 1;
    for (const [sw, sb] of [[w, base], [bw, bbase]] as const) {
      for (let i = sb + W_SLOTS; i < sb + STASH_END; i += 2) {
        const e = sw[i + 1];
        if (e === 0) continue;
        if (!place(mw, mbase, sw[i], e)) {
          this.arena.free(mh);
          this.segCount--;
          return;
        }
        mw[mbase + W_COUNT]++;
      }
    }
    // Every bucket differs from both halves' (versions tell a snapshot that buckets changed).
    for (let k = 0; k < BUCKETS; k++) mw[mbase + W_VER + k] = (w[base + W_VER + k] + bw[bbase + W_VER + k] + 1) | 0;
    const lo = Math.min(start, start ^ span);
    for (let j = lo; j < lo + 2 * span; j++) this.dir[j] = mh;
    this.arena.free(sh);
    this.arena.free(bh);
    this.segCount -= 2;
    if (depth === this.gd) this.shrinkDirectory();
  }

  /** Halves the directory while no segment needs its full length. */
  private shrinkDirectory(): void {
    while (this.gd > 0) {
      const dir = this.dir;
      for (let d = 0; d < dir.length; ) {
        const sh = dir[d];
        const depth = this.words[sh >>> SEG_SHIFT][((sh & OFF_MASK) << 1) + W_DEPTH];
        if (depth === this.gd) return;
        d += 1 << (this.gd - depth);
      }
      const half = new Int32Array(dir.length >>> 1);
      for (let j = 0; j < half.length; j++) half[j] = dir[2 * j];
      this.dir = half;
      this.gd--;
      this.shift++;
    }
  }

  /** Splits the segment at directory slot `di`. */
  private split(di: number): void {
    const oldH = this.dir[di];
    const ws = this.words;
    let w = ws[oldH >>> SEG_SHIFT];
    let ob = (oldH & OFF_MASK) << 1;
    const depth = w[ob + W_DEPTH];
    if (depth >= MAX_DEPTH) {
      throw new Error(`DashTable: segment cannot split beyond depth ${MAX_DEPTH}`);
    }
    if (depth === this.gd) {
      // Double the directory: every slot j becomes slots 2j and 2j+1.
      const old = this.dir;
      const dir = new Int32Array(old.length * 2);
      for (let j = 0; j < old.length; j++) {
        dir[2 * j] = old[j];
        dir[2 * j + 1] = old[j];
      }
      this.dir = dir;
      this.gd++;
      this.shift--;
      di *= 2;
    }
    const newH = this.newSegment(depth + 1);
    // The arena views are stable, but re-read them after alloc for clarity.
    w = ws[oldH >>> SEG_SHIFT];
    ob = (oldH & OFF_MASK) << 1;
    const nw = ws[newH >>> SEG_SHIFT];
    const nbase = (newH & OFF_MASK) << 1;
    w[ob + W_DEPTH] = depth + 1;
    const bit = 31 - depth;
    let moved = 0;
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const start = W_SLOTS + (bucket << 4);
      for (let k = start; k < start + 16; k += 2) {
        const e = w[ob + k + 1];
        if (e === 0) continue;
        const hv = w[ob + k];
        if (((hv >>> bit) & 1) === 0) continue;
        nw[nbase + k] = hv;
        nw[nbase + k + 1] = e;
        w[ob + k] = 0;
        w[ob + k + 1] = 0;
        moved++;
        const home = ((hv & 0xfff) * REGULAR_BUCKETS) >>> 12;
        if (bucket >= REGULAR_BUCKETS) {
          w[ob + W_OVF + home] -= STASH_ONE;
          nw[nbase + W_OVF + home] += STASH_ONE;
        } else if (bucket !== home) {
          w[ob + W_OVF + home] -= DISP_ONE;
          nw[nbase + W_OVF + home] += DISP_ONE;
        }
      }
    }
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      const v = w[ob + W_VER + bucket] + 1;
      w[ob + W_VER + bucket] = v;
      nw[nbase + W_VER + bucket] = v;
    }
    w[ob + W_COUNT] -= moved;
    nw[nbase + W_COUNT] = moved;
    // Upper half of the old segment's directory range -> new segment.
    const span = 1 << (this.gd - depth);
    const start = di & ~(span - 1);
    const half = span >>> 1;
    for (let j = start + half; j < start + span; j++) this.dir[j] = newH;
  }
}

/** Places (hv, handle) in the segment at `base`: home bucket, its neighbour, a displacement, the stash. False when full. */
function place(w: Int32Array, base: number, hv: number, handle: number): boolean {
  const b = ((hv & 0xfff) * REGULAR_BUCKETS) >>> 12;
  const nb = b === REGULAR_BUCKETS - 1 ? 0 : b + 1;
  if (putInBucket(w, base, b, hv, handle)) return true;
  if (putInBucket(w, base, nb, hv, handle)) {
    w[base + W_OVF + b] += DISP_ONE;
    return true;
  }
  // Made room in b or nb by moving a neighbour to its other bucket.
  if (displace(w, base, b, nb, hv, handle)) return true;
  if (putInStash(w, base, hv, handle)) {
    w[base + W_OVF + b] += STASH_ONE;
    return true;
  }
  return false;
}

function putInBucket(w: Int32Array, base: number, bucket: number, hv: number, handle: number): boolean {
  let i = base + W_SLOTS + (bucket << 4);
  const end = i + 16;
  for (; i < end; i += 2) {
    if (w[i + 1] === 0) {
      w[i] = hv;
      w[i + 1] = handle;
      w[base + W_VER + bucket]++;
      return true;
    }
  }
  return false;
}

/**
 * Buckets b and nb = b+1 are full. Makes room Dash-style, without touching
 * the stash: move an entry of nb that lives in its home to nb+1, or an entry of
 * b displaced from b-1 back to b-1, then place (hv, handle) in the freed
 * bucket. Entries never leave {home, home+1}, so find/scan are unaffected.
 */
function displace(w: Int32Array, base: number, b: number, nb: number, hv: number, handle: number): boolean {
  const nnb = nb === REGULAR_BUCKETS - 1 ? 0 : nb + 1;
  if (hasRoom(w, base, nnb)) {
    const from = base + W_SLOTS + (nb << 4);
    for (let i = from; i < from + 16; i += 2) {
      if (((w[i] & 0xfff) * REGULAR_BUCKETS) >>> 12 === nb) {
        putInBucket(w, base, nnb, w[i], w[i + 1]);
        w[base + W_OVF + nb] += DISP_ONE;
        w[i] = hv;
        w[i + 1] = handle;
        w[base + W_VER + nb]++;
        w[base + W_OVF + b] += DISP_ONE;
        return true;
      }
    }
  }
  const pb = b === 0 ? REGULAR_BUCKETS - 1 : b - 1;
  if (hasRoom(w, base, pb)) {
    const from = base + W_SLOTS + (b << 4);
    for (let i = from; i < from + 16; i += 2) {
      if (((w[i] & 0xfff) * REGULAR_BUCKETS) >>> 12 === pb) {
        putInBucket(w, base, pb, w[i], w[i + 1]);
        w[base + W_OVF + pb] -= DISP_ONE;
        w[i] = hv;
        w[i + 1] = handle;
        w[base + W_VER + b]++;
        return true;
      }
    }
  }
  return false;
}

function hasRoom(w: Int32Array, base: number, bucket: number): boolean {
  const from = base + W_SLOTS + (bucket << 4) + 1;
  for (let i = from; i < from + 16; i += 2) if (w[i] === 0) return true;
  return false;
}

function putInStash(w: Int32Array, base: number, hv: number, handle: number): boolean {
  const end = base + STASH_END;
  for (let i = base + STASH_START; i < end; i += 2) {
    if (w[i + 1] === 0) {
      w[i] = hv;
      w[i + 1] = handle;
      w[base + W_VER + ((i - base - W_SLOTS) >>> 4)]++;
      return true;
    }
  }
  return false;
}

/**
 * True if some entry occupying the candidate slots of `hv` (buckets b, nb and
 * the stash, all full) differs from it in the top MAX_DEPTH bits, so that
 * splitting (up to MAX_DEPTH) eventually moves it away and makes room.
 */
function splitCanHelp(w: Int32Array, base: number, b: number, nb: number, hv: number): boolean {
  const shift = 32 - MAX_DEPTH;
  let i = base + W_SLOTS + (b << 4);
  for (let end = i + 16; i < end; i += 2) if ((w[i] ^ hv) >>> shift !== 0) return true;
  i = base + W_SLOTS + (nb << 4);
  for (let end = i + 16; i < end; i += 2) if ((w[i] ^ hv) >>> shift !== 0) return true;
  const end = base + STASH_END;
  for (i = base + STASH_START; i < end; i += 2) if ((w[i] ^ hv) >>> shift !== 0) return true;
  return false;
}

/** Copies into `out` the handles of entries whose home is `b`; returns their count. */
function collectHome(w: Int32Array, base: number, b: number, out: Int32Array): number {
  let n = 0;
  let i = base + W_SLOTS + (b << 4);
  let end = i + 16;
  for (; i < end; i += 2) {
    const e = w[i + 1];
    if (e !== 0 && ((w[i] & 0xfff) * REGULAR_BUCKETS) >>> 12 === b) out[n++] = e;
  }
  if ((w[base + W_OVF + b] & 0xffff) !== 0) {
    i = base + W_SLOTS + ((b === REGULAR_BUCKETS - 1 ? 0 : b + 1) << 4);
    end = i + 16;
    for (; i < end; i += 2) {
      const e = w[i + 1];
      if (e !== 0 && ((w[i] & 0xfff) * REGULAR_BUCKETS) >>> 12 === b) out[n++] = e;
    }
  }
  if (w[base + W_OVF + b] >>> 16 !== 0) {
    end = base + STASH_END;
    for (i = base + STASH_START; i < end; i += 2) {
      const e = w[i + 1];
      if (e !== 0 && ((w[i] & 0xfff) * REGULAR_BUCKETS) >>> 12 === b) out[n++] = e;
    }
  }
  return n;
}

/** Copies into `out` the handles of entries with hash in [p, p + len) and home >= b; returns their count. */
function collectRange(w: Int32Array, base: number, p: number, len: number, b: number, out: Int32Array): number {
  let n = 0;
  for (let i = base + W_SLOTS; i < base + STASH_END; i += 2) {
    const e = w[i + 1];
    if (e === 0) continue;
    const hv = w[i] >>> 0;
    if (hv >= p && hv < p + len && ((hv & 0xfff) * REGULAR_BUCKETS) >>> 12 >= b) out[n++] = e;
  }
  return n;
}
