/**
 * Set values, stored entirely in the shard's arena, in Redis 7.2's three
 * encodings (see docs/types/sets.md for the conversion rules):
 *
 *  - intset: every member an int64 (string2ll rules), sorted ascending, packed
 *    at the narrowest width (2, 4 or 8 bytes) that holds all of them;
 *  - listpack: a packed run of members in insertion order (small sets);
 *  - hashtable: a DashTable (collection-table.ts) of member blocks.
 *
 * Header block (SET_HDR bytes), whose handle is the keyspace entry's value
 * word for the set's whole life (the hashtable is found from it):
 *   +0  u8  kind (K_INTSET, K_LISTPACK, K_HASHTABLE)
 *   +1  u8  intset width in bytes (2, 4, 8)
 *   +4  u32 member count
 *   +8  u32 data block (intset / listpack; 0 when there is none)
 *   +12 u32 intset/listpack: bytes used in the data block;
 *           hashtable: usable bytes of all member blocks (MEMORY USAGE in O(1))
 *
 * Listpack entry: the length field of packed-entry.ts then the bytes (no
 * trailer: a set's listpack is only walked forwards).
 * Hashtable member block: u32 length, then the bytes.
 *
 * Members are reported through the exported `cur` (bytes, offset, length);
 * intset members are rendered into a scratch buffer, so `cur` is valid until
 * the next call into this module.
 */
import { type Arena, offOf, segOf } from 'native-free-arena';
import { moveBlock, type TypeOps } from '../shard/value-ops.js';
import { Enc } from '../shard/object.js';
import { dropTable, memberHash, newTable, relocateElements, renameTable, tableOf } from './collection-table.js';
import { isShortestField, lenSize, readLen, writeLen } from './packed-entry.js';
import { copyBytes, sameBytes, sliceBytes } from '../util/bytes.js';
import { parseInt64 } from '../util/numbers.js';

const SET_HDR = 16;
export const K_INTSET = 0;
export const K_LISTPACK = 1;
export const K_HASHTABLE = 2;

const H_KIND = 0;
const H_WIDTH = 1;
const H_COUNT = 4;
const H_DATA = 8;
const H_USED = 12;

/** The thresholds setAdd obeys (read from the shard's tunables by the caller). */
export interface SetLimits {
  intsetEntries: number;
  listpackEntries: number;
  listpackValue: number;
}

/** The current member: `cur.u8[cur.off, cur.off + cur.len)`. */
export const cur: { u8: Uint8Array; off: number; len: number } = { u8: new Uint8Array(0), off: 0, len: 0 };

// ---- header access -------------------------------------------------------------------

function rd(a: Arena, h: number, field: number): number {
  return a.u32[segOf(h)][(offOf(h) + field) >> 2];
}
function wr(a: Arena, h: number, field: number, v: number): void {
  a.u32[segOf(h)][(offOf(h) + field) >> 2] = v;
}
function kindOf(a: Arena, v: number): number {
  return a.u8[segOf(v)][offOf(v) + H_KIND];
}
function widthOf(a: Arena, v: number): number {
  return a.u8[segOf(v)][offOf(v) + H_WIDTH];
}
function setKindWidth(a: Arena, v: number, kind: number, width: number): void {
  const u8 = a.u8[segOf(v)];
  u8[offOf(v) + H_KIND] = kind;
  u8[offOf(v) + H_WIDTH] = width;
}

export function setSize(a: Arena, v: number): number {
  return rd(a, v, H_COUNT);
}

export function setKind(a: Arena, v: number): number {
  return kindOf(a, v);
}

/** The Redis encoding number of the set's current layout (for the keyspace entry). */
export function setEncoding(a: Arena, v: number): Enc {
  const k = kindOf(a, v);
  return k === K_INTSET ? Enc.IntSet : k === K_LISTPACK ? Enc.ListPack : Enc.HashTable;
}

