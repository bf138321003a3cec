/**
 * Hash values, stored entirely in the shard's arena, in Redis's two encodings.
 *
 * A pair (field, value) is always encoded the same way, as a "pair record":
 *   [field length][field bytes][value length][value bytes]
 * with each length the 1, 2 or 5-byte field of packed-entry.ts (no trailer).
 * Both encodings hold pair records, so converting, copying between shards and
 * serializing are plain byte copies.
 *
 * listpack (small hashes): ONE block, pairs in insertion order, so HGETALL,
 * HKEYS and HVALS answer in Redis's order. Searched linearly, as Redis does.
 *   +0 u32 pair count   +4 u32 payload bytes used   +8 payload (pair records)
 * The block is reallocated as it grows or shrinks (the arena keeps the handle
 * while the size class stays the same), so its handle may change: callers
 * store the returned value word.
 *
 * hashtable (large hashes): a 16-byte header block, whose handle never
 * changes and names the hash's DashTable (collection-table.ts), and one block
 * per pair holding just its pair record: no per-field header beyond the
 * length prefixes. The DashTable slot keeps the field's hash, so lookups
 * compare bytes only on a 32-bit hash match.
 *   +0 u32 HT_MARK (tells the encodings apart: a listpack's count never is)
 *   +4 u32 unused   +8 f64 usable bytes of all pair blocks (MEMORY USAGE without a walk)
 *
 * Results that are values are reported through the exported `hv` (segment
 * bytes, offset, length); they stay valid until the hash changes.
 *
 * Field TTLs (HEXPIRE ...) live in a side table (hash-ttl.ts) that follows
 * the value word through every function here that changes it.
 */
import { type Arena, type DashTable, offOf, segOf, sizeClassIndex, MAX_CLASS_SIZE } from 'native-free-arena';
import { moveBlock, type TypeOps } from '../shard/value-ops.js';
import { Enc } from '../shard/object.js';
import { dropTable, memberHash, newTable, relocateElements, renameTable, tableOf } from './collection-table.js';
import { fieldSizeOf, isShortestField, lenSize, readLen, writeLen } from './packed-entry.js';
import { copyBytes, sameBytes, sliceBytes } from '../util/bytes.js';
import { dropTtls, ensureTtls, fieldKey, moveTtls, relocateTtls, ttlsOf } from './hash-ttl.js';

export const LP_HDR = 8;
const HT_HDR = 16;
const HT_MARK = 0xffffffff;
const HT_BYTES = 8;

/** Where the last value-returning call found its value. */
export const hv: { u8: Uint8Array; off: number; len: number } = { u8: new Uint8Array(0), off: 0, len: 0 };

// ---- pair records --------------------------------------------------------------

/** Bytes of a pair record. */
function pairSize(fn: number, vn: number): number {
  return lenSize(fn) + fn + lenSize(vn) + vn;
}

/** Writes a pair record at d[p]; returns its size. Sources must not overlap d[p..]. */
function writePair(d: Uint8Array, p: number, f: Uint8Array, fo: number, fn: number, v: Uint8Array, vo: number, vn: number): number {
  const s = p;
  p += writeLen(d, p, fn);
  copyBytes(d, p, f, fo, fn);
  p += fn;
  p += writeLen(d, p, vn);
  copyBytes(d, p, v, vo, vn);
  return p + vn - s;
}

/** Size of the pair record at d[p]. */
function pairAt(d: Uint8Array, p: number): number {
  const s = p;
  const fn = readLen(d, p);
  p += lenSize(fn) + fn;
  const vn = readLen(d, p);
  return p + lenSize(vn) + vn - s;
}

// ---- which encoding ------------------------------------------------------------

function rd(a: Arena, h: number, f: number): number {
  return a.u32[segOf(h)][(offOf(h) + f) >> 2];
}
function wr(a: Arena, h: number, f: number, v: number): void {
  a.u32[segOf(h)][(offOf(h) + f) >> 2] = v;
}

/** Whether value word v is a hashtable header (else a listpack). */
export function isTable(a: Arena, v: number): boolean {
  return rd(a, v, 0) === HT_MARK;
}

