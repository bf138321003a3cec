/**
 * List values, stored entirely in the shard's arena: no JS object per list or
 * per element.
 *
 * A list is a header block and a doubly linked chain of nodes (Redis's
 * quicklist idea). Each node is one arena block holding a packed run of
 * elements, at most 8 KiB with its header (Redis's default node size,
 * `list-max-listpack-size -2`, whatever that parameter says: it only decides
 * the encoding reported, see "encodings" below); an element longer than that
 * gets a node of its own.
 *
 * Header block (LIST_HDR bytes):
 *   +0  u32 length (elements)
 *   +4  u32 head node handle (0 when empty)
 *   +8  u32 tail node handle
 *   +12 u32 node count
 *   +16 f64 payload bytes of all nodes (the encoded elements)
 *   +24 f64 bytes the elements would take in one Redis listpack (entries
 *           only, backlens included): kept up to date by every change, so
 *           the encoding rules below never walk the list
 *
 * Node block (NODE_HDR bytes, then the payload area of `cap` bytes):
 *   +0  u32 prev node   +4  u32 next node   +8  u32 elements in the node
 *   +12 u32 start       +16 u32 used        +20 u32 cap
 * The packed elements occupy payload[start, start + used). Keeping a movable
 * start lets a node lose or gain elements at its front without moving the
 * rest, so LPUSH/LPOP are as cheap as RPUSH/RPOP.
 *
 * Element encoding: the packed entry of packed-entry.ts with its trailer (a
 * length field, the bytes, the length again readable backwards), so a node
 * can be walked in both directions.
 *
 * The header block's handle never changes (it never grows), so a keyspace
 * entry holds it for the list's whole life; node handles change when a node
 * is reallocated, and the neighbours' links are fixed then.
 *
 * Results that are elements are reported through the exported `elem`
 * (segment bytes, offset, length of the element in the arena); they stay
 * valid until the list is changed.
 */
import { type Arena, offOf, segOf } from 'native-free-arena';
import { moveBlock, type TypeOps } from '../shard/value-ops.js';
import { fieldSizeOf, isShortestField, lenSize, readLen, readLenBefore, writeLen, writeLenTrailer } from './packed-entry.js';
import { copyBytes, sameBytes, sliceBytes } from '../util/bytes.js';
import { listpackEntrySize } from '../persistence/listpack.js';

export const HEAD = 0;
export const TAIL = 1;
export type Where = typeof HEAD | typeof TAIL;

const LIST_HDR = 32;
const NODE_HDR = 24;
/**
 * Payload bytes a node may hold (unless it holds one element longer than
 * that): a full node is exactly one 8 KiB block, an arena size class.
 */
export const NODE_MAX = 8192 - NODE_HDR;

const H_LEN = 0;
const H_HEAD = 4;
const H_TAIL = 8;
const H_NODES = 12;
const H_BYTES = 16;
const H_LP = 24;

const N_PREV = 0;
const N_NEXT = 4;
const N_COUNT = 8;
const N_START = 12;
const N_USED = 16;
const N_CAP = 20;

/** Where the last element-returning call found its element. */
export const elem: { u8: Uint8Array; off: number; len: number } = { u8: new Uint8Array(0), off: 0, len: 0 };

// ---- field access ----------------------------------------------------------

function rd(a: Arena, h: number, f: number): number {
  return a.u32[segOf(h)][(offOf(h) + f) >> 2];
}
function wr(a: Arena, h: number, f: number, v: number): void {
  a.u32[segOf(h)][(offOf(h) + f) >> 2] = v;
}
function bytesOf(a: Arena, lh: number): number {
  return a.f64[segOf(lh)][(offOf(lh) + H_BYTES) >> 3];
}
function addBytes(a: Arena, lh: number, d: number): void {
  a.f64[segOf(lh)][(offOf(lh) + H_BYTES) >> 3] += d;
}
function lpOf(a: Arena, lh: number): number {
  return a.f64[segOf(lh)][(offOf(lh) + H_LP) >> 3];
}
function addLp(a: Arena, lh: number, d: number): void {
  a.f64[segOf(lh)][(offOf(lh) + H_LP) >> 3] += d;
}
/** Listpack bytes of the element whose entry starts at d[p]. */
function lpEntryAt(d: Uint8Array, p: number): number {
  const n = readLen(d, p);
  return listpackEntrySize(d, p + lenSize(n), n);
}
function addLen(a: Arena, lh: number, d: number): void {
  const u32 = a.u32[segOf(lh)];
  u32[(offOf(lh) + H_LEN) >> 2] += d;
}
/** Absolute offset (in the node's segment) of the first payload byte. */
function base(h: number): number {
  return offOf(h) + NODE_HDR;
}

// ---- element encoding --------------------------------------------------------

/** Bytes an element of n bytes takes in a node. */
export function entrySize(n: number): number {
  return n + 2 * lenSize(n);
}

/** Size of the whole entry starting at d[p]. */
function entryAt(d: Uint8Array, p: number): number {
  return entrySize(readLen(d, p));
}

/** Writes an element (header, bytes, trailer) at d[p]; `src` must not overlap d[p..]. */
function writeEntry(d: Uint8Array, p: number, src: Uint8Array, so: number, n: number): void {
  p += writeLen(d, p, n);
  copyBytes(d, p, src, so, n);
  writeLenTrailer(d, p + n, n);
}

