/**
 * Stream values (docs/types/streams.md). A stream is a fixed header block,
 * whose handle never changes (it is the value word), an index block and one
 * listpack block per node (stream-node.ts):
 *
 *   header  +0 u32 node count   +4 u32 index handle   +8 f64 length
 *           +16 last ID   +32 first ID   +48 max deleted ID   (IDs: u32 ms hi, ms lo, seq hi, seq lo)
 *           +64 u32 entries-added hi, lo
 *   index   per node, in ID order: master ID (4 u32) and the node's handle
 *
 * The index plays the part of Redis's radix tree (keys: master IDs, values:
 * listpacks): nodes are found by binary search on their master IDs. Nodes
 * are filled as Redis fills them (stream-node-max-bytes/-entries), and
 * XDEL/XTRIM mark entries deleted and drop emptied nodes as Redis does, so
 * the node boundaries — which decide approximate trimming — are Redis's.
 *
 * IDs are bigints: (ms << 64) | seq. Consumer groups live beside the
 * entries (stream-groups.ts), keyed by the header handle.
 */
import { type Arena, offOf, segOf } from 'native-free-arena';
import {
  E, FLAG_DELETED, FLAG_SAMEFIELDS, LP_EOF, LP_HEADER,
  lpBigInt, lpBytes, lpEquals, lpInt, lpSkip, lpTotal, nodeAppendW, nodeFrom, nodeFromW, nodeReplaceInt, wInt, wReset, wStr,
} from './stream-node.js';
import { dropGroups, groupsMemory, groupsOf, moveGroups } from './stream-groups.js';
import { moveBlock } from '../shard/value-ops.js';
import type { StreamCounters } from './stream-lag.js';

export type StreamId = bigint;

export const U64_MAX = (1n << 64n) - 1n;
export const ID_MAX: StreamId = (U64_MAX << 64n) | U64_MAX;

export const idOf = (ms: bigint, seq: bigint): StreamId => (ms << 64n) | seq;
export const msOf = (id: StreamId): bigint => id >> 64n;
export const seqOf = (id: StreamId): bigint => id & U64_MAX;
export const formatId = (id: StreamId): string => `${id >> 64n}-${id & U64_MAX}`;

const HDR = 72;
const H_NODES = 0;
const H_INDEX = 1;
const H_LEN = 1; // f64 index
const H_LAST = 4;
const H_FIRST = 8;
const H_MAXDEL = 12;
const H_ADDED = 16;
const IDX_WORDS = 5;

function readId(u32: Uint32Array, w: number): StreamId {
  return (BigInt(u32[w]) << 96n) | (BigInt(u32[w + 1]) << 64n) | (BigInt(u32[w + 2]) << 32n) | BigInt(u32[w + 3]);
}

function writeId(u32: Uint32Array, w: number, id: StreamId): void {
  u32[w] = Number(id >> 96n);
  u32[w + 1] = Number((id >> 64n) & 0xffffffffn);
  u32[w + 2] = Number((id >> 32n) & 0xffffffffn);
  u32[w + 3] = Number(id & 0xffffffffn);
}

const hw = (v: number): number => offOf(v) >> 2;

// ---- the header ------------------------------------------------------------------

export function streamCreate(a: Arena): number {
  const v = a.alloc(HDR);
  a.fill(v, 0, HDR);
  // A header block is found again by its handle: nothing of a stream freed before may stay attached to it.
  dropGroups(a, v);
  return v;
}

