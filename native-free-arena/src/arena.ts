/**
 * Arena: a memory manager over SharedArrayBuffer segments, in plain TypeScript.
 *
 * Handles
 * -------
 * A handle is a positive 31-bit integer (a V8 SMI):
 *
 *     handle = (segmentIndex << 19) | (byteOffset >>> 3)
 *
 * Blocks are 8-byte aligned, normal segments are 4 MiB (2^22 bytes), so the
 * offset fits 19 bits in 8-byte units and 12 bits remain for the segment index
 * (4096 segments). Handle 0 is null: segment 0 is always a normal segment and
 * its first page is never handed out.
 *
 * Layout of a normal segment
 * --------------------------
 * A normal segment is 1024 pages of 4 KiB. Pages are handed out, in address
 * order, by a bump pointer, as *runs*: a run is a few consecutive pages that
 * belong to one size class and are cut into blocks of that class. Inside a
 * run, blocks are handed out by a second bump pointer (`runNext`/`runLeft`),
 * so a fresh run costs O(1) whatever its block count.
 *
 * Every page has one u32 of metadata in `meta` (a flat Uint32Array indexed by
 * `handle >>> 9`, i.e. `segment * 1024 + page`):
 *
 *     bits 0..7   class index + 1 of the blocks that START in this page
 *                 (0: no block starts here, 255: huge segment)
 *     bits 8..14  distance in pages back to the first page of the run
 *     bits 15..31 requested-size slack + 1 of the block starting here
 *                 (only for classes >= 4 KiB, see below)
 *
 * Invariant: all blocks starting in a given page belong to one class, so the
 * class of any handle is one load away and needs no per-block header.
 *
 * Exact `usedBytes` (the sum of *requested* sizes) needs the requested size of
 * a block when it is freed. We store the slack (classSize - requested) + 1,
 * which is < 2^17, with 0 meaning "free":
 *  - classes below 4 KiB: in a small table at the start of the run, one byte
 *    (classes <= 1 KiB, slack < 128) or one u16 (1..3.5 KiB) per block. For the
 *    112-byte class this costs 1 byte per block and the run fits 36 blocks in a
 *    page: 1.6% overhead in total, header and tail waste included.
 *  - classes of 4 KiB and more: at most one block starts in any page, so the
 *    slack lives in that page's meta word. Their run sizes are chosen so that
 *    a run is an exact multiple of the page size (zero waste).
 * The non-zero marker doubles as a live bit, which lets `free` detect double
 * frees and handles that point into the middle of a block.
 *
 * Huge blocks (> 512 KiB) get a dedicated SharedArrayBuffer (size rounded up to
 * 4 KiB) whose handle has offset 0; freeing drops the buffer and recycles the
 * segment slot.
 */

/**
 * Copies bytes with Node's memmove; overlapping ranges of one view are fine.
 * V8's own copies on SharedArrayBuffer memory (TypedArray set, copyWithin)
 * go one byte at a time when source and destination are not equally
 * aligned: about 16x slower for large blocks. Buffer's copy itself calls
 * TypedArray set when it copies a whole source, so that case leaves the
 * last byte out of it.
 */
const memmove = Buffer.prototype.copy;
function copyBytes(dst: Uint8Array, dstOff: number, src: Uint8Array, srcOff: number, len: number): void {
  if (len <= 0) return;
  if (srcOff === 0 && len === src.length) {
    memmove.call(src, dst, dstOff, 0, len - 1);
    dst[dstOff + len - 1] = src[len - 1];
  } else {
    memmove.call(src, dst, dstOff, srcOff, srcOff + len);
  }
}

/** Bits of the handle used for the (8-byte unit) offset. */
export const SEG_SHIFT = 19;
/** Mask of the offset part of a handle. */
export const OFF_MASK = 0x7ffff;
/** log2 of the block alignment. */
export const GRANULE_SHIFT = 3;
/** Block alignment in bytes. */
export const GRANULE = 8;
/** log2 of the size of a normal segment. */
export const SEGMENT_SHIFT = 22;
/** Size of a normal segment in bytes (4 MiB). */
export const SEGMENT_SIZE = 1 << SEGMENT_SHIFT;
/** Maximum number of segments (12 bits of segment index). */
export const MAX_SEGMENTS = 4096;
/** log2 of the page size. */
export const PAGE_SHIFT = 12;
/** Page size in bytes (granularity of the class map). */
export const PAGE_SIZE = 1 << PAGE_SHIFT;
/** Pages per normal segment. */
export const PAGES_PER_SEGMENT = SEGMENT_SIZE >>> PAGE_SHIFT;
/** The null handle. */
export const NULL_HANDLE = 0;
/** Largest size class; larger requests get a dedicated (huge) segment. */
export const MAX_CLASS_SIZE = 512 * 1024;
/** Huge segments are rounded up to this many bytes. */
export const HUGE_ALIGN = 4096;