// ---- nodes -----------------------------------------------------------------

function newNode(a: Arena, cap: number): number {
  const h = a.alloc(NODE_HDR + (cap > 0 ? cap : 8));
  const u32 = a.u32[segOf(h)];
  const w = offOf(h) >> 2;
  u32[w] = 0;
  u32[w + 1] = 0;
  u32[w + 2] = 0;
  u32[w + 3] = 0;
  u32[w + 4] = 0;
  u32[w + 5] = a.usableSize(h) - NODE_HDR;
  return h;
}

/**
 * Sets the two links that lead into the place between nodes `prev` and
 * `next` (0: an end of the list): prev's next link, or the head, to `fwd`;
 * next's prev link, or the tail, to `back`.
 */
function setLinksAround(a: Arena, lh: number, prev: number, next: number, fwd: number, back: number): void {
  if (prev === 0) wr(a, lh, H_HEAD, fwd);
  else wr(a, prev, N_NEXT, fwd);
  if (next === 0) wr(a, lh, H_TAIL, back);
  else wr(a, next, N_PREV, back);
}

/** Links `node` after `after` (0: as the new head). */
function linkAfter(a: Arena, lh: number, node: number, after: number): void {
  const next = after === 0 ? rd(a, lh, H_HEAD) : rd(a, after, N_NEXT);
  wr(a, node, N_PREV, after);
  wr(a, node, N_NEXT, next);
  setLinksAround(a, lh, after, next, node, node);
  wr(a, lh, H_NODES, rd(a, lh, H_NODES) + 1);
}

/** Unlinks and frees a node (its elements must already be accounted for). */
function dropNode(a: Arena, lh: number, node: number): void {
  const prev = rd(a, node, N_PREV);
  const next = rd(a, node, N_NEXT);
  setLinksAround(a, lh, prev, next, next, prev);
  wr(a, lh, H_NODES, rd(a, lh, H_NODES) - 1);
  a.free(node);
}

/** Points the neighbours (or the header) of a reallocated node at its new handle. */
function relink(a: Arena, lh: number, nh: number): void {
  setLinksAround(a, lh, rd(a, nh, N_PREV), rd(a, nh, N_NEXT), nh, nh);
}

/** Moves a node's payload to payload offset `to`. */
function movePayload(a: Arena, node: number, to: number): void {
  const start = rd(a, node, N_START);
  if (start === to) return;
  const used = rd(a, node, N_USED);
  const b = base(node);
  copyBytes(a.u8[segOf(node)], b + to, a.u8[segOf(node)], b + start, used);
  wr(a, node, N_START, to);
}

/** Reallocates a node to hold `cap` payload bytes (≥ used); returns its handle. */
function resizeNode(a: Arena, lh: number, node: number, cap: number): number {
  movePayload(a, node, 0);
  const nh = a.realloc(node, NODE_HDR + (cap > 0 ? cap : 8));
  wr(a, nh, N_CAP, a.usableSize(nh) - NODE_HDR);
  if (nh !== node) relink(a, lh, nh);
  return nh;
}

/** Gives back the slack of a node that holds much less than its block. */
function maybeShrink(a: Arena, lh: number, node: number): number {
  const cap = rd(a, node, N_CAP);
  const used = rd(a, node, N_USED);
  if (cap > 64 && used < cap >>> 2) return resizeNode(a, lh, node, used);
  return node;
}

/**
 * Replaces `del` bytes at payload position `rel` (relative to start) with a
 * gap of `ins` bytes, moving the smaller side and growing the block when
 * needed. The node's `used` is updated; the gap starts at
 * base + start + rel afterwards. Returns the node's (possibly new) handle.
 */
function splice(a: Arena, lh: number, node: number, rel: number, del: number, ins: number): number {
  const used = rd(a, node, N_USED);
  const delta = ins - del;
  const suffix = used - rel - del;
  if (delta !== 0) {
    let cap = rd(a, node, N_CAP);
    if (used + delta > cap) {
      let want = used + delta;
      if (want < NODE_MAX) want = Math.min(NODE_MAX, want + (want >>> 2));
      node = resizeNode(a, lh, node, want);
      cap = rd(a, node, N_CAP);
    }
    let start = rd(a, node, N_START);
    const d = a.u8[segOf(node)];
    const b = base(node);
    if (delta < 0) {
      const k = -delta;
      if (rel < suffix) {
        copyBytes(d, b + start + k, d, b + start, rel);
        start += k;
      } else {
        copyBytes(d, b + start + rel + ins, d, b + start + rel + del, used - rel - del);
      }
    } else if (rel < suffix) {
      // Open the gap by moving the prefix towards the front.
      if (start < delta) {
        const to = cap - used;
        copyBytes(d, b + to, d, b + start, used);
        start = to;
      }
      copyBytes(d, b + start - delta, d, b + start, rel);
      start -= delta;
    } else {
      // Open the gap by moving the suffix towards the back.
      if (start + used + delta > cap) {
        copyBytes(d, b, d, b + start, used);
        start = 0;
      }
      copyBytes(d, b + start + rel + ins, d, b + start + rel + del, used - rel - del);
    }
    wr(a, node, N_START, start);
    wr(a, node, N_USED, used + delta);
  }
  return node;
}