export function streamLength(a: Arena, v: number): number {
  return a.f64[segOf(v)][(offOf(v) >> 3) + H_LEN];
}
function setLength(a: Arena, v: number, n: number): void {
  a.f64[segOf(v)][(offOf(v) >> 3) + H_LEN] = n;
}
export function nodeCount(a: Arena, v: number): number {
  return a.u32[segOf(v)][hw(v) + H_NODES];
}
export function lastId(a: Arena, v: number): StreamId {
  return readId(a.u32[segOf(v)], hw(v) + H_LAST);
}
export function setLastId(a: Arena, v: number, id: StreamId): void {
  writeId(a.u32[segOf(v)], hw(v) + H_LAST, id);
}
export function firstIdField(a: Arena, v: number): StreamId {
  return readId(a.u32[segOf(v)], hw(v) + H_FIRST);
}
function setFirstId(a: Arena, v: number, id: StreamId): void {
  writeId(a.u32[segOf(v)], hw(v) + H_FIRST, id);
}
export function maxDeletedId(a: Arena, v: number): StreamId {
  return readId(a.u32[segOf(v)], hw(v) + H_MAXDEL);
}
export function setMaxDeletedId(a: Arena, v: number, id: StreamId): void {
  writeId(a.u32[segOf(v)], hw(v) + H_MAXDEL, id);
}
export function entriesAdded(a: Arena, v: number): bigint {
  const u = a.u32[segOf(v)];
  const w = hw(v) + H_ADDED;
  return (BigInt(u[w]) << 32n) | BigInt(u[w + 1]);
}
export function setEntriesAdded(a: Arena, v: number, n: bigint): void {
  const u = a.u32[segOf(v)];
  const w = hw(v) + H_ADDED;
  u[w] = Number((n >> 32n) & 0xffffffffn);
  u[w + 1] = Number(n & 0xffffffffn);
}

// ---- the index -----------------------------------------------------------------------

function indexHandle(a: Arena, v: number): number {
  return a.u32[segOf(v)][hw(v) + H_INDEX];
}
/** Master ID of node i. */
export function nodeMaster(a: Arena, v: number, i: number): StreamId {
  const x = indexHandle(a, v);
  return readId(a.u32[segOf(x)], hw(x) + i * IDX_WORDS);
}
/** Handle of node i's listpack. */
export function nodeHandle(a: Arena, v: number, i: number): number {
  const x = indexHandle(a, v);
  return a.u32[segOf(x)][hw(x) + i * IDX_WORDS + 4];
}
function setNodeHandle(a: Arena, v: number, i: number, h: number): void {
  const x = indexHandle(a, v);
  a.u32[segOf(x)][hw(x) + i * IDX_WORDS + 4] = h;
}

/** Adds a node (master ID, listpack handle) at the end of the index. */
export function pushNode(a: Arena, v: number, master: StreamId, lp: number): void {
  const n = nodeCount(a, v);
  let x = indexHandle(a, v);
  const need = (n + 1) * IDX_WORDS * 4;
  if (x === 0) x = a.alloc(need);
  else if (a.usableSize(x) < need) x = a.realloc(x, Math.max(need, (n * 3 >> 1) * IDX_WORDS * 4));
  const u = a.u32[segOf(v)];
  u[hw(v) + H_INDEX] = x;
  u[hw(v) + H_NODES] = n + 1;
  const xu = a.u32[segOf(x)];
  writeId(xu, hw(x) + n * IDX_WORDS, master);
  xu[hw(x) + n * IDX_WORDS + 4] = lp;
}

/** Removes node i from the index and frees its listpack. */
function dropNode(a: Arena, v: number, i: number): void {
  a.free(nodeHandle(a, v, i));
  const n = nodeCount(a, v);
  const x = indexHandle(a, v);
  const d = a.u8[segOf(x)];
  const o = offOf(x);
  d.copyWithin(o + i * IDX_WORDS * 4, o + (i + 1) * IDX_WORDS * 4, o + n * IDX_WORDS * 4);
  a.u32[segOf(v)][hw(v) + H_NODES] = n - 1;
  if (n - 1 === 0) {
    a.free(x);
    a.u32[segOf(v)][hw(v) + H_INDEX] = 0;
  }
}

/** The last node whose master ID is at most id, or -1. */
function nodeAtOrBefore(a: Arena, v: number, id: StreamId): number {
  let lo = 0;
  let hi = nodeCount(a, v) - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (nodeMaster(a, v, mid) <= id) {
      found = mid;
      lo = mid + 1;
    } else hi = mid - 1;
  }
  return found;
}

// ---- reading a node ----------------------------------------------------------------

/** The node being read (one at a time; positions are absolute in `d`). */
export const N = {
  d: new Uint8Array(0) as Uint8Array,
  base: 0,
  count: 0,
  deleted: 0,
  /** Master fields: how many and where each starts. */
  nmf: 0,
  mf: [] as number[],
  /** Where the first entry starts. */
  first: 0,
  masterMs: 0n,
  masterSeq: 0n,
};