// ---- listpack ------------------------------------------------------------------

export function lpCreate(a: Arena, cap = 0): number {
  const lp = a.alloc(LP_HDR + (cap > 0 ? cap : 8));
  wr(a, lp, 0, 0);
  wr(a, lp, 4, 0);
  return lp;
}

function lpCount(a: Arena, lp: number): number {
  return rd(a, lp, 0);
}
function lpUsed(a: Arena, lp: number): number {
  return rd(a, lp, 4);
}

/**
 * Absolute offset (in the block's segment) of the pair whose field equals
 * the bytes, or -1. When found, `hv` is its value.
 */
function lpFind(a: Arena, lp: number, f: Uint8Array, fo: number, fn: number): number {
  const d = a.u8[segOf(lp)];
  let p = offOf(lp) + LP_HDR;
  const end = p + lpUsed(a, lp);
  while (p < end) {
    const n = readLen(d, p);
    const q = p + lenSize(n);
    const vp = q + n;
    const vn = readLen(d, vp);
    if (n === fn && sameBytes(d, q, f, fo, fn)) {
      hv.u8 = d;
      hv.off = vp + lenSize(vn);
      hv.len = vn;
      return p;
    }
    p = vp + lenSize(vn) + vn;
  }
  return -1;
}

/** Resizes a listpack block to hold `used` payload bytes; returns its handle. */
function lpResize(a: Arena, lp: number, used: number): number {
  return a.realloc(lp, LP_HDR + (used > 0 ? used : 8));
}

/** Set result: whether the last hashSet created the field. */
export let setCreated = false;

/** Sets a field in a listpack; returns the (possibly moved) block. */
function lpSet(a: Arena, lp: number, f: Uint8Array, fo: number, fn: number, v: Uint8Array, vo: number, vn: number): number {
  const p = lpFind(a, lp, f, fo, fn);
  const used = lpUsed(a, lp);
  if (p < 0) {
    const e = pairSize(fn, vn);
    if (LP_HDR + used + e > a.usableSize(lp)) lp = lpResize(a, lp, used + e);
    writePair(a.u8[segOf(lp)], offOf(lp) + LP_HDR + used, f, fo, fn, v, vo, vn);
    wr(a, lp, 0, lpCount(a, lp) + 1);
    wr(a, lp, 4, used + e);
    setCreated = true;
    return lp;
  }
  setCreated = false;
  // Replace the value record in place, moving the tail when its size changes.
  const vrel = hv.off - lenSize(hv.len) - offOf(lp) - LP_HDR;
  const oldV = lenSize(hv.len) + hv.len;
  const newV = lenSize(vn) + vn;
  const tail = vrel + oldV;
  const delta = newV - oldV;
  if (delta > 0 && LP_HDR + used + delta > a.usableSize(lp)) lp = lpResize(a, lp, used + delta);
  const d = a.u8[segOf(lp)];
  const b = offOf(lp) + LP_HDR;
  if (delta !== 0) copyBytes(d, b + tail + delta, d, b + tail, used - tail);
  let q = b + vrel;
  q += writeLen(d, q, vn);
  copyBytes(d, q, v, vo, vn);
  wr(a, lp, 4, used + delta);
  if (delta < 0) lp = lpMaybeShrink(a, lp);
  return lp;
}

/** Gives back a block's slack when it holds much less than its size. */
function lpMaybeShrink(a: Arena, lp: number): number {
  const used = lpUsed(a, lp);
  const size = a.usableSize(lp);
  if (size > 64 && LP_HDR + used < size >>> 1) return lpResize(a, lp, used);
  return lp;
}

/** Deletes a field from a listpack; returns the (possibly moved) block, and sets `deleted`. */
function lpDelete(a: Arena, lp: number, f: Uint8Array, fo: number, fn: number): number {
  const p = lpFind(a, lp, f, fo, fn);
  if (p < 0) {
    deleted = false;
    return lp;
  }
  deleted = true;
  const d = a.u8[segOf(lp)];
  const b = offOf(lp) + LP_HDR;
  const used = lpUsed(a, lp);
  const e = pairAt(d, p);
  copyBytes(d, p, d, p + e, b + used - (p + e));
  wr(a, lp, 0, lpCount(a, lp) - 1);
  wr(a, lp, 4, used - e);
  return lpMaybeShrink(a, lp);
}