/** A new empty set of the given kind. */
export function setCreate(a: Arena, kind: number): number {
  const v = a.alloc(SET_HDR);
  a.fill(v, 0, SET_HDR);
  setKindWidth(a, v, kind, kind === K_INTSET ? 2 : 0);
  if (kind === K_HASHTABLE) newTable(a, v);
  return v;
}

/**
 * Redis 7.2's setTypeCreate: the kind a new set starts as, given its first
 * member and how many members are about to be added.
 */
export function kindForNew(u8: Uint8Array, off: number, len: number, hint: number, lim: SetLimits): number {
  if (parseInt64(u8, off, len) !== null && hint <= intsetMax(lim)) return K_INTSET;
  if (hint <= lim.listpackEntries) return K_LISTPACK;
  return K_HASHTABLE;
}

function intsetMax(lim: SetLimits): number {
  // Redis caps intsets at 2^30 entries whatever the setting.
  return lim.intsetEntries > 1 << 30 ? 1 << 30 : lim.intsetEntries;
}

/** Redis 7.2's setTypeMaybeConvert: converts to a hashtable when `hint` new members would not fit. */
export function setMaybeConvert(a: Arena, v: number, hint: number, lim: SetLimits): void {
  const k = kindOf(a, v);
  if ((k === K_LISTPACK && hint > lim.listpackEntries) || (k === K_INTSET && hint > intsetMax(lim))) toHashtable(a, v);
}

// ---- int64 as (hi, lo) ---------------------------------------------------------------
// Intset values are compared as a signed high word and an unsigned low word, so
// no bigint is needed on the common path.

let pHi = 0;
let pLo = 0;

/** Parses member bytes as an int64 into (pHi, pLo); false when not an integer. */
function parseProbe(u8: Uint8Array, off: number, len: number): boolean {
  const n = parseInt64(u8, off, len);
  if (n === null) return false;
  if (typeof n === 'number') {
    const hi = Math.floor(n / 4294967296);
    pHi = hi;
    pLo = n - hi * 4294967296;
  } else {
    pHi = Number(BigInt.asIntN(32, n >> 32n));
    pLo = Number(n & 0xffffffffn);
  }
  return true;
}

function widthFor(hi: number, lo: number): number {
  if ((hi === 0 && lo < 0x8000) || (hi === -1 && lo >= 0xffff8000)) return 2;
  if ((hi === 0 && lo < 0x80000000) || (hi === -1 && lo >= 0x80000000)) return 4;
  return 8;
}

let eHi = 0;
let eLo = 0;

/** Reads intset element i (width w, data at byte offset o of d) into (eHi, eLo). */
function readInt(d: Uint8Array, o: number, w: number, i: number): void {
  if (w === 2) {
    const p = o + i * 2;
    const x = ((d[p] | (d[p + 1] << 8)) << 16) >> 16;
    eHi = x < 0 ? -1 : 0;
    eLo = x >>> 0;
  } else if (w === 4) {
    const p = o + i * 4;
    const x = d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24);
    eHi = x < 0 ? -1 : 0;
    eLo = x >>> 0;
  } else {
    const p = o + i * 8;
    eLo = (d[p] | (d[p + 1] << 8) | (d[p + 2] << 16) | (d[p + 3] << 24)) >>> 0;
    eHi = d[p + 4] | (d[p + 5] << 8) | (d[p + 6] << 16) | (d[p + 7] << 24);
  }
}

function writeInt(d: Uint8Array, o: number, w: number, i: number, hi: number, lo: number): void {
  const p = o + i * w;
  d[p] = lo & 255;
  d[p + 1] = (lo >>> 8) & 255;
  if (w === 2) return;
  d[p + 2] = (lo >>> 16) & 255;
  d[p + 3] = (lo >>> 24) & 255;
  if (w === 4) return;
  d[p + 4] = hi & 255;
  d[p + 5] = (hi >>> 8) & 255;
  d[p + 6] = (hi >>> 16) & 255;
  d[p + 7] = (hi >>> 24) & 255;
}