// ---- locating elements -------------------------------------------------------

// Result of locate(): the node, the element's index in it, and its payload offset (relative to start).
let locNode = 0;
let locK = 0;
let locRel = 0;

/** Finds element `i` (0 ≤ i < length), walking from the nearer end. */
function locate(a: Arena, lh: number, i: number): void {
  const len = rd(a, lh, H_LEN);
  let node: number;
  if (i < len >>> 1) {
    node = rd(a, lh, H_HEAD);
    for (;;) {
      const c = rd(a, node, N_COUNT);
      if (i < c) break;
      i -= c;
      node = rd(a, node, N_NEXT);
    }
  } else {
    let j = len - 1 - i;
    node = rd(a, lh, H_TAIL);
    for (;;) {
      const c = rd(a, node, N_COUNT);
      if (j < c) {
        i = c - 1 - j;
        break;
      }
      j -= c;
      node = rd(a, node, N_PREV);
    }
  }
  const count = rd(a, node, N_COUNT);
  const d = a.u8[segOf(node)];
  const s = base(node) + rd(a, node, N_START);
  let p: number;
  if (i <= count >>> 1) {
    p = s;
    for (let k = 0; k < i; k++) p += entryAt(d, p);
  } else {
    p = s + rd(a, node, N_USED);
    for (let k = count; k > i; k--) {
      const n = readLenBefore(d, p);
      p -= entrySize(n);
    }
  }
  locNode = node;
  locK = i;
  locRel = p - s;
}

/** Sets `elem` to the element whose entry starts at d[p]; returns the entry size. */
function setElem(d: Uint8Array, p: number): number {
  const n = readLen(d, p);
  elem.u8 = d;
  elem.off = p + lenSize(n);
  elem.len = n;
  return entrySize(n);
}

// ---- public API ----------------------------------------------------------------

/** Allocates an empty list; returns the header handle. */
export function listCreate(a: Arena): number {
  const lh = a.alloc(LIST_HDR);
  const u32 = a.u32[segOf(lh)];
  const w = offOf(lh) >> 2;
  u32[w] = 0;
  u32[w + 1] = 0;
  u32[w + 2] = 0;
  u32[w + 3] = 0;
  a.f64[segOf(lh)][(offOf(lh) + H_BYTES) >> 3] = 0;
  a.f64[segOf(lh)][(offOf(lh) + H_LP) >> 3] = 0;
  return lh;
}

/** Frees every node and the header. */
export function listFree(a: Arena, lh: number): void {
  let node = rd(a, lh, H_HEAD);
  while (node !== 0) {
    const next = rd(a, node, N_NEXT);
    a.free(node);
    node = next;
  }
  a.free(lh);
}

export function listLength(a: Arena, lh: number): number {
  return rd(a, lh, H_LEN);
}

export function listNodeCount(a: Arena, lh: number): number {
  return rd(a, lh, H_NODES);
}

/** lpBytes of the list as one Redis listpack: its entries, the 6-byte header and the end byte. */
export function listListpackBytes(a: Arena, lh: number): number {
  return LP_EMPTY + lpOf(a, lh);
}

/** Arena bytes the list occupies: its header and node blocks (usable sizes). */
export function listMemoryUsage(a: Arena, lh: number): number {
  let total = a.usableSize(lh);
  for (let node = rd(a, lh, H_HEAD); node !== 0; node = rd(a, node, N_NEXT)) total += rd(a, node, N_CAP) + NODE_HDR;
  return total;
}

/** Adds an element at the head or the tail. */
export function listPush(a: Arena, lh: number, where: Where, src: Uint8Array, so: number, n: number): void {
  const e = entrySize(n);
  let node = rd(a, lh, where === HEAD ? H_HEAD : H_TAIL);
  let rel: number;
  if (node === 0 || rd(a, node, N_USED) + e > NODE_MAX) {
    const nn = newNode(a, e);
    linkAfter(a, lh, nn, where === HEAD ? 0 : node);
    node = nn;
    rel = 0;
    wr(a, node, N_USED, e);
  } else {
    rel = where === HEAD ? 0 : rd(a, node, N_USED);
    node = splice(a, lh, node, rel, 0, e);
  }
  writeEntry(a.u8[segOf(node)], base(node) + rd(a, node, N_START) + rel, src, so, n);
  wr(a, node, N_COUNT, rd(a, node, N_COUNT) + 1);
  addLen(a, lh, 1);
  addBytes(a, lh, e);
  addLp(a, lh, listpackEntrySize(src, so, n));
}

/** Sets `elem` to the head or tail element; false when the list is empty. */
export function listPeek(a: Arena, lh: number, where: Where): boolean {
  const node = rd(a, lh, where === HEAD ? H_HEAD : H_TAIL);
  if (node === 0) return false;
  const d = a.u8[segOf(node)];
  const s = base(node) + rd(a, node, N_START);
  if (where === HEAD) setElem(d, s);
  else {
    const end = s + rd(a, node, N_USED);
    const n = readLenBefore(d, end);
    setElem(d, end - entrySize(n));
  }
  return true;
}