/** Delete result: whether the last hashDelete removed a field. */
export let deleted = false;

// ---- hashtable -----------------------------------------------------------------

// The probe of the current lookup, compared by `eqField` (no closure per lookup).
let pA: Arena | null = null;
let pU8: Uint8Array = new Uint8Array(0);
let pOff = 0;
let pLen = 0;
const eqField = (e: number): boolean => {
  const d = pA!.u8[segOf(e)];
  const p = offOf(e);
  const n = readLen(d, p);
  return n === pLen && sameBytes(d, p + lenSize(n), pU8, pOff, pLen);
};

function htFind(a: Arena, t: DashTable, hash: number, f: Uint8Array, fo: number, fn: number): number {
  pA = a;
  pU8 = f;
  pOff = fo;
  pLen = fn;
  return t.find(hash, eqField);
}

/** Points `hv` at the value of pair block e. */
function pairValue(a: Arena, e: number): void {
  const d = a.u8[segOf(e)];
  let p = offOf(e);
  const fn = readLen(d, p);
  p += lenSize(fn) + fn;
  const vn = readLen(d, p);
  hv.u8 = d;
  hv.off = p + lenSize(vn);
  hv.len = vn;
}

function addEntryBytes(a: Arena, th: number, d: number): void {
  a.f64[segOf(th)][(offOf(th) + HT_BYTES) >> 3] += d;
}
function entryBytes(a: Arena, th: number): number {
  return a.f64[segOf(th)][(offOf(th) + HT_BYTES) >> 3];
}

function htCreate(a: Arena): number {
  const th = a.alloc(HT_HDR);
  wr(a, th, 0, HT_MARK);
  wr(a, th, 4, 0);
  a.f64[segOf(th)][(offOf(th) + HT_BYTES) >> 3] = 0;
  newTable(a, th);
  return th;
}

function newPair(a: Arena, f: Uint8Array, fo: number, fn: number, v: Uint8Array, vo: number, vn: number): number {
  const e = a.alloc(pairSize(fn, vn));
  writePair(a.u8[segOf(e)], offOf(e), f, fo, fn, v, vo, vn);
  return e;
}

function htSet(a: Arena, th: number, f: Uint8Array, fo: number, fn: number, v: Uint8Array, vo: number, vn: number): void {
  const t = tableOf(a, th);
  const hash = memberHash(f, fo, fn);
  const e = htFind(a, t, hash, f, fo, fn);
  if (e === 0) {
    const ne = newPair(a, f, fo, fn, v, vo, vn);
    t.insert(hash, ne);
    addEntryBytes(a, th, a.usableSize(ne));
    setCreated = true;
    return;
  }
  setCreated = false;
  const size = pairSize(fn, vn);
  const old = a.usableSize(e);
  if (size <= MAX_CLASS_SIZE && old <= MAX_CLASS_SIZE && sizeClassIndex(size) === sizeClassIndex(old)) {
    // Same size class: the field stays where it is, only the value record is rewritten.
    a.realloc(e, size);
    const d = a.u8[segOf(e)];
    const p = offOf(e) + lenSize(fn) + fn;
    const q = p + writeLen(d, p, vn);
    copyBytes(d, q, v, vo, vn);
    return;
  }
  const ne = a.alloc(size);
  // The field comes from the old block (the caller's field bytes may be anything).
  const d = a.u8[segOf(ne)];
  let p = offOf(ne);
  a.copy(ne, 0, e, 0, lenSize(fn) + fn);
  p += lenSize(fn) + fn;
  p += writeLen(d, p, vn);
  copyBytes(d, p, v, vo, vn);
  t.replace(hash, e, ne);
  addEntryBytes(a, th, a.usableSize(ne) - old);
  a.free(e);
}