/** Where intset members are rendered for `cur`. */
const scratch = new Uint8Array(24);
/**
 * Where conversions render intset members: apart from `scratch`, because the
 * member being added may itself be `cur` of another intset.
 */
const convBuf = new Uint8Array(24);

/** Writes the decimal text of (hi, lo) into buf; returns its length. */
function renderInt(hi: number, lo: number, buf: Uint8Array): number {
  let s: string;
  if (hi >= -2097152 && hi < 2097152) s = String(hi * 4294967296 + lo);
  else s = ((BigInt(hi) << 32n) | BigInt(lo)).toString();
  for (let i = 0; i < s.length; i++) buf[i] = s.charCodeAt(i);
  return s.length;
}

/** Sets `cur` to (eHi, eLo) rendered in the scratch buffer. */
function curInt(): void {
  cur.u8 = scratch;
  cur.off = 0;
  cur.len = renderInt(eHi, eLo, scratch);
}

/** Binary search for (pHi, pLo): its index, or -(insertion point) - 1. */
function intsetSearch(a: Arena, v: number): number {
  const n = rd(a, v, H_COUNT);
  if (n === 0) return -1;
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  const w = widthOf(a, v);
  let lo = 0;
  let hi = n - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    readInt(d, o, w, mid);
    if (eHi === pHi && eLo === pLo) return mid;
    if (eHi < pHi || (eHi === pHi && eLo < pLo)) lo = mid + 1;
    else hi = mid - 1;
  }
  return -lo - 1;
}

/** Makes room for `need` data bytes (the arena's size classes give the slack). */
function ensureData(a: Arena, v: number, need: number): number {
  let data = rd(a, v, H_DATA);
  if (data === 0) {
    data = a.alloc(need < 8 ? 8 : need);
    wr(a, v, H_DATA, data);
  } else if (a.usableSize(data) < need) {
    data = a.realloc(data, need);
    wr(a, v, H_DATA, data);
  }
  return data;
}

/** Inserts (pHi, pLo) into the intset at position `pos` (from intsetSearch). */
function intsetInsert(a: Arena, v: number, pos: number): void {
  const n = rd(a, v, H_COUNT);
  let w = widthOf(a, v);
  const need = widthFor(pHi, pLo);
  if (need > w) {
    // Widen every element first (Redis's intsetUpgradeAndAdd), from the end backwards.
    const data = ensureData(a, v, (n + 1) * need);
    const d = a.u8[segOf(data)];
    const o = offOf(data);
    for (let i = n - 1; i >= 0; i--) {
      readInt(d, o, w, i);
      writeInt(d, o, need, i, eHi, eLo);
    }
    w = need;
    setKindWidth(a, v, K_INTSET, w);
  } else {
    ensureData(a, v, (n + 1) * w);
  }
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  copyBytes(d, o + (pos + 1) * w, d, o + pos * w, (n - pos) * w);
  writeInt(d, o, w, pos, pHi, pLo);
  wr(a, v, H_COUNT, n + 1);
  wr(a, v, H_USED, (n + 1) * w);
}

function intsetDelete(a: Arena, v: number, pos: number): void {
  const n = rd(a, v, H_COUNT);
  const w = widthOf(a, v);
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  copyBytes(d, o + pos * w, d, o + (pos + 1) * w, (n - pos - 1) * w);
  wr(a, v, H_COUNT, n - 1);
  wr(a, v, H_USED, (n - 1) * w);
  shrinkData(a, v);
}

/** Gives a data block back once it is far larger than needed (after many removals). */
function shrinkData(a: Arena, v: number): void {
  const data = rd(a, v, H_DATA);
  if (data === 0) return;
  const used = rd(a, v, H_USED);
  if (used === 0) {
    a.free(data);
    wr(a, v, H_DATA, 0);
    return;
  }
  if (used * 2 < a.usableSize(data) && a.usableSize(data) > 64) wr(a, v, H_DATA, a.realloc(data, used));
}

