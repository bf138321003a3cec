/**
 * HyperLogLog values, byte for byte as Redis 7 lays them out, so that a
 * value moved by DUMP/RESTORE or RDB between Redis and Shoal keeps working
 * and PFCOUNT answers the same number for the same input.
 *
 * An HLL is a plain string:
 *
 *   "HYLL" | encoding (0 dense, 1 sparse) | 3 unused bytes | cached cardinality (8 bytes LE) | registers
 *
 * The cardinality cache is valid while the top bit of its last byte is clear.
 * There are 16384 registers of 6 bits; register i of element e is the low 14
 * bits of MurmurHash64A(e, seed 0xadc83b19), its value the position of the
 * first set bit of the other 50 (1..51).
 *
 * - Dense: 12288 bytes, register i at bit 6i, least significant bits first.
 * - Sparse: run-length opcodes, for HLLs with few registers set:
 *     ZERO   00xxxxxx           1..64 zero registers
 *     XZERO  01xxxxxx yyyyyyyy  1..16384 zero registers (14 bits)
 *     VAL    1vvvvvxx           1..4 registers of value 1..32
 *   A register above 32, or growth past hll-sparse-max-bytes, turns the
 *   value dense.
 *
 * Everything here is a pure function over bytes (unit-tested against a plain
 * model); the commands (commands/hyperloglog.ts) decide where the bytes live.
 */

import { copyBytes } from '../util/bytes.js';

export const HLL_P = 14;
export const HLL_Q = 64 - HLL_P;
export const HLL_REGISTERS = 1 << HLL_P;
export const HLL_BITS = 6;
export const HLL_REGISTER_MAX = (1 << HLL_BITS) - 1;
export const HLL_HDR_SIZE = 16;
export const HLL_DENSE_SIZE = HLL_HDR_SIZE + ((HLL_REGISTERS * HLL_BITS + 7) >> 3);
export const HLL_DENSE = 0;
export const HLL_SPARSE = 1;
export const HLL_SPARSE_VAL_MAX_VALUE = 32;
export const HLL_SPARSE_VAL_MAX_LEN = 4;
export const HLL_SPARSE_ZERO_MAX_LEN = 64;
export const HLL_SPARSE_XZERO_MAX_LEN = 16384;
/** Byte 4 of the header: the encoding; bytes 8..15: the cached cardinality. */
const ENC_AT = 4;
const CARD_AT = 8;

export const ERR_INVALID_HLL = 'INVALIDOBJ Corrupted HLL object detected';
export const ERR_NOT_HLL = 'WRONGTYPE Key is not a valid HyperLogLog string value.';

// ---- MurmurHash64A ---------------------------------------------------------------

/** The two halves of the last hash (murmur). */
let rLo = 0;
let rHi = 0;

/** The high 32 bits of the 64-bit product of two unsigned 32-bit numbers, exactly (16-bit partial products). */
function mulHi(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid1 = a1 * b0;
  const mid2 = a0 * b1;
  const cross = ((a0 * b0) >>> 16) + (mid1 & 0xffff) + (mid2 & 0xffff);
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16) + (cross >>> 16)) >>> 0;
}

const M_LO = 0x5bd1e995;
const M_HI = 0xc6a4a793;
export const HLL_HASH_SEED = 0xadc83b19;

/**
 * Austin Appleby's MurmurHash64A over bytes [off, off + len) of `u8`, as
 * Redis uses it on little-endian machines; the result in rHi:rLo. 64-bit
 * words are (hi, lo) pairs of uint32; x * m mod 2^64 is
 * (hi(lo·mLo) + lo·mHi + hi·mLo, lo·mLo).
 */