/** Segment index of a handle. */
export function segOf(h: number): number {
  return h >>> SEG_SHIFT;
}
/** Byte offset of a handle within its segment. */
export function offOf(h: number): number {
  return (h & OFF_MASK) << GRANULE_SHIFT;
}
/** Index of the block's first element in the segment's Int32Array/Uint32Array view. */
export function wordOf(h: number): number {
  return (h & OFF_MASK) << 1;
}
/** Index of the block's first element in the segment's Float64Array view. */
export function f64Of(h: number): number {
  return h & OFF_MASK;
}
/** Builds a handle from a segment index and an 8-byte aligned byte offset. */
export function makeHandle(seg: number, byteOffset: number): number {
  return (seg << SEG_SHIFT) | (byteOffset >>> GRANULE_SHIFT);
}

// ---------------------------------------------------------------------------
// Size classes
// ---------------------------------------------------------------------------

function buildClasses(): number[] {
  const s: number[] = [];
  for (let x = 8; x <= 64; x += 8) s.push(x);
  for (let base = 64; base < MAX_CLASS_SIZE; base *= 2) {
    for (let k = 1; k <= 8; k++) s.push(base + (k * base) / 8);
  }
  return s;
}

const CLASS_LIST = buildClasses();
/** Block sizes of the size classes, ascending (8, 16, ..., 64, 72, 80, ..., 128, 144, ..., 512 KiB). */
export const SIZE_CLASSES: readonly number[] = Object.freeze(CLASS_LIST.slice());
/** Number of size classes. */
export const NUM_CLASSES = CLASS_LIST.length;

/**
 * Index of the smallest class holding `size` bytes, for integer 1 <= size <= MAX_CLASS_SIZE.
 * 8-byte steps up to 64, then 8 classes per doubling: a block wastes at most
 * an eighth of its size (jemalloc's 4 per doubling waste up to a fifth; an
 * entry of 90 bytes takes 96, a listpack of 688 takes 704 instead of 768).
 */
export function sizeClassIndex(size: number): number {
  if (size <= 64) return ((size + 7) >>> 3) - 1;
  const e = 31 - Math.clz32(size - 1); // 2^e < size <= 2^(e+1), e >= 6
  return 8 + ((e - 6) << 3) + ((size - 1 - (1 << e)) >>> (e - 3));
}

const HUGE_CODE = 255; // meta low byte of a huge segment's first page
const HUGE_CLASS = HUGE_CODE - 1; // what locate() returns for a huge block

const C_SIZE = new Int32Array(NUM_CLASSES); // block size
const C_GRAN = new Int32Array(NUM_CLASSES); // block size in 8-byte units (handle step)
const C_W = new Int32Array(NUM_CLASSES); // slack width in the run header: 1, 2, or 0 (slack in meta)
const C_HDR = new Int32Array(NUM_CLASSES); // bytes of run header before the first block
const C_BLOCKS = new Int32Array(NUM_CLASSES); // blocks per run
const C_PAGES = new Int32Array(NUM_CLASSES); // pages per run
const C_INV = new Float64Array(NUM_CLASSES); // 1 / block size

(function computeRuns(): void {
  let prev = 0;
  for (let c = 0; c < NUM_CLASSES; c++) {
    const s = CLASS_LIST[c];
    const gran = s - prev; // requested sizes of this class are in (prev, s], slack < gran
    prev = s;
    C_SIZE[c] = s;
    C_GRAN[c] = s >>> GRANULE_SHIFT;
    C_INV[c] = 1 / s;
    if (s >= PAGE_SIZE) {
      // At most one block starts in any page: slack lives in the page's meta word.
      // Smallest run that is a whole number of pages: zero waste.
      let n = 1;
      while ((n * PAGE_SIZE) % s !== 0) n++;
      C_W[c] = 0;
      C_HDR[c] = 0;
      C_PAGES[c] = n;
      C_BLOCKS[c] = (n * PAGE_SIZE) / s;
      continue;
    }
    const w = gran <= 128 ? 1 : 2; // slack + 1 <= gran must fit the cell
    // Smallest run (<= 32 pages) whose header + tail waste is <= 1/64 of it;
    // otherwise the run with the smallest waste ratio.
    let bestN = 0;
    let bestB = 0;
    let bestRatio = 2;
    for (let n = 1; n <= 32; n++) {
      const total = n * PAGE_SIZE;
      let b = Math.floor(total / (s + w));
      while (b > 0 && ((b * w + 7) & ~7) + b * s > total) b--;
      if (b === 0) continue;
      const waste = total - ((b * w + 7) & ~7) - b * s;
      const ratio = waste / total;
      if (waste * 64 <= total) {
        bestN = n;
        bestB = b;
        break;
      }
      if (ratio < bestRatio) {
        bestRatio = ratio;
        bestN = n;
        bestB = b;
      }
    }
    C_W[c] = w;
    C_HDR[c] = (bestB * w + 7) & ~7;
    C_PAGES[c] = bestN;
    C_BLOCKS[c] = bestB;
  }
})();