// ---- listpack ------------------------------------------------------------------------

/** Bytes a member of n bytes takes in the listpack. */
function entrySize(n: number): number {
  return lenSize(n) + n;
}

/** Byte offset (relative to the data block) of the member's entry, or -1. */
function lpFind(a: Arena, v: number, u8: Uint8Array, off: number, len: number): number {
  const data = rd(a, v, H_DATA);
  if (data === 0) return -1;
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  const end = o + rd(a, v, H_USED);
  for (let p = o; p < end; ) {
    const n = readLen(d, p);
    const s = p + lenSize(n);
    if (n === len && sameBytes(d, s, u8, off, len)) return p - o;
    p = s + n;
  }
  return -1;
}

function lpAppend(a: Arena, v: number, u8: Uint8Array, off: number, len: number): void {
  const used = rd(a, v, H_USED);
  const hs = lenSize(len);
  const data = ensureData(a, v, used + hs + len);
  const d = a.u8[segOf(data)];
  const p = offOf(data) + used;
  // The source may be a view of this arena (a member of another set): copy after allocating.
  copyBytes(d, p + writeLen(d, p, len), u8, off, len);
  wr(a, v, H_USED, used + hs + len);
  wr(a, v, H_COUNT, rd(a, v, H_COUNT) + 1);
}

function lpDeleteAt(a: Arena, v: number, rel: number): void {
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  const used = rd(a, v, H_USED);
  const n = readLen(d, o + rel);
  const sz = lenSize(n) + n;
  copyBytes(d, o + rel, d, o + rel + sz, used - rel - sz);
  wr(a, v, H_USED, used - sz);
  wr(a, v, H_COUNT, rd(a, v, H_COUNT) - 1);
  shrinkData(a, v);
}

// ---- hashtable -----------------------------------------------------------------------

// The probe member of the current lookup, compared by `eqMember` (no closure per call).
let qU8: Uint8Array = new Uint8Array(0);
let qOff = 0;
let qLen = 0;
let qArena: Arena | null = null;
const eqMember = (h: number): boolean => {
  const a = qArena!;
  const seg = segOf(h);
  const o = offOf(h);
  if (a.u32[seg][o >> 2] !== qLen) return false;
  return sameBytes(a.u8[seg], o + 4, qU8, qOff, qLen);
};

function htFind(a: Arena, v: number, u8: Uint8Array, off: number, len: number, hash: number): number {
  qArena = a;
  qU8 = u8;
  qOff = off;
  qLen = len;
  return tableOf(a, v).find(hash, eqMember);
}

function htInsertNew(a: Arena, v: number, u8: Uint8Array, off: number, len: number, hash: number): void {
  const m = a.alloc(4 + len < 8 ? 8 : 4 + len);
  const seg = segOf(m);
  const o = offOf(m);
  a.u32[seg][o >> 2] = len;
  if (len > 0) copyBytes(a.u8[seg], o + 4, u8, off, len);
  tableOf(a, v).insert(hash, m);
  wr(a, v, H_COUNT, rd(a, v, H_COUNT) + 1);
  wr(a, v, H_USED, rd(a, v, H_USED) + a.usableSize(m));
}

function memberOf(a: Arena, m: number): void {
  const seg = segOf(m);
  const o = offOf(m);
  cur.u8 = a.u8[seg];
  cur.len = a.u32[seg][o >> 2];
  cur.off = o + 4;
}