/** Opens node i of stream v into N. */
export function openNode(a: Arena, v: number, i: number): void {
  const h = nodeHandle(a, v, i);
  const d = a.u8[segOf(h)];
  const base = offOf(h);
  N.d = d;
  N.base = base;
  let p = base + LP_HEADER;
  N.count = lpInt(d, p);
  p = E.next;
  N.deleted = lpInt(d, p);
  p = E.next;
  N.nmf = lpInt(d, p);
  p = E.next;
  N.mf.length = N.nmf;
  for (let k = 0; k < N.nmf; k++) {
    N.mf[k] = p;
    p = lpSkip(d, p);
  }
  N.first = lpSkip(d, p); // the master entry's 0 terminator
  const m = nodeMaster(a, v, i);
  N.masterMs = m >> 64n;
  N.masterSeq = m & U64_MAX;
}

/** The entry at p of the open node. */
export const R = { flags: 0, id: 0n, nf: 0, fields: 0, next: 0 };

/** Reads the entry at p of N into R (its ID, flags, where its fields start, where the next entry starts). */
export function readEntry(p: number): void {
  const d = N.d;
  R.flags = lpInt(d, p);
  const msd = lpBigInt(d, E.next);
  const seqd = lpBigInt(d, E.next);
  R.id = (BigInt.asUintN(64, N.masterMs + msd) << 64n) | BigInt.asUintN(64, N.masterSeq + seqd);
  let q = E.next;
  let elems: number;
  if ((R.flags & FLAG_SAMEFIELDS) !== 0) {
    R.nf = N.nmf;
    elems = R.nf;
  } else {
    R.nf = lpInt(d, q);
    q = E.next;
    elems = R.nf * 2;
  }
  R.fields = q;
  for (let k = 0; k < elems; k++) q = lpSkip(d, q);
  R.next = lpSkip(d, q); // lp-count
}

/** Whether p is the end of the open node. */
export function atEnd(p: number): boolean {
  return N.d[p] === LP_EOF;
}

/** The fields and values of the entry in R, as byte views (valid until the stream changes). */
export function entryFields(): Uint8Array[] {
  const out: Uint8Array[] = new Array(R.nf * 2);
  const d = N.d;
  let q = R.fields;
  if ((R.flags & FLAG_SAMEFIELDS) !== 0) {
    for (let k = 0; k < R.nf; k++) {
      out[2 * k] = lpBytes(d, N.mf[k]);
      out[2 * k + 1] = lpBytes(d, q);
      q = E.next;
    }
  } else {
    for (let k = 0; k < R.nf * 2; k++) {
      out[k] = lpBytes(d, q);
      q = E.next;
    }
  }
  return out;
}

/** Called with each entry in a range: its ID and fields; return false to stop. */
export type EntryVisitor = (id: StreamId, fields: Uint8Array[]) => boolean | void;

const positions: number[] = [];

/**
 * Visits the live entries with IDs in [start, end], in ID order or (rev)
 * backwards; returns how many were visited. `count` 0: no limit.
 * `withFields` false gives an empty array (for counting and IDs).
 */
export function streamRange(a: Arena, v: number, start: StreamId, end: StreamId, rev: boolean, count: number, visit: EntryVisitor, withFields = true): number {
  if (start > end) return 0;
  const n = nodeCount(a, v);
  let seen = 0;
  const none: Uint8Array[] = [];
  if (!rev) {
    let i = nodeAtOrBefore(a, v, start);
    if (i < 0) i = 0;
    for (; i < n; i++) {
      if (nodeMaster(a, v, i) > end) return seen;
      openNode(a, v, i);
      for (let p = N.first; !atEnd(p); p = R.next) {
        readEntry(p);
        if ((R.flags & FLAG_DELETED) !== 0 || R.id < start) continue;
        if (R.id > end) return seen;
        seen++;
        const id = R.id;
        const next = R.next;
        if (visit(id, withFields ? entryFields() : none) === false || seen === count) return seen;
        R.next = next;
      }
    }
    return seen;
  }
  for (let i = nodeAtOrBefore(a, v, end); i >= 0; i--) {
    openNode(a, v, i);
    positions.length = 0;
    for (let p = N.first; !atEnd(p); p = R.next) {
      readEntry(p);
      positions.push(p);
    }
    for (let k = positions.length - 1; k >= 0; k--) {
      readEntry(positions[k]);
      if ((R.flags & FLAG_DELETED) !== 0 || R.id > end) continue;
      if (R.id < start) return seen;
      seen++;
      if (visit(R.id, withFields ? entryFields() : none) === false || seen === count) return seen;
    }
  }
  return seen;
}