function murmur(u8: Uint8Array, off: number, len: number, seed: number): void {
  // h = seed ^ (len * m)
  let hLo = (Math.imul(len, M_LO) ^ seed) >>> 0;
  let hHi = (mulHi(len >>> 0, M_LO) + Math.imul(len, M_HI) + Math.imul(Math.floor(len / 4294967296), M_LO)) >>> 0;
  const end = off + (len & ~7);
  for (let p = off; p < end; p += 8) {
    let kLo = (u8[p] | (u8[p + 1] << 8) | (u8[p + 2] << 16) | (u8[p + 3] << 24)) >>> 0;
    let kHi = (u8[p + 4] | (u8[p + 5] << 8) | (u8[p + 6] << 16) | (u8[p + 7] << 24)) >>> 0;
    // k *= m; k ^= k >> 47; k *= m
    let tHi = (mulHi(kLo, M_LO) + Math.imul(kLo, M_HI) + Math.imul(kHi, M_LO)) >>> 0;
    kLo = (Math.imul(kLo, M_LO) ^ (tHi >>> 15)) >>> 0;
    kHi = tHi;
    tHi = (mulHi(kLo, M_LO) + Math.imul(kLo, M_HI) + Math.imul(kHi, M_LO)) >>> 0;
    kLo = Math.imul(kLo, M_LO) >>> 0;
    // h ^= k; h *= m
    hLo = (hLo ^ kLo) >>> 0;
    hHi = (hHi ^ tHi) >>> 0;
    tHi = (mulHi(hLo, M_LO) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
    hLo = Math.imul(hLo, M_LO) >>> 0;
    hHi = tHi;
  }
  const t = len & 7;
  if (t !== 0) {
    // The tail's bytes go little-endian into h (the C code's fall-through switch).
    for (let i = t - 1; i >= 0; i--) {
      const b = u8[end + i];
      if (i >= 4) hHi = (hHi ^ (b << ((i - 4) * 8))) >>> 0;
      else hLo = (hLo ^ (b << (i * 8))) >>> 0;
    }
    const tHi = (mulHi(hLo, M_LO) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
    hLo = Math.imul(hLo, M_LO) >>> 0;
    hHi = tHi;
  }
  // h ^= h >> 47; h *= m; h ^= h >> 47
  hLo = (hLo ^ (hHi >>> 15)) >>> 0;
  const tHi = (mulHi(hLo, M_LO) + Math.imul(hLo, M_HI) + Math.imul(hHi, M_LO)) >>> 0;
  rLo = (Math.imul(hLo, M_LO) ^ (tHi >>> 15)) >>> 0;
  rHi = tHi;
}

/** MurmurHash64A as a bigint (tests, PFSELFTEST). */
export function murmurHash64A(u8: Uint8Array, off: number, len: number, seed: number): bigint {
  murmur(u8, off, len, seed);
  return (BigInt(rHi) << 32n) | BigInt(rLo);
}

/**
 * The register an element goes to and the value it offers, packed as
 * `index << 8 | count` (Redis's hllPatLen): index = the hash's low 14 bits,
 * count = 1 + the number of trailing zeros of the remaining 50 bits (a set
 * bit 50 caps it at 51).
 */
export function hllPatLen(u8: Uint8Array, off: number, len: number): number {
  murmur(u8, off, len, HLL_HASH_SEED);
  const index = rLo & (HLL_REGISTERS - 1);
  const lo = ((rLo >>> HLL_P) | (rHi << (32 - HLL_P))) >>> 0;
  const hi = (rHi >>> HLL_P) | (1 << (HLL_Q - 32));
  const count = lo !== 0 ? 32 - Math.clz32(lo & -lo) : 64 - Math.clz32(hi & -hi);
  return (index << 8) | count;
}

// ---- header ----------------------------------------------------------------------

/** Whether a string is an HLL as far as Redis's isHLLObjectOrReply checks (magic, encoding, dense size). */
export function isHll(u8: Uint8Array, off: number, len: number): boolean {
  if (len < HLL_HDR_SIZE) return false;
  if (u8[off] !== 72 || u8[off + 1] !== 89 || u8[off + 2] !== 76 || u8[off + 3] !== 76) return false;
  const enc = u8[off + ENC_AT];
  if (enc > HLL_SPARSE) return false;
  return enc !== HLL_DENSE || len === HLL_DENSE_SIZE;
}

export function hllEncoding(u8: Uint8Array, off: number): number {
  return u8[off + ENC_AT];
}

export function cacheValid(u8: Uint8Array, off: number): boolean {
  return (u8[off + CARD_AT + 7] & 0x80) === 0;
}

export function invalidateCache(u8: Uint8Array, off: number): void {
  u8[off + CARD_AT + 7] |= 0x80;
}

/** The cached cardinality (a bigint when a doctored cache holds more than 2^53). */
export function cachedCard(u8: Uint8Array, off: number): number | bigint {
  const o = off + CARD_AT;
  const lo = (u8[o] | (u8[o + 1] << 8) | (u8[o + 2] << 16) | (u8[o + 3] << 24)) >>> 0;
  const hi = (u8[o + 4] | (u8[o + 5] << 8) | (u8[o + 6] << 16) | (u8[o + 7] << 24)) >>> 0;
  if (hi < 0x200000) return hi * 4294967296 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Stores a freshly computed cardinality (below 2^53: there are only 16384 registers) in the cache. */
export function setCachedCard(u8: Uint8Array, off: number, card: number): void {
  const o = off + CARD_AT;
  let lo = card >>> 0;
  let hi = Math.floor(card / 4294967296);
  for (let i = 0; i < 4; i++, lo >>>= 8) u8[o + i] = lo & 255;
  for (let i = 4; i < 8; i++, hi >>>= 8) u8[o + i] = hi & 255;
}

/** A new, empty HLL as PFADD creates it: sparse, one XZERO covering every register, cache valid at 0. */
export function newSparseHll(): Uint8Array {
  const v = new Uint8Array(HLL_HDR_SIZE + 2);
  v.set([72, 89, 76, 76, HLL_SPARSE]);
  writeXzero(v, HLL_HDR_SIZE, HLL_REGISTERS);
  return v;
}

// ---- dense -----------------------------------------------------------------------

/**
 * Register i of dense registers starting at `regs`. The last register lies
 * within one byte, so the byte past the registers is never touched (the
 * registers may be followed by other data in an arena).
 */
export function denseGet(u8: Uint8Array, regs: number, i: number): number {
  const bit = i * HLL_BITS;
  const b = regs + (bit >>> 3);
  const fb = bit & 7;
  let v = u8[b] >>> fb;
  if (fb > 8 - HLL_BITS) v |= u8[b + 1] << (8 - fb);
  return v & HLL_REGISTER_MAX;
}

export function denseSet(u8: Uint8Array, regs: number, i: number, val: number): void {
  const bit = i * HLL_BITS;
  const b = regs + (bit >>> 3);
  const fb = bit & 7;
  u8[b] = (u8[b] & ~(HLL_REGISTER_MAX << fb)) | (val << fb);
  if (fb > 8 - HLL_BITS) {
    const fb8 = 8 - fb;
    u8[b + 1] = (u8[b + 1] & ~(HLL_REGISTER_MAX >>> fb8)) | (val >>> fb8);
  }
}

/** Raises register i to `count` if it is lower: whether it changed (Redis's hllDenseSet). */
export function denseRaise(u8: Uint8Array, regs: number, i: number, count: number): boolean {
  if (denseGet(u8, regs, i) >= count) return false;
  denseSet(u8, regs, i, count);
  return true;
}

// ---- sparse opcodes --------------------------------------------------------------

const isZero = (b: number): boolean => (b & 0xc0) === 0;
const isXzero = (b: number): boolean => (b & 0xc0) === 0x40;
const isVal = (b: number): boolean => (b & 0x80) !== 0;
const zeroLen = (b: number): number => (b & 0x3f) + 1;
/**
 * An XZERO's second byte may lie past the value's end in a corrupt HLL:
 * Redis then reads the byte after the string, `tail` (its terminating 0,
 * unless a split earlier in the same command left a byte there; see SparseHll).
 */
const xzeroLen = (u8: Uint8Array, p: number, end: number, tail = 0): number => (((u8[p] & 0x3f) << 8) | (p + 1 < end ? u8[p + 1] : tail)) + 1;
const valValue = (b: number): number => ((b >>> 2) & 0x1f) + 1;
const valLen = (b: number): number => (b & 3) + 1;
const valOp = (value: number, len: number): number => 0x80 | ((value - 1) << 2) | (len - 1);
const zeroOp = (len: number): number => len - 1;

function writeXzero(u8: Uint8Array, p: number, len: number): void {
  const l = len - 1;
  u8[p] = 0x40 | (l >>> 8);
  u8[p + 1] = l & 0xff;
}

/**
 * Calls `run(first, count, value)` for each opcode of the sparse registers in
 * [p, end), in order; returns how many registers they cover (16384 in a valid
 * HLL). A VAL run that would pass the last register stops the walk (Redis's
 * overflow check when it writes registers), `strict` asks for that check.
 */
function sparseWalk(u8: Uint8Array, p: number, end: number, strict: boolean, run: ((first: number, len: number, value: number) => void) | null, tail = 0): number {
  let idx = 0;
  while (p < end) {
    const b = u8[p];
    if (isZero(b)) {
      idx += zeroLen(b);
      p++;
    } else if (isXzero(b)) {
      idx += xzeroLen(u8, p, end, tail);
      p += 2;
    } else {
      const len = valLen(b);
      if (strict && idx + len > HLL_REGISTERS) return -1;
      if (run !== null) run(idx, len, valValue(b));
      idx += len;
      p++;
    }
  }
  return idx;
}

/**
 * Raises the registers of `max` (16384 bytes, one per register) to those of
 * the HLL at [off, off + len): Redis's hllMerge. False for a corrupt sparse
 * HLL (its registers do not add up to 16384).
 */
export function mergeInto(max: Uint8Array, u8: Uint8Array, off: number, len: number): boolean {
  if (hllEncoding(u8, off) === HLL_DENSE) {
    // Four registers in every three bytes.
    for (let i = 0, p = off + HLL_HDR_SIZE; i < HLL_REGISTERS; i += 4, p += 3) {
      const b0 = u8[p];
      const b1 = u8[p + 1];
      const b2 = u8[p + 2];
      const r0 = b0 & 63;
      const r1 = ((b0 >>> 6) | (b1 << 2)) & 63;
      const r2 = ((b1 >>> 4) | (b2 << 4)) & 63;
      const r3 = b2 >>> 2;
      if (r0 > max[i]) max[i] = r0;
      if (r1 > max[i + 1]) max[i + 1] = r1;
      if (r2 > max[i + 2]) max[i + 2] = r2;
      if (r3 > max[i + 3]) max[i + 3] = r3;
    }
    return true;
  }
  const covered = sparseWalk(u8, off + HLL_HDR_SIZE, off + len, true, (first, n, value) => {
    for (let i = first; i < first + n; i++) if (value > max[i]) max[i] = value;
  });
  return covered === HLL_REGISTERS;
}

/**
 * The dense form of the sparse HLL at [off, off + len), header kept (magic,
 * unused bytes, cache) but for the encoding: Redis's hllSparseToDense. Null
 * for a corrupt value.
 */
export function sparseToDense(u8: Uint8Array, off: number, len: number, into = new Uint8Array(HLL_DENSE_SIZE), tail = 0): Uint8Array | null {
  into.fill(0);
  for (let i = 0; i < HLL_HDR_SIZE; i++) into[i] = u8[off + i];
  into[ENC_AT] = HLL_DENSE;
  const covered = sparseWalk(
    u8,
    off + HLL_HDR_SIZE,
    off + len,
    true,
    (first, n, value) => {
      for (let i = first; i < first + n; i++) denseSet(into, HLL_HDR_SIZE, i, value);
    },
    tail,
  );
  return covered === HLL_REGISTERS ? into : null;
}

/** PFDEBUG DECODE's text: "z:<len>", "Z:<len>" and "v:<value>,<len>" per opcode. */
export function sparseDecode(u8: Uint8Array, off: number, len: number): string {
  const parts: string[] = [];
  const end = off + len;
  let p = off + HLL_HDR_SIZE;
  while (p < end) {
    const b = u8[p];
    if (isZero(b)) {
      parts.push(`z:${zeroLen(b)}`);
      p++;
    } else if (isXzero(b)) {
      parts.push(`Z:${xzeroLen(u8, p, end)}`);
      p += 2;
    } else {
      parts.push(`v:${valValue(b)},${valLen(b)}`);
      p++;
    }
  }
  return parts.join(' ');
}

/**
 * A sparse HLL being changed: bytes [base, base + len) of `u8` hold the
 * whole value, header included, with room up to base + cap. It is edited
 * where it lies (an arena entry with room to spare) until it needs more
 * room; it then moves to a buffer of its own, reused from one command to
 * the next, and `moved` says so.
 *
 * The byte at base + len is kept as the byte after Redis's sds string (its
 * terminator): 0 when the command starts, and changed as Redis's edits
 * change it. A corrupt value whose last XZERO lacks its second byte reads
 * it there, in Redis as here (`tail`).
 */
export class SparseHll {
  u8: Uint8Array;
  base = 0;
  len = 0;
  cap: number;
  private own = new Uint8Array(256);

  constructor() {
    this.u8 = this.own;
    this.cap = this.own.length;
  }

  /** Edits the value at [base, base + len) of `u8` in place, with room up to base + cap. */
  edit(u8: Uint8Array, base: number, len: number, cap: number): this {
    this.u8 = u8;
    this.base = base;
    this.len = len;
    this.cap = cap;
    if (cap > len) u8[base + len] = 0;
    else this.moveOut(len + 4, true);
    return this;
  }

  /** Takes a copy of the value at [off, off + len) of `src` into the buffer of its own. */
  load(src: Uint8Array, off: number, len: number): this {
    return this.edit(src, off, len, len);
  }

  /** The value no longer lies where `edit` found it. */
  get moved(): boolean {
    return this.u8 === this.own;
  }

  /** The byte after the value (see the class comment). */
  get tail(): number {
    return this.u8[this.base + this.len];
  }

  /** Room for `n` more bytes, and the byte after them. */
  reserve(n: number): void {
    if (this.len + n + 1 > this.cap) this.moveOut((this.len + n + 1) * 2, false);
  }

  /** Moves the value (and the byte after it, or a fresh 0) into the buffer of its own, with room for `need` bytes. */
  private moveOut(need: number, freshTail: boolean): void {
    const from = this.u8;
    const base = this.base;
    const tail = freshTail ? 0 : from[base + this.len];
    if (this.own.length < need) this.own = new Uint8Array(Math.max(256, need));
    const to = this.own;
    if (from !== to || base !== 0) copyBytes(to, 0, from, base, this.len);
    to[this.len] = tail;
    this.u8 = to;
    this.base = 0;
    this.cap = to.length;
  }
}

/** What sparseSet did. */
export const enum SparseSet {
  Unchanged = 0,
  Changed = 1,
  /** The register needs a value or room the sparse form cannot give: make it dense, then set the register there. */
  Promote = 2,
  Corrupt = -1,
}

/**
 * Raises register `index` of a sparse HLL to `count`, splitting the opcode
 * that covers it and merging equal neighbouring VALs as Redis's
 * hllSparseSet does, so the bytes come out identical. Growing past
 * `maxBytes` asks for promotion instead.
 */
export function sparseSet(h: SparseHll, index: number, count: number, maxBytes: number): SparseSet {
  if (count > HLL_SPARSE_VAL_MAX_VALUE) return SparseSet.Promote;
  h.reserve(3);
  const u8 = h.u8;
  const base = h.base;
  let end = base + h.len;
  const sparse = base + HLL_HDR_SIZE;
  // Step 1: the opcode covering the register.
  let p = sparse;
  let first = 0;
  let prev = -1;
  let span = 0;
  while (p < end) {
    const b = u8[p];
    let oplen = 1;
    if (isZero(b)) span = zeroLen(b);
    else if (isVal(b)) span = valLen(b);
    else {
      span = xzeroLen(u8, p, end, u8[end]);
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span === 0 || p >= end) return SparseSet.Corrupt;
  const b = u8[p];
  const opIsZero = isZero(b);
  const opIsXzero = isXzero(b);
  const opIsVal = !opIsZero && !opIsXzero;
  const runlen = opIsZero ? zeroLen(b) : opIsXzero ? xzeroLen(u8, p, end, u8[end]) : valLen(b);
  let updated = false;
  if (opIsVal) {
    // A: already as high. B: a VAL of length 1 changes in place.
    if (valValue(b) >= count) return SparseSet.Unchanged;
    if (runlen === 1) {
      u8[p] = valOp(count, 1);
      updated = true;
    }
  }
  // C: a ZERO of length 1 becomes a VAL in place.
  if (!updated && opIsZero && runlen === 1) {
    u8[p] = valOp(count, 1);
    updated = true;
  }
  if (!updated) {
    // D: split the opcode into at most three (XZERO VAL XZERO at worst: 5 bytes).
    let n = 0;
    const last = first + span - 1;
    if (opIsVal) {
      const cur = valValue(b);
      if (index !== first) seq[n++] = valOp(cur, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) seq[n++] = valOp(cur, last - index);
    } else {
      if (index !== first) n = zerosOp(n, index - first);
      seq[n++] = valOp(count, 1);
      if (index !== last) n = zerosOp(n, last - index);
    }
    const oldlen = opIsXzero ? 2 : 1;
    const delta = n - oldlen;
    if (delta > 0 && end - base + delta > maxBytes) return SparseSet.Promote;
    // As Redis: shift what follows, set the string's new end (and its terminator), then write the
    // opcodes, which run past that end when the old opcode was an XZERO cut short at the value's end.
    const next = p + oldlen;
    if (delta !== 0 && next < end) copyBytes(u8, next + delta, u8, next, end - next);
    end += delta;
    u8[end] = 0;
    for (let i = 0; i < n; i++) u8[p + i] = seq[i];
  }
  // Step 4: merge adjacent VALs of equal value, scanning up to 5 opcodes from the previous one.
  p = prev >= 0 ? prev : sparse;
  let scan = 5;
  while (p < end && scan-- > 0) {
    const c = u8[p];
    if (isXzero(c)) {
      p += 2;
      continue;
    }
    if (isZero(c)) {
      p++;
      continue;
    }
    if (p + 1 < end && isVal(u8[p + 1])) {
      const v1 = valValue(c);
      const n = u8[p + 1];
      if (v1 === valValue(n)) {
        const len = valLen(c) + valLen(n);
        if (len <= HLL_SPARSE_VAL_MAX_LEN) {
          u8[p + 1] = valOp(v1, len);
          copyBytes(u8, p, u8, p + 1, end - p);
          end--;
          u8[end] = 0;
          continue;
        }
      }
    }
    p++;
  }
  h.len = end - base;
  invalidateCache(u8, base);
  return SparseSet.Changed;
}

/** The opcodes a split writes (5 bytes at most). */
const seq = new Uint8Array(5);

/** Writes a run of n zero registers at seq[at] (ZERO up to 64, else XZERO); returns the next position. */
function zerosOp(at: number, n: number): number {
  if (n > HLL_SPARSE_ZERO_MAX_LEN) {
    seq[at] = 0x40 | ((n - 1) >>> 8);
    seq[at + 1] = (n - 1) & 0xff;
    return at + 2;
  }
  seq[at] = zeroOp(n);
  return at + 1;
}

// ---- the estimator ---------------------------------------------------------------

const HLL_ALPHA_INF = 0.721347520444481703680;

/** Ertl's sigma function (arXiv:1702.01284), as Redis computes it. */
function hllSigma(x: number): number {
  if (x === 1) return Infinity;
  let zPrime: number;
  let y = 1;
  let z = x;
  do {
    x *= x;
    zPrime = z;
    z += x * y;
    y += y;
  } while (zPrime !== z);
  return z;
}

/** Ertl's tau function. */
function hllTau(x: number): number {
  if (x === 0 || x === 1) return 0;
  let zPrime: number;
  let y = 1.0;
  let z = 1 - x;
  do {
    x = Math.sqrt(x);
    zPrime = z;
    y *= 0.5;
    z -= (1 - x) * (1 - x) * y;
  } while (zPrime !== z);
  return z / 3;
}

/** The estimate from a histogram of register values (Redis 7's hllCount: Ertl's improved estimator). */
export function estimate(histo: Int32Array): number {
  const m = HLL_REGISTERS;
  let z = m * hllTau((m - histo[HLL_Q + 1]) / m);
  for (let j = HLL_Q; j >= 1; --j) {
    z += histo[j];
    z *= 0.5;
  }
  z += m * hllSigma(histo[0] / m);
  // llroundl: halves away from zero; the value is never negative.
  return Math.round((HLL_ALPHA_INF * m * m) / z);
}

const histo = new Int32Array(64);

/** The cardinality of the HLL at [off, off + len), or -1 for a corrupt sparse one. */
export function hllCount(u8: Uint8Array, off: number, len: number): number {
  histo.fill(0);
  if (hllEncoding(u8, off) === HLL_DENSE) {
    const end = off + HLL_DENSE_SIZE;
    for (let p = off + HLL_HDR_SIZE; p < end; p += 3) {
      const b0 = u8[p];
      const b1 = u8[p + 1];
      const b2 = u8[p + 2];
      histo[b0 & 63]++;
      histo[((b0 >>> 6) | (b1 << 2)) & 63]++;
      histo[((b1 >>> 4) | (b2 << 4)) & 63]++;
      histo[b2 >>> 2]++;
    }
  } else {
    // Unlike merging, counting walks to the end and only then judges the total (hllSparseRegHisto).
    let idx = 0;
    const end = off + len;
    let p = off + HLL_HDR_SIZE;
    while (p < end) {
      const b = u8[p];
      if (isZero(b)) {
        const n = zeroLen(b);
        idx += n;
        histo[0] += n;
        p++;
      } else if (isXzero(b)) {
        const n = xzeroLen(u8, p, end);
        idx += n;
        histo[0] += n;
        p += 2;
      } else {
        const n = valLen(b);
        idx += n;
        histo[valValue(b)] += n;
        p++;
      }
    }
    if (idx !== HLL_REGISTERS) return -1;
  }
  return estimate(histo);
}

/** The cardinality of registers held one per byte (PFCOUNT of several keys merges into these). */
export function rawCount(max: Uint8Array): number {
  histo.fill(0);
  for (let i = 0; i < HLL_REGISTERS; i++) histo[max[i]]++;
  return estimate(histo);
}

// ---- PFSELFTEST --------------------------------------------------------------------

/**
 * PFSELFTEST's checks: dense registers read back what was written; a sparse
 * and a dense HLL fed the same elements hold the same registers and counts
 * until the sparse one must turn dense; estimates stay within a few standard
 * errors of the truth. The failure's text, or null.
 */
export function hllSelfTest(): string | null {
  let seed = 0x2545f491;
  const rand = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const regs = new Uint8Array(HLL_DENSE_SIZE - HLL_HDR_SIZE);
  const model = new Uint8Array(HLL_REGISTERS);
  for (let cycle = 0; cycle < 64; cycle++) {
    for (let i = 0; i < HLL_REGISTERS; i++) {
      model[i] = rand() & HLL_REGISTER_MAX;
      denseSet(regs, 0, i, model[i]);
    }
    for (let i = 0; i < HLL_REGISTERS; i++) if (denseGet(regs, 0, i) !== model[i]) return `Register error at ${i}`;
  }
  const sparse = new SparseHll().load(newSparseHll(), 0, HLL_HDR_SIZE + 2);
  const dense = sparseToDense(newSparseHll(), 0, HLL_HDR_SIZE + 2)!;
  const ele = new Uint8Array(8);
  const view = new DataView(ele.buffer);
  let isSparse = true;
  let checkpoint = 1;
  const relerr = 1.04 / Math.sqrt(HLL_REGISTERS);
  for (let n = 1; n <= 200_000; n++) {
    view.setUint32(0, n, true);
    view.setUint32(4, 0x5eed, true);
    const pl = hllPatLen(ele, 0, 8);
    denseRaise(dense, HLL_HDR_SIZE, pl >>> 8, pl & 0xff);
    if (isSparse && sparseSet(sparse, pl >>> 8, pl & 0xff, 6000) === SparseSet.Promote) isSparse = false;
    if (n !== checkpoint) continue;
    checkpoint *= 2;
    const count = hllCount(dense, 0, HLL_DENSE_SIZE);
    if (isSparse) {
      const promoted = sparseToDense(sparse.u8, 0, sparse.len);
      if (promoted === null) return 'Sparse representation is corrupt';
      for (let i = 0; i < HLL_REGISTERS; i++) {
        if (denseGet(promoted, HLL_HDR_SIZE, i) !== denseGet(dense, HLL_HDR_SIZE, i)) return `Sparse and dense registers differ at ${i} after ${n} elements`;
      }
      if (hllCount(sparse.u8, 0, sparse.len) !== count) return `Sparse and dense counts differ after ${n} elements`;
    }
    const maxerr = Math.max(2, Math.ceil(5 * relerr * n));
    if (Math.abs(count - n) > maxerr) return `Too big error. card:${n} abserr:${Math.abs(count - n)}`;
  }
  return null;
}