/** Converts an intset or listpack set into a hashtable, in place (the header keeps its handle). */
function toHashtable(a: Arena, v: number): void {
  const k = kindOf(a, v);
  if (k === K_HASHTABLE) return;
  const n = rd(a, v, H_COUNT);
  const data = rd(a, v, H_DATA);
  const w = widthOf(a, v);
  newTable(a, v);
  setKindWidth(a, v, K_HASHTABLE, 0);
  wr(a, v, H_COUNT, 0);
  wr(a, v, H_USED, 0);
  wr(a, v, H_DATA, 0);
  if (data === 0) return;
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  if (k === K_INTSET) {
    for (let i = 0; i < n; i++) {
      readInt(d, o, w, i);
      const len = renderInt(eHi, eLo, convBuf);
      htInsertNew(a, v, convBuf, 0, len, memberHash(convBuf, 0, len));
    }
  } else {
    let p = o;
    for (let i = 0; i < n; i++) {
      const len = readLen(d, p);
      const s = p + lenSize(len);
      htInsertNew(a, v, d, s, len, memberHash(d, s, len));
      p = s + len;
    }
  }
  a.free(data);
}

/** Converts an intset into a listpack of the same members (ascending order). */
function intsetToListpack(a: Arena, v: number): void {
  const n = rd(a, v, H_COUNT);
  const data = rd(a, v, H_DATA);
  const w = widthOf(a, v);
  setKindWidth(a, v, K_LISTPACK, 0);
  wr(a, v, H_COUNT, 0);
  wr(a, v, H_USED, 0);
  wr(a, v, H_DATA, 0);
  if (data === 0) return;
  // Entries are at most 21 bytes: size the block once.
  ensureData(a, v, n * 21 + 64);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  for (let i = 0; i < n; i++) {
    readInt(d, o, w, i);
    lpAppend(a, v, convBuf, 0, renderInt(eHi, eLo, convBuf));
  }
  a.free(data);
  shrinkData(a, v);
}

/** Decimal length of the intset's longest element (its minimum or maximum). */
function intsetMaxLen(a: Arena, v: number): number {
  const n = rd(a, v, H_COUNT);
  if (n === 0) return 0;
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  const w = widthOf(a, v);
  readInt(d, o, w, 0);
  const l0 = renderInt(eHi, eLo, convBuf);
  readInt(d, o, w, n - 1);
  const l1 = renderInt(eHi, eLo, convBuf);
  return l0 > l1 ? l0 : l1;
}

// ---- the operations ------------------------------------------------------------------

/** Whether the set holds the member. */
export function setHas(a: Arena, v: number, u8: Uint8Array, off: number, len: number): boolean {
  const k = kindOf(a, v);
  if (k === K_INTSET) return parseProbe(u8, off, len) && intsetSearch(a, v) >= 0;
  if (k === K_LISTPACK) return lpFind(a, v, u8, off, len) >= 0;
  return htFind(a, v, u8, off, len, memberHash(u8, off, len)) !== 0;
}

/**
 * Adds a member (Redis 7.2's setTypeAdd, conversions included); true when it
 * was not there. `u8` may be a view of this arena (a member of another set).
 */
export function setAdd(a: Arena, v: number, u8: Uint8Array, off: number, len: number, lim: SetLimits): boolean {
  const k = kindOf(a, v);
  if (k === K_INTSET) {
    if (parseProbe(u8, off, len)) {
      const pos = intsetSearch(a, v);
      if (pos >= 0) return false;
      intsetInsert(a, v, -pos - 1);
      if (rd(a, v, H_COUNT) > intsetMax(lim)) toHashtable(a, v);
      return true;
    }
    const n = rd(a, v, H_COUNT);
    if (n < lim.listpackEntries && len <= lim.listpackValue && intsetMaxLen(a, v) <= lim.listpackValue) {
      intsetToListpack(a, v);
      lpAppend(a, v, u8, off, len);
    } else {
      toHashtable(a, v);
      htInsertNew(a, v, u8, off, len, memberHash(u8, off, len));
    }
    return true;
  }
  if (k === K_LISTPACK) {
    if (lpFind(a, v, u8, off, len) >= 0) return false;
    if (rd(a, v, H_COUNT) < lim.listpackEntries && len <= lim.listpackValue) {
      lpAppend(a, v, u8, off, len);
      return true;
    }
    toHashtable(a, v);
    htInsertNew(a, v, u8, off, len, memberHash(u8, off, len));
    return true;
  }
  const hash = memberHash(u8, off, len);
  if (htFind(a, v, u8, off, len, hash) !== 0) return false;
  htInsertNew(a, v, u8, off, len, hash);
  return true;
}