/** Run geometry of a class (for documentation, tests and tuning). */
export function classInfo(c: number): {
  size: number;
  pagesPerRun: number;
  blocksPerRun: number;
  headerBytes: number;
} {
  return { size: C_SIZE[c], pagesPerRun: C_PAGES[c], blocksPerRun: C_BLOCKS[c], headerBytes: C_HDR[c] };
}

export interface ClassStats {
  /** Block size of the class. */
  size: number;
  /** Live blocks of the class. */
  live: number;
  /** Blocks of the class sitting in its free list. */
  free: number;
}

export interface ArenaStats {
  /** Sum of requested sizes of live blocks (huge included). */
  usedBytes: number;
  /** Sum of usable sizes of live blocks (class size, or huge segment size). */
  allocatedBytes: number;
  /** Bytes in free lists (free blocks ready for reuse). */
  freeListBytes: number;
  /** Bytes of blocks carved in runs but not handed out yet. */
  runReserveBytes: number;
  /** Bytes never assigned to a run at the end of the current segment. */
  bumpReserveBytes: number;
  /** Byte length of all segments (normal and huge). */
  reservedBytes: number;
  /** Segments in use (normal and huge). */
  segments: number;
  /** Normal (4 MiB) segments. */
  normalSegments: number;
  /** Live huge blocks (= huge segments). */
  hugeBlocks: number;
  /** Live blocks, huge included. */
  liveBlocks: number;
  /** reservedBytes / usedBytes (0 while nothing is used). */
  fragmentationRatio: number;
  /** Per size class counters. */
  classes: ClassStats[];
}

export interface ArenaOptions {
  /** Cap on the number of segment slots (1..4096, default 4096); handy to test exhaustion. */
  maxSegments?: number;
}

const EMPTY_SAB = new SharedArrayBuffer(0);
const EMPTY_U8 = new Uint8Array(EMPTY_SAB);
const EMPTY_U16 = new Uint16Array(EMPTY_SAB);
const EMPTY_I32 = new Int32Array(EMPTY_SAB);
const EMPTY_U32 = new Uint32Array(EMPTY_SAB);
const EMPTY_F64 = new Float64Array(EMPTY_SAB);

function invalidHandle(h: number): Error {
  return new Error(`Arena: invalid handle ${h} (not a live block of this arena)`);
}

export class Arena {
  /** Same as the exported `segOf`. */
  static readonly segOf = segOf;
  /** Same as the exported `offOf`. */
  static readonly offOf = offOf;

  /** Byte views of the segments, indexed by segment. Unused slots hold an empty view. */
  readonly u8: Uint8Array[];
  /** Int32 views of the segments, indexed by segment. */
  readonly i32: Int32Array[];
  /** Uint32 views of the segments, indexed by segment. */
  readonly u32: Uint32Array[];
  /** Float64 views of the segments, indexed by segment. */
  readonly f64: Float64Array[];
  /** The SharedArrayBuffers themselves, indexed by segment (to hand to workers). */
  readonly buffers: SharedArrayBuffer[];

  private readonly u16: Uint16Array[];
  private readonly maxSegments: number;
  private readonly segLen: Float64Array;
  private readonly hugeReq: Float64Array;
  private readonly freeSlots: Int32Array;
  private freeSlotsTop = 0;
  private nextSlot = 0;
  private meta: Uint32Array;

  private readonly freeHead: Int32Array;
  private readonly freeCount: Float64Array;
  private readonly liveCount: Float64Array;
  private readonly runNext: Int32Array;
  private readonly runLeft: Int32Array;
  private readonly runCell: Int32Array; // slack cell of runNext
  /** Live class blocks per segment: a normal segment at 0 can be released. */
  private readonly segLive: Int32Array;
  /** Their bytes (class sizes), for choosing segments to defragment. */
  private readonly segLiveBytes: Float64Array;
  /** Segments being emptied: none of their blocks is handed out, freed ones are not kept. */
  private readonly draining: Uint8Array;

  private curSeg = 0;
  private bumpPage = 0;

  private _usedBytes = 0;
  private _allocatedBytes = 0;
  private _freeListBytes = 0;
  private _reservedBytes = 0;
  private _liveBlocks = 0;
  private _hugeBlocks = 0;
  private _segments = 0;
  private _normalSegments = 0;

  // Out-parameter of locate(): where the block's slack cell is.
  private locPos = 0;