function htDelete(a: Arena, th: number, f: Uint8Array, fo: number, fn: number): void {
  const t = tableOf(a, th);
  const hash = memberHash(f, fo, fn);
  const e = htFind(a, t, hash, f, fo, fn);
  if (e === 0) {
    deleted = false;
    return;
  }
  deleted = true;
  t.remove(hash, e);
  addEntryBytes(a, th, -a.usableSize(e));
  a.free(e);
}

/** Inserts a pair record copied from src[p..] into a table (the field must be new). */
function htAddRecord(a: Arena, th: number, t: DashTable, src: Uint8Array, p: number, size: number): void {
  const fn = readLen(src, p);
  const hash = memberHash(src, p + lenSize(fn), fn);
  const e = a.alloc(size);
  const d = a.u8[segOf(e)];
  const o = offOf(e);
  copyBytes(d, o, src, p, size);
  t.insert(hash, e);
  addEntryBytes(a, th, a.usableSize(e));
}

// ---- public API (either encoding) ------------------------------------------------

/** A new, empty hash in the listpack encoding; returns its value word. */
export function hashCreate(a: Arena): number {
  return lpCreate(a);
}

export function hashLength(a: Arena, v: number): number {
  return isTable(a, v) ? tableOf(a, v).size : lpCount(a, v);
}

/** Finds a field; when present sets `hv` to its value and returns true. */
export function hashGet(a: Arena, v: number, f: Uint8Array, fo: number, fn: number): boolean {
  if (!isTable(a, v)) return lpFind(a, v, f, fo, fn) >= 0;
  const e = htFind(a, tableOf(a, v), memberHash(f, fo, fn), f, fo, fn);
  if (e === 0) return false;
  pairValue(a, e);
  return true;
}

/**
 * Sets a field (creating or replacing it); `setCreated` tells which. Returns
 * the value word, which changes when a listpack moves. The sources must not
 * be inside this hash's blocks.
 */
export function hashSet(a: Arena, v: number, f: Uint8Array, fo: number, fn: number, val: Uint8Array, vo: number, vn: number, keepTtl = false): number {
  let nv = v;
  if (isTable(a, v)) htSet(a, v, f, fo, fn, val, vo, vn);
  else nv = lpSet(a, v, f, fo, fn, val, vo, vn);
  const ttls = ttlsOf(a, v);
  if (ttls !== undefined) {
    // A new value drops the field's TTL (HSET); HINCRBY and KEEPTTL keep it.
    if (!setCreated && !keepTtl && ttls.size !== 0) ttls.delete(fieldKey(f, fo, fn));
    moveTtls(a, v, nv);
  }
  return nv;
}

/** Deletes a field; `deleted` tells whether it existed. Returns the value word (a listpack may move). */
export function hashDelete(a: Arena, v: number, f: Uint8Array, fo: number, fn: number): number {
  const ttls = ttlsOf(a, v);
  // The field's key is taken before the delete: `f` may be a view of this hash.
  const k = ttls !== undefined && ttls.size !== 0 ? fieldKey(f, fo, fn) : null;
  let nv = v;
  if (isTable(a, v)) htDelete(a, v, f, fo, fn);
  else nv = lpDelete(a, v, f, fo, fn);
  if (ttls !== undefined) {
    if (deleted && k !== null) ttls.delete(k);
    moveTtls(a, v, nv);
  }
  return nv;
}

/** Converts a listpack to a hashtable (frees the listpack); returns the new value word. */
export function hashToTable(a: Arena, lp: number): number {
  const th = htCreate(a);
  const t = tableOf(a, th);
  const d = a.u8[segOf(lp)];
  let p = offOf(lp) + LP_HDR;
  const end = p + lpUsed(a, lp);
  while (p < end) {
    const e = pairAt(d, p);
    htAddRecord(a, th, t, d, p, e);
    p += e;
  }
  a.free(lp);
  moveTtls(a, lp, th);
  return th;
}

/** Calls `cb` with each pair (bytes, field offset/length, value offset/length); the hash must not change meanwhile. */
export type PairCallback = (u8: Uint8Array, fo: number, fn: number, vo: number, vn: number) => void;