/** Removes a member; true when it was there. */
export function setRemove(a: Arena, v: number, u8: Uint8Array, off: number, len: number): boolean {
  const k = kindOf(a, v);
  if (k === K_INTSET) {
    if (!parseProbe(u8, off, len)) return false;
    const pos = intsetSearch(a, v);
    if (pos < 0) return false;
    intsetDelete(a, v, pos);
    return true;
  }
  if (k === K_LISTPACK) {
    const rel = lpFind(a, v, u8, off, len);
    if (rel < 0) return false;
    lpDeleteAt(a, v, rel);
    return true;
  }
  const hash = memberHash(u8, off, len);
  const m = htFind(a, v, u8, off, len, hash);
  if (m === 0) return false;
  tableOf(a, v).remove(hash, m);
  wr(a, v, H_COUNT, rd(a, v, H_COUNT) - 1);
  wr(a, v, H_USED, rd(a, v, H_USED) - a.usableSize(m));
  a.free(m);
  return true;
}

/**
 * Calls `cb` with every member in the set's order (intset ascending, listpack
 * insertion order, hashtable table order), through `cur`. The callback must
 * not change this set.
 */
export function setForEach(a: Arena, v: number, cb: () => void): void {
  const k = kindOf(a, v);
  if (k === K_HASHTABLE) {
    tableOf(a, v).forEach((m) => {
      memberOf(a, m);
      cb();
    });
    return;
  }
  const n = rd(a, v, H_COUNT);
  const data = rd(a, v, H_DATA);
  if (n === 0 || data === 0) return;
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  if (k === K_INTSET) {
    const w = widthOf(a, v);
    for (let i = 0; i < n; i++) {
      readInt(d, o, w, i);
      curInt();
      cb();
    }
    return;
  }
  let p = o;
  for (let i = 0; i < n; i++) {
    const len = readLen(d, p);
    const s = p + lenSize(len);
    cur.u8 = d;
    cur.off = s;
    cur.len = len;
    cb();
    p = s + len;
  }
}

/**
 * References to every member, for random picks: intset index, listpack byte
 * offset (relative to the data block), or hashtable member block handle.
 * Resolve one with `setRef`.
 */
export function setRefs(a: Arena, v: number): Int32Array {
  const k = kindOf(a, v);
  const n = rd(a, v, H_COUNT);
  const out = new Int32Array(n);
  if (k === K_INTSET) {
    for (let i = 0; i < n; i++) out[i] = i;
  } else if (k === K_LISTPACK) {
    const data = rd(a, v, H_DATA);
    if (data === 0) return out;
    const d = a.u8[segOf(data)];
    const o = offOf(data);
    let p = o;
    for (let i = 0; i < n; i++) {
      out[i] = p - o;
      p += entrySize(readLen(d, p));
    }
  } else {
    let i = 0;
    tableOf(a, v).forEach((m) => {
      out[i++] = m;
    });
  }
  return out;
}

/** Sets `cur` to the member a reference (from setRefs or setRandomRef) names. */
export function setRef(a: Arena, v: number, ref: number): void {
  const k = kindOf(a, v);
  if (k === K_HASHTABLE) {
    memberOf(a, ref);
    return;
  }
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  if (k === K_INTSET) {
    readInt(d, o, widthOf(a, v), ref);
    curInt();
    return;
  }
  const len = readLen(d, o + ref);
  cur.u8 = d;
  cur.off = o + ref + lenSize(len);
  cur.len = len;
}