/** Removes the head or tail element (the list must not be empty). */
export function listPop(a: Arena, lh: number, where: Where): void {
  const node = rd(a, lh, where === HEAD ? H_HEAD : H_TAIL);
  const d = a.u8[segOf(node)];
  const start = rd(a, node, N_START);
  const used = rd(a, node, N_USED);
  const s = base(node) + start;
  let e: number;
  if (where === HEAD) {
    e = entryAt(d, s);
    addLp(a, lh, -lpEntryAt(d, s));
    wr(a, node, N_START, start + e);
  } else {
    const n = readLenBefore(d, s + used);
    e = entrySize(n);
    addLp(a, lh, -lpEntryAt(d, s + used - e));
  }
  wr(a, node, N_USED, used - e);
  const count = rd(a, node, N_COUNT) - 1;
  wr(a, node, N_COUNT, count);
  addLen(a, lh, -1);
  addBytes(a, lh, -e);
  if (count === 0) dropNode(a, lh, node);
  else maybeShrink(a, lh, node);
}

/** Copies the head or tail element out and removes it; null when empty. */
export function listPopCopy(a: Arena, lh: number, where: Where): Uint8Array | null {
  if (!listPeek(a, lh, where)) return null;
  const out = elem.u8.slice(elem.off, elem.off + elem.len);
  listPop(a, lh, where);
  return out;
}

/** Normalizes a Redis index (negative counts from the tail); -1 when out of range. */
function normIndex(len: number, i: number): number {
  if (i < 0) i += len;
  return i >= 0 && i < len ? i : -1;
}

/** Sets `elem` to element `index` (negative: from the tail); false when out of range. */
export function listIndex(a: Arena, lh: number, index: number): boolean {
  const i = normIndex(rd(a, lh, H_LEN), index);
  if (i < 0) return false;
  locate(a, lh, i);
  setElem(a.u8[segOf(locNode)], base(locNode) + rd(a, locNode, N_START) + locRel);
  return true;
}

/**
 * Inserts an element at payload position `rel`, as element `k` of `node`,
 * splitting or spilling into a neighbour when the node is full.
 */
function insertAt(a: Arena, lh: number, node: number, rel: number, k: number, src: Uint8Array, so: number, n: number): void {
  const e = entrySize(n);
  const used = rd(a, node, N_USED);
  const count = rd(a, node, N_COUNT);
  let target: number;
  let trel: number;
  if (used + e <= NODE_MAX) {
    target = splice(a, lh, node, rel, 0, e);
    trel = rel;
  } else {
    const prev = rd(a, node, N_PREV);
    const next = rd(a, node, N_NEXT);
    if (k === 0 && prev !== 0 && rd(a, prev, N_USED) + e <= NODE_MAX) {
      trel = rd(a, prev, N_USED);
      target = splice(a, lh, prev, trel, 0, e);
    } else if (k === count && next !== 0 && rd(a, next, N_USED) + e <= NODE_MAX) {
      trel = 0;
      target = splice(a, lh, next, 0, 0, e);
    } else if (k === 0 || k === count) {
      target = newNode(a, e);
      linkAfter(a, lh, target, k === 0 ? prev : node);
      wr(a, target, N_USED, e);
      trel = 0;
    } else {
      // Split: elements k.. move to a new node after this one.
      const tail = used - rel;
      const nn = newNode(a, tail);
      copyBytes(a.u8[segOf(nn)], base(nn), a.u8[segOf(node)], base(node) + rd(a, node, N_START) + rel, tail);
      wr(a, nn, N_USED, tail);
      wr(a, nn, N_COUNT, count - k);
      linkAfter(a, lh, nn, node);
      wr(a, node, N_USED, rel);
      wr(a, node, N_COUNT, k);
      if (rel + e <= NODE_MAX) {
        trel = rel;
        target = splice(a, lh, node, rel, 0, e);
      } else if (tail + e <= NODE_MAX) {
        trel = 0;
        target = splice(a, lh, nn, 0, 0, e);
        maybeShrink(a, lh, node);
      } else {
        target = newNode(a, e);
        linkAfter(a, lh, target, node);
        wr(a, target, N_USED, e);
        trel = 0;
        maybeShrink(a, lh, node);
      }
    }
  }
  writeEntry(a.u8[segOf(target)], base(target) + rd(a, target, N_START) + trel, src, so, n);
  wr(a, target, N_COUNT, rd(a, target, N_COUNT) + 1);
  addLen(a, lh, 1);
  addBytes(a, lh, e);
}

/**
 * Removes `e` bytes (whole entries, `cnt` of them) at payload position `rel`
 * of `node`; frees the node when it empties. Returns the node, or 0 if freed.
 */
function removeBytes(a: Arena, lh: number, node: number, rel: number, e: number, cnt: number): number {
  const count = rd(a, node, N_COUNT) - cnt;
  addLen(a, lh, -cnt);
  addBytes(a, lh, -e);
  if (count === 0) {
    dropNode(a, lh, node);
    return 0;
  }
  node = splice(a, lh, node, rel, e, 0);
  wr(a, node, N_COUNT, count);
  return maybeShrink(a, lh, node);
}