function visitRecord(d: Uint8Array, p: number, cb: PairCallback): number {
  const fn = readLen(d, p);
  const fo = p + lenSize(fn);
  const vp = fo + fn;
  const vn = readLen(d, vp);
  const vo = vp + lenSize(vn);
  cb(d, fo, fn, vo, vn);
  return vo + vn - p;
}

export function hashForEach(a: Arena, v: number, cb: PairCallback): void {
  if (isTable(a, v)) {
    tableOf(a, v).forEach((e) => {
      visitRecord(a.u8[segOf(e)], offOf(e), cb);
    });
    return;
  }
  const d = a.u8[segOf(v)];
  let p = offOf(v) + LP_HDR;
  const end = p + lpUsed(a, v);
  while (p < end) p += visitRecord(d, p, cb);
}

/** Calls `cb` with pair block e's field and value. */
export function visitPair(a: Arena, e: number, cb: PairCallback): void {
  visitRecord(a.u8[segOf(e)], offOf(e), cb);
}

/** Offsets (absolute, in the listpack's segment) of every pair record, in order. */
export function lpPositions(a: Arena, lp: number): Int32Array {
  const out = new Int32Array(lpCount(a, lp));
  const d = a.u8[segOf(lp)];
  let p = offOf(lp) + LP_HDR;
  for (let i = 0; i < out.length; i++) {
    out[i] = p;
    p += pairAt(d, p);
  }
  return out;
}

/** Calls `cb` with the listpack pair record at absolute offset p. */
export function lpVisitAt(a: Arena, lp: number, p: number, cb: PairCallback): void {
  visitRecord(a.u8[segOf(lp)], p, cb);
}

/** The DashTable of a hashtable-encoded hash. */
export function hashTable(a: Arena, v: number): DashTable {
  return tableOf(a, v);
}

/** Frees the hash with every block it owns. */
export function hashFree(a: Arena, v: number): void {
  if (isTable(a, v)) dropTable(a, v, (e) => a.free(e));
  dropTtls(a, v);
  a.free(v);
}

/** Arena bytes the hash occupies (usable sizes of all its blocks, and its table). */
export function hashMemoryUsage(a: Arena, v: number): number {
  const ttl = ttlsOf(a, v)?.memory() ?? 0;
  if (!isTable(a, v)) return a.usableSize(v) + ttl;
  return a.usableSize(v) + tableOf(a, v).memoryUsage() + entryBytes(a, v) + ttl;
}

// ---- serialization -----------------------------------------------------------------

/** Flag in the serialized form's second word: an f64 expire-at (0: none) per record follows the records. */
const BLOB_TTLS = 1;

/**
 * u32 pair count (LE), u32 flags, then every pair record (listpack order, or
 * table order); with BLOB_TTLS (the hash has a TTL table), then one f64
 * expire-at per record, in the same order.
 */
export function hashSerialize(a: Arena, v: number): Uint8Array {
  const out = recordsBlob(a, v);
  const ttls = ttlsOf(a, v);
  if (ttls === undefined) return out;
  const count = new DataView(out.buffer).getUint32(0, true);
  const res = new Uint8Array(out.length + 8 * count);
  res.set(out, 0);
  const dv = new DataView(res.buffer);
  dv.setUint32(4, BLOB_TTLS, true);
  let p = 8;
  for (let i = 0; i < count; i++) {
    const fn = readLen(out, p);
    dv.setFloat64(out.length + 8 * i, ttls.get(fieldKey(out, p + lenSize(fn), fn)) ?? 0, true);
    p += pairAt(out, p);
  }
  return res;
}