  constructor(options: ArenaOptions = {}) {
    const max = options.maxSegments ?? MAX_SEGMENTS;
    if (!Number.isInteger(max) || max < 1 || max > MAX_SEGMENTS) {
      throw new RangeError(`Arena: maxSegments must be an integer in [1, ${MAX_SEGMENTS}]`);
    }
    this.maxSegments = max;
    this.u8 = new Array<Uint8Array>(MAX_SEGMENTS).fill(EMPTY_U8);
    this.u16 = new Array<Uint16Array>(MAX_SEGMENTS).fill(EMPTY_U16);
    this.i32 = new Array<Int32Array>(MAX_SEGMENTS).fill(EMPTY_I32);
    this.u32 = new Array<Uint32Array>(MAX_SEGMENTS).fill(EMPTY_U32);
    this.f64 = new Array<Float64Array>(MAX_SEGMENTS).fill(EMPTY_F64);
    this.buffers = new Array<SharedArrayBuffer>(MAX_SEGMENTS).fill(EMPTY_SAB);
    this.segLen = new Float64Array(MAX_SEGMENTS);
    this.hugeReq = new Float64Array(MAX_SEGMENTS);
    this.freeSlots = new Int32Array(MAX_SEGMENTS);
    this.meta = new Uint32Array(8 * PAGES_PER_SEGMENT);
    this.freeHead = new Int32Array(NUM_CLASSES);
    this.freeCount = new Float64Array(NUM_CLASSES);
    this.liveCount = new Float64Array(NUM_CLASSES);
    this.runNext = new Int32Array(NUM_CLASSES);
    this.runLeft = new Int32Array(NUM_CLASSES);
    this.runCell = new Int32Array(NUM_CLASSES);
    this.segLive = new Int32Array(MAX_SEGMENTS);
    this.segLiveBytes = new Float64Array(MAX_SEGMENTS);
    this.draining = new Uint8Array(MAX_SEGMENTS);
    // Segment 0 is a normal segment whose first page is never used, so that
    // handle 0 can be null.
    this.openSegment();
    this.bumpPage = 1;
  }

  // -------------------------------------------------------------------------
  // Allocation
  // -------------------------------------------------------------------------

  /** Returns a handle to a block of at least `size` bytes (integer >= 1). Contents are unspecified. */
  alloc(size: number): number {
    if ((size | 0) === size && size >= 1 && size <= MAX_CLASS_SIZE) {
      const c = sizeClassIndex(size);
      let h = this.freeHead[c];
      let cell: number;
      if (h !== 0) {
        // A free block holds the next free handle and its own slack cell.
        const words = this.i32[h >>> SEG_SHIFT];
        const wi = (h & OFF_MASK) << 1;
        this.freeHead[c] = words[wi];
        cell = words[wi + 1];
        this.freeCount[c]--;
        this._freeListBytes -= C_SIZE[c];
      } else if (this.runLeft[c] !== 0) {
        h = this.runNext[c];
        cell = this.runCell[c];
        this.runNext[c] = h + C_GRAN[c];
        this.runCell[c] = cell + 1;
        this.runLeft[c]--;
      } else {
        h = this.newRun(c);
        cell = this.runCell[c] - 1;
      }
      this.writeSlack(h, c, C_W[c] === 0 ? h >>> 9 : cell, C_SIZE[c] - size + 1);
      this.liveCount[c]++;
      this.segLive[h >>> SEG_SHIFT]++;
      this.segLiveBytes[h >>> SEG_SHIFT] += C_SIZE[c];
      this._liveBlocks++;
      this._usedBytes += size;
      this._allocatedBytes += C_SIZE[c];
      return h;
    }
    return this.allocHuge(size);
  }

  /** Frees a block. Throws on null, foreign, interior or already freed handles. */
  free(h: number): void {
    const c = this.locate(h);
    if (c === HUGE_CLASS) {
      this.freeHuge(h);
      return;
    }
    const v = this.readSlack(h, c);
    if (v === 0) throw new Error(`Arena: double free of handle ${h}`);
    const cell = this.locPos;
    this.writeSlack(h, c, cell, 0);
    const seg = h >>> SEG_SHIFT;
    const size = C_SIZE[c];
    if (this.draining[seg] === 0) {
      const words = this.i32[seg];
      const wi = (h & OFF_MASK) << 1;
      words[wi] = this.freeHead[c];
      words[wi + 1] = cell;
      this.freeHead[c] = h;
      this.freeCount[c]++;
      this._freeListBytes += size;
    }
    this.liveCount[c]--;
    this.segLive[seg]--;
    this.segLiveBytes[seg] -= size;
    this._liveBlocks--;
    this._usedBytes -= size - v + 1;
    this._allocatedBytes -= size;
  }

  /** Usable size of a live block: its class size, or the huge segment's byte length. */
  usableSize(h: number): number {
    const c = this.locate(h);
    if (c === HUGE_CLASS) return this.segLen[h >>> SEG_SHIFT];
    if (this.readSlack(h, c) === 0) throw invalidHandle(h);
    return C_SIZE[c];
  }

  /** Size that was requested for a live block (by alloc or realloc). */
  requestedSize(h: number): number {
    const c = this.locate(h);
    if (c === HUGE_CLASS) return this.hugeReq[h >>> SEG_SHIFT];
    const v = this.readSlack(h, c);
    if (v === 0) throw invalidHandle(h);
    return C_SIZE[c] - v + 1;
  }