/** Merges `node` into its previous node when both fit in one; returns the surviving node. */
function mergePrev(a: Arena, lh: number, node: number): number {
  const prev = rd(a, node, N_PREV);
  if (prev === 0) return node;
  const used = rd(a, node, N_USED);
  const pused = rd(a, prev, N_USED);
  if (pused + used > NODE_MAX) return node;
  const p = splice(a, lh, prev, pused, 0, used);
  a.copy(p, NODE_HDR + rd(a, p, N_START) + pused, node, NODE_HDR + rd(a, node, N_START), used);
  wr(a, p, N_COUNT, rd(a, p, N_COUNT) + rd(a, node, N_COUNT));
  dropNode(a, lh, node);
  return p;
}

/** Merges `node` with its neighbours when they fit together. */
function mergeAround(a: Arena, lh: number, node: number): void {
  node = mergePrev(a, lh, node);
  const next = rd(a, node, N_NEXT);
  if (next !== 0) mergePrev(a, lh, next);
}

/** Replaces element `index` (negative: from the tail); false when out of range. */
export function listSet(a: Arena, lh: number, index: number, src: Uint8Array, so: number, n: number): boolean {
  const i = normIndex(rd(a, lh, H_LEN), index);
  if (i < 0) return false;
  locate(a, lh, i);
  let node = locNode;
  const rel = locRel;
  const k = locK;
  const d = a.u8[segOf(node)];
  const old = entryAt(d, base(node) + rd(a, node, N_START) + rel);
  addLp(a, lh, listpackEntrySize(src, so, n) - lpEntryAt(d, base(node) + rd(a, node, N_START) + rel));
  const e = entrySize(n);
  if (old === e) {
    writeEntry(d, base(node) + rd(a, node, N_START) + rel, src, so, n);
    return true;
  }
  const count = rd(a, node, N_COUNT);
  if (rd(a, node, N_USED) - old + e <= NODE_MAX || count === 1) {
    node = splice(a, lh, node, rel, old, e);
    writeEntry(a.u8[segOf(node)], base(node) + rd(a, node, N_START) + rel, src, so, n);
    addBytes(a, lh, e - old);
    return true;
  }
  // Does not fit: remove it, then insert the new value at its place (splitting the node).
  node = splice(a, lh, node, rel, old, 0);
  wr(a, node, N_COUNT, count - 1);
  addLen(a, lh, -1);
  addBytes(a, lh, -old);
  insertAt(a, lh, node, rel, k, src, so, n);
  return true;
}

/**
 * LINSERT: inserts an element before (HEAD) or after (TAIL) the first element
 * equal to the pivot. Returns whether the pivot was found.
 */
export function listInsert(
  a: Arena,
  lh: number,
  where: Where,
  pivot: Uint8Array,
  po: number,
  pn: number,
  src: Uint8Array,
  so: number,
  n: number,
): boolean {
  for (let node = rd(a, lh, H_HEAD); node !== 0; node = rd(a, node, N_NEXT)) {
    const d = a.u8[segOf(node)];
    const s = base(node) + rd(a, node, N_START);
    const end = s + rd(a, node, N_USED);
    let k = 0;
    for (let p = s; p < end; k++) {
      const len = readLen(d, p);
      const e = entrySize(len);
      if (len === pn && sameBytes(d, p + lenSize(len), pivot, po, pn)) {
        addLp(a, lh, listpackEntrySize(src, so, n));
        if (where === HEAD) insertAt(a, lh, node, p - s, k, src, so, n);
        else insertAt(a, lh, node, p - s + e, k + 1, src, so, n);
        return true;
      }
      p += e;
    }
  }
  return false;
}

/**
 * Removes `count` elements starting at element `start` (both within range).
 */
export function listDelRange(a: Arena, lh: number, start: number, count: number): void {
  if (count <= 0) return;
  const len = rd(a, lh, H_LEN);
  if (start === 0 && count >= len) {
    // Everything: free the nodes, keep the header.
    let node = rd(a, lh, H_HEAD);
    while (node !== 0) {
      const next = rd(a, node, N_NEXT);
      a.free(node);
      node = next;
    }
    const u32 = a.u32[segOf(lh)];
    const w = offOf(lh) >> 2;
    u32[w] = 0;
    u32[w + 1] = 0;
    u32[w + 2] = 0;
    u32[w + 3] = 0;
    a.f64[segOf(lh)][(offOf(lh) + H_BYTES) >> 3] = 0;
    a.f64[segOf(lh)][(offOf(lh) + H_LP) >> 3] = 0;
    return;
  }
  // The listpack bytes going away (O(count), as the deletion itself is in Redis).
  const it = scratchIter.seek(a, lh, start, true);
  let lp = 0;
  for (let j = 0; j < count && it.next(); j++) lp += listpackEntrySize(it.u8, it.off, it.len);
  addLp(a, lh, -lp);
  locate(a, lh, start);
  let node = locNode;
  let rel = locRel;
  let k = locK;
  let left = count;
  let last = 0;
  while (left > 0) {
    const next = rd(a, node, N_NEXT);
    const c = rd(a, node, N_COUNT);
    if (k === 0 && left >= c) {
      addLen(a, lh, -c);
      addBytes(a, lh, -rd(a, node, N_USED));
      dropNode(a, lh, node);
      left -= c;
    } else {
      const take = Math.min(left, c - k);
      const d = a.u8[segOf(node)];
      const s = base(node) + rd(a, node, N_START);
      let p = s + rel;
      for (let j = 0; j < take; j++) p += entryAt(d, p);
      last = removeBytes(a, lh, node, rel, p - s - rel, take);
      left -= take;
    }
    node = next;
    rel = 0;
    k = 0;
  }
  if (last !== 0) mergeAround(a, lh, last);
}