/** A reference to a random member (the set must not be empty). */
export function setRandomRef(a: Arena, v: number, rand: () => number): number {
  const k = kindOf(a, v);
  const n = rd(a, v, H_COUNT);
  if (k === K_HASHTABLE) return tableOf(a, v).randomEntry(rand);
  const i = Math.floor(rand() * n);
  if (k === K_INTSET) return i;
  const data = rd(a, v, H_DATA);
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  let p = o;
  for (let j = 0; j < i; j++) p += entrySize(readLen(d, p));
  return p - o;
}

/** Incremental scan of a hashtable set (DashTable cursor); calls `cb` with `cur` set. */
export function setScanTable(a: Arena, v: number, cursor: number, count: number, cb: () => void): number {
  return tableOf(a, v).scan(cursor, count, (m) => {
    memberOf(a, m);
    cb();
  });
}

/** Frees the set with every block it owns. */
export function setFree(a: Arena, v: number): void {
  if (kindOf(a, v) === K_HASHTABLE) dropTable(a, v, (m) => a.free(m));
  else {
    const data = rd(a, v, H_DATA);
    if (data !== 0) a.free(data);
  }
  a.free(v);
}

/** Arena bytes the set occupies: header, data block or table, and member blocks. */
export function setMemoryUsage(a: Arena, v: number): number {
  let n = a.usableSize(v);
  if (kindOf(a, v) === K_HASHTABLE) n += tableOf(a, v).memoryUsage() + rd(a, v, H_USED);
  else {
    const data = rd(a, v, H_DATA);
    if (data !== 0) n += a.usableSize(data);
  }
  return n;
}

/** Serialized form: u32 count, then per member u32 length + bytes, in the set's order. */
export function setSerialize(a: Arena, v: number): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 4;
  setForEach(a, v, () => {
    parts.push(sliceBytes(cur.u8, cur.off, cur.len));
    total += 4 + cur.len;
  });
  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, parts.length, true);
  let p = 4;
  for (const m of parts) {
    dv.setUint32(p, m.length, true);
    out.set(m, p + 4);
    p += 4 + m.length;
  }
  return out;
}

/** Rebuilds a set with encoding `enc` from setSerialize bytes; throws on a malformed blob before allocating. */
export function setDeserialize(a: Arena, src: Uint8Array, off: number, end: number, enc: number): number {
  const dv = new DataView(src.buffer, src.byteOffset, src.byteLength);
  if (end - off < 4) throw new Error('set blob: truncated');
  const n = dv.getUint32(off, true);
  const kind = enc === Enc.IntSet ? K_INTSET : enc === Enc.ListPack ? K_LISTPACK : enc === Enc.HashTable ? K_HASHTABLE : -1;
  if (kind < 0) throw new Error(`set blob: bad encoding ${enc}`);
  let p = off + 4;
  for (let i = 0; i < n; i++) {
    if (p + 4 > end) throw new Error('set blob: truncated');
    const len = dv.getUint32(p, true);
    if (p + 4 + len > end) throw new Error('set blob: truncated');
    if (kind === K_INTSET && parseInt64(src, p + 4, len) === null) throw new Error('set blob: non-integer in an intset');
    p += 4 + len;
  }
  if (p !== end) throw new Error('set blob: trailing bytes');
  // Limits that never convert: the encoding travels with the blob.
  const lim: SetLimits = { intsetEntries: 1 << 30, listpackEntries: 0x7fffffff, listpackValue: 0x7fffffff };
  const v = setCreate(a, kind);
  p = off + 4;
  for (let i = 0; i < n; i++) {
    const len = dv.getUint32(p, true);
    if (kind === K_HASHTABLE) {
      const hash = memberHash(src, p + 4, len);
      if (htFind(a, v, src, p + 4, len, hash) === 0) htInsertNew(a, v, src, p + 4, len, hash);
    } else setAdd(a, v, src, p + 4, len, lim);
    p += 4 + len;
  }
  return v;
}