  /**
   * Resizes a block. Keeps `h` when the new size has the same class (or, for a
   * huge block, the same rounded segment size); otherwise allocates, copies
   * min(old usable, new usable) bytes and frees the old block.
   */
  realloc(h: number, newSize: number): number {
    if (!Number.isInteger(newSize) || newSize < 1) {
      throw new RangeError(`Arena: invalid size ${newSize} (must be an integer >= 1)`);
    }
    const c = this.locate(h);
    let oldUsable: number;
    if (c === HUGE_CLASS) {
      const seg = h >>> SEG_SHIFT;
      oldUsable = this.segLen[seg];
      if (newSize > MAX_CLASS_SIZE && Math.ceil(newSize / HUGE_ALIGN) * HUGE_ALIGN === oldUsable) {
        this._usedBytes += newSize - this.hugeReq[seg];
        this.hugeReq[seg] = newSize;
        return h;
      }
    } else {
      const v = this.readSlack(h, c);
      if (v === 0) throw invalidHandle(h);
      oldUsable = C_SIZE[c];
      if (newSize <= MAX_CLASS_SIZE && sizeClassIndex(newSize) === c) {
        this._usedBytes += newSize - (oldUsable - v + 1);
        this.writeSlack(h, c, this.locPos, oldUsable - newSize + 1);
        return h;
      }
    }
    const nh = this.alloc(newSize);
    const newUsable = newSize > MAX_CLASS_SIZE ? this.segLen[nh >>> SEG_SHIFT] : C_SIZE[sizeClassIndex(newSize)];
    this.copy(nh, 0, h, 0, oldUsable < newUsable ? oldUsable : newUsable);
    this.free(h);
    return nh;
  }

  /**
   * Normal segments (other than segment 0 and the one being carved) that hold
   * no live block: their bytes, what `releaseEmptySegments` would give back.
   */
  emptySegmentBytes(): number {
    let n = 0;
    for (let seg = 1; seg < this.nextSlot; seg++) if (this.releasable(seg)) n += SEGMENT_SIZE;
    return n;
  }

  /**
   * Gives back every normal segment that holds no live block: its free blocks
   * leave the free lists (one walk of them), a run still open in it is
   * dropped, and its SharedArrayBuffer is let go, so the memory returns to
   * the system once collected. Its slot may be reused. Returns the bytes
   * released.
   */
  releaseEmptySegments(): number {
    const gone = new Uint8Array(this.nextSlot);
    let count = 0;
    for (let seg = 1; seg < this.nextSlot; seg++) {
      if (!this.releasable(seg)) continue;
      gone[seg] = 1;
      count++;
    }
    if (count === 0) return 0;
    this.unlinkFreeBlocks(gone);
    for (let seg = 1; seg < gone.length; seg++) {
      if (gone[seg] === 0) continue;
      this.meta.fill(0, seg * PAGES_PER_SEGMENT, (seg + 1) * PAGES_PER_SEGMENT);
      this.draining[seg] = 0;
      this.uninstall(seg);
      this._normalSegments--;
    }
    return count * SEGMENT_SIZE;
  }

  // Defragmentation: a caller that can move its blocks (alloc, copy, repoint, free)
  // drains sparse segments, so that they empty and can be released.

  /**
   * Normal segments (not segment 0, not the one being carved, not already
   * draining) whose live blocks fill at most `maxUse` (0..1) of them,
   * sparsest first, at most `limit`.
   */
  sparseSegments(maxUse: number, limit: number): number[] {
    const out: number[] = [];
    for (let seg = 1; seg < this.nextSlot; seg++) {
      if (seg === this.curSeg || this.draining[seg] === 1 || this.segLen[seg] !== SEGMENT_SIZE || this.meta[seg * PAGES_PER_SEGMENT] === HUGE_CODE) continue;
      if (this.segLiveBytes[seg] <= maxUse * SEGMENT_SIZE) out.push(seg);
    }
    out.sort((a, b) => this.segLiveBytes[a] - this.segLiveBytes[b]);
    return out.slice(0, limit);
  }

  /**
   * Stops handing out blocks of these segments: their free blocks leave the
   * free lists (one walk of them), a run open in one is dropped, and blocks
   * freed there from now on are not kept. Blocks moved out (a new `alloc`
   * never lands in a draining segment) let them empty.
   */
  drain(segs: number[]): void {
    const mark = new Uint8Array(this.nextSlot);
    for (const seg of segs) {
      if (seg === 0 || seg === this.curSeg || this.segLen[seg] !== SEGMENT_SIZE || this.meta[seg * PAGES_PER_SEGMENT] === HUGE_CODE) continue;
      mark[seg] = 1;
      this.draining[seg] = 1;
    }
    this.unlinkFreeBlocks(mark);
  }

  /** Whether block `h` is in a draining segment (and should move). */
  isDraining(h: number): boolean {
    return this.draining[h >>> SEG_SHIFT] === 1;
  }