/** The first (or last) entry's ID: live entries only unless `tombstones`; null when there is none. */
export function edgeId(a: Arena, v: number, first: boolean, tombstones = false): StreamId | null {
  const n = nodeCount(a, v);
  for (let k = 0; k < n; k++) {
    const i = first ? k : n - 1 - k;
    openNode(a, v, i);
    let found: StreamId | null = null;
    for (let p = N.first; !atEnd(p); p = R.next) {
      readEntry(p);
      if (!tombstones && (R.flags & FLAG_DELETED) !== 0) continue;
      found = R.id;
      if (first) return found;
    }
    if (found !== null) return found;
  }
  return null;
}

/** The fields of entry id, or null when it is absent or deleted. */
export function streamGet(a: Arena, v: number, id: StreamId): Uint8Array[] | null {
  let out: Uint8Array[] | null = null;
  streamRange(a, v, id, id, false, 1, (_id, f) => {
    out = f;
  });
  return out;
}

// ---- writing ---------------------------------------------------------------------------

/** Node limits: stream-node-max-bytes and stream-node-max-entries (0: none). */
export interface NodeLimits {
  maxBytes: number;
  maxEntries: number;
}

const LISTPACK_MAX = 1 << 30;

/**
 * Appends an entry (fields and values alternate in `fv`, views or args) with
 * ID `id`, which the caller has checked is above the last ID; as
 * streamAppendItem, into the last node unless it is full.
 */
export function streamAppend(a: Arena, v: number, id: StreamId, u8: Uint8Array, off: Int32Array | number[], len: Int32Array | number[], from: number, nf: number, limits: NodeLimits): void {
  let total = 0;
  for (let k = 0; k < nf * 2; k++) total += len[from + k];
  const n = nodeCount(a, v);
  let node = n - 1;
  if (node >= 0) {
    const maxBytes = limits.maxBytes === 0 || limits.maxBytes > LISTPACK_MAX ? LISTPACK_MAX : limits.maxBytes;
    if (lpTotal(a, nodeHandle(a, v, node)) + total >= maxBytes) node = -1;
    else {
      openNode(a, v, node);
      if (limits.maxEntries !== 0 && N.count + N.deleted >= limits.maxEntries) node = -1;
    }
  }
  wReset();
  let flags = FLAG_SAMEFIELDS;
  if (node < 0) {
    // A new node: its master entry holds this entry's fields, and the entry has the same fields.
    wInt(1);
    wInt(0);
    wInt(nf);
    for (let k = 0; k < nf; k++) wStr(u8, off[from + 2 * k], len[from + 2 * k]);
    wInt(0);
    wInt(flags);
    wInt(0);
    wInt(0);
    for (let k = 0; k < nf; k++) wStr(u8, off[from + 2 * k + 1], len[from + 2 * k + 1]);
    wInt(nf + 3);
    pushNode(a, v, id, nodeFromW(a));
  } else {
    // N holds the last node (opened above). Same fields as its master entry?
    if (N.nmf !== nf) flags = 0;
    for (let k = 0; k < nf && flags !== 0; k++) if (!lpEquals(N.d, N.mf[k], u8, off[from + 2 * k], len[from + 2 * k])) flags = 0;
    wInt(flags);
    wInt(bigOrNumber(BigInt.asIntN(64, (id >> 64n) - N.masterMs)));
    wInt(bigOrNumber(BigInt.asIntN(64, (id & U64_MAX) - N.masterSeq)));
    if (flags !== 0) {
      for (let k = 0; k < nf; k++) wStr(u8, off[from + 2 * k + 1], len[from + 2 * k + 1]);
      wInt(nf + 3);
    } else {
      wInt(nf);
      for (let k = 0; k < nf * 2; k++) wStr(u8, off[from + k], len[from + k]);
      wInt(nf * 2 + 4);
    }
    const h = nodeReplaceInt(a, nodeHandle(a, v, node), LP_HEADER, N.count + 1);
    setNodeHandle(a, v, node, nodeAppendW(a, h));
  }
  const len0 = streamLength(a, v);
  setLength(a, v, len0 + 1);
  setEntriesAdded(a, v, entriesAdded(a, v) + 1n);
  setLastId(a, v, id);
  if (len0 === 0) setFirstId(a, v, id);
}