/**
 * LREM: removes up to |count| elements equal to the given bytes, from the
 * head when count > 0, from the tail when count < 0, all when count is 0.
 * Returns the number removed.
 */
export function listRemove(a: Arena, lh: number, src: Uint8Array, so: number, n: number, count: number): number {
  const removed = removeMatches(a, lh, src, so, n, count);
  addLp(a, lh, -removed * listpackEntrySize(src, so, n));
  return removed;
}

function removeMatches(a: Arena, lh: number, src: Uint8Array, so: number, n: number, count: number): number {
  let removed = 0;
  const limit = count === 0 ? Infinity : Math.abs(count);
  if (count >= 0) {
    let node = rd(a, lh, H_HEAD);
    while (node !== 0 && removed < limit) {
      const next = rd(a, node, N_NEXT);
      const d = a.u8[segOf(node)];
      const s = base(node) + rd(a, node, N_START);
      const end = s + rd(a, node, N_USED);
      let w = s;
      let p = s;
      let gone = 0;
      while (p < end) {
        if (removed >= limit) {
          if (w !== p) copyBytes(d, w, d, p, end - p);
          w += end - p;
          break;
        }
        const len = readLen(d, p);
        const e = entrySize(len);
        if (len === n && sameBytes(d, p + lenSize(len), src, so, n)) {
          removed++;
          gone++;
        } else {
          if (w !== p) copyBytes(d, w, d, p, e);
          w += e;
        }
        p += e;
      }
      if (gone > 0) {
        // Merge with the previous node (already done); `next` is not touched.
        const kept = finishCompaction(a, lh, node, w - s, gone);
        if (kept !== 0) mergePrev(a, lh, kept);
      }
      node = next;
    }
  } else {
    // From the tail: find the matches of each node backwards, then compact it forwards.
    const marks: number[] = [];
    let node = rd(a, lh, H_TAIL);
    while (node !== 0 && removed < limit) {
      const prev = rd(a, node, N_PREV);
      const d = a.u8[segOf(node)];
      const s = base(node) + rd(a, node, N_START);
      const end = s + rd(a, node, N_USED);
      marks.length = 0;
      for (let p = end; p > s && removed < limit; ) {
        const len = readLenBefore(d, p);
        const e = entrySize(len);
        p -= e;
        if (len === n && sameBytes(d, p + lenSize(len), src, so, n)) {
          marks.push(p);
          removed++;
        }
      }
      if (marks.length > 0) {
        let w = marks[marks.length - 1];
        let p = w;
        let m = marks.length - 1;
        while (p < end) {
          const e = entryAt(d, p);
          if (m >= 0 && marks[m] === p) m--;
          else {
            if (w !== p) copyBytes(d, w, d, p, e);
            w += e;
          }
          p += e;
        }
        // Merge the next node (already done) into this one; `prev` is not touched.
        const kept = finishCompaction(a, lh, node, w - s, marks.length);
        if (kept !== 0) {
          const next = rd(a, kept, N_NEXT);
          if (next !== 0) mergePrev(a, lh, next);
        }
      }
      node = prev;
    }
  }
  return removed;
}

/**
 * After compacting a node in place to `used` bytes with `gone` elements
 * removed: updates the counts, frees or shrinks the node. Returns the node,
 * or 0 when it was freed.
 */
function finishCompaction(a: Arena, lh: number, node: number, used: number, gone: number): number {
  const before = rd(a, node, N_USED);
  addLen(a, lh, -gone);
  addBytes(a, lh, used - before);
  const count = rd(a, node, N_COUNT) - gone;
  if (count === 0) {
    dropNode(a, lh, node);
    return 0;
  }
  wr(a, node, N_COUNT, count);
  wr(a, node, N_USED, used);
  return maybeShrink(a, lh, node);
}

/** Walks elements: set up with `seek`, then each `next()` sets u8/off/len. */
export class ListIter {
  u8: Uint8Array = new Uint8Array(0);
  off = 0;
  len = 0;
  private a: Arena | null = null;
  private node = 0;
  private p = 0;
  private s = 0;
  private end = 0;
  private forward = true;

  /** Positions the iterator at element `i` (0 ≤ i < length), going forward or backward. */
  seek(a: Arena, lh: number, i: number, forward: boolean): this {
    this.a = a;
    this.forward = forward;
    locate(a, lh, i);
    this.enter(locNode);
    this.p = this.s + locRel;
    if (!forward) this.p += entryAt(this.u8, this.p);
    return this;
  }

  private enter(node: number): void {
    const a = this.a!;
    this.node = node;
    this.u8 = a.u8[segOf(node)];
    this.s = base(node) + rd(a, node, N_START);
    this.end = this.s + rd(a, node, N_USED);
  }