  /** Live bytes (class sizes) of the segments still draining. */
  drainingBytes(): number {
    let n = 0;
    for (let seg = 1; seg < this.nextSlot; seg++) if (this.draining[seg] === 1) n += this.segLiveBytes[seg];
    return n;
  }

  /**
   * Ends the draining of every segment that still holds live blocks (ones
   * their owner could not move): their free blocks go back to the free
   * lists, found from the page map and the slack cells. Empty ones stay
   * draining until `releaseEmptySegments` gives them back.
   */
  undrain(): void {
    for (let seg = 1; seg < this.nextSlot; seg++) {
      if (this.draining[seg] === 0 || this.segLive[seg] === 0) continue;
      this.draining[seg] = 0;
      const first = seg * PAGES_PER_SEGMENT;
      for (let page = 0; page < PAGES_PER_SEGMENT; page++) {
        const m = this.meta[first + page];
        const c = (m & 0xff) - 1;
        if (c < 0 || c === HUGE_CLASS || ((m >>> 8) & 0x7f) !== 0) continue;
        // A run starts here: every block of it that is not live is free.
        const g = C_GRAN[c];
        const h0 = (seg << SEG_SHIFT) | (((page << PAGE_SHIFT) + C_HDR[c]) >>> GRANULE_SHIFT);
        for (let i = 0; i < C_BLOCKS[c]; i++) {
          const h = h0 + i * g;
          this.locate(h);
          if (this.readSlack(h, c) !== 0) continue;
          const words = this.i32[seg];
          const wi = (h & OFF_MASK) << 1;
          words[wi] = this.freeHead[c];
          words[wi + 1] = this.locPos;
          this.freeHead[c] = h;
          this.freeCount[c]++;
          this._freeListBytes += C_SIZE[c];
        }
      }
    }
  }

  /** Takes the free blocks of the marked segments off the free lists, and any run open in one. */
  private unlinkFreeBlocks(gone: Uint8Array): void {
    for (let c = 0; c < NUM_CLASSES; c++) {
      if (this.runLeft[c] !== 0 && gone[this.runNext[c] >>> SEG_SHIFT] === 1) {
        this.runLeft[c] = 0;
        this.runNext[c] = 0;
      }
      let prev = 0;
      let kept = 0;
      for (let h = this.freeHead[c]; h !== 0; ) {
        const next = this.i32[h >>> SEG_SHIFT][(h & OFF_MASK) << 1];
        if (gone[h >>> SEG_SHIFT] !== 1) {
          if (prev === 0) this.freeHead[c] = h;
          else this.i32[prev >>> SEG_SHIFT][(prev & OFF_MASK) << 1] = h;
          prev = h;
          kept++;
        }
        h = next;
      }
      if (prev === 0) this.freeHead[c] = 0;
      else this.i32[prev >>> SEG_SHIFT][(prev & OFF_MASK) << 1] = 0;
      this._freeListBytes -= (this.freeCount[c] - kept) * C_SIZE[c];
      this.freeCount[c] = kept;
    }
  }

  private releasable(seg: number): boolean {
    return (
      seg !== this.curSeg &&
      this.segLive[seg] === 0 &&
      this.segLen[seg] === SEGMENT_SIZE &&
      this.meta[seg * PAGES_PER_SEGMENT] !== HUGE_CODE
    );
  }

  // -------------------------------------------------------------------------
  // Byte helpers (no bounds checks beyond the segment: stay within usableSize)
  // -------------------------------------------------------------------------

  /** Copies `len` bytes from (srcH + srcOff) to (dstH + dstOff); overlapping ranges are fine. */
  copy(dstH: number, dstOff: number, srcH: number, srcOff: number, len: number): void {
    const ds = dstH >>> SEG_SHIFT;
    const ss = srcH >>> SEG_SHIFT;
    const d = ((dstH & OFF_MASK) << GRANULE_SHIFT) + dstOff;
    const s = ((srcH & OFF_MASK) << GRANULE_SHIFT) + srcOff;
    copyBytes(this.u8[ds], d, this.u8[ss], s, len);
  }

  /** Fills `len` bytes at (h + off) with `value`. */
  fill(h: number, off: number, len: number, value = 0): void {
    const b = ((h & OFF_MASK) << GRANULE_SHIFT) + off;
    this.u8[h >>> SEG_SHIFT].fill(value, b, b + len);
  }

  /** A Uint8Array view (no copy) of `len` bytes at (h + off). */
  bytes(h: number, off: number, len: number): Uint8Array {
    const b = ((h & OFF_MASK) << GRANULE_SHIFT) + off;
    return this.u8[h >>> SEG_SHIFT].subarray(b, b + len);
  }

  /** Copies `src` to (h + off). */
  writeBytes(h: number, off: number, src: Uint8Array): void {
    copyBytes(this.u8[h >>> SEG_SHIFT], ((h & OFF_MASK) << GRANULE_SHIFT) + off, src, 0, src.length);
  }

  // -------------------------------------------------------------------------
  // Accounting
  // -------------------------------------------------------------------------