function bigOrNumber(b: bigint): number | bigint {
  return b >= -9007199254740991n && b <= 9007199254740991n ? Number(b) : b;
}

/** Marks the entry at p (its flags element) of node i deleted and updates the node's counters; drops the node when no live entry is left. */
function markDeleted(a: Arena, v: number, i: number, p: number, flags: number): void {
  const h0 = nodeHandle(a, v, i);
  N.d[p] = flags | FLAG_DELETED; // flags are 7-bit integers: one byte, same size
  const live = N.count - 1;
  const dead = N.deleted + 1;
  setLength(a, v, streamLength(a, v) - 1);
  if (live === 0) {
    dropNode(a, v, i);
    return;
  }
  let h = nodeReplaceInt(a, h0, LP_HEADER, live);
  const d = a.u8[segOf(h)];
  const second = lpSkip(d, offOf(h) + LP_HEADER) - offOf(h);
  h = nodeReplaceInt(a, h, second, dead);
  setNodeHandle(a, v, i, h);
}

/** Deletes entry id (Redis's streamDeleteItem); whether it was there. */
export function streamDelete(a: Arena, v: number, id: StreamId): boolean {
  const i = nodeAtOrBefore(a, v, id);
  if (i < 0) return false;
  openNode(a, v, i);
  for (let p = N.first; !atEnd(p); p = R.next) {
    readEntry(p);
    if (R.id > id) return false;
    if (R.id === id) {
      if ((R.flags & FLAG_DELETED) !== 0) return false;
      markDeleted(a, v, i, p, R.flags);
      return true;
    }
  }
  return false;
}

/** After deletions: the first ID as Redis keeps it (0-0 when empty, else the first live entry). */
export function refreshFirstId(a: Arena, v: number): void {
  setFirstId(a, v, streamLength(a, v) === 0 ? 0n : (edgeId(a, v, true) ?? 0n));
}

export const enum Trim {
  MaxLen = 1,
  MinId = 2,
}

/**
 * Redis's streamTrim: removes whole nodes while they lie entirely below the
 * threshold, then (exact trimming only) marks entries of the next node
 * deleted. `limit` bounds the entries removed with whole nodes (0: none).
 * Returns how many entries were removed.
 */
export function streamTrim(a: Arena, v: number, strategy: Trim, maxlen: number, minid: StreamId, approx: boolean, limit: number): number {
  let deleted = 0;
  while (nodeCount(a, v) > 0) {
    const len = streamLength(a, v);
    if (strategy === Trim.MaxLen && len <= maxlen) break;
    openNode(a, v, 0);
    const entries = N.count;
    if (limit !== 0 && deleted + entries > limit) break;
    let remove: boolean;
    if (strategy === Trim.MaxLen) remove = len - entries >= maxlen;
    else {
      let last = 0n;
      for (let p = N.first; !atEnd(p); p = R.next) {
        readEntry(p);
        last = R.id;
      }
      remove = last < minid;
    }
    if (remove) {
      a.free(nodeHandle(a, v, 0));
      dropNodeEntry(a, v);
      setLength(a, v, len - entries);
      deleted += entries;
      continue;
    }
    if (approx) break;
    // Mark entries of this node deleted, from its first, until the threshold.
    let marked = 0;
    let length = len;
    const d = N.d;
    for (let p = N.first; !atEnd(p); p = R.next) {
      readEntry(p);
      if (strategy === Trim.MaxLen ? length <= maxlen : R.id >= minid) break;
      if ((R.flags & FLAG_DELETED) === 0) {
        d[p] = R.flags | FLAG_DELETED;
        marked++;
        length--;
      }
    }
    if (marked > 0) {
      let h = nodeReplaceInt(a, nodeHandle(a, v, 0), LP_HEADER, entries - marked);
      const second = lpSkip(a.u8[segOf(h)], offOf(h) + LP_HEADER) - offOf(h);
      h = nodeReplaceInt(a, h, second, N.deleted + marked);
      setNodeHandle(a, v, 0, h);
      setLength(a, v, length);
      deleted += marked;
    }
    break;
  }
  if (deleted > 0) refreshFirstIdAfterTrim(a, v);
  return deleted;
}