  /** Moves to the next element; false at the end of the list. */
  next(): boolean {
    const a = this.a!;
    if (this.forward) {
      if (this.p >= this.end) {
        const nx = rd(a, this.node, N_NEXT);
        if (nx === 0) return false;
        this.enter(nx);
        this.p = this.s;
      }
      const n = readLen(this.u8, this.p);
      this.off = this.p + lenSize(n);
      this.len = n;
      this.p += entrySize(n);
    } else {
      if (this.p <= this.s) {
        const pv = rd(a, this.node, N_PREV);
        if (pv === 0) return false;
        this.enter(pv);
        this.p = this.end;
      }
      const n = readLenBefore(this.u8, this.p);
      this.p -= entrySize(n);
      this.off = this.p + lenSize(n);
      this.len = n;
    }
    return true;
  }

  /** Whether the current element equals the given bytes. */
  equals(src: Uint8Array, so: number, n: number): boolean {
    return this.len === n && sameBytes(this.u8, this.off, src, so, n);
  }
}

/**
 * LPOS: positions of the elements equal to the given bytes. `rank` ≥ 1 counts
 * matches from the head, ≤ -1 from the tail (the first |rank|-1 matches are
 * skipped); `count` 0 means all; `maxlen` 0 means no limit on comparisons.
 * Calls `emit` with each position (in search order) and returns how many.
 */
export function listPositions(
  a: Arena,
  lh: number,
  src: Uint8Array,
  so: number,
  n: number,
  rank: number,
  count: number,
  maxlen: number,
  emit: (pos: number) => void,
): number {
  const len = rd(a, lh, H_LEN);
  if (len === 0) return 0;
  const forward = rank > 0;
  const skip = (forward ? rank : -rank) - 1;
  const it = scratchIter.seek(a, lh, forward ? 0 : len - 1, forward);
  let matches = 0;
  let found = 0;
  for (let index = 0; (maxlen === 0 || index < maxlen) && it.next(); index++) {
    if (!it.equals(src, so, n)) continue;
    if (matches++ < skip) continue;
    emit(forward ? index : len - index - 1);
    found++;
    if (count !== 0 && found >= count) break;
  }
  return found;
}

const scratchIter = new ListIter();

// ---- encodings --------------------------------------------------------------------
//
// Shoal stores every list the same way; the encoding OBJECT ENCODING reports
// is Redis 7.2's choice (t_list.c), kept in the keyspace entry and decided
// from the listpack bytes tracked in the header. Redis's quicklist node
// limits for list-max-listpack-size `fill` (quicklistNodeLimit): a negative
// fill caps a node's bytes, a positive one its entries (and its bytes at the
// size safety limit).

/** lpBytes of an empty listpack (header and end byte). */
const LP_EMPTY = 7;
/** Node byte limits for fill -1..-5 (quicklist's optimization_level); below -5, -5's. */
const FILL_BYTES = [4096, 8192, 16384, 32768, 65536];
/** With a count fill, a node still stays within this many bytes (SIZE_SAFETY_LIMIT). */
const SAFETY_BYTES = 8192;

function sizeLimit(fill: number): number {
  return FILL_BYTES[Math.min(-fill, FILL_BYTES.length) - 1];
}

/**
 * quicklistNodeExceedsLimit: whether `bytes` of listpack holding `count`
 * elements is more than one node may hold. A listpack list becomes a
 * quicklist when a write would make it so.
 */
export function exceedsNodeLimit(fill: number, bytes: number, count: number): boolean {
  if (fill < 0) return bytes > sizeLimit(fill);
  return bytes > SAFETY_BYTES || count > (fill === 0 ? 1 : fill);
}

/**
 * listTypeTryConvertQuicklist: whether a quicklist list of `bytes` (as one
 * listpack) and `count` elements becomes a listpack. Redis converts a
 * quicklist of a single packed node within the limits, halved after a
 * removal (`shrinking`) so a list at the boundary does not flip back and
 * forth. Shoal has no Redis nodes: it counts the list as one node when the
 * whole of it would fit in one (docs/types/lists.md).
 */
export function fitsListpack(fill: number, bytes: number, count: number, shrinking: boolean): boolean {
  if (exceedsNodeLimit(fill, bytes, count)) return false;
  if (!shrinking) return true;
  if (fill < 0) return bytes <= Math.floor(sizeLimit(fill) / 2);
  return count <= Math.floor((fill === 0 ? 1 : fill) / 2);
}

// ---- serialization -----------------------------------------------------------------

/**
 * The list as bytes: u32 element count (LE), u32 zero, then every element in
 * the node encoding, head to tail.
 */
export function listSerialize(a: Arena, lh: number): Uint8Array {
  const total = bytesOf(a, lh);
  const out = new Uint8Array(8 + total);
  new DataView(out.buffer).setUint32(0, rd(a, lh, H_LEN), true);
  let o = 8;
  for (let node = rd(a, lh, H_HEAD); node !== 0; node = rd(a, node, N_NEXT)) {
    const s = base(node) + rd(a, node, N_START);
    const used = rd(a, node, N_USED);
    copyBytes(out, o, a.u8[segOf(node)], s, used);
    o += used;
  }
  return out;
}