  get usedBytes(): number {
    return this._usedBytes;
  }
  get allocatedBytes(): number {
    return this._allocatedBytes;
  }
  get reservedBytes(): number {
    return this._reservedBytes;
  }
  get liveBlocks(): number {
    return this._liveBlocks;
  }

  /** Exact counters, O(number of classes); never walks memory. */
  stats(): ArenaStats {
    const classes: ClassStats[] = [];
    let runReserve = 0;
    for (let c = 0; c < NUM_CLASSES; c++) {
      classes.push({ size: C_SIZE[c], live: this.liveCount[c], free: this.freeCount[c] });
      runReserve += this.runLeft[c] * C_SIZE[c];
    }
    const used = this._usedBytes;
    return {
      usedBytes: used,
      allocatedBytes: this._allocatedBytes,
      freeListBytes: this._freeListBytes,
      runReserveBytes: runReserve,
      bumpReserveBytes: (PAGES_PER_SEGMENT - this.bumpPage) * PAGE_SIZE,
      reservedBytes: this._reservedBytes,
      segments: this._segments,
      normalSegments: this._normalSegments,
      hugeBlocks: this._hugeBlocks,
      liveBlocks: this._liveBlocks,
      fragmentationRatio: used > 0 ? this._reservedBytes / used : 0,
      classes,
    };
  }

  // -------------------------------------------------------------------------
  // Internals
  // -------------------------------------------------------------------------

  /**
   * Validates `h` and returns its class (HUGE_CLASS for a huge block). For a
   * class block, sets `locPos` to its slack cell. Does not check liveness.
   */
  private locate(h: number): number {
    const mi = h >>> 9;
    if ((h | 0) !== h || h <= 0 || mi >= this.meta.length) throw invalidHandle(h);
    const m = this.meta[mi];
    const c = (m & 0xff) - 1;
    if (c < 0) throw invalidHandle(h);
    if (c === HUGE_CLASS) {
      if ((h & OFF_MASK) !== 0) throw invalidHandle(h);
      return c;
    }
    const runStart = ((mi & (PAGES_PER_SEGMENT - 1)) - ((m >>> 8) & 0x7f)) << PAGE_SHIFT;
    const rel = ((h & OFF_MASK) << GRANULE_SHIFT) - runStart - C_HDR[c];
    const idx = Math.round(rel * C_INV[c]);
    if (rel < 0 || idx * C_SIZE[c] !== rel || idx >= C_BLOCKS[c]) throw invalidHandle(h);
    const w = C_W[c];
    this.locPos = w === 1 ? runStart + idx : w === 2 ? (runStart >>> 1) + idx : mi;
    return c;
  }

  /** Slack+1 of the block last passed to locate() (0 when free). */
  private readSlack(h: number, c: number): number {
    const w = C_W[c];
    if (w === 1) return this.u8[h >>> SEG_SHIFT][this.locPos];
    if (w === 2) return this.u16[h >>> SEG_SHIFT][this.locPos];
    return this.meta[this.locPos] >>> 15;
  }

  /** Writes slack+1 (0: free) to the slack cell `cell` of block h of class c. */
  private writeSlack(h: number, c: number, cell: number, v: number): void {
    const w = C_W[c];
    if (w === 1) this.u8[h >>> SEG_SHIFT][cell] = v;
    else if (w === 2) this.u16[h >>> SEG_SHIFT][cell] = v;
    else this.meta[cell] = (this.meta[cell] & 0x7fff) | (v << 15);
  }

  /** Slack cell of the first block of a run starting at `page` (for classes with a run header). */
  private static firstCell(c: number, page: number): number {
    return C_W[c] === 2 ? page << (PAGE_SHIFT - 1) : page << PAGE_SHIFT;
  }

  /** Opens a run of class c (opening a segment if needed) and returns its first block. */
  private newRun(c: number): number {
    const n = C_PAGES[c];
    if (this.bumpPage + n > PAGES_PER_SEGMENT) {
      this.carveTail();
      this.openSegment();
    }
    const h0 = this.carveRun(c, this.curSeg, this.bumpPage);
    this.runNext[c] = h0 + C_GRAN[c];
    this.runLeft[c] = C_BLOCKS[c] - 1;
    this.runCell[c] = Arena.firstCell(c, this.bumpPage) + 1;
    this.bumpPage += n;
    return h0;
  }

  /** Marks the pages of a run of class c at (seg, page) and returns the handle of its first block. */
  private carveRun(c: number, seg: number, page: number): number {
    const meta = this.meta;
    const base = seg * PAGES_PER_SEGMENT + page;
    const tag = c + 1;
    if (C_W[c] !== 0) {
      const n = C_PAGES[c];
      for (let p = 0; p < n; p++) meta[base + p] = tag | (p << 8);
    } else {
      const blocks = C_BLOCKS[c];
      const size = C_SIZE[c];
      for (let i = 0; i < blocks; i++) {
        const p = (i * size) >>> PAGE_SHIFT;
        meta[base + p] = tag | (p << 8);
      }
    }
    return (seg << SEG_SHIFT) | (((page << PAGE_SHIFT) + C_HDR[c]) >>> GRANULE_SHIFT);
  }