/** Removes node 0 from the index (its listpack already freed). */
function dropNodeEntry(a: Arena, v: number): void {
  const n = nodeCount(a, v);
  const x = indexHandle(a, v);
  const d = a.u8[segOf(x)];
  const o = offOf(x);
  d.copyWithin(o, o + IDX_WORDS * 4, o + n * IDX_WORDS * 4);
  a.u32[segOf(v)][hw(v) + H_NODES] = n - 1;
  if (n === 1) {
    a.free(x);
    a.u32[segOf(v)][hw(v) + H_INDEX] = 0;
  }
}

function refreshFirstIdAfterTrim(a: Arena, v: number): void {
  if (streamLength(a, v) === 0) setFirstId(a, v, 0n);
  else setFirstId(a, v, edgeId(a, v, true) ?? 0n);
}

/** Frees the entries (nodes and index), keeping the header. */
function freeNodes(a: Arena, v: number): void {
  const n = nodeCount(a, v);
  for (let i = 0; i < n; i++) a.free(nodeHandle(a, v, i));
  const x = indexHandle(a, v);
  if (x !== 0) a.free(x);
}

// ---- the TypeOps -----------------------------------------------------------------------

export function streamFree(a: Arena, v: number): void {
  freeNodes(a, v);
  dropGroups(a, v);
  a.free(v);
}

export function streamMemory(a: Arena, v: number): number {
  let bytes = a.usableSize(v);
  const x = indexHandle(a, v);
  if (x !== 0) bytes += a.usableSize(x);
  const n = nodeCount(a, v);
  for (let i = 0; i < n; i++) bytes += a.usableSize(nodeHandle(a, v, i));
  return bytes + groupsMemory(groupsOf(a, v));
}


/**
 * Defragmentation (TypeOps.relocate): moves the blocks `moving` picks — the
 * node listpacks, the index, the header (its groups follow it) — and
 * returns the value word, which changes when the header moved.
 */
export function streamRelocate(a: Arena, v: number, moving: (h: number) => boolean): number {
  const n = nodeCount(a, v);
  for (let i = 0; i < n; i++) {
    const h = nodeHandle(a, v, i);
    if (moving(h)) setNodeHandle(a, v, i, moveBlock(a, h));
  }
  const x = indexHandle(a, v);
  if (x !== 0 && moving(x)) a.u32[segOf(v)][hw(v) + H_INDEX] = moveBlock(a, x);
  if (!moving(v)) return v;
  const nv = moveBlock(a, v);
  moveGroups(a, v, nv);
  return nv;
}

/** The listpack of node i as bytes (a view), for the RDB writer. */
export function nodeBytes(a: Arena, v: number, i: number): Uint8Array {
  const h = nodeHandle(a, v, i);
  return a.u8[segOf(h)].subarray(offOf(h), offOf(h) + lpTotal(a, h));
}

/** Copies a listpack read from a payload into a node of stream v (appended to the index). */
export function adoptNode(a: Arena, v: number, master: StreamId, lp: Uint8Array): void {
  pushNode(a, v, master, nodeFrom(a, lp));
}

/** Sets the header fields a payload carries. */
export function setMeta(a: Arena, v: number, length: number, last: StreamId, first: StreamId, maxDel: StreamId, added: bigint): void {
  setLength(a, v, length);
  setLastId(a, v, last);
  setFirstId(a, v, first);
  setMaxDeletedId(a, v, maxDel);
  setEntriesAdded(a, v, added);
}


/** The header's counters, for entries-read and lag (stream-lag.ts). */
export function countersOf(a: Arena, v: number): StreamCounters {
  return { entriesAdded: entriesAdded(a, v), length: streamLength(a, v), lastId: lastId(a, v), firstId: firstIdField(a, v), maxDeletedId: maxDeletedId(a, v) };
}