/** Verifies the structure's invariants; throws a description of the first violation. */
export function setCheck(a: Arena, v: number): void {
  const k = kindOf(a, v);
  const n = rd(a, v, H_COUNT);
  if (k === K_HASHTABLE) {
    const t = tableOf(a, v);
    if (t.size !== n) throw new Error(`count ${n} but table size ${t.size}`);
    let bytes = 0;
    t.forEach((m) => {
      bytes += a.usableSize(m);
      memberOf(a, m);
      const u = sliceBytes(cur.u8, cur.off, cur.len);
      if (htFind(a, v, u, 0, u.length, memberHash(u, 0, u.length)) !== m) throw new Error('member not found by its own hash');
    });
    if (bytes !== rd(a, v, H_USED)) throw new Error(`member bytes ${rd(a, v, H_USED)} but ${bytes}`);
    return;
  }
  const data = rd(a, v, H_DATA);
  const used = rd(a, v, H_USED);
  if (n === 0) {
    if (used !== 0) throw new Error('empty set with used bytes');
    return;
  }
  if (data === 0) throw new Error('members without a data block');
  if (used > a.usableSize(data)) throw new Error('used beyond the data block');
  const d = a.u8[segOf(data)];
  const o = offOf(data);
  if (k === K_INTSET) {
    const w = widthOf(a, v);
    if (used !== n * w) throw new Error(`used ${used} != ${n} * ${w}`);
    let ph = 0;
    let pl = 0;
    let maxW = 2;
    for (let i = 0; i < n; i++) {
      readInt(d, o, w, i);
      if (i > 0 && !(eHi > ph || (eHi === ph && eLo > pl))) throw new Error(`intset not strictly ascending at ${i}`);
      const ew = widthFor(eHi, eLo);
      if (ew > maxW) maxW = ew;
      ph = eHi;
      pl = eLo;
    }
    // Never narrower than needed (Redis never narrows either, so wider is allowed).
    if (maxW > w) throw new Error(`width ${w} too narrow for ${maxW}`);
    return;
  }
  let p = o;
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    if (p >= o + used) throw new Error(`listpack ends after ${i} of ${n} members`);
    if (!isShortestField(d, p)) throw new Error(`listpack member ${i}'s length field is not the shortest`);
    const len = readLen(d, p);
    const s = p + lenSize(len);
    const key = Buffer.from(d.subarray(s, s + len)).toString('latin1');
    if (seen.has(key)) throw new Error(`duplicate listpack member at ${i}`);
    seen.add(key);
    p = s + len;
  }
  if (p !== o + used) throw new Error('listpack used bytes mismatch');
}

/**
 * Defragmentation: an intset's or listpack's data block moves whole; a
 * hashtable's member blocks move when it has at most `maxElements`; then
 * the header (its table follows).
 */
function setRelocate(a: Arena, v: number, moving: (h: number) => boolean, maxElements: number): number {
  if (kindOf(a, v) === K_HASHTABLE) {
    const t = tableOf(a, v);
    if (t.size <= maxElements) relocateElements(a, t, moving, (m) => memberHash(a.u8[segOf(m)], offOf(m) + 4, a.u32[segOf(m)][offOf(m) >> 2]));
  } else {
    const data = rd(a, v, H_DATA);
    if (data !== 0 && moving(data)) wr(a, v, H_DATA, moveBlock(a, data));
  }
  if (!moving(v)) return v;
  const nv = moveBlock(a, v);
  if (kindOf(a, nv) === K_HASHTABLE) renameTable(a, v, nv);
  return nv;
}

/** The set row of the keyspace's type table. */
export const setOps: TypeOps = {
  free: setFree,
  memory: setMemoryUsage,
  serialize: (a, v) => setSerialize(a, v),
  deserialize: setDeserialize,
  relocate: setRelocate,
};