  /** Cuts the unused tail of the current segment into free blocks of the largest classes that fit. */
  private carveTail(): void {
    let left = PAGES_PER_SEGMENT - this.bumpPage;
    for (let c = NUM_CLASSES - 1; c >= 0 && left > 0; c--) {
      const n = C_PAGES[c];
      while (n <= left) {
        const h0 = this.carveRun(c, this.curSeg, this.bumpPage);
        const cell0 = Arena.firstCell(c, this.bumpPage);
        this.bumpPage += n;
        left -= n;
        const blocks = C_BLOCKS[c];
        const g = C_GRAN[c];
        const words = this.i32[this.curSeg];
        for (let i = blocks - 1; i >= 0; i--) {
          const h = h0 + i * g;
          const wi = (h & OFF_MASK) << 1;
          words[wi] = this.freeHead[c];
          words[wi + 1] = cell0 + i; // unused for classes >= 4 KiB (cell = page meta)
          this.freeHead[c] = h;
        }
        this.freeCount[c] += blocks;
        this._freeListBytes += blocks * C_SIZE[c];
      }
    }
  }

  private ensureSlotAvailable(): void {
    if (this.freeSlotsTop === 0 && this.nextSlot >= this.maxSegments) {
      throw new Error(
        `Arena: out of segments (all ${this.maxSegments} segment slots are in use; ` +
          `${this._normalSegments} normal, ${this._hugeBlocks} huge)`,
      );
    }
  }

  private takeSlot(): number {
    if (this.freeSlotsTop > 0) return this.freeSlots[--this.freeSlotsTop];
    return this.nextSlot++;
  }

  private ensureMeta(seg: number): void {
    const need = (seg + 1) * PAGES_PER_SEGMENT;
    if (need <= this.meta.length) return;
    let len = this.meta.length;
    while (len < need) len *= 2;
    const m = new Uint32Array(len);
    m.set(this.meta);
    this.meta = m;
  }

  private install(seg: number, sab: SharedArrayBuffer): void {
    this.buffers[seg] = sab;
    this.u8[seg] = new Uint8Array(sab);
    this.u16[seg] = new Uint16Array(sab, 0, sab.byteLength >>> 1);
    this.i32[seg] = new Int32Array(sab, 0, sab.byteLength >>> 2);
    this.u32[seg] = new Uint32Array(sab, 0, sab.byteLength >>> 2);
    this.f64[seg] = new Float64Array(sab, 0, sab.byteLength >>> 3);
    this.segLen[seg] = sab.byteLength;
    this._reservedBytes += sab.byteLength;
    this._segments++;
  }

  private openSegment(): void {
    this.ensureSlotAvailable();
    const sab = new SharedArrayBuffer(SEGMENT_SIZE);
    const seg = this.takeSlot();
    this.ensureMeta(seg);
    this.install(seg, sab);
    this._normalSegments++;
    this.curSeg = seg;
    this.bumpPage = 0;
  }

  private allocHuge(size: number): number {
    if (!Number.isInteger(size) || size < 1) {
      throw new RangeError(`Arena: invalid size ${size} (must be an integer >= 1)`);
    }
    const len = Math.ceil(size / HUGE_ALIGN) * HUGE_ALIGN;
    this.ensureSlotAvailable();
    const sab = new SharedArrayBuffer(len);
    const seg = this.takeSlot();
    this.ensureMeta(seg);
    this.install(seg, sab);
    this.meta[seg * PAGES_PER_SEGMENT] = HUGE_CODE;
    this.hugeReq[seg] = size;
    this._hugeBlocks++;
    this._liveBlocks++;
    this._usedBytes += size;
    this._allocatedBytes += len;
    return seg << SEG_SHIFT;
  }

  private freeHuge(h: number): void {
    const seg = h >>> SEG_SHIFT;
    this.meta[seg * PAGES_PER_SEGMENT] = 0;
    this._usedBytes -= this.hugeReq[seg];
    this.hugeReq[seg] = 0;
    this._allocatedBytes -= this.segLen[seg];
    this._hugeBlocks--;
    this._liveBlocks--;
    this.uninstall(seg);
  }

  /** Lets a segment's buffer go and frees its slot. */
  private uninstall(seg: number): void {
    this._reservedBytes -= this.segLen[seg];
    this.buffers[seg] = EMPTY_SAB;
    this.u8[seg] = EMPTY_U8;
    this.u16[seg] = EMPTY_U16;
    this.i32[seg] = EMPTY_I32;
    this.u32[seg] = EMPTY_U32;
    this.f64[seg] = EMPTY_F64;
    this.segLen[seg] = 0;
    this._segments--;
    this.freeSlots[this.freeSlotsTop++] = seg;
  }
}