/** Builds a list from `listSerialize` bytes (src[off, end)); returns the new header. */
export function listDeserialize(a: Arena, src: Uint8Array, off: number, end: number): number {
  if (end - off < 8) throw new Error('list blob too short');
  const count = new DataView(src.buffer, src.byteOffset + off, 8).getUint32(0, true);
  const lh = listCreate(a);
  let p = off + 8;
  let seen = 0;
  while (p < end) {
    // Pack as many whole entries as fit in one node.
    const from = p;
    let cnt = 0;
    let lp = 0;
    while (p < end) {
      const e = entryAt(src, p);
      if (cnt > 0 && p - from + e > NODE_MAX) break;
      if (p + e <= end) lp += lpEntryAt(src, p);
      p += e;
      cnt++;
    }
    if (p > end) {
      listFree(a, lh);
      throw new Error('list blob truncated');
    }
    addLp(a, lh, lp);
    const bytes = p - from;
    const node = newNode(a, bytes);
    copyBytes(a.u8[segOf(node)], base(node), src, from, p - from);
    wr(a, node, N_USED, bytes);
    wr(a, node, N_COUNT, cnt);
    linkAfter(a, lh, node, rd(a, lh, H_TAIL));
    addLen(a, lh, cnt);
    addBytes(a, lh, bytes);
    seen += cnt;
  }
  if (seen !== count) {
    listFree(a, lh);
    throw new Error('list blob count mismatch');
  }
  return lh;
}

// ---- checks (tests) ----------------------------------------------------------------

/** All elements, head to tail, as copies (DUMP, snapshots, tests). */
export function listToArray(a: Arena, lh: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  const len = rd(a, lh, H_LEN);
  if (len === 0) return out;
  const it = new ListIter().seek(a, lh, 0, true);
  while (it.next()) out.push(sliceBytes(it.u8, it.off, it.len));
  return out;
}

/** Verifies the structure's invariants; throws a description of the first violation. */
export function listCheck(a: Arena, lh: number): void {
  let len = 0;
  let bytes = 0;
  let lp = 0;
  let nodes = 0;
  let prev = 0;
  for (let node = rd(a, lh, H_HEAD); node !== 0; node = rd(a, node, N_NEXT)) {
    nodes++;
    if (rd(a, node, N_PREV) !== prev) throw new Error(`node ${nodes}: bad prev link`);
    const count = rd(a, node, N_COUNT);
    const start = rd(a, node, N_START);
    const used = rd(a, node, N_USED);
    const cap = rd(a, node, N_CAP);
    if (cap !== a.usableSize(node) - NODE_HDR) throw new Error(`node ${nodes}: cap ${cap} != usable ${a.usableSize(node) - NODE_HDR}`);
    if (start + used > cap) throw new Error(`node ${nodes}: payload beyond cap`);
    if (count === 0) throw new Error(`node ${nodes}: empty node`);
    if (used > NODE_MAX && count !== 1) throw new Error(`node ${nodes}: ${used} bytes in ${count} elements`);
    const d = a.u8[segOf(node)];
    const s = base(node) + start;
    let p = s;
    let c = 0;
    while (p < s + used) {
      const n = readLen(d, p);
      const end = p + entrySize(n);
      if (!isShortestField(d, p) || fieldSizeOf(d[end - 1]) !== lenSize(n)) throw new Error(`node ${nodes}: element ${c}'s length field is not the shortest`);
      if (readLenBefore(d, end) !== n) throw new Error(`node ${nodes}: trailer mismatch at element ${c}`);
      lp += lpEntryAt(d, p);
      p = end;
      c++;
    }
    if (p !== s + used) throw new Error(`node ${nodes}: entries overrun`);
    if (c !== count) throw new Error(`node ${nodes}: count ${count} but ${c} entries`);
    len += count;
    bytes += used;
    prev = node;
  }
  if (rd(a, lh, H_TAIL) !== prev) throw new Error('bad tail');
  if (rd(a, lh, H_LEN) !== len) throw new Error(`length ${rd(a, lh, H_LEN)} but ${len} elements`);
  if (rd(a, lh, H_NODES) !== nodes) throw new Error(`node count ${rd(a, lh, H_NODES)} but ${nodes} nodes`);
  if (bytesOf(a, lh) !== bytes) throw new Error(`bytes ${bytesOf(a, lh)} but ${bytes}`);
  if (lpOf(a, lh) !== lp) throw new Error(`listpack bytes ${lpOf(a, lh)} but ${lp}`);
}

/**
 * Defragmentation: the header moves (nodes never point at it) and, when the
 * list has at most `maxNodes` nodes, the nodes `moving` picks, their
 * neighbours relinked.
 */
function listRelocate(a: Arena, lh: number, moving: (h: number) => boolean, maxNodes: number): number {
  const nlh = moving(lh) ? moveBlock(a, lh) : lh;
  if (rd(a, nlh, H_NODES) > maxNodes) return nlh;
  for (let node = rd(a, nlh, H_HEAD); node !== 0; ) {
    let nh = node;
    if (moving(node)) {
      nh = moveBlock(a, node);
      relink(a, nlh, nh);
    }
    node = rd(a, nh, N_NEXT);
  }
  return nlh;
}

/** The list row of the keyspace's type table. */
export const listOps: TypeOps = {
  free: listFree,
  memory: listMemoryUsage,
  serialize: (a, v) => listSerialize(a, v),
  deserialize: (a, src, off, end) => listDeserialize(a, src, off, end),
  relocate: listRelocate,
};