function recordsBlob(a: Arena, v: number): Uint8Array {
  if (!isTable(a, v)) {
    const used = lpUsed(a, v);
    const out = new Uint8Array(8 + used);
    new DataView(out.buffer).setUint32(0, lpCount(a, v), true);
    const s = offOf(v) + LP_HDR;
    copyBytes(out, 8, a.u8[segOf(v)], s, used);
    return out;
  }
  const t = tableOf(a, v);
  let total = 8;
  t.forEach((e) => {
    total += pairAt(a.u8[segOf(e)], offOf(e));
  });
  const out = new Uint8Array(total);
  new DataView(out.buffer).setUint32(0, t.size, true);
  let o = 8;
  t.forEach((e) => {
    const d = a.u8[segOf(e)];
    const p = offOf(e);
    const n = pairAt(d, p);
    copyBytes(out, o, d, p, n);
    o += n;
  });
  return out;
}

/** Checks a serialized payload src[off+8, end) holds exactly `count` whole records, every length field the shortest. */
function validBlob(src: Uint8Array, off: number, end: number): boolean {
  if (end - off < 8) return false;
  const count = new DataView(src.buffer, src.byteOffset + off, 8).getUint32(0, true);
  let p = off + 8;
  let seen = 0;
  while (p < end) {
    if (p + fieldSizeOf(src[p]) > end || !isShortestField(src, p)) return false;
    const fn = readLen(src, p);
    p += lenSize(fn) + fn;
    if (p >= end || p + fieldSizeOf(src[p]) > end || !isShortestField(src, p)) return false;
    const vn = readLen(src, p);
    p += lenSize(vn) + vn;
    if (p > end) return false;
    seen++;
  }
  return seen === count;
}

/** Builds a hash from `hashSerialize` bytes in encoding `enc`; returns the value word. */
export function hashDeserialize(a: Arena, src: Uint8Array, off: number, end: number, enc: number): number {
  if (end - off < 8) throw new Error('hash blob malformed');
  const head = new DataView(src.buffer, src.byteOffset + off, 8);
  const count = head.getUint32(0, true);
  const flags = head.getUint32(4, true);
  if ((flags & ~BLOB_TTLS) !== 0) throw new Error('hash blob malformed');
  // The records end where the TTLs begin.
  const recEnd = (flags & BLOB_TTLS) !== 0 ? end - 8 * count : end;
  if (recEnd < off + 8 || !validBlob(src, off, recEnd)) throw new Error('hash blob malformed');
  // The TTLs are checked before anything is allocated.
  let ttls: Array<[string, number]> | null = null;
  if ((flags & BLOB_TTLS) !== 0) {
    ttls = [];
    const dv = new DataView(src.buffer, src.byteOffset);
    let p = off + 8;
    for (let i = 0; i < count; i++) {
      const t = dv.getFloat64(recEnd + 8 * i, true);
      if (!(t >= 0)) throw new Error('hash blob malformed');
      const fn = readLen(src, p);
      if (t !== 0) ttls.push([fieldKey(src, p + lenSize(fn), fn), t]);
      p += pairAt(src, p);
    }
  }
  const v = buildFromRecords(a, src, off, recEnd, count, enc);
  if (ttls !== null) {
    ensureTtls(a, v);
    for (const [f, t] of ttls) ensureTtls(a, v).set(f, t);
  }
  return v;
}

function buildFromRecords(a: Arena, src: Uint8Array, off: number, end: number, count: number, enc: number): number {
  const used = end - off - 8;
  if (enc !== Enc.HashTable) {
    const lp = lpCreate(a, used);
    copyBytes(a.u8[segOf(lp)], offOf(lp) + LP_HDR, src, off + 8, end - (off + 8));
    wr(a, lp, 0, count);
    wr(a, lp, 4, used);
    return lp;
  }
  const th = htCreate(a);
  const t = tableOf(a, th);
  let p = off + 8;
  while (p < end) {
    const e = pairAt(src, p);
    htAddRecord(a, th, t, src, p, e);
    p += e;
  }
  return th;
}

// ---- checks (tests) ----------------------------------------------------------------

/** All pairs as copies, in the hash's own order (DUMP, snapshots, tests). */
export function hashToArray(a: Arena, v: number): Array<[Uint8Array, Uint8Array]> {
  const out: Array<[Uint8Array, Uint8Array]> = [];
  hashForEach(a, v, (u8, fo, fn, vo, vn) => out.push([sliceBytes(u8, fo, fn), sliceBytes(u8, vo, vn)]));
  return out;
}

/** Verifies the structure's invariants; throws a description of the first violation. */
export function hashCheck(a: Arena, v: number): void {
  const seen = new Set<string>();
  const key = (u8: Uint8Array, o: number, n: number): string => Buffer.from(u8.subarray(o, o + n)).toString('latin1');
  if (!isTable(a, v)) {
    const count = lpCount(a, v);
    const used = lpUsed(a, v);
    if (LP_HDR + used > a.usableSize(v)) throw new Error(`listpack: ${used} bytes used beyond its block`);
    const d = a.u8[segOf(v)];
    let p = offOf(v) + LP_HDR;
    const end = p + used;
    let n = 0;
    while (p < end) {
      const fn = readLen(d, p);
      if (!isShortestField(d, p) || !isShortestField(d, p + lenSize(fn) + fn)) throw new Error(`listpack: record ${n} has a length field that is not the shortest`);
      const k = key(d, p + lenSize(fn), fn);
      if (seen.has(k)) throw new Error(`listpack: duplicate field ${JSON.stringify(k)}`);
      seen.add(k);
      p += pairAt(d, p);
      n++;
    }
    if (p !== end) throw new Error('listpack: records overrun the used bytes');
    if (n !== count) throw new Error(`listpack: count ${count} but ${n} records`);
    return;
  }
  const t = tableOf(a, v);
  let bytes = 0;
  let n = 0;
  t.forEach((e) => {
    n++;
    const d = a.u8[segOf(e)];
    const p = offOf(e);
    const size = pairAt(d, p);
    if (size > a.usableSize(e)) throw new Error('hashtable: record beyond its block');
    const fn = readLen(d, p);
    const fo = p + lenSize(fn);
    if (!isShortestField(d, p) || !isShortestField(d, fo + fn)) throw new Error('hashtable: a length field that is not the shortest');
    const k = key(d, fo, fn);
    if (seen.has(k)) throw new Error(`hashtable: duplicate field ${JSON.stringify(k)}`);
    seen.add(k);
    const f = sliceBytes(d, fo, fn);
    if (htFind(a, t, memberHash(f, 0, fn), f, 0, fn) !== e) throw new Error(`hashtable: field ${JSON.stringify(k)} not found by its hash`);
    bytes += a.usableSize(e);
  });
  if (n !== t.size) throw new Error(`hashtable: size ${t.size} but ${n} entries`);
  if (bytes !== entryBytes(a, v)) throw new Error(`hashtable: entry bytes ${entryBytes(a, v)} but ${bytes}`);
}

/**
 * Defragmentation: a listpack moves whole; a hashtable moves its header (its
 * table follows) and, when it has at most `maxElements` fields, the pair
 * blocks `moving` picks.
 */
function hashRelocate(a: Arena, v: number, moving: (h: number) => boolean, maxElements: number): number {
  if (!isTable(a, v)) {
    relocateTtls(a, v, moving);
    if (!moving(v)) return v;
    const nv = moveBlock(a, v);
    moveTtls(a, v, nv);
    return nv;
  }
  const t = tableOf(a, v);
  relocateTtls(a, v, moving);
  if (t.size <= maxElements) {
    relocateElements(a, t, moving, (e) => {
      const d = a.u8[segOf(e)];
      const p = offOf(e);
      const fn = readLen(d, p);
      return memberHash(d, p + lenSize(fn), fn);
    });
  }
  if (!moving(v)) return v;
  const nv = moveBlock(a, v);
  renameTable(a, v, nv);
  moveTtls(a, v, nv);
  return nv;
}

/** The hash row of the keyspace's type table. */
export const hashOps: TypeOps = {
  free: hashFree,
  memory: hashMemoryUsage,
  serialize: (a, v) => hashSerialize(a, v),
  deserialize: (a, src, off, end, enc) => hashDeserialize(a, src, off, end, enc),
  relocate: hashRelocate,
  partsExpire: (a, v) => (ttlsOf(a, v)?.size ?? 0) !== 0,
};
